//! The `witzo` command line. `main.rs` only calls [`main`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{AppOptions, Application, open_store, shutdown_signal};
use crate::config::{Config, LogFormat, Overrides};
use crate::format;
use crate::telemetry;
use witzo_store::domain::EmailAddress;
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
    /// Apply pending database migrations and exit.
    Migrate,
    /// Operator tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Owners' accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
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
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        config_file: cli.config,
        data_dir: cli.data_dir,
        listen: match cli.command {
            Command::Serve { listen } => listen,
            Command::Migrate | Command::Admin { .. } => None,
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
            Command::Admin { command } => admin(config, command).await,
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
