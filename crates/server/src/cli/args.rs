//! The command line's grammar: every command, its options and an example
//! in its `--help`. Values are parsed here, at the edge: an invalid one is a
//! usage error (exit 2) before anything is opened.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use witzo_store::domain::{AllowedDomain, CleanText, EmailAddress, TextRules};

#[derive(Parser)]
#[command(
    name = "witzo",
    version,
    about = "Witzo: grounded AI answers for business websites",
    after_help = "Results go to standard output, logs to standard error. Exit status: \
                  0 done, 1 failed, 2 usage (an invalid command line or configuration).\n\n\
                  Example:\n  witzo serve --listen 127.0.0.1:8080"
)]
pub(super) struct Cli {
    /// Configuration file (default: ./witzo.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and generated secrets (default ./data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log (to standard error) as human-readable text or as JSON lines.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormatArg>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum LogFormatArg {
    Text,
    Json,
}

/// `--json`: the result as JSON on standard output.
#[derive(Args, Clone, Copy, Debug, Default)]
pub struct OutputArgs {
    /// Print the result as JSON: one document, or one per line for a
    /// stream (bench lines).
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Run the HTTP server (migrates the database first).
    #[command(after_help = "Example:\n  witzo serve --listen 0.0.0.0:8080")]
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Run background workers only (training jobs, schedules), no HTTP.
    #[command(after_help = "Example:\n  WITZO_DATABASE_URL=postgres://witzo@db/witzo witzo worker")]
    Worker,
    /// Apply pending database migrations and exit.
    #[command(after_help = "Example:\n  witzo migrate --data-dir /var/lib/witzo")]
    Migrate,
    /// Train a widget from the terminal: crawl a website or extract files,
    /// with progress.
    #[command(
        after_help = "Examples:\n  witzo ingest --widget wk_… --url https://shop.example.com/\n  \
                            witzo ingest --widget wk_… --file faq.pdf --file prices.xlsx --json"
    )]
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
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Ask a widget a question from the terminal (answers from its knowledge).
    #[command(
        after_help = "Example:\n  witzo ask --widget wk_… \"When do you open on Saturday?\" --json"
    )]
    Ask {
        /// The widget's key (`wk_…`).
        #[arg(long)]
        widget: String,
        question: String,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Benchmarks.
    #[command(after_help = "Example:\n  witzo bench retrieval --beir ./scifact --json")]
    Bench {
        #[command(flatten)]
        output: OutputArgs,
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Embedding models.
    #[command(
        after_help = "Example:\n  witzo model distill --from ./all-MiniLM-L6-v2 --out static.safetensors"
    )]
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Operator tasks.
    #[command(after_help = "Example:\n  witzo admin account list --json")]
    Admin {
        #[command(flatten)]
        output: OutputArgs,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
pub(super) enum BenchCommand {
    /// The analytics report and the inbox on a seeded account (1M widget
    /// events and 200k messages by default), timed server-side.
    #[command(after_help = "Example:\n  witzo bench analytics --events 1000000 --messages 200000")]
    Analytics {
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        #[arg(long, default_value_t = 200_000)]
        messages: usize,
        /// A fresh, empty database to seed (default: a temporary SQLite file).
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Retrieval quality and latency on a BEIR-format folder (corpus.jsonl,
    /// queries.jsonl, qrels/*.tsv), one line per mode.
    #[command(after_help = "Example:\n  witzo bench retrieval --beir ./scifact --fusion-sweep")]
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
    #[command(after_help = "Example:\n  witzo bench index --beir ./scifact --chunks 1000,10000")]
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
    #[command(
        after_help = "Example:\n  witzo bench answers --suite bench/siteqa/dev --site bakery --report answers.json"
    )]
    Answers {
        /// The suite: questions.jsonl and sites/NAME/.
        #[arg(long, value_name = "DIR")]
        suite: PathBuf,
        /// Only this site (repeatable).
        #[arg(long = "site", value_name = "NAME")]
        sites: Vec<String>,
        /// Write every question's answer, sources and verdict here (the
        /// shape of siteqa's `run.py --json`).
        #[arg(long, value_name = "OUT")]
        report: Option<PathBuf>,
        /// Print every question's verdict to stderr.
        #[arg(short, long)]
        verbose: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum ModelCommand {
    /// Distil the built-in static embedding table from a BERT
    /// sentence-transformer directory (how crates/embed/model was made).
    #[command(
        after_help = "Example:\n  witzo model distill --from ./all-MiniLM-L6-v2 --out static.safetensors --dims 256"
    )]
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
pub(super) enum AdminCommand {
    /// Owners' accounts.
    #[command(after_help = "Example:\n  witzo admin account create --email owner@example.com")]
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Owners' chat widgets.
    #[command(after_help = "Example:\n  witzo admin widget list --account owner@example.com")]
    Widget {
        #[command(subcommand)]
        command: WidgetCommand,
    },
    /// Accounts' monthly conversation usage.
    #[command(
        after_help = "Example:\n  witzo admin usage set --account owner@example.com --used 0"
    )]
    Usage {
        #[command(subcommand)]
        command: UsageCommand,
    },
    /// Plans: their limits, feature flags and prices.
    #[command(after_help = "Example:\n  witzo admin plan list --json")]
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// Back up the database while Witzo serves: SQLite by an online copy
    /// (checked for integrity), PostgreSQL with pg_dump (custom format).
    #[command(after_help = "Example:\n  witzo admin backup --out /backups/witzo-2026-12-05.db")]
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Restore a backup into the configured database (stop Witzo first):
    /// SQLite's file is checked, then replaces the database file;
    /// PostgreSQL's is loaded with pg_restore in one transaction.
    #[command(after_help = "Example:\n  witzo admin restore --from /backups/witzo-2026-12-05.db")]
    Restore {
        /// A file `admin backup` wrote.
        #[arg(long)]
        from: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
pub(super) enum AccountCommand {
    /// Create an account (its owner signs in with an e-mailed code).
    #[command(after_help = "Example:\n  witzo admin account create --email owner@example.com")]
    Create {
        #[arg(long, value_parser = parse_email)]
        email: EmailAddress,
    },
    /// List every account with its plan.
    #[command(after_help = "Example:\n  witzo admin account list --json")]
    List,
    /// An account's plan, subscription, usage and holdings.
    #[command(after_help = "Example:\n  witzo admin account show --account owner@example.com")]
    Show {
        #[arg(long, alias = "email", value_parser = parse_email)]
        account: EmailAddress,
    },
    /// Put an account on a plan (see `admin plan list`), at once.
    #[command(
        after_help = "Example:\n  witzo admin account set-plan --account owner@example.com --plan basic"
    )]
    SetPlan {
        #[arg(long, alias = "email", value_parser = parse_email)]
        account: EmailAddress,
        #[arg(long)]
        plan: String,
    },
}

#[derive(Subcommand)]
pub(super) enum WidgetCommand {
    /// Create a widget for an account and print its key.
    #[command(
        after_help = "Example:\n  KEY=$(witzo admin widget create --account owner@example.com --name Shop --domain shop.example.com)"
    )]
    Create {
        #[arg(long, value_parser = parse_email)]
        account: EmailAddress,
        #[arg(long, value_parser = parse_widget_name)]
        name: String,
        /// An allowed domain (repeatable): `shop.example.com` or `*.example.com`.
        #[arg(long = "domain", value_parser = parse_domain)]
        domains: Vec<String>,
        /// Create it even beyond the account's plan's widget limit.
        #[arg(long)]
        force: bool,
    },
    /// List an account's widgets.
    #[command(
        after_help = "Example:\n  witzo admin widget list --account owner@example.com --json"
    )]
    List {
        #[arg(long, value_parser = parse_email)]
        account: EmailAddress,
    },
}

#[derive(Subcommand)]
pub(super) enum UsageCommand {
    /// Set the conversations an account has used this cycle (support cases).
    #[command(
        after_help = "Example:\n  witzo admin usage set --account owner@example.com --used 0"
    )]
    Set {
        #[arg(long, value_parser = parse_email)]
        account: EmailAddress,
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..=1_000_000_000))]
        used: i64,
    },
}

#[derive(Subcommand)]
pub(super) enum PlanCommand {
    /// List every plan with its limits and flags.
    #[command(after_help = "Example:\n  witzo admin plan list --json")]
    List,
    /// Add a plan, copying another's limits (default: free).
    #[command(after_help = "Example:\n  witzo admin plan create gold --name Gold --from standard")]
    Create {
        #[arg(value_parser = parse_plan_id)]
        id: String,
        #[arg(long, value_parser = parse_plan_name)]
        name: String,
        #[arg(long, default_value = "free")]
        from: String,
    },
    /// Change a plan; accounts on it get the new limits at once.
    #[command(
        after_help = "Example:\n  witzo admin plan set basic --conversations 2000 --leads unlimited --feature white_label=on"
    )]
    Set {
        id: String,
        #[command(flatten)]
        changes: PlanChanges,
    },
}

/// What `plan set` may change; unset options stay as they are.
#[derive(Args, Debug)]
pub struct PlanChanges {
    #[arg(long, value_parser = parse_plan_name)]
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
    #[arg(long, value_parser = parse_price_id)]
    pub price_monthly: Option<String>,
    #[arg(long, value_parser = parse_price_id)]
    pub price_yearly: Option<String>,
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

fn parse_email(raw: &str) -> Result<EmailAddress, String> {
    EmailAddress::parse(raw).map_err(|e| e.to_string())
}

fn parse_text(raw: &str, max_chars: usize) -> Result<String, String> {
    let rules = TextRules {
        max_chars,
        multiline: false,
        required: true,
    };
    CleanText::parse(raw, rules)
        .map(CleanText::into_string)
        .map_err(|e| e.to_string())
}

fn parse_widget_name(raw: &str) -> Result<String, String> {
    parse_text(raw, 80)
}

/// A plan's display name: up to 40 characters on one line.
pub(super) fn parse_plan_name(raw: &str) -> Result<String, String> {
    parse_text(raw, 40)
}

fn parse_domain(raw: &str) -> Result<String, String> {
    AllowedDomain::parse(raw.trim())
        .map(|d| d.to_string())
        .map_err(|e| e.to_string())
}

fn parse_plan_id(raw: &str) -> Result<String, String> {
    let ok = !raw.is_empty()
        && raw.len() <= 32
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err("a plan id is 1-32 characters of a-z, 0-9, _ and -".to_owned())
    }
}

fn parse_price_id(raw: &str) -> Result<String, String> {
    if raw.len() > 200 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err("a price id is up to 200 characters without spaces".to_owned())
    } else {
        Ok(raw.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command's `--help` ends with an example of itself.
    #[test]
    fn every_command_has_an_example() {
        fn visit(command: &clap::Command, path: &str) {
            let path = format!("{path} {}", command.get_name()).trim().to_owned();
            let help = command
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(help.contains("Example"), "{path} has no example");
            assert!(help.contains(&path), "{path}'s example does not use it");
            for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                visit(sub, &path);
            }
        }
        visit(&Cli::command(), "");
    }
}
