//! The real `witzo` binary, started as an operator would.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::free_address;

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

/// Polls `/healthz` until it answers 200.
async fn wait_healthy(addr: SocketAddr, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = reqwest::Client::new();
    loop {
        if let Ok(response) = client.get(format!("http://{addr}/healthz")).send().await {
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

/// What an exited child wrote: (stdout, stderr).
fn streams(child: &mut Child) -> (String, String) {
    let (mut stdout, mut stderr) = (String::new(), String::new());
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (stdout, stderr)
}

#[tokio::test]
async fn serve_starts_on_an_empty_directory_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_address();
    let mut child = witzo(dir.path())
        .args(["serve", "--listen", &addr.to_string()])
        .spawn()
        .unwrap();
    wait_healthy(addr, &mut child).await;
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
    let (stdout, logs) = streams(&mut child);
    assert_eq!(stdout, "", "a server's logs go to stderr");
    assert!(logs.contains(" INFO applied "), "{logs}");
    assert!(logs.contains("witzo is serving"), "{logs}");
    assert!(
        !logs.contains(std::fs::read_to_string(&key).unwrap().trim()),
        "secret key logged"
    );
}

#[tokio::test]
async fn environment_overrides_the_file_and_flags_override_both() {
    let dir = tempfile::tempdir().unwrap();
    let (file_addr, env_addr, flag_addr) = (free_address(), free_address(), free_address());
    std::fs::write(
        dir.path().join("witzo.toml"),
        format!("listen = \"{file_addr}\"\n"),
    )
    .unwrap();

    let mut from_env = witzo(dir.path())
        .env("WITZO_LISTEN", env_addr.to_string())
        .arg("serve")
        .spawn()
        .unwrap();
    wait_healthy(env_addr, &mut from_env).await;
    let status = terminate(&mut from_env);
    assert!(status.success(), "{status}: {:?}", streams(&mut from_env));

    let mut from_flag = witzo(dir.path())
        .env("WITZO_LISTEN", env_addr.to_string())
        .args(["serve", "--listen", &flag_addr.to_string()])
        .spawn()
        .unwrap();
    wait_healthy(flag_addr, &mut from_flag).await;
    let status = terminate(&mut from_flag);
    assert!(status.success(), "{status}: {:?}", streams(&mut from_flag));
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

#[tokio::test]
async fn without_smtp_development_prints_the_code_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_address();
    let mut child = witzo(dir.path())
        .args(["serve", "--listen", &addr.to_string()])
        .spawn()
        .unwrap();
    wait_healthy(addr, &mut child).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let base = format!("http://{addr}");
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
    let (stdout, logs) = streams(&mut child);
    assert_eq!(stdout, "");
    assert!(logs.contains("DEVELOPMENT E-MAIL"), "{logs}");
    assert!(logs.contains("Your Witzo code is "), "{logs}");
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

// Multi-threaded: the site keeps serving while the test waits on the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingesting_a_website_twice_rescrapes_its_source_and_a_local_one_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let site = slow_site(2, Duration::ZERO).await;
    let allowed = [("WITZO_CRAWLER__ALLOW", format!("[\"{site}\"]"))];
    let run = |args: &[&str], env: &[(&str, String)]| {
        witzo(dir.path())
            .envs(env.iter().cloned())
            .args(args)
            .output()
            .unwrap()
    };
    run(
        &["admin", "account", "create", "--email", "ops@example.com"],
        &[],
    );
    let created = run(
        &[
            "admin",
            "widget",
            "create",
            "--account",
            "ops@example.com",
            "--name",
            "Shop",
        ],
        &[],
    );
    let key = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let url = format!("http://{site}/");
    let ingest = [
        "ingest",
        "--widget",
        key.as_str(),
        "--url",
        url.as_str(),
        "--json",
    ];

    let refused = run(&ingest, &[]);
    assert_eq!(refused.status.code(), Some(1));
    let reason = String::from_utf8(refused.stderr).unwrap();
    assert!(
        reason.contains(&format!(
            "allow its address with crawler.allow (WITZO_CRAWLER__ALLOW='[\"{site}\"]')"
        )),
        "{reason}"
    );

    // The first run indexes the home page and its two pages; the second
    // re-scrapes the same source and finds them unchanged.
    for (indexed, unchanged) in [(3, 0), (0, 3)] {
        let trained = run(&ingest, &allowed);
        assert!(trained.status.success(), "{trained:?}");
        let report: serde_json::Value = serde_json::from_slice(&trained.stdout).unwrap();
        assert_eq!(
            (
                &report["status"],
                &report["indexed"],
                &report["unchanged"],
                &report["failed"]
            ),
            (
                &serde_json::json!("succeeded"),
                &serde_json::json!(indexed),
                &serde_json::json!(unchanged),
                &serde_json::json!(0)
            ),
            "{report}"
        );
    }
    let store = witzo_store::Store::connect(
        &format!("sqlite://{}", dir.path().join("data/witzo.db").display()),
        1,
    )
    .await
    .unwrap();
    assert_eq!(
        store
            .count_for_test("SELECT COUNT(*) FROM sources WHERE id >= $1", 1)
            .await,
        1,
        "one source, crawled twice"
    );
    assert_eq!(
        store
            .count_for_test("SELECT COUNT(*) FROM jobs WHERE source_id = $1", 1)
            .await,
        2
    );

    // A name that leads to this machine passes the address check and is
    // refused by the crawl: said as the dashboard says it, and a failure.
    let local = [
        "ingest",
        "--widget",
        key.as_str(),
        "--url",
        "http://localhost/",
        "--json",
    ];
    let refused = run(&local, &[]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let explained = "Witzo refused to read http://localhost/: it leads to a local or private network \
         address (loopback), which the crawler never visits. For a local test site, allow its \
         address with crawler.allow, e.g. WITZO_CRAWLER__ALLOW='[\"127.0.0.1:80\"]', and restart the server.";
    let report: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(
        (&report["indexed"], &report["problem"]),
        (&serde_json::json!(0), &serde_json::json!(explained)),
        "{report}"
    );
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(stderr.contains(explained), "{stderr}");
}
