//! `witzo bench answers` end to end: the real binary serves a tiny suite's
//! site, trains a widget on it, asks its questions and scores them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/siteqa")
}

/// `witzo ARGS` in `dir` with no configuration but quiet logs.
fn witzo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_witzo"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("WITZO_LOG_LEVEL", "warn")
        .args(args)
        .output()
        .unwrap()
}

/// `kind c/n` pairs of a result line after its 14-character name column.
fn counts(line: &str) -> Vec<(String, usize, usize)> {
    line[15..]
        .split("  ")
        .map(|part| {
            let (kind, figures) = part.split_once(' ').unwrap();
            let fraction = figures.split(' ').next().unwrap();
            let (c, n) = fraction.split_once('/').unwrap();
            (kind.to_owned(), c.parse().unwrap(), n.parse().unwrap())
        })
        .collect()
}

#[test]
fn bench_answers_prints_a_line_per_site_and_an_all_line_scored_like_run_py() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("answers.json");
    let suite = suite();

    let out = witzo(
        dir.path(),
        &[
            "bench",
            "answers",
            "--suite",
            suite.to_str().unwrap(),
            "--report",
            json.to_str().unwrap(),
            "-v",
        ],
    );

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("bakery         direct "), "{stdout}");
    assert!(lines[1].starts_with("ALL            direct "), "{stdout}");
    assert_eq!(lines[0][15..], lines[1][15..], "one site: ALL is its line");
    let parts = counts(lines[0]);
    let names: Vec<&str> = parts.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "direct",
            "paraphrase",
            "unanswerable",
            "offtopic",
            "smalltalk",
            "total",
            "gold-source@sources"
        ]
    );
    let asked: Vec<usize> = parts.iter().map(|p| p.2).collect();
    assert_eq!(asked, [2, 1, 1, 1, 1, 6, 3]);
    let correct: Vec<usize> = parts.iter().map(|p| p.1).collect();
    assert_eq!(correct[0], 2, "answers quoted verbatim on a page: {stdout}");
    assert_eq!(correct[3], 1, "the off-topic question is refused: {stdout}");
    let total: usize = correct[..5].iter().sum();
    assert_eq!(correct[5], total);
    let expected = format!(
        "bakery         direct {}/2  paraphrase {}/1  unanswerable {}/1  offtopic {}/1  \
         smalltalk {}/1  total {total}/6 ({:.1}%)  gold-source@sources {}/3",
        correct[0],
        correct[1],
        correct[2],
        correct[3],
        correct[4],
        100.0 * total as f64 / 6.0,
        correct[6]
    );
    assert_eq!(lines[0], expected);
    assert!(
        stderr.contains("[bakery] job 1 succeeded: 3 indexed"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("\n  ok  ").count(), total, "{stderr}");

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["summary"]["ALL"].as_str(), Some(&lines[1][15..]));
    let rows = report["questions"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for row in rows {
        assert_eq!(row["http_status"], 200, "{row}");
        for source in row["sources"].as_array().unwrap() {
            let url = source["url"].as_str().unwrap();
            assert!(url.starts_with('/'), "the site's origin is stripped: {url}");
        }
    }
    let offtopic = rows.iter().find(|r| r["kind"] == "offtopic").unwrap();
    assert_eq!(offtopic["verdict"]["refused"], true);
    assert_eq!(offtopic["sources"], Value::Array(Vec::new()));
}

#[test]
fn bench_answers_names_the_line_of_an_invalid_question_before_serving_anything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("questions.jsonl"),
        "{\"site\": \"a\", \"id\": \"a-1\", \"q\": \"hi\", \"kind\": \"smalltalk\"}\n\
         {\"site\": \"a\", \"id\": \"a-2\", \"q\": \"hours?\", \"kind\": \"faq\"}\n",
    )
    .unwrap();

    let out = witzo(
        dir.path(),
        &["bench", "answers", "--suite", dir.path().to_str().unwrap()],
    );

    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("questions.jsonl: line 2: unknown kind faq"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn bench_answers_json_prints_one_object_per_site_and_one_for_all() {
    let dir = tempfile::tempdir().unwrap();
    let suite = suite();

    let out = witzo(
        dir.path(),
        &[
            "bench",
            "answers",
            "--suite",
            suite.to_str().unwrap(),
            "--json",
        ],
    );

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains('\x1b') && !stderr.is_empty(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let (site, all) = (&lines[0], &lines[1]);
    assert_eq!(site["site"], "bakery");
    assert_eq!(
        site["ingest"],
        "job 1 succeeded: 3 indexed, 0 unchanged, 1 skipped, 0 failed"
    );
    assert_eq!(all["site"], "ALL");
    assert_eq!(all["ingest"], Value::Null);
    let figures = |line: &Value| {
        let mut line = line.clone();
        let object = line.as_object_mut().unwrap();
        object.remove("site");
        object.remove("ingest");
        line
    };
    assert_eq!(figures(site), figures(all), "one site: ALL is its figures");
    let asked: Vec<&Value> = [
        "direct",
        "paraphrase",
        "unanswerable",
        "offtopic",
        "smalltalk",
    ]
    .iter()
    .map(|kind| &site[kind]["asked"])
    .collect();
    assert_eq!(asked, [2, 1, 1, 1, 1]);
    assert_eq!(site["direct"]["correct"], 2, "{stdout}");
    assert_eq!(site["offtopic"]["correct"], 1, "{stdout}");
    let correct: u64 = [
        "direct",
        "paraphrase",
        "unanswerable",
        "offtopic",
        "smalltalk",
    ]
    .iter()
    .map(|kind| site[kind]["correct"].as_u64().unwrap())
    .sum();
    assert_eq!(
        site["total"],
        serde_json::json!({"correct": correct, "asked": 6})
    );
    assert_eq!(site["percent"].as_f64(), Some(100.0 * correct as f64 / 6.0));
    assert_eq!(site["gold_source"]["answerable"], 3);
    assert_eq!(site.as_object().unwrap().len(), 10, "{stdout}");
}
