//! `sqlx::migrate!` embeds the migrations at compile time, but cargo does
//! not know it reads them: without this a new migration is left out of an
//! incremental build until some source file changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
