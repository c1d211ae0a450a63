//! `witzo serve` as a developer first starts it, its log piped: the
//! start-up lines say where the dashboard is and, without SMTP, that the
//! sign-in codes are in this log; a piped log carries no colour codes.

use crate::helpers::served::Served;

/// The start-up banner's message, without its time and level.
fn banner(log: &str) -> &str {
    log.lines()
        .find_map(|line| line.split_once("  INFO open "))
        .map(|(_, message)| message)
        .unwrap_or_else(|| panic!("no start-up banner in:\n{log}"))
}

#[tokio::test]
async fn serve_names_the_dashboard_and_without_smtp_says_the_codes_are_in_its_log_without_colour() {
    let server = Served::start(&[]).await;
    let addr = server.addr;
    server.wait_for_log(" INFO open ").await;
    let (status, log) = server.stop();
    assert!(status.success(), "{status}: {log}");
    assert_eq!(
        banner(&log),
        format!(
            "http://{addr}/app to sign in; without smtp.url, sign-in codes are written to this log"
        )
    );
    assert!(log.contains(" INFO witzo is serving listen="), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log:?}"
    );
}

#[tokio::test]
async fn serve_with_smtp_names_only_the_dashboard() {
    // Nothing listens there: the server does not send until someone signs in.
    let smtp = ("WITZO_SMTP__URL", "smtp://127.0.0.1:1".to_owned());
    let server = Served::start(&[smtp]).await;
    let addr = server.addr;
    server.wait_for_log(" INFO open ").await;
    let (status, log) = server.stop();
    assert!(status.success(), "{status}: {log}");
    assert_eq!(banner(&log), format!("http://{addr}/app to sign in"));
    assert!(!log.contains('\u{1b}'), "{log:?}");
}
