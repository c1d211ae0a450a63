//! PostgreSQL restarted under load: a private PostgreSQL server (initdb'd
//! for this test, so the shared one is never touched) restarts while chats
//! run; every answer is a 200 or a 503 with `Retry-After`, never a 500;
//! the service returns by itself; nothing is half-written.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use witzo_server::app::AppOptions;

use crate::helpers::{SHOP, free_address, spawn_app_with, unlimited_rates, visitor};

/// A PostgreSQL server of this test's own, run as the `postgres` user.
struct OwnPostgres {
    bin: PathBuf,
    data: PathBuf,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

/// Runs `program` as `postgres`; no pipes, as the server it starts would
/// hold them open.
fn as_postgres(program: &Path, args: &[&str]) -> bool {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

impl OwnPostgres {
    /// `None` where PostgreSQL's server binaries or the `postgres` user
    /// are missing (CI has both: .ci/run installs PostgreSQL).
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())?;
        let dir = tempfile::Builder::new()
            .prefix("witzo-pg-")
            .tempdir()
            .ok()?;
        let data = dir.path().join("data");
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .ok()?;
        assert!(chown.success());
        let data_arg = data.to_string_lossy().into_owned();
        assert!(as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                &data_arg,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync"
            ]
        ));
        let addr = free_address();
        let pg = Self {
            bin,
            data,
            addr,
            _dir: dir,
        };
        assert!(pg.ctl(&["start"]), "pg_ctl start");
        Some(pg)
    }

    fn ctl(&self, action: &[&str]) -> bool {
        let options = format!(
            "-p {} -c listen_addresses={} -k {} -c fsync=off",
            self.addr.port(),
            self.addr.ip(),
            self.data.to_string_lossy()
        );
        let data = self.data.to_string_lossy().into_owned();
        let log = self.data.join("server.log").to_string_lossy().into_owned();
        let mut args = vec!["-D", &data, "-l", &log, "-o", &options, "-w", "-m", "fast"];
        args.extend_from_slice(action);
        as_postgres(&self.bin.join("pg_ctl"), &args)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@{}/postgres", self.addr)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.ctl(&["stop"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_restart_under_load_answers_503_with_retry_after_and_recovers() {
    if std::env::var_os("WITZO_TEST_POSTGRES_URL").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL must be installed in CI"
        );
        return;
    }
    let Some(pg) = OwnPostgres::start() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "initdb and the postgres user are needed in CI"
        );
        return;
    };
    let url = pg.url();
    let app = spawn_app_with(
        move |c| {
            c.database_url = Some(url.into());
            c.limits.request_timeout_secs = 20;
            unlimited_rates(c);
        },
        AppOptions::default(),
    )
    .await;
    let owner = app.sign_in("ada@example.com").await;
    app.set_plan(&owner, "enterprise").await;
    let widget = app.create_widget(&owner, &["shop.example.com"]).await;

    let load = async {
        let mut statuses = Vec::new();
        for _ in 0..40 {
            let batch = (0..4).map(|_| async {
                let response = app
                    .chat(&widget, "When do you open?")
                    .from(SHOP)
                    .visitor(&visitor())
                    .send()
                    .await;
                let retry = response.headers().get("retry-after").is_some();
                (response.status().as_u16(), retry)
            });
            statuses.extend(futures_util::future::join_all(batch).await);
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        statuses
    };
    let restart = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let pg = &pg;
        tokio::task::block_in_place(|| pg.ctl(&["restart"]))
    };
    let (statuses, restarted) = tokio::join!(load, restart);
    assert!(restarted, "pg_ctl restart");
    for (status, retry) in &statuses {
        assert!(
            *status == 200 || (*status == 503 && *retry),
            "{status} (Retry-After: {retry}) in {statuses:?}"
        );
    }
    // Back by itself: the next chats are answered.
    for _ in 0..5 {
        let reply = app
            .chat(&widget, "And on Saturdays?")
            .from(SHOP)
            .visitor(&visitor())
            .send()
            .await;
        assert_eq!(reply.status().as_u16(), 200);
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&pg.url()).await.unwrap();
    let (half,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM messages a WHERE a.role = 'assistant' AND NOT EXISTS \
         (SELECT 1 FROM messages v WHERE v.conversation_id = a.conversation_id AND v.role = 'visitor' AND v.id < a.id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(half, 0, "no answer without its question");
    pool.close().await;
}
