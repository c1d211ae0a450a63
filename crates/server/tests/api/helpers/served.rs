//! The real `witzo` binary serving, as a developer starts it: in a fresh
//! directory (its data under `./data`), configured only by `WITZO_*`
//! variables, its standard error (the log) piped and read as it is
//! written.

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::free_address;
use super::mailbox::code_in;

pub struct Served {
    pub addr: SocketAddr,
    child: Child,
    log: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Served {
    /// `witzo serve --listen ADDR` with only `env` (and `PATH`) set,
    /// returned once `/healthz` answers.
    pub async fn start(env: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let addr = free_address();
        let mut child = Command::new(env!("CARGO_BIN_EXE_witzo"))
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .args(["serve", "--listen", &addr.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let written = Arc::clone(&log);
        let reader = std::thread::spawn(move || {
            let mut stderr = std::io::BufReader::new(stderr);
            let mut line = Vec::new();
            while stderr.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                written
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&line));
                line.clear();
            }
        });
        let mut served = Self {
            addr,
            child,
            log,
            reader: Some(reader),
            _dir: dir,
        };
        served.wait_healthy().await;
        served
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::new();
        loop {
            let health = client.get(self.url("/healthz")).send().await;
            if health.is_ok_and(|r| r.status().as_u16() == 200) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("witzo exited early: {status}\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "witzo did not become healthy\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The log, once it contains `text` (at most 15 s).
    pub async fn wait_for_log(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let log = self.log();
            if log.contains(text) {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "the log never said {text:?}:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The sign-in code of the `n`th development e-mail to `to` the log
    /// shows (as a developer reads it there).
    pub async fn code_in_log(&self, to: &str, n: usize) -> String {
        let header = format!("To: {to}\n");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let log = self.log();
            if let Some((at, _)) = log.match_indices(&header).nth(n - 1) {
                return code_in(&log[at..]);
            }
            assert!(
                Instant::now() < deadline,
                "no e-mail {n} to {to} in the log:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server with SIGTERM; returns how it exited and its whole log.
    pub fn stop(mut self) -> (ExitStatus, String) {
        let signalled = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(signalled.success());
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status, self.log())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // A failed test: the server goes with it.
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}
