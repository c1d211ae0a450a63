//! `witzo bench answers`: answer quality as a website's visitors see it,
//! measured exactly as the siteqa benchmark's `run.py` does (the same scoring and
//! the same lines), with the app in this process.
//!
//! For each site of the suite (`SUITE/sites/NAME/`, questions in
//! `SUITE/questions.jsonl`): the site is served on a loopback port; Witzo
//! runs on another with the loaded configuration, a fresh temporary data
//! directory, public rate limits lifted and the crawler allowed that port
//! only; an owner on the enterprise plan gets a widget for
//! `shop.example.com`, trained as `witzo ingest --url` trains it; then
//! every question is asked over HTTP as a new visitor (`POST /v1/chat`,
//! `Origin: https://shop.example.com`) and the reply scored.

mod gold;
mod score;
mod site;
mod suite;

use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use tokio::sync::oneshot;
use witzo_store::domain::random_public_id;

use super::admin::{create_account, create_widget, set_plan};
use super::output::Format;
use super::training::{Material, train};
use crate::app::{AppOptions, Application};
use score::{Figures, Reply, Tally, Verdict, result_line, score};
use site::SiteServer;
use suite::{Kind, Question};
use witzo_app::config::{
    BillingConfig, Config, Environment, MetricsConfig, OidcConfig, SmtpConfig,
};

/// The domain the widget allows; questions come from its origin.
const WIDGET_DOMAIN: &str = "shop.example.com";
const OWNER: &str = "owner@siteqa.example";
/// Public rate limits, lifted out of the way of one visitor per question.
const LIFTED: u32 = 100_000_000;
/// Link depth of the crawl (`witzo ingest`'s default).
const DEPTH: u32 = 3;
const CHAT_TIMEOUT: Duration = Duration::from_secs(120);

/// What `witzo bench answers` was asked to do.
pub(super) struct Options {
    pub suite: PathBuf,
    /// Only these sites (all when empty).
    pub sites: Vec<String>,
    /// Where to write every question's answer, sources and verdict.
    pub report: Option<PathBuf>,
    /// Print every verdict to stderr.
    pub verbose: bool,
    /// How the result lines are printed.
    pub format: Format,
}

/// A result line with `--json`: one per site, then `ALL`.
#[derive(Serialize)]
struct ResultLine<'a> {
    site: &'a str,
    /// The training job's summary; null on the `ALL` line.
    ingest: Option<&'a str>,
    #[serde(flatten)]
    figures: Figures,
}

/// One question's outcome, as `run.py` writes it with `--json` (our `--report`).
#[derive(Serialize)]
struct Row {
    site: String,
    id: String,
    kind: Kind,
    q: String,
    expect: Option<Vec<String>>,
    page: Option<String>,
    answer: Option<String>,
    /// Titles and URLs, the site's origin stripped.
    sources: Vec<SourceRow>,
    http_status: u16,
    error: Option<String>,
    ms: u64,
    verdict: Verdict,
}

#[derive(Serialize)]
struct SourceRow {
    title: Value,
    url: String,
}

struct SiteResult {
    site: String,
    /// The training job's summary line.
    ingest: String,
    rows: Vec<Row>,
}

pub(super) async fn answers(config: &Config, options: Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let suite_dir = std::path::absolute(&options.suite)
        .with_context(|| format!("the suite {}", options.suite.display()))?;
    let questions = suite::load(&suite_dir.join("questions.jsonl"))?;
    let sites = suite::sites(&questions, &options.sites)?;
    let bench = Bench {
        config,
        client: reqwest::Client::builder()
            .no_proxy()
            .timeout(CHAT_TIMEOUT)
            .build()?,
        suite_dir: &suite_dir,
        verbose: options.verbose,
    };
    let mut results = Vec::new();
    for site in sites {
        let asked: Vec<&Question> = questions.iter().filter(|q| q.site == site).collect();
        results.push(bench.site(&site, &asked).await?);
    }
    let mut all = Tally::default();
    let mut summary = Vec::new();
    for result in &results {
        let mut tally = Tally::default();
        for row in &result.rows {
            tally.add(row.kind, &row.verdict);
            all.add(row.kind, &row.verdict);
        }
        let line = ResultLine {
            site: &result.site,
            ingest: Some(&result.ingest),
            figures: tally.figures(),
        };
        options.format.print(&line, |_| {
            format!("{}\n", result_line(&result.site, &tally))
        })?;
        summary.push((result.site.clone(), tally.line()));
    }
    let line = ResultLine {
        site: "ALL",
        ingest: None,
        figures: all.figures(),
    };
    options
        .format
        .print(&line, |_| format!("{}\n", result_line("ALL", &all)))?;
    summary.push(("ALL".to_owned(), all.line()));
    if let Some(out) = &options.report {
        let report = Report {
            suite: suite_dir.display().to_string(),
            binary: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            version: concat!("witzo ", env!("CARGO_PKG_VERSION")),
            seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            summary: Ordered(summary),
            sites: results
                .iter()
                .map(|r| Ingested {
                    site: &r.site,
                    ingest: &r.ingest,
                })
                .collect(),
            questions: results.iter().flat_map(|r| &r.rows).collect(),
        };
        write_json(out, &report).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}

/// One run over a suite's sites.
struct Bench<'a> {
    config: &'a Config,
    client: reqwest::Client,
    suite_dir: &'a Path,
    verbose: bool,
}

impl Bench<'_> {
    /// Serves the site, runs Witzo beside it, trains and asks; stops both.
    async fn site(&self, site: &str, questions: &[&Question]) -> anyhow::Result<SiteResult> {
        let mut parts = Path::new(site).components();
        anyhow::ensure!(
            matches!(
                (parts.next(), parts.next()),
                (Some(Component::Normal(_)), None)
            ),
            "the site {site:?} is not a folder name under sites/"
        );
        let root = self.suite_dir.join("sites").join(site);
        anyhow::ensure!(
            root.join("index.html").is_file(),
            "{}/index.html missing",
            root.display()
        );
        let server = SiteServer::start(root).await?;
        let dir = tempfile::Builder::new().prefix("siteqa-").tempdir()?;
        let result = self.with_witzo(&server, dir.path(), site, questions).await;
        server.stop().await;
        result
    }

    /// Runs Witzo beside the site: trains a widget on it and asks every question.
    async fn with_witzo(
        &self,
        server: &SiteServer,
        data_dir: &Path,
        site: &str,
        questions: &[&Question],
    ) -> anyhow::Result<SiteResult> {
        let config = sandbox(self.config, data_dir, server)?;
        let app = Application::build(config, AppOptions::default()).await?;
        let base = format!("http://{}", app.local_addr()?);
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let running = tokio::spawn(app.run_until(async move {
            stopped.await.ok();
        }));
        let result = async {
            let store = &state.store;
            let owner = witzo_store::domain::EmailAddress::parse(OWNER)?;
            let account = create_account(store, &owner).await?;
            set_plan(store, account.id, "enterprise").await?;
            let key =
                create_widget(store, account.id, site, &[WIDGET_DOMAIN.to_owned()], true).await?;
            let origin = server.origin();
            let training = Instant::now();
            let website = Material::Website {
                url: format!("{origin}/"),
                depth: DEPTH,
            };
            let trained = train(&state, key.as_str(), website).await?;
            if let Some(err) = &trained.error {
                anyhow::bail!("[{site}] {}: {err}", trained.summary());
            }
            // Progress of the benchmark, not a log line: shown at any log level.
            eprintln!(
                "[{site}] {} ({:.1} s)",
                trained.summary(),
                training.elapsed().as_secs_f64()
            );
            let mut rows = Vec::with_capacity(questions.len());
            for q in questions {
                let reply = chat(&self.client, &base, key.as_str(), &q.text).await?;
                let row = row(q, reply, &origin);
                if self.verbose {
                    report_verdict(&row);
                }
                rows.push(row);
            }
            Ok(SiteResult {
                site: site.to_owned(),
                ingest: trained.summary(),
                rows,
            })
        }
        .await;
        stop.send(()).ok();
        let stopped = running.await;
        let result = result?;
        stopped.context("the Witzo server task")??;
        Ok(result)
    }
}

/// The loaded configuration (answers, crawler, jobs…) in a sandbox for one
/// site: port 0, a fresh data directory, database and secret key, nothing
/// mailed or billed, the crawler allowed the site's port only, public rate
/// limits lifted.
fn sandbox(config: &Config, data_dir: &Path, server: &SiteServer) -> anyhow::Result<Config> {
    let mut config = config.clone();
    config.environment = Environment::Development;
    config.listen = ([127, 0, 0, 1], 0).into();
    config.data_dir = data_dir.to_path_buf();
    config.database_url = None;
    config.redis_url = None;
    config.secret_key = None;
    config.public_url = None;
    config.metrics = MetricsConfig::default();
    config.smtp = SmtpConfig::default();
    config.oidc = OidcConfig::default();
    config.billing = BillingConfig::default();
    config.crawler.allow = vec![server.addr()];
    let limits = &mut config.limits;
    for limit in [
        &mut limits.public_per_ip_per_minute,
        &mut limits.public_per_ip_burst,
        &mut limits.widget_per_minute,
        &mut limits.widget_burst,
        &mut limits.visitor_per_minute,
        &mut limits.visitor_burst,
    ] {
        *limit = LIFTED;
    }
    config.check()?;
    Ok(config)
}

/// Asks `message` as a new visitor, the way the widget does.
async fn chat(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    message: &str,
) -> anyhow::Result<Reply> {
    let started = Instant::now();
    let response = client
        .post(format!("{base}/v1/chat"))
        .query(&[("key", key)])
        .header(reqwest::header::ORIGIN, format!("https://{WIDGET_DOMAIN}"))
        .json(&serde_json::json!({
            "visitor_id": random_public_id("v_"),
            "message": message,
        }))
        .send()
        .await
        .context("POST /v1/chat")?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.context("reading a chat reply")?;
    let ms = (started.elapsed().as_secs_f64() * 1000.0).round() as u64;
    let (body, error) = if status >= 400 {
        let text: String = String::from_utf8_lossy(&bytes).chars().take(500).collect();
        (None, Some(text))
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(body) => (Some(body), None),
            Err(err) => (None, Some(format!("the reply is not JSON: {err}"))),
        }
    };
    Ok(Reply {
        status,
        body,
        error,
        ms,
    })
}

fn row(q: &Question, reply: Reply, site_origin: &str) -> Row {
    let verdict = score(q, &reply, site_origin);
    let sources = reply
        .sources()
        .unwrap_or_default()
        .iter()
        .map(|s| SourceRow {
            title: s.get("title").cloned().unwrap_or(Value::Null),
            url: s
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .replace(site_origin, ""),
        })
        .collect();
    Row {
        site: q.site.clone(),
        id: q.id.clone(),
        kind: q.kind,
        q: q.text.clone(),
        expect: q.expect.clone(),
        page: q.page.clone(),
        answer: reply.answer().map(str::to_owned),
        sources,
        http_status: reply.status,
        error: reply.error,
        ms: reply.ms,
        verdict,
    }
}

fn report_verdict(row: &Row) {
    let mark = if row.verdict.correct { "ok " } else { "BAD" };
    let asked: String = row.q.chars().take(60).collect();
    let said: String = row
        .answer
        .as_deref()
        .or(row.error.as_deref())
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect();
    eprintln!(
        "  {mark} {:<10} {:<12} {asked:?} -> {said:?}",
        row.id,
        row.kind.as_str()
    );
}

/// The `--report` file, with the fields of `run.py --json`.
#[derive(Serialize)]
struct Report<'a> {
    suite: String,
    binary: String,
    version: &'static str,
    seconds: f64,
    /// Each site's line and `ALL`, in printed order.
    summary: Ordered,
    sites: Vec<Ingested<'a>>,
    questions: Vec<&'a Row>,
}

#[derive(Serialize)]
struct Ingested<'a> {
    site: &'a str,
    ingest: &'a str,
}

/// A JSON object whose keys keep their order.
struct Ordered(Vec<(String, String)>);

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Writes `value` indented by one space, as `run.py` does.
fn write_json(path: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut serializer)?;
    out.push(b'\n');
    std::fs::write(path, out)?;
    Ok(())
}
