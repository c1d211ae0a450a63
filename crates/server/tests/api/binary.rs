//! The real `witzo` binary, started as an operator would.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn witzo(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_witzo"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `/healthz` until it answers 200.
async fn wait_healthy(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = reqwest::Client::new();
    loop {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            assert_eq!(response.status().as_u16(), 200);
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("witzo exited early: {status}");
        }
        assert!(Instant::now() < deadline, "witzo did not become healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap()
}

#[tokio::test]
async fn serve_starts_on_an_empty_directory_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = witzo(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child).await;
    assert!(dir.path().join("data/witzo.db").exists());
    let key = dir.path().join("data/secret.key");
    assert_eq!(std::fs::read_to_string(&key).unwrap().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let status = terminate(&mut child);
    assert!(status.success(), "{status}");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut logs).unwrap();
    assert!(logs.contains("witzo is serving"), "{logs}");
    assert!(
        !logs.contains(std::fs::read_to_string(&key).unwrap().trim()),
        "secret key logged"
    );
}

#[tokio::test]
async fn environment_overrides_the_file_and_flags_override_both() {
    let dir = tempfile::tempdir().unwrap();
    let (file_port, env_port, flag_port) = (free_port(), free_port(), free_port());
    std::fs::write(
        dir.path().join("witzo.toml"),
        format!("listen = \"127.0.0.1:{file_port}\"\n"),
    )
    .unwrap();

    let mut from_env = witzo(dir.path())
        .env("WITZO_LISTEN", format!("127.0.0.1:{env_port}"))
        .arg("serve")
        .spawn()
        .unwrap();
    wait_healthy(env_port, &mut from_env).await;
    assert!(terminate(&mut from_env).success());

    let mut from_flag = witzo(dir.path())
        .env("WITZO_LISTEN", format!("127.0.0.1:{env_port}"))
        .args(["serve", "--listen", &format!("127.0.0.1:{flag_port}")])
        .spawn()
        .unwrap();
    wait_healthy(flag_port, &mut from_flag).await;
    assert!(terminate(&mut from_flag).success());
}

#[test]
fn production_refuses_unsafe_settings_and_names_each_one() {
    let dir = tempfile::tempdir().unwrap();
    let output = witzo(dir.path())
        .env("WITZO_ENVIRONMENT", "production")
        .env("WITZO_PUBLIC_URL", "http://witzo.example.com")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("secret_key must be set"), "{stderr}");
    assert!(stderr.contains("public_url must be https://"), "{stderr}");
    assert!(stderr.contains("smtp.url must be set"), "{stderr}");
    assert!(
        !dir.path().join("data").exists(),
        "nothing created before the checks pass"
    );
}

#[test]
fn an_incomplete_embedder_configuration_is_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("witzo.toml"),
        "[answers.embeddings]\nprovider = \"local\"\nmax_tokens = 1\nmin_similarity = 3.0\n",
    )
    .unwrap();
    let output = witzo(dir.path()).arg("migrate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    for expected in [
        "answers.embeddings.model_dir must be set for the local provider",
        "answers.embeddings.max_tokens must be between 2 and 512",
        "answers.embeddings.min_similarity must be between -1 and 1",
    ] {
        assert!(stderr.contains(expected), "{stderr}");
    }
    std::fs::write(
        dir.path().join("witzo.toml"),
        "[answers.embeddings]\nprovider = \"cohere\"\n",
    )
    .unwrap();
    let output = witzo(dir.path()).arg("migrate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("cohere"), "{stderr}");
}

#[test]
fn an_unknown_setting_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("witzo.toml"), "lisen = \"127.0.0.1:1\"\n").unwrap();
    let output = witzo(dir.path()).arg("migrate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("lisen"), "{stderr}");
}

#[test]
fn migrate_creates_and_migrates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let output = witzo(dir.path())
        .args(["migrate", "--data-dir", "state"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(dir.path().join("state/witzo.db").exists());
    let again = witzo(dir.path())
        .args(["migrate", "--data-dir", "state"])
        .output()
        .unwrap();
    assert!(again.status.success(), "{again:?}");
}

#[test]
fn operators_create_and_list_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let created = witzo(dir.path())
        .args(["admin", "account", "create", "--email", "Ops@Example.com"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    assert_eq!(
        String::from_utf8_lossy(&created.stdout),
        "created account 1 for ops@example.com\n"
    );
    let twice = witzo(dir.path())
        .args(["admin", "account", "create", "--email", "ops@example.com"])
        .output()
        .unwrap();
    assert!(!twice.status.success());
    let invalid = witzo(dir.path())
        .args(["admin", "account", "create", "--email", "not-an-address"])
        .output()
        .unwrap();
    assert!(!invalid.status.success());
    let listed = witzo(dir.path())
        .args(["admin", "account", "list"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(stdout.contains("ops@example.com"), "{stdout}");
    assert!(stdout.ends_with("1 account(s)\n"), "{stdout}");
}

#[tokio::test]
async fn without_smtp_development_prints_the_code_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = witzo(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let csrf: serde_json::Value = client
        .get(format!("{base}/api/auth/csrf"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sent = client
        .post(format!("{base}/api/auth/email-code"))
        .header("x-csrf-token", csrf["csrf_token"].as_str().unwrap())
        .json(&serde_json::json!({"email": "dev@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 202);
    assert!(terminate(&mut child).success());
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut logs).unwrap();
    assert!(logs.contains("DEVELOPMENT E-MAIL"), "{logs}");
    assert!(logs.contains("Your Witzo code is "), "{logs}");
}

#[test]
fn operators_set_an_accounts_usage_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| witzo(dir.path()).args(args).output().unwrap();
    assert!(
        run(&["admin", "account", "create", "--email", "ops@example.com"])
            .status
            .success()
    );
    let set = run(&[
        "admin",
        "usage",
        "set",
        "--account",
        "ops@example.com",
        "--used",
        "42",
    ]);
    assert!(set.status.success(), "{set:?}");
    let stdout = String::from_utf8(set.stdout).unwrap();
    assert!(
        stdout.starts_with("ops@example.com has used 42 conversations this cycle (renews "),
        "{stdout}"
    );
    let negative = run(&[
        "admin",
        "usage",
        "set",
        "--account",
        "ops@example.com",
        "--used",
        "-1",
    ]);
    assert_eq!(negative.status.code(), Some(2), "{negative:?}");
    let nobody = run(&[
        "admin",
        "usage",
        "set",
        "--account",
        "nobody@example.com",
        "--used",
        "1",
    ]);
    assert!(!nobody.status.success());
    // Errors go to the log, which is written to standard output.
    assert!(
        String::from_utf8(nobody.stdout)
            .unwrap()
            .contains("no account for nobody@example.com")
    );
}

#[test]
fn operators_edit_plans_and_move_accounts_between_them() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| witzo(dir.path()).args(args).output().unwrap();
    let stdout = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let listed = stdout(&["admin", "plan", "list"]);
    let free = listed.lines().find(|l| l.starts_with("free ")).unwrap();
    assert_eq!(
        free.split_whitespace().collect::<Vec<_>>(),
        ["free", "Free", "0.00", "100", "15", "4", "3", "1"]
    );
    let enterprise = listed
        .lines()
        .find(|l| l.starts_with("enterprise "))
        .unwrap();
    assert_eq!(
        enterprise.split_whitespace().collect::<Vec<_>>(),
        [
            "enterprise",
            "Enterprise",
            "custom",
            "unlimited",
            "unlimited",
            "unlimited",
            "unlimited",
            "unlimited",
            "lead_form_fallback,follow_up_email,lead_webhook,auto_rescrape,white_label,api_keys"
        ]
    );

    // Edit a plan: limits, a feature flag, the provider's price.
    stdout(&[
        "admin",
        "plan",
        "set",
        "basic",
        "--conversations",
        "2000",
        "--leads",
        "unlimited",
        "--feature",
        "white_label=on",
        "--price-monthly",
        "price_123",
    ]);
    let basic = stdout(&["admin", "plan", "list"])
        .lines()
        .find(|l| l.starts_with("basic "))
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert_eq!(
        basic,
        [
            "basic",
            "Basic",
            "20.00",
            "2000",
            "30",
            "10",
            "unlimited",
            "1",
            "lead_form_fallback,follow_up_email,lead_webhook,auto_rescrape,white_label"
        ]
    );
    for (args, exit) in [
        (vec!["admin", "plan", "set", "basic", "--pages", "-5"], 2),
        (
            vec!["admin", "plan", "set", "basic", "--feature", "teleport=on"],
            2,
        ),
        (
            vec!["admin", "plan", "set", "basic", "--feature", "white_label"],
            2,
        ),
        (vec!["admin", "plan", "set", "gold", "--pages", "5"], 1),
        (
            vec!["admin", "plan", "create", "Gold Plan!", "--name", "Gold"],
            1,
        ),
        (
            vec!["admin", "plan", "create", "basic", "--name", "Again"],
            1,
        ),
    ] {
        assert_eq!(run(&args).status.code(), Some(exit), "{args:?}");
    }
    let created = stdout(&[
        "admin", "plan", "create", "gold", "--name", "Gold", "--from", "standard",
    ]);
    assert_eq!(created.trim(), "created plan gold (Gold)");

    // Accounts: put one on the new plan, see it.
    stdout(&["admin", "account", "create", "--email", "ops@example.com"]);
    stdout(&[
        "admin",
        "account",
        "set-plan",
        "--account",
        "ops@example.com",
        "--plan",
        "gold",
    ]);
    let shown = stdout(&["admin", "account", "show", "--account", "ops@example.com"]);
    assert!(shown.contains("plan          Gold (active)"), "{shown}");
    assert!(shown.contains("conversations 0 of 5000"), "{shown}");
    assert!(
        shown.contains("leads         0 of unlimited (0 locked)"),
        "{shown}"
    );
    let listed = stdout(&["admin", "account", "list"]);
    assert!(
        listed
            .lines()
            .any(|l| l.contains("ops@example.com") && l.split_whitespace().any(|w| w == "gold")),
        "{listed}"
    );
    let unknown = run(&[
        "admin",
        "account",
        "set-plan",
        "--account",
        "ops@example.com",
        "--plan",
        "platinum",
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        String::from_utf8(unknown.stdout)
            .unwrap()
            .contains("there is no plan \"platinum\""),
    );
    let still = stdout(&["admin", "account", "show", "--email", "ops@example.com"]);
    assert!(still.contains("plan          Gold (active)"), "{still}");
}

#[test]
fn operators_create_and_list_widgets() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| witzo(dir.path()).args(args).output().unwrap();
    assert!(
        run(&["admin", "account", "create", "--email", "ops@example.com"])
            .status
            .success()
    );
    let created = run(&[
        "admin",
        "widget",
        "create",
        "--account",
        "ops@example.com",
        "--name",
        "Docs",
        "--domain",
        "docs.example.com",
        "--domain",
        "*.example.org",
    ]);
    assert!(created.status.success(), "{created:?}");
    let key = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("wk_") && key.len() == 35, "{key}");
    let bad = run(&[
        "admin",
        "widget",
        "create",
        "--account",
        "ops@example.com",
        "--name",
        "X",
        "--domain",
        "ftp://x.example",
    ]);
    assert!(!bad.status.success());
    let nobody = run(&[
        "admin",
        "widget",
        "create",
        "--account",
        "nobody@example.com",
        "--name",
        "X",
    ]);
    assert!(!nobody.status.success());
    let listed =
        String::from_utf8(run(&["admin", "widget", "list", "--account", "ops@example.com"]).stdout)
            .unwrap();
    assert!(
        listed.contains(&key) && listed.contains("docs.example.com,*.example.org"),
        "{listed}"
    );
    assert!(listed.ends_with("1 widget(s)\n"), "{listed}");
}

/// A site of `pages` pages that answers each request after `delay`.
async fn slow_site(pages: usize, delay: Duration) -> std::net::SocketAddr {
    use axum::extract::Path;
    use axum::response::Html;
    let home: String = (1..=pages)
        .map(|i| format!("<a href=\"/p{i}\">p{i}</a> "))
        .collect();
    let home = format!(
        "<html><head><title>Home</title></head><body><main><h1>Home</h1><p>Tea shop.</p>{home}</main></body></html>"
    );
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(move || {
                let home = home.clone();
                async move {
                    tokio::time::sleep(delay).await;
                    Html(home)
                }
            }),
        )
        .route(
            "/{page}",
            axum::routing::get(move |Path(page): Path<String>| async move {
                tokio::time::sleep(delay).await;
                Html(format!("<html><head><title>{page}</title></head><body><main><h1>{page}</h1><p>All about {page}, a fine tea.</p></main></body></html>"))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    addr
}

#[tokio::test]
async fn a_crawl_killed_midway_is_finished_by_the_next_start_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let site = slow_site(30, Duration::from_millis(120)).await;
    let env = [
        ("WITZO_CRAWLER__ALLOW", format!("[\"{site}\"]")),
        ("WITZO_JOBS__LEASE_SECS", "2".to_owned()),
        ("WITZO_JOBS__POLL_MILLIS", "100".to_owned()),
        ("WITZO_ENVIRONMENT", "development".to_owned()),
    ];
    let run = |args: &[&str]| {
        witzo(dir.path())
            .envs(env.clone())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        run(&["admin", "account", "create", "--email", "ops@example.com"])
            .status
            .success()
    );
    assert!(
        run(&[
            "admin",
            "account",
            "set-plan",
            "--email",
            "ops@example.com",
            "--plan",
            "enterprise"
        ])
        .status
        .success()
    );
    let created = run(&[
        "admin",
        "widget",
        "create",
        "--account",
        "ops@example.com",
        "--name",
        "Shop",
    ]);
    let key = String::from_utf8(created.stdout).unwrap().trim().to_owned();

    let mut ingest = witzo(dir.path())
        .envs(env.clone())
        .args([
            "ingest",
            "--widget",
            &key,
            "--url",
            &format!("http://{site}/"),
        ])
        .spawn()
        .unwrap();
    let store = witzo_store::Store::connect(
        &format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("data/witzo.db").display()
        ),
        2,
    )
    .await
    .unwrap();
    let count = |sql: &'static str| {
        let store = store.clone();
        async move { store.count_for_test(sql, 1).await }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while count("SELECT COUNT(*) FROM pages WHERE source_id = $1 AND outcome = 'indexed'").await < 5
    {
        assert!(Instant::now() < deadline, "the crawl never got going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let killed = Command::new("kill")
        .args(["-KILL", &ingest.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    ingest.wait().unwrap();
    let before =
        count("SELECT COUNT(*) FROM pages WHERE source_id = $1 AND outcome = 'indexed'").await;
    assert!(before < 31, "killed mid-crawl ({before} pages)");

    // A worker-only process takes the job over once its lease runs out.
    let mut server = witzo(dir.path())
        .envs(env.clone())
        .arg("worker")
        .spawn()
        .unwrap();
    let job = witzo_store::domain::JobId::from_raw(1);
    loop {
        let state = store.job_state(job).await.unwrap();
        if state.status == witzo_store::jobs::JobStatus::Succeeded {
            assert_eq!(state.attempts, 2, "taken over after the lease ran out");
            break;
        }
        assert_ne!(
            state.status,
            witzo_store::jobs::JobStatus::Failed,
            "{state:?}"
        );
        assert!(
            Instant::now() < deadline,
            "the job was never finished: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(terminate(&mut server).success());
    assert_eq!(count("SELECT COUNT(*) FROM pages WHERE source_id = $1 AND outcome IN ('indexed', 'unchanged')").await, 31);
    assert_eq!(
        count("SELECT COUNT(DISTINCT url) FROM pages WHERE source_id = $1").await,
        count("SELECT COUNT(*) FROM pages WHERE source_id = $1").await
    );
    store.close().await;
}

#[test]
fn bench_retrieval_reports_quality_and_latency_for_a_beir_folder() {
    let dir = tempfile::tempdir().unwrap();
    let beir = dir.path().join("beir");
    std::fs::create_dir_all(beir.join("qrels")).unwrap();
    std::fs::write(
        beir.join("corpus.jsonl"),
        "{\"_id\":\"d1\",\"title\":\"Opening hours\",\"text\":\"The shop opens at nine.\"}\n\
         {\"_id\":\"d2\",\"title\":\"Shipping\",\"text\":\"We ship across Europe.\"}\n",
    )
    .unwrap();
    std::fs::write(
        beir.join("queries.jsonl"),
        "{\"_id\":\"q1\",\"text\":\"when does the shop open\"}\n",
    )
    .unwrap();
    std::fs::write(
        beir.join("qrels/test.tsv"),
        "query-id\tcorpus-id\tscore\nq1\td1\t1\n",
    )
    .unwrap();
    let output = witzo(dir.path())
        .args(["bench", "retrieval", "--beir"])
        .arg(&beir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let modes: Vec<&str> = stdout
        .lines()
        .take(3)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(modes, ["lexical", "vector", "hybrid"], "{stdout}");
    for line in stdout.lines().take(3) {
        assert!(
            line.contains(" nDCG@10=1.0000 Recall@100=1.0000 p50="),
            "{line}"
        );
    }
    assert!(
        stdout.contains("embedder witzo-static-minilm-l6-v2-256 (256 dims)"),
        "{stdout}"
    );
}

#[tokio::test]
async fn ask_answers_from_the_widgets_knowledge_in_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| witzo(dir.path()).args(args).output().unwrap();
    assert!(
        run(&["admin", "account", "create", "--email", "ops@example.com"])
            .status
            .success()
    );
    let key = String::from_utf8(
        run(&[
            "admin",
            "widget",
            "create",
            "--account",
            "ops@example.com",
            "--name",
            "Docs",
        ])
        .stdout,
    )
    .unwrap();
    let key = key.trim();
    let empty = run(&["ask", "--widget", key, "When do you open?"]);
    assert!(
        String::from_utf8_lossy(&empty.stdout).starts_with("I don't have any knowledge yet"),
        "{empty:?}"
    );
    let faq = dir.path().join("faq.txt");
    std::fs::write(
        &faq,
        "Opening hours\n\nOur shop opens at nine in the morning, Monday to Friday.",
    )
    .unwrap();
    let ingested = run(&["ingest", "--widget", key, "--file", faq.to_str().unwrap()]);
    assert!(ingested.status.success(), "{ingested:?}");
    assert!(
        String::from_utf8_lossy(&ingested.stdout).contains("succeeded: 1 indexed"),
        "{ingested:?}"
    );
    let answered = run(&["ask", "--widget", key, "When does the shop open?"]);
    let stdout = String::from_utf8_lossy(&answered.stdout);
    assert!(
        stdout.contains("Our shop opens at nine in the morning") && stdout.contains("[1]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[1] faq.txt") || stdout.contains("[1] Opening hours"),
        "{stdout}"
    );
}
