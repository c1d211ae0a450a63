//! The `witzo` command line. `main.rs` only calls [`main`].
//!
//! Standard output carries only a command's result: the key, the table,
//! the answer, the bench lines, or with `--json` the same as JSON. Logs,
//! progress and errors go to standard error. Exit status: 0 done, 1 failed,
//! 2 usage (an invalid command line, argument value or configuration).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use secrecy::ExposeSecret;
use witzo_store::Store;

use crate::app::{AppOptions, Application, build_core, shutdown_signal};
use crate::telemetry;
use witzo_app::config::{Config, LogFormat, Overrides};

mod admin;
mod args;
mod bench;
mod bench_analytics;
mod bench_answers;
mod bench_index;
mod model;
mod output;
mod training;

use admin::admin;
use args::{BenchCommand, Cli, Command, LogFormatArg, ModelCommand};
use training::{ask, ingest};
use witzo_app::training::worker;

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
            Command::Admin { output, command } => admin(config, command, output.into()).await,
            Command::Ingest {
                widget,
                url,
                files,
                depth,
                output,
            } => ingest(config, &widget, url, files, depth, output.into()).await,
            Command::Ask {
                widget,
                question,
                output,
            } => ask(config, &widget, &question, output.into()).await,
            Command::Bench { output, command } => bench(&config, command, output.into()).await,
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

async fn bench(
    config: &Config,
    command: BenchCommand,
    format: output::Format,
) -> anyhow::Result<()> {
    match command {
        BenchCommand::Retrieval {
            beir,
            qrels,
            fusion_sweep,
            calibrate,
        } => bench::retrieval(config, &beir, &qrels, fusion_sweep, calibrate, format).await,
        BenchCommand::Analytics {
            events,
            messages,
            database_url,
        } => bench_analytics::analytics(config, events, messages, database_url, format).await,
        BenchCommand::Index { beir, chunks } => {
            bench_index::index(config, &beir, &chunks, format).await
        }
        BenchCommand::Answers {
            suite,
            sites,
            report,
            verbose,
        } => {
            let options = bench_answers::Options {
                suite,
                sites,
                report,
                verbose,
                format,
            };
            bench_answers::answers(config, options).await
        }
    }
}

/// Connects to the database, applies pending migrations and says so in
/// one line: what `serve` and `migrate` start with. (Every other command
/// migrates too, silently, when it opens the store.)
async fn migrate_database(config: &Config) -> anyhow::Result<()> {
    let url = config.database_url();
    let store = Store::connect(url.expose_secret(), config.limits.database_connections)
        .await
        .context("connecting to the database")?;
    let applied = store.migrate().await.context("running migrations");
    store.close().await;
    match applied? {
        0 => tracing::info!(database = ?store.backend(), "database schema up to date"),
        n => tracing::info!(database = ?store.backend(), applied = n, "applied {n} migration(s)"),
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // Installed first: a SIGTERM from here on stops the server gracefully.
    let stop = shutdown_signal();
    migrate_database(&config).await?;
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
    let dashboard = state
        .public_url
        .join("app")
        .map_or_else(|_| "/app".to_owned(), String::from);
    if state.config.smtp.url.is_some() {
        tracing::info!("open {dashboard} to sign in");
    } else {
        tracing::info!(
            "open {dashboard} to sign in; without smtp.url, sign-in codes are written to this log"
        );
    }
    if let Some(addr) = app.metrics_addr() {
        tracing::info!(%addr, "metrics on a separate listener");
    }
    app.run_until(stop).await
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    migrate_database(&config).await
}

async fn run_worker(config: Config) -> anyhow::Result<()> {
    let public_url = config.public_url_for(config.listen)?;
    let workers = config.jobs.workers.max(1);
    let mut config = config;
    config.jobs.workers = workers;
    let core = build_core(config, None, public_url).await?;
    let stop = shutdown_signal();
    let handles = worker::spawn(&core);
    tracing::info!(workers, "witzo worker is running");
    stop.await;
    tracing::info!("worker stopping; unfinished jobs are taken over when their lease runs out");
    for handle in handles {
        handle.abort();
    }
    core.store.close().await;
    Ok(())
}
