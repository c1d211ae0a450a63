//! The `witzo` command line. `main.rs` only calls [`main`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use anyhow::Context;

use crate::app::{AppOptions, Application, build_state, open_store, shutdown_signal};
use crate::config::{Config, LogFormat, Overrides};
use crate::format;
use crate::telemetry;
use crate::training::service::{self, WebsiteInput};
use crate::training::worker;
use witzo_store::domain::{CleanText, EmailAddress, TextRules, WidgetKey};
use witzo_store::widgets::WidgetFields;

use crate::widgets::service::parse_domains;
use crate::widgets::settings::WidgetSettings;
use witzo_store::{Store, StoreError};

#[derive(Parser)]
#[command(
    name = "witzo",
    version,
    about = "Witzo: grounded AI answers for business websites"
)]
struct Cli {
    /// Configuration file (default: ./witzo.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory for the SQLite database and generated secrets (default ./data).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Log as human-readable text or as JSON lines.
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormatArg>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormatArg {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Run background workers only (training jobs, schedules), no HTTP.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Train a widget from the terminal: crawl a website or extract files,
    /// with progress.
    Ingest {
        /// The widget's key (`wk_…`).
        #[arg(long)]
        widget: String,
        /// A website to crawl.
        #[arg(long, conflicts_with = "files", required_unless_present = "files")]
        url: Option<String>,
        /// Documents to upload (repeatable).
        #[arg(long = "file")]
        files: Vec<PathBuf>,
        /// Link depth of the crawl (0–10).
        #[arg(long, default_value_t = 3)]
        depth: u32,
    },
    /// Ask a widget a question from the terminal (answers from its knowledge).
    Ask {
        /// The widget's key (`wk_…`).
        #[arg(long)]
        widget: String,
        question: String,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Operator tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Retrieval quality and latency on a BEIR-format folder (corpus.jsonl,
    /// queries.jsonl, qrels/*.tsv), one line per mode.
    Retrieval {
        #[arg(long, value_name = "DIR")]
        beir: PathBuf,
        /// The judgement file under qrels/.
        #[arg(long, default_value = "test.tsv")]
        qrels: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Owners' accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Owners' chat widgets.
    Widget {
        #[command(subcommand)]
        command: WidgetCommand,
    },
}

#[derive(Subcommand)]
enum WidgetCommand {
    /// Create a widget for an account and print its key.
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
        /// An allowed domain (repeatable): `shop.example.com` or `*.example.com`.
        #[arg(long = "domain")]
        domains: Vec<String>,
    },
    /// List an account's widgets.
    List {
        #[arg(long)]
        account: String,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account (its owner signs in with an e-mailed code).
    Create {
        #[arg(long)]
        email: String,
    },
    /// List every account.
    List,
    /// Put an account on a plan (free, basic, standard, enterprise).
    SetPlan {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["free", "basic", "standard", "enterprise"])]
        plan: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        config_file: cli.config,
        data_dir: cli.data_dir,
        listen: match cli.command {
            Command::Serve { listen } => listen,
            Command::Migrate
            | Command::Worker
            | Command::Admin { .. }
            | Command::Ingest { .. }
            | Command::Ask { .. }
            | Command::Bench { .. } => None,
        },
        log_format: cli.log_format.map(|f| match f {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        }),
    };
    let config = match Config::load(&overrides) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("witzo: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format, &config.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("witzo: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { .. } => serve(config).await,
            Command::Migrate => migrate(config).await,
            Command::Worker => run_worker(config).await,
            Command::Admin { command } => admin(config, command).await,
            Command::Ingest {
                widget,
                url,
                files,
                depth,
            } => ingest(config, &widget, url, files, depth).await,
            Command::Ask { widget, question } => ask(config, &widget, &question).await,
            Command::Bench {
                command: BenchCommand::Retrieval { beir, qrels },
            } => bench_retrieval(&beir, &qrels),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let environment = config.environment;
    let app = Application::build(config, AppOptions::default()).await?;
    let state = app.state();
    tracing::info!(
        listen = %app.local_addr()?,
        public_url = %state.public_url,
        database = ?state.store.backend(),
        ?environment,
        "witzo is serving"
    );
    if let Some(addr) = app.metrics_addr() {
        tracing::info!(%addr, "metrics on a separate listener");
    }
    app.run_until(shutdown_signal()).await
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    tracing::info!(database = ?store.backend(), "migrations applied");
    store.close().await;
    Ok(())
}

async fn admin(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let result = match command {
        AdminCommand::Account { command } => account(&store, command).await,
        AdminCommand::Widget { command } => widget(&store, command).await,
    };
    store.close().await;
    result
}

async fn account(store: &Store, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create { email } => {
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            let account = match store.create_account(&email, witzo_store::now()).await {
                Err(StoreError::Conflict(_)) => {
                    anyhow::bail!("an account for {email} already exists")
                }
                other => other?,
            };
            println!("created account {} for {}", account.id, account.email);
        }
        AccountCommand::SetPlan { email, plan } => {
            let account = account_by_email(store, &email).await?;
            store
                .set_plan(account.id, &plan, witzo_store::now())
                .await?;
            println!("{} is on the {plan} plan", account.email);
        }
        AccountCommand::List => {
            let accounts = store.list_accounts().await?;
            println!("{:>6}  {:<40}  {:<24}  created", "id", "email", "name");
            for a in &accounts {
                println!(
                    "{:>6}  {:<40}  {:<24}  {}",
                    a.id,
                    a.email,
                    a.name,
                    format::utc_minute(a.created_at)
                );
            }
            println!("{} account(s)", accounts.len());
        }
    }
    Ok(())
}

async fn account_by_email(
    store: &Store,
    email: &str,
) -> anyhow::Result<witzo_store::accounts::Account> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--account {e}"))?;
    store
        .account_by_email(&email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account for {email}"))
}

async fn widget(store: &Store, command: WidgetCommand) -> anyhow::Result<()> {
    match command {
        WidgetCommand::Create {
            account,
            name,
            domains,
        } => {
            let account = account_by_email(store, &account).await?;
            let name = CleanText::parse(
                &name,
                TextRules {
                    max_chars: 80,
                    multiline: false,
                    required: true,
                },
            )
            .map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let domains = parse_domains(&domains)
                .map_err(|e| anyhow::anyhow!("--domain: {}", e.message()))?;
            let settings = WidgetSettings::default().to_stored();
            let fields = WidgetFields {
                name: name.as_str(),
                allowed_domains: &domains,
                settings: &settings,
            };
            let key = WidgetKey::generate();
            // Operators are not bound by the plan's widget count.
            store
                .create_widget(account.id, key.as_str(), &fields, None, witzo_store::now())
                .await?;
            println!("{key}");
        }
        WidgetCommand::List { account } => {
            let account = account_by_email(store, &account).await?;
            let widgets = store.widgets_of(account.id).await?;
            for w in &widgets {
                let state = if w.is_active() { "on" } else { "off" };
                let domains: Vec<&str> = w.domains().collect();
                println!(
                    "{:>6}  {}  {:<3}  {:<30}  {}",
                    w.id,
                    w.public_key,
                    state,
                    w.name,
                    domains.join(",")
                );
            }
            println!("{} widget(s)", widgets.len());
        }
    }
    Ok(())
}

fn api_error(err: crate::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", err.code().as_str(), err.message())
}

async fn ingest(
    config: Config,
    key: &str,
    url: Option<String>,
    files: Vec<PathBuf>,
    depth: u32,
) -> anyhow::Result<()> {
    let public_url = match &config.public_url {
        Some(url) => url.clone(),
        None => url::Url::parse(&format!("http://{}/", config.listen))?,
    };
    let state = build_state(config, AppOptions::default(), public_url).await?;
    let widget = state
        .store
        .widget_by_key(key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no widget has the key {key}"))?;
    let account = widget.account_id;
    let job = match url {
        Some(url) => {
            let input = WebsiteInput {
                url,
                max_depth: depth,
                include_paths: Vec::new(),
                exclude_paths: Vec::new(),
                rescrape_days: None,
            };
            service::add_website(&state, account, widget.id, &input)
                .await
                .map_err(api_error)?
                .1
        }
        None => {
            let mut uploads = Vec::new();
            for path in &files {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                uploads.push((
                    name,
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
                ));
            }
            service::upload_documents(&state, account, widget.id, uploads)
                .await
                .map_err(api_error)?
                .0
        }
    };
    let reporter = {
        let state = state.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(view) = state.store.job_of(account, job).await {
                    let p: serde_json::Value =
                        serde_json::from_str(&view.progress).unwrap_or_default();
                    let n = |k: &str| p[k].as_u64().unwrap_or(0);
                    let current: String = p["current"]
                        .as_str()
                        .unwrap_or_default()
                        .chars()
                        .take(60)
                        .collect();
                    eprint!(
                        "\r\x1b[2K[{}] {} done: {} indexed, {} unchanged, {} skipped, {} failed  {current}",
                        view.status,
                        n("done"),
                        n("indexed"),
                        n("unchanged"),
                        n("skipped"),
                        n("failed")
                    );
                }
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
        })
    };
    let status = loop {
        let view = state.store.job_of(account, job).await?;
        if matches!(view.status.as_str(), "succeeded" | "failed" | "cancelled") {
            break view;
        }
        if !worker::run_next(&state).await? {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    };
    reporter.abort();
    eprintln!();
    let p: serde_json::Value = serde_json::from_str(&status.progress).unwrap_or_default();
    let n = |k: &str| p[k].as_u64().unwrap_or(0);
    println!(
        "job {job} {}: {} indexed, {} unchanged, {} skipped, {} failed",
        status.status,
        n("indexed"),
        n("unchanged"),
        n("skipped"),
        n("failed")
    );
    state.store.close().await;
    if status.status == "failed" {
        anyhow::bail!("the job failed: {}", status.last_error.unwrap_or_default());
    }
    Ok(())
}

async fn ask(config: Config, key: &str, question: &str) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    let public_url = match &config.public_url {
        Some(url) => url.clone(),
        None => url::Url::parse(&format!("http://{}/", config.listen))?,
    };
    let state = build_state(config, AppOptions::default(), public_url).await?;
    let widget = state
        .store
        .widget_by_key(key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no widget has the key {key}"))?;
    let settings = crate::widgets::settings::WidgetSettings::from_stored(&widget.settings);
    let index = state.indexes.get(&state.store, widget.id).await?;
    let passages = index.search(question);
    for (n, passage) in passages.iter().enumerate() {
        eprintln!(
            "retrieved {}: {:.2}  {}",
            n + 1,
            passage.score,
            passage.url.as_deref().unwrap_or(&passage.title)
        );
    }
    let question = witzo_retrieval::Question {
        text: question.to_owned(),
        language: settings.language,
        instructions: settings.instructions,
        passages,
    };
    let answerer: std::sync::Arc<dyn witzo_retrieval::Answerer> = if index.is_empty() {
        std::sync::Arc::new(witzo_retrieval::NoKnowledgeYet)
    } else {
        state.answerer.clone()
    };
    let mut events = answerer.answer(question);
    let mut sources = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            witzo_retrieval::AnswerEvent::Token(token) => print!("{token}"),
            witzo_retrieval::AnswerEvent::Sources(found) => sources = found,
        }
    }
    println!();
    for (n, source) in sources.iter().enumerate() {
        println!(
            "[{}] {} {}",
            n + 1,
            source.title,
            source.url.as_deref().unwrap_or_default()
        );
    }
    state.store.close().await;
    Ok(())
}

fn bench_retrieval(dir: &std::path::Path, qrels: &str) -> anyhow::Result<()> {
    use witzo_retrieval::beir;
    use witzo_retrieval::lexical::LexicalIndex;
    let dataset = beir::load(dir, qrels)
        .with_context(|| format!("reading the BEIR folder {}", dir.display()))?;
    let started = std::time::Instant::now();
    let docs = dataset.corpus.iter().enumerate().map(|(i, doc)| {
        (
            u32::try_from(i).unwrap_or(u32::MAX),
            format!("{} {}", doc.title, doc.text),
        )
    });
    let index = LexicalIndex::build(docs);
    let built = started.elapsed();
    let metrics = beir::evaluate(&dataset, |query| {
        index
            .search(query, 100)
            .into_iter()
            .filter_map(|(i, _)| dataset.corpus.get(i as usize).map(|d| d.id.clone()))
            .collect()
    });
    println!(
        "lexical nDCG@10={:.4} Recall@100={:.4} p50={:.3}ms p99={:.3}ms ({} queries, {} docs, built in {} ms)",
        metrics.ndcg_at_10,
        metrics.recall_at_100,
        metrics.p50_ms,
        metrics.p99_ms,
        metrics.queries,
        dataset.corpus.len(),
        built.as_millis()
    );
    Ok(())
}

async fn run_worker(config: Config) -> anyhow::Result<()> {
    let public_url = match &config.public_url {
        Some(url) => url.clone(),
        None => url::Url::parse(&format!("http://{}/", config.listen))?,
    };
    let workers = config.jobs.workers.max(1);
    let mut config = config;
    config.jobs.workers = workers;
    let state = build_state(config, AppOptions::default(), public_url).await?;
    let handles = worker::spawn(&state);
    tracing::info!(workers, "witzo worker is running");
    shutdown_signal().await;
    tracing::info!("worker stopping; unfinished jobs are taken over when their lease runs out");
    for handle in handles {
        handle.abort();
    }
    state.store.close().await;
    Ok(())
}
