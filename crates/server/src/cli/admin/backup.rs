//! `witzo admin backup` and `witzo admin restore`. SQLite: an online copy
//! (`VACUUM INTO`, consistent while the server writes), checked with
//! `PRAGMA integrity_check` before it is reported written or restored.
//! PostgreSQL: `pg_dump --format=custom` and `pg_restore` in one
//! transaction, the connection given through libpq's environment
//! variables so the password never appears in a process list.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use secrecy::ExposeSecret;
use serde::Serialize;
use witzo_app::config::Config;
use witzo_store::{Backend, Store, sqlite_path};

use crate::cli::output::Format;

#[derive(Serialize)]
struct Done {
    action: &'static str,
    file: PathBuf,
    bytes: u64,
    database: &'static str,
    integrity: &'static str,
}

fn report(done: &Done, format: Format) -> anyhow::Result<()> {
    format.print(done, |d| {
        format!(
            "{} {} ({} bytes, {}, integrity {})\n",
            d.action,
            d.file.display(),
            d.bytes,
            d.database,
            d.integrity
        )
    })
}

/// A SQLite file opened on its own and checked.
async fn check_sqlite(path: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}?mode=rw", path.display());
    let store = Store::connect(&url, 1)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let found = store.integrity_check().await;
    store.close().await;
    let found = found?;
    anyhow::ensure!(
        found == ["ok"],
        "{} fails the integrity check: {}",
        path.display(),
        found.join("; ")
    );
    Ok(())
}

pub(super) async fn backup(
    config: &Config,
    store: &Store,
    out: &Path,
    format: Format,
) -> anyhow::Result<()> {
    anyhow::ensure!(!out.exists(), "{} already exists", out.display());
    let database = match store.backend() {
        Backend::Sqlite => {
            store.backup_sqlite_to(out).await?;
            check_sqlite(out).await?;
            "sqlite"
        }
        Backend::Postgres => {
            let mut command = Command::new("pg_dump");
            command
                .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(out);
            libpq(&mut command, config)?;
            run(command, "pg_dump")?;
            "postgres"
        }
    };
    let bytes = std::fs::metadata(out)?.len();
    report(
        &Done {
            action: "backed up to",
            file: out.to_path_buf(),
            bytes,
            database,
            integrity: "ok",
        },
        format,
    )
}

pub(super) async fn restore(config: &Config, from: &Path, format: Format) -> anyhow::Result<()> {
    anyhow::ensure!(from.is_file(), "{} is not a file", from.display());
    let url = config.database_url();
    let database = match Backend::of_url(url.expose_secret())? {
        Backend::Sqlite => {
            let target = sqlite_path(url.expose_secret())
                .context("an in-memory database cannot be restored")?
                .to_path_buf();
            check_sqlite(from).await?;
            replace_sqlite(from, &target)?;
            // Brings an older backup's schema up to this version.
            let store = crate::app::open_store(config).await?;
            store.close().await;
            "sqlite"
        }
        Backend::Postgres => {
            let mut command = Command::new("pg_restore");
            command
                .args(["--clean", "--if-exists", "--no-owner", "--no-privileges"])
                .args(["--single-transaction", "--exit-on-error"])
                .arg(from);
            let database = libpq(&mut command, config)?;
            command.arg("--dbname").arg(database);
            run(command, "pg_restore")?;
            "postgres"
        }
    };
    report(
        &Done {
            action: "restored from",
            file: from.to_path_buf(),
            bytes: std::fs::metadata(from)?.len(),
            database,
            integrity: "ok",
        },
        format,
    )
}

/// Puts the checked backup in place of the database file: copied next to
/// it, then renamed over it, the old WAL and shared-memory files removed.
fn replace_sqlite(from: &Path, target: &Path) -> anyhow::Result<()> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let partial = target.with_extension("restoring");
    std::fs::copy(from, &partial)
        .with_context(|| format!("copying {} next to {}", from.display(), target.display()))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err.into()),
            _ => {}
        }
    }
    std::fs::rename(&partial, target)?;
    Ok(())
}

/// The database URL as libpq environment variables on `command`; returns
/// the database's name (which pg_restore also wants as `--dbname`).
fn libpq(command: &mut Command, config: &Config) -> anyhow::Result<String> {
    let url = url::Url::parse(config.database_url().expose_secret()).context("database_url")?;
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    command.env_remove("DATABASE_URL");
    command.env("PGHOST", url.host_str().unwrap_or("localhost"));
    command.env("PGPORT", url.port().unwrap_or(5432).to_string());
    let database = decode(url.path().trim_start_matches('/'));
    command.env("PGDATABASE", &database);
    if !url.username().is_empty() {
        command.env("PGUSER", decode(url.username()));
    }
    if let Some(password) = url.password() {
        command.env("PGPASSWORD", decode(password));
    }
    for (key, value) in url.query_pairs() {
        if key == "sslmode" {
            command.env("PGSSLMODE", value.as_ref());
        }
    }
    Ok(database)
}

fn run(mut command: Command, name: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {name} (install the PostgreSQL client tools)"))?;
    anyhow::ensure!(
        output.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}
