//! The `witzo` binary as a scripting tool, run as an operator would: its
//! result alone on standard output (text, or JSON with `--json`), logs on
//! standard error, no colour on pipes, documented exit codes; on SQLite and
//! on PostgreSQL.

mod admin;
mod bench;
mod script;
mod streams;
mod training;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use witzo_store::testing::TestDatabase;

/// Runs `$body(Workdir)` once on SQLite (`on_sqlite`) and once on a fresh
/// PostgreSQL database (`on_postgresql`), as a module named `$name`.
macro_rules! on_both_databases {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                super::$body(crate::cli::Workdir::sqlite()).await;
            }

            #[tokio::test]
            async fn on_postgresql() {
                if let Some(workdir) = crate::cli::Workdir::postgres().await {
                    super::$body(workdir).await;
                }
            }
        }
    };
}
pub(crate) use on_both_databases;

/// An operator's working directory: SQLite under `./data` (the default),
/// or a fresh PostgreSQL database named by `WITZO_DATABASE_URL`.
pub struct Workdir {
    dir: tempfile::TempDir,
    database: Option<TestDatabase>,
}

impl Workdir {
    pub fn sqlite() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            database: None,
        }
    }

    /// `None` when `WITZO_TEST_POSTGRES_URL` is unset outside CI.
    pub async fn postgres() -> Option<Self> {
        let database = TestDatabase::postgres().await?;
        Some(Self {
            dir: tempfile::tempdir().unwrap(),
            database: Some(database),
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The backend's name as the log says it (`Sqlite`, `Postgres`).
    pub fn backend(&self) -> &'static str {
        if self.database.is_some() {
            "Postgres"
        } else {
            "Sqlite"
        }
    }

    /// How many migrations this backend embeds.
    pub fn migrations(&self) -> usize {
        let backend = if self.database.is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/migrations");
        std::fs::read_dir(dir.join(backend))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "sql")
            })
            .count()
    }

    /// `witzo` in this directory, with nothing from the test's environment
    /// but `PATH` (and the database), its streams piped.
    pub fn command(&self) -> Command {
        self.prepared(Command::new(witzo_bin()))
    }

    /// `bash -c SCRIPT` here, with `witzo` first on its `PATH` and the same
    /// environment as [`Workdir::command`].
    pub fn shell(&self, script: &str) -> Command {
        let mut bash = Command::new("bash");
        bash.args(["-c", script]);
        self.prepared(bash)
    }

    fn prepared(&self, mut command: Command) -> Command {
        command
            .current_dir(self.path())
            .env_clear()
            .env("PATH", path_with_witzo())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(database) = &self.database {
            command.env("WITZO_DATABASE_URL", database.url());
        }
        command
    }

    /// Runs `witzo ARGS` to its end.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(self.command().args(args))
    }

    /// Runs `witzo ARGS` and asserts it succeeded.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, 0, "witzo {args:?}: {run:?}");
        run
    }

    /// Runs `witzo ARGS --json` and returns the one JSON document it printed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        self.ok(&args).json()
    }
}

/// What a run left: its exit code and both streams.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// Runs `command` to its end. Its streams are pipes, so neither may
    /// carry an ANSI escape.
    pub fn of(command: &mut Command) -> Self {
        let output = command.output().unwrap();
        let run = Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        };
        assert!(
            !run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'),
            "ANSI escape on a pipe: {run:?}"
        );
        run
    }

    /// Standard output as exactly one JSON document on one line.
    pub fn json(&self) -> Value {
        let lines = self.json_lines();
        assert_eq!(lines.len(), 1, "{self:?}");
        lines.into_iter().next().unwrap()
    }

    /// Standard output as one JSON document per line.
    pub fn json_lines(&self) -> Vec<Value> {
        assert!(self.stdout.ends_with('\n'), "{self:?}");
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
            .collect()
    }

    /// The log lines on standard error.
    pub fn log_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }
}

pub fn witzo_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_witzo"))
}

/// `PATH` with the directory of the `witzo` under test first, so that a
/// shell script calls it by name.
pub fn path_with_witzo() -> std::ffi::OsString {
    let dir = witzo_bin().parent().unwrap().to_path_buf();
    let mut paths = vec![dir];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap()
}

/// Unix seconds now.
pub fn now() -> i64 {
    witzo_store::now()
}

/// `value` with its timestamp field `key` checked to be within `[from,
/// now]` and then removed, so the rest can be compared exactly.
pub fn stamped(mut value: Value, key: &str, from: i64) -> Value {
    let at = value[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} in {value}"));
    assert!(
        (from..=now()).contains(&at),
        "{key} {at} not in [{from}, now]"
    );
    value.as_object_mut().unwrap().remove(key);
    value
}
