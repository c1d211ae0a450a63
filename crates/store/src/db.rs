use std::collections::HashSet;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::stamps::StampReader;
use crate::turns::Writer;
use crate::{StoreError, StoreResult};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names.
    pub fn of_url(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

/// A pool of connections to the one database that holds all of Witzo's state.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Where chat turns are written, in groups ([`crate::turns`]).
    turns: Writer,
    gate: WriteGate,
    /// Where widget stamps are read, for many requests at once
    /// ([`crate::stamps`]).
    stamps: StampReader,
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). SQLite files and
    /// their parent directories are created when missing; every SQLite
    /// connection runs with WAL, foreign keys on and a busy timeout.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        if backend == Backend::Sqlite {
            create_sqlite_parent(url)?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA temp_store = MEMORY").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let gate = WriteGate::default();
        let turns = Writer::start(pool.clone(), backend, gate.clone())?;
        let stamps = StampReader::start(pool.clone());
        Ok(Self {
            pool,
            backend,
            turns,
            gate,
            stamps,
        })
    }

    /// Applies every embedded migration of this backend that has not run yet
    /// and returns how many that was (0: the schema was up to date), so the
    /// caller can say so in one line.
    pub async fn migrate(&self) -> StoreResult<usize> {
        use sqlx::migrate::Migrate;
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let applied: HashSet<i64> = {
            let mut conn = self.pool.acquire().await?;
            conn.ensure_migrations_table().await?;
            conn.list_applied_migrations()
                .await?
                .into_iter()
                .map(|m| m.version)
                .collect()
        };
        let pending = migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
            .count();
        migrator.run(&self.pool).await?;
        Ok(pending)
    }

    /// Answers whether the database can be reached right now.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// See [`begin_write`].
    pub(crate) async fn begin_write(&self) -> StoreResult<WriteTx> {
        begin_write(&self.pool, self.backend, &self.gate).await
    }

    pub(crate) fn turns(&self) -> &Writer {
        &self.turns
    }

    pub(crate) fn stamps(&self) -> &StampReader {
        &self.stamps
    }

    /// Closes every connection; used on shutdown so SQLite checkpoints its WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whose turn it is at SQLite's one write lock, among the transactions
/// of this process: first come, first served. Without it a writer waiting
/// for the lock polls (SQLite's busy handler sleeps up to 100 ms between
/// tries) and loses to the chat writer ([`crate::turns`]), which takes the
/// lock again within microseconds of each commit under load: content-gap
/// filings waited up to 0.8 s.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteGate(Arc<Mutex<()>>);

/// How long a writer waits for its turn at the gate before it is
/// [`StoreError::Busy`].
const GATE_WAIT: Duration = Duration::from_secs(10);

/// A transaction that may write ([`begin_write`]); on SQLite it holds the
/// process's turn at the write lock until committed or dropped.
pub(crate) struct WriteTx {
    // Dropped first: rolled back before the turn passes on.
    tx: Transaction<'static, Any>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// Begins a transaction that may write. On SQLite it waits for its turn
/// at the [`WriteGate`], then takes the write lock at once (`BEGIN
/// IMMEDIATE`), waiting up to the busy timeout for it (another process
/// may hold it): a deferred transaction that reads and then writes fails
/// with `SQLITE_BUSY_SNAPSHOT` instead of waiting whenever another
/// connection wrote in between, which the busy timeout cannot cover.
///
/// A lock still held past the busy timeout, or a pool with no free
/// connection, is retried [`WRITE_ATTEMPTS`] times with a doubling,
/// jittered pause before it reaches the caller as [`StoreError::Busy`].
pub(crate) async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
    gate: &WriteGate,
) -> StoreResult<WriteTx> {
    let turn = match backend {
        Backend::Sqlite => Some(
            tokio::time::timeout(GATE_WAIT, gate.0.clone().lock_owned())
                .await
                .map_err(|_| StoreError::Busy(sqlx::Error::PoolTimedOut))?,
        ),
        Backend::Postgres => None,
    };
    let tx = retried(|| async move {
        let begun = match backend {
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => pool.begin().await,
        };
        begun.map_err(StoreError::from)
    })
    .await?;
    Ok(WriteTx { tx, _turn: turn })
}

/// Runs `write` again while it fails as [`StoreError::Busy`], up to
/// [`WRITE_ATTEMPTS`] times with a doubling, jittered pause (25 ms
/// upwards): a write lock still held, no free pooled connection, or on
/// PostgreSQL a deadlock it lost (a widget event's analytics rows against
/// a chat batch's, [`crate::turns`]), each rolled back entirely.
pub(crate) async fn retried<T, F, Fut>(mut write: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    let mut pause = Duration::from_millis(25);
    let mut attempt = 1;
    loop {
        match write().await {
            Err(StoreError::Busy(err)) if attempt < WRITE_ATTEMPTS => {
                tracing::debug!(attempt, error = %err, "database busy; retrying");
                tokio::time::sleep(pause + jitter(pause)).await;
                pause *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// How many times [`retried`] tries a write.
const WRITE_ATTEMPTS: u32 = 4;

/// Up to half of `pause` at random, so writers that collided do not retry
/// in step.
fn jitter(pause: Duration) -> Duration {
    pause.mul_f64(rand::random::<f64>() / 2.0)
}

/// Makes sure the directory of a `sqlite://` file exists.
/// The file a `sqlite:` URL names; `None` for an in-memory database.
pub fn sqlite_path(url: &str) -> Option<&Path> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| Path::new(path))
}

fn create_sqlite_parent(url: &str) -> StoreResult<()> {
    let Some(path) = sqlite_path(url) else {
        return Ok(());
    };
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    Ok(())
}
