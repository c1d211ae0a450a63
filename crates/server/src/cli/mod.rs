//! The `witzo` command line. `main.rs` only calls [`main`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{AppOptions, Application, build_state, open_store, shutdown_signal};
use crate::config::{Config, LogFormat, Overrides};
use crate::telemetry;

mod admin;
mod bench;
mod bench_answers;
mod model;
mod training;

use crate::training::worker;
use admin::admin;
use training::{ask, ingest};

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
    /// Embedding models.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
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
        /// Also print one hybrid line per fusion method and weight.
        #[arg(long)]
        fusion_sweep: bool,
        /// Also print how the similarity threshold of "I don't know"
        /// separates answerable from unanswerable questions.
        #[arg(long)]
        calibrate: bool,
    },
    /// The per-widget index at growing sizes (chunks cut from a BEIR
    /// corpus): cold build time, memory, warm hybrid query latency.
    Index {
        #[arg(long, value_name = "DIR")]
        beir: PathBuf,
        /// Chunk counts to measure.
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        chunks: Vec<usize>,
    },
    /// Answer quality as visitors see it (bench/siteqa): each site of a
    /// suite served on loopback, crawled into a fresh widget, every
    /// question asked through POST /v1/chat and scored; one line per site
    /// and an ALL line.
    Answers {
        /// The suite: questions.jsonl and sites/NAME/.
        #[arg(long, value_name = "DIR")]
        suite: PathBuf,
        /// Only this site (repeatable).
        #[arg(long = "site", value_name = "NAME")]
        sites: Vec<String>,
        /// Write every question's answer, sources and verdict here.
        #[arg(long, value_name = "OUT")]
        json: Option<PathBuf>,
        /// Print every question's verdict to stderr.
        #[arg(short, long)]
        verbose: bool,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Distil the built-in static embedding table from a BERT
    /// sentence-transformer directory (how crates/embed/model was made).
    Distill {
        /// The model directory (config.json, vocab.txt, model.safetensors).
        #[arg(long = "from", value_name = "DIR")]
        from: PathBuf,
        /// Where to write the table (safetensors, f16).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Dimensions kept by PCA.
        #[arg(long, default_value_t = 256)]
        dims: usize,
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
    /// Accounts' monthly conversation usage.
    Usage {
        #[command(subcommand)]
        command: UsageCommand,
    },
    /// Plans: their limits, feature flags and prices.
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
}

/// A limit on the command line: a number, or `unlimited`.
#[derive(Debug, Clone, Copy)]
pub struct LimitArg(pub Option<i64>);

fn parse_limit(raw: &str) -> Result<LimitArg, String> {
    if raw == "unlimited" {
        return Ok(LimitArg(None));
    }
    match raw.parse::<i64>() {
        Ok(n) if (0..=1_000_000_000).contains(&n) => Ok(LimitArg(Some(n))),
        _ => Err("expected a number from 0 to 1000000000, or `unlimited`".to_owned()),
    }
}

/// A feature flag on the command line: `name=on` or `name=off`.
#[derive(Debug, Clone)]
pub struct FeatureArg {
    pub name: String,
    pub on: bool,
}

fn parse_feature(raw: &str) -> Result<FeatureArg, String> {
    let (name, value) = raw
        .split_once('=')
        .ok_or_else(|| "expected name=on or name=off".to_owned())?;
    let on = match value {
        "on" | "true" => true,
        "off" | "false" => false,
        _ => return Err("expected name=on or name=off".to_owned()),
    };
    let mut probe = witzo_store::plans::Features::default();
    if !probe.set(name, on) {
        return Err(format!(
            "unknown feature {name:?}; known: {}",
            probe.named().map(|(n, _)| n).join(", ")
        ));
    }
    Ok(FeatureArg {
        name: name.to_owned(),
        on,
    })
}

/// What `plan set` may change; unset options stay as they are.
#[derive(clap::Args, Debug)]
pub struct PlanChanges {
    #[arg(long)]
    pub name: Option<String>,
    /// Order on the Billing page (bigger plans higher).
    #[arg(long)]
    pub position: Option<i64>,
    /// Monthly price in cents, or `unlimited` for custom pricing.
    #[arg(long, value_parser = parse_limit)]
    pub price_cents: Option<LimitArg>,
    #[arg(long, value_parser = parse_limit)]
    pub conversations: Option<LimitArg>,
    #[arg(long, value_parser = parse_limit)]
    pub pages: Option<LimitArg>,
    #[arg(long, value_parser = parse_limit)]
    pub documents: Option<LimitArg>,
    #[arg(long, value_parser = parse_limit)]
    pub leads: Option<LimitArg>,
    #[arg(long, value_parser = parse_limit)]
    pub widgets: Option<LimitArg>,
    /// A feature flag (repeatable): lead_form_fallback, follow_up_email,
    /// lead_webhook, auto_rescrape, white_label, api_keys.
    #[arg(long = "feature", value_parser = parse_feature)]
    pub features: Vec<FeatureArg>,
    /// The payment provider's monthly price id ('' to stop selling online).
    #[arg(long)]
    pub price_monthly: Option<String>,
    #[arg(long)]
    pub price_yearly: Option<String>,
}

#[derive(Subcommand)]
enum PlanCommand {
    /// List every plan with its limits and flags.
    List,
    /// Add a plan, copying another's limits (default: free).
    Create {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "free")]
        from: String,
    },
    /// Change a plan; accounts on it get the new limits at once.
    Set {
        id: String,
        #[command(flatten)]
        changes: PlanChanges,
    },
}

#[derive(Subcommand)]
enum UsageCommand {
    /// Set the conversations an account has used this cycle (support cases).
    Set {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..=1_000_000_000))]
        used: i64,
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
    /// List every account with its plan.
    List,
    /// An account's plan, subscription, usage and holdings.
    Show {
        #[arg(long, alias = "email")]
        account: String,
    },
    /// Put an account on a plan (see `admin plan list`), at once.
    SetPlan {
        #[arg(long, alias = "email")]
        account: String,
        #[arg(long)]
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
            | Command::Bench { .. }
            | Command::Model { .. } => None,
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
    // Benchmarks print their results on stdout.
    let log_output = if matches!(cli.command, Command::Bench { .. }) {
        telemetry::LogOutput::Stderr
    } else {
        telemetry::LogOutput::Stdout
    };
    telemetry::init(config.log_format, &config.log_level, log_output);
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
                command:
                    BenchCommand::Retrieval {
                        beir,
                        qrels,
                        fusion_sweep,
                        calibrate,
                    },
            } => bench::retrieval(&config, &beir, &qrels, fusion_sweep, calibrate).await,
            Command::Bench {
                command: BenchCommand::Index { beir, chunks },
            } => bench::index(&config, &beir, &chunks).await,
            Command::Bench {
                command:
                    BenchCommand::Answers {
                        suite,
                        sites,
                        json,
                        verbose,
                    },
            } => {
                let options = bench_answers::Options {
                    suite,
                    sites,
                    json,
                    verbose,
                };
                bench_answers::answers(&config, options).await
            }
            Command::Model {
                command: ModelCommand::Distill { from, out, dims },
            } => model::distill(&from, &out, dims),
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

async fn run_worker(config: Config) -> anyhow::Result<()> {
    let public_url = config.public_url_for(config.listen)?;
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
