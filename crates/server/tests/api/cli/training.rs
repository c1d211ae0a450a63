//! `witzo ingest` and `witzo ask`: the job's outcome and the answer alone on
//! standard output (text or JSON), the job's and the retrieval's logs on
//! standard error.

use serde_json::json;

use super::{Workdir, on_both_databases};

const FAQ: &str = "Opening hours\n\nOur shop opens at nine in the morning, Monday to Friday.";

/// An account with one widget; its key.
fn widget(w: &Workdir) -> String {
    w.ok(&["admin", "account", "create", "--email", "ops@example.com"]);
    let created = w.ok(&[
        "admin",
        "widget",
        "create",
        "--account",
        "ops@example.com",
        "--name",
        "Docs",
    ]);
    created.stdout.trim_end().to_owned()
}

on_both_databases!(
    ingest_and_ask_print_their_results_alone_on_stdout,
    ingest_and_ask_print_their_results_alone
);
async fn ingest_and_ask_print_their_results_alone(w: Workdir) {
    let key = widget(&w);
    let empty = w.ok(&["ask", "--widget", &key, "When do you open?"]);
    assert!(
        empty.stdout.starts_with("I don't have any knowledge yet"),
        "{empty:?}"
    );
    assert_eq!(empty.stdout.lines().count(), 1, "{empty:?}");

    std::fs::write(w.path().join("faq.txt"), FAQ).unwrap();
    let ingested = w.ok(&["ingest", "--widget", &key, "--file", "faq.txt"]);
    assert_eq!(
        ingested.stdout,
        "job 1 succeeded: 1 indexed, 0 unchanged, 0 skipped, 0 failed\n"
    );
    let logs = ingested.log_lines();
    assert!(
        logs.iter()
            .any(|l| l.contains(" INFO ") && l.contains("job done")),
        "the job's log is on stderr: {ingested:?}"
    );
    let again = w.json(&["ingest", "--widget", &key, "--file", "faq.txt"]);
    assert_eq!(
        again,
        json!({"job": 2, "status": "succeeded", "indexed": 1, "unchanged": 0,
            "skipped": 0, "failed": 0, "error": null})
    );

    let answered = w.ok(&["ask", "--widget", &key, "When does the shop open?"]);
    let lines: Vec<&str> = answered.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{answered:?}");
    assert_eq!(
        lines,
        [
            "Our shop opens at nine in the morning, Monday to Friday. [1]",
            "[1] faq.txt"
        ],
        "{answered:?}"
    );
    assert!(
        answered
            .log_lines()
            .iter()
            .any(|l| l.contains(" INFO ") && l.contains("retrieved") && l.contains("rank=1")),
        "what was retrieved is logged on stderr: {answered:?}"
    );
    let answered = w.json(&["ask", "--widget", &key, "When does the shop open?"]);
    assert_eq!(
        answered,
        json!({"answer": "Our shop opens at nine in the morning, Monday to Friday. [1]",
            "sources": [{"title": "faq.txt", "url": null}]})
    );
}

on_both_databases!(
    ingest_and_ask_fail_with_exit_1_and_the_reason_on_stderr,
    ingest_and_ask_fail_with_the_reason_on_stderr
);
/// A well-formed key no widget has.
const UNKNOWN_KEY: &str = "wk_00000000000000000000000000000000";

async fn ingest_and_ask_fail_with_the_reason_on_stderr(w: Workdir) {
    let key = widget(&w);
    for (args, reason) in [
        (
            vec![
                "ingest", "--widget", "wk_nope", "--file", "faq.txt", "--json",
            ],
            "\"wk_nope\" is not a widget key",
        ),
        (
            vec![
                "ingest",
                "--widget",
                &key,
                "--file",
                "missing.txt",
                "--json",
            ],
            "reading missing.txt: No such file or directory (os error 2)",
        ),
        (
            vec!["ask", "--widget", UNKNOWN_KEY, "Hello?", "--json"],
            "no widget has the key wk_00000000000000000000000000000000",
        ),
    ] {
        let run = w.run(&args);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (1, ""),
            "{args:?}: {run:?}"
        );
        let last = run.log_lines().last().copied().unwrap_or_default();
        assert!(
            last.contains(" ERROR ") && last.ends_with(reason),
            "{args:?}: {run:?}"
        );
    }
    let usage = w.run(&["ingest", "--widget", &key]);
    assert_eq!((usage.code, usage.stdout.as_str()), (2, ""), "{usage:?}");
    assert!(
        usage
            .stderr
            .contains("the following required arguments were not provided"),
        "{usage:?}"
    );
}
