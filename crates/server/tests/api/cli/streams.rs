//! Which stream carries what: results on standard output, every log line
//! on standard error, colour only on a terminal and never with `NO_COLOR`,
//! one migration line on `migrate`, no database notices; `--version`,
//! `--help` with an example, and the exit codes.

use std::process::Command;

use super::{Run, Workdir, on_both_databases, path_with_witzo, witzo_bin};

#[test]
fn version_prints_the_name_and_version_alone() {
    let w = Workdir::sqlite();
    let run = w.run(&["--version"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, format!("witzo {}\n", env!("CARGO_PKG_VERSION")));
    assert_eq!(run.stderr, "");
}

#[test]
fn every_commands_help_shows_an_example_of_it() {
    let w = Workdir::sqlite();
    for command in [
        "",
        "serve",
        "worker",
        "migrate",
        "ingest",
        "ask",
        "bench",
        "bench retrieval",
        "bench index",
        "bench answers",
        "model",
        "model distill",
        "admin",
        "admin account",
        "admin account create",
        "admin account list",
        "admin account show",
        "admin account set-plan",
        "admin plan",
        "admin plan list",
        "admin plan create",
        "admin plan set",
        "admin widget",
        "admin widget create",
        "admin widget list",
        "admin usage",
        "admin usage set",
    ] {
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.push("--help");
        let run = w.run(&args);
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (0, ""),
            "{command}: {run:?}"
        );
        let example = run
            .stdout
            .split_once("Example")
            .map(|(_, example)| example)
            .unwrap_or_else(|| panic!("{command} has no example: {run:?}"));
        assert!(
            example.contains(format!("witzo {command}").trim_end()),
            "{command}: {run:?}"
        );
    }
    assert!(!w.path().join("data").exists(), "help opens nothing");
}

#[test]
fn usage_errors_exit_2_with_the_usage_on_stderr() {
    let w = Workdir::sqlite();
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["admin", "account", "create"],
        vec!["admin", "account", "list", "--jsn"],
        vec!["serve", "--json"],
        vec!["ask", "--widget", "wk_x"],
    ] {
        let run = w.run(&args);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (2, ""),
            "{args:?}: {run:?}"
        );
        assert!(run.stderr.contains("Usage: witzo"), "{args:?}: {run:?}");
    }
    assert!(!w.path().join("data").exists(), "nothing opened");
}

on_both_databases!(
    migrate_logs_one_line_on_stderr_and_nothing_on_stdout,
    migrate_logs_one_line
);
async fn migrate_logs_one_line(w: Workdir) {
    let first = w.ok(&["migrate"]);
    assert_eq!(first.stdout, "");
    let lines = first.log_lines();
    assert_eq!(lines.len(), 1, "{first:?}");
    let applied = format!(" INFO applied {} migration(s) ", w.migrations());
    assert!(lines[0].contains(&applied), "{first:?}");
    assert!(
        lines[0].ends_with(&format!(
            "database={} applied={}",
            w.backend(),
            w.migrations()
        )),
        "{first:?}"
    );
    let again = w.ok(&["migrate"]);
    assert_eq!(again.stdout, "");
    let lines = again.log_lines();
    assert_eq!(lines.len(), 1, "{again:?}");
    assert!(
        lines[0].ends_with(&format!(
            " INFO database schema up to date database={}",
            w.backend()
        )),
        "{again:?}"
    );
}

on_both_databases!(
    logs_at_any_level_stay_on_stderr_while_stdout_holds_the_key_alone,
    logs_stay_on_stderr
);
async fn logs_stay_on_stderr(w: Workdir) {
    w.ok(&["admin", "account", "create", "--email", "ops@example.com"]);
    let created = Run::of(
        w.command()
            .env("WITZO_LOG_LEVEL", "debug")
            .args(["admin", "widget", "create", "--account", "ops@example.com"])
            .args(["--name", "Shop", "--domain", "shop.example.com"]),
    );
    assert_eq!(created.code, 0, "{created:?}");
    let key = created.stdout.strip_suffix('\n').unwrap();
    assert!(key.starts_with("wk_") && key.len() == 35, "{created:?}");
    assert!(
        created
            .log_lines()
            .iter()
            .any(|l| l.contains(" DEBUG ") && l.contains("INSERT INTO widgets")),
        "the statements are logged on stderr: {created:?}"
    );
    let json = Run::of(
        w.command()
            .env("RUST_LOG", "debug")
            .env("WITZO_LOG_FORMAT", "json")
            .args(["admin", "widget", "list", "--account", "ops@example.com"])
            .arg("--json"),
    );
    assert_eq!(json.json()[0]["key"], key, "{json:?}");
    for line in json.log_lines() {
        let log: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(log["level"].is_string(), "{line}");
    }
    assert!(!json.stderr.is_empty());
}

#[tokio::test]
async fn postgresql_notices_are_not_logged_unless_asked_for() {
    let Some(w) = Workdir::postgres().await else {
        return;
    };
    w.ok(&["migrate"]);
    let quiet = w.ok(&["admin", "plan", "list", "--json"]);
    assert_eq!(quiet.stderr, "", "{quiet:?}");
    let asked = Run::of(
        w.command()
            .env("RUST_LOG", "warn,sqlx::postgres::notice=info")
            .args(["admin", "plan", "list", "--json"]),
    );
    assert_eq!(asked.code, 0, "{asked:?}");
    assert_eq!(asked.stdout, quiet.stdout);
    assert!(
        asked
            .stderr
            .contains("relation \"_sqlx_migrations\" already exists, skipping"),
        "the notice is raised, and filtered by default: {asked:?}"
    );
}

/// `witzo ARGS` on a pseudo-terminal (util-linux `script`): what the
/// terminal showed.
fn on_a_terminal(w: &Workdir, no_color: Option<&str>, args: &str) -> String {
    let mut command = Command::new("script");
    command
        .current_dir(w.path())
        .env_clear()
        .env("PATH", path_with_witzo())
        .args([
            "-qec",
            &format!("{} {args}", witzo_bin().display()),
            "/dev/null",
        ]);
    if let Some(value) = no_color {
        command.env("NO_COLOR", value);
    }
    let output = command.output().unwrap();
    String::from_utf8(output.stdout).unwrap()
}

/// An SGR (colour) escape: `ESC [ digits;… m`.
fn has_colour(text: &str) -> bool {
    text.split("\x1b[").skip(1).any(|rest| {
        let code: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ';')
            .collect();
        rest[code.len()..].starts_with('m')
    })
}

#[test]
fn logs_are_coloured_only_on_a_terminal_and_never_with_no_color() {
    let w = Workdir::sqlite();
    let failing = "admin account show --account nobody@example.com";
    let coloured = on_a_terminal(&w, None, failing);
    assert!(
        coloured.contains("no account for nobody@example.com"),
        "{coloured:?}"
    );
    assert!(has_colour(&coloured), "{coloured:?}");
    let plain = on_a_terminal(&w, Some("1"), failing);
    assert!(
        plain.contains("no account for nobody@example.com"),
        "{plain:?}"
    );
    assert!(!has_colour(&plain), "{plain:?}");
    let piped = w.run(&failing.split(' ').collect::<Vec<_>>());
    assert_eq!(piped.code, 1, "{piped:?}");
    assert!(!has_colour(&piped.stderr) && !piped.stderr.contains('\x1b'));
}

on_both_databases!(
    serve_writes_nothing_on_stdout_and_its_logs_on_stderr,
    serve_logs_on_stderr
);
async fn serve_logs_on_stderr(w: Workdir) {
    let addr = crate::helpers::free_address();
    let mut child = w
        .command()
        .args(["serve", "--listen", &addr.to_string()])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let healthz = format!("http://{addr}/healthz");
    while reqwest::get(&healthz).await.is_err() {
        assert!(child.try_wait().unwrap().is_none(), "witzo exited early");
        assert!(std::time::Instant::now() < deadline, "never healthy");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
    let logs = run.log_lines();
    let applied = format!(
        " INFO applied {} migration(s) database={} applied={}",
        w.migrations(),
        w.backend(),
        w.migrations()
    );
    assert!(logs[0].ends_with(&applied), "{run:?}");
    assert!(logs[1].contains(" INFO witzo is serving "), "{run:?}");
    // Where to go next, and (without SMTP) where sign-in codes appear.
    assert!(
        logs[2].ends_with(&format!(
            " INFO open http://{addr}/app to sign in; without smtp.url, sign-in codes are written to this log"
        )),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains('\x1b') && !run.stderr.contains("already exists"),
        "{run:?}"
    );
}
