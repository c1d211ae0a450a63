//! A real SMTP server for tests: Python's `aiosmtpd` on a free loopback
//! port, delivering into a Maildir that the tests read.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Mailbox {
    child: Child,
    dir: tempfile::TempDir,
    pub addr: std::net::SocketAddr,
}

impl Mailbox {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let addr = super::free_address();
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &addr.to_string(),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path().join("maildir"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, dir, addr }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn new_dir(&self) -> PathBuf {
        self.dir.path().join("maildir/new")
    }

    /// Every delivered message, raw, oldest first.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.new_dir()) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }

    /// Waits for the `n`th message (1-based) to `to` and returns it.
    pub async fn wait_for(&self, to: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let to_them: Vec<String> = self
                .messages()
                .into_iter()
                .filter(|m| {
                    m.lines()
                        .any(|l| l.eq_ignore_ascii_case(&format!("To: {to}")))
                })
                .collect();
            if to_them.len() >= n {
                return to_them[n - 1].clone();
            }
            assert!(
                Instant::now() < deadline,
                "no message {n} to {to}; have {:?}",
                self.messages().len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `count` messages in all have arrived; returns the last.
    pub async fn wait_for_count(&self, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages[count - 1].clone();
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {count} messages arrived",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The code in the `n`th message to `to`.
    pub async fn code(&self, to: &str, n: usize) -> String {
        code_in(&self.wait_for(to, n).await)
    }
}

/// The 6-digit code after "code is" in a message's text part.
pub fn code_in(message: &str) -> String {
    let at = message.find("code is ").expect("a code in the message") + "code is ".len();
    let code: String = message[at..].chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code:?}");
    code
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
