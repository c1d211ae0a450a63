//! Typed configuration: defaults → `witzo.toml` (optional) → `WITZO_*`
//! environment variables → command-line flags. Every setting is listed in
//! `docs/CONFIG.md`. Nothing here is global; the loaded [`Config`] travels in
//! the application state.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

/// Where Witzo runs: `production` refuses unsafe settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory for the SQLite database and the generated secret key.
    pub data_dir: PathBuf,
    /// The URL owners and visitors reach Witzo at; defaults to `http://{listen}`.
    pub public_url: Option<Url>,
    /// `sqlite://…` or `postgres://…`; defaults to `{data_dir}/witzo.db`.
    pub database_url: Option<SecretString>,
    /// `redis://…` or `rediss://…`: rate limits shared by every instance.
    /// Without it each instance limits on its own.
    pub redis_url: Option<SecretString>,
    /// What Witzo's Redis keys start with (one Redis, several deployments).
    pub redis_key_prefix: String,
    /// Key for session-bound CSRF tokens and other MACs (≥ 32 characters).
    /// Generated into `{data_dir}/secret.key` when not given (development only).
    pub secret_key: Option<SecretString>,
    pub environment: Environment,
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` from a reverse proxy.
    pub trust_proxy: bool,
    pub log_format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `witzo_server=debug,info`.
    pub log_level: String,
    pub metrics: MetricsConfig,
    pub tls: TlsConfig,
    pub limits: Limits,
    pub session: SessionConfig,
    pub smtp: SmtpConfig,
    pub oidc: OidcConfig,
    pub billing: BillingConfig,
    pub auth: AuthConfig,
    pub crawler: CrawlerConfig,
    pub jobs: JobsConfig,
    pub answers: AnswersConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnswersConfig {
    pub llm: LlmSettings,
    pub embeddings: EmbeddingSettings,
    /// Earlier messages of the conversation an LLM answer sees.
    pub history_messages: u32,
    /// Memory the per-widget search indexes may hold together, in MiB
    /// (least recently used widgets are dropped beyond it).
    pub index_memory_mb: usize,
    /// Answers kept to give again when the same question is asked of the
    /// same knowledge (repeatable answerers only; 0 keeps none).
    pub remembered_answers: usize,
}

impl Default for AnswersConfig {
    fn default() -> Self {
        Self {
            llm: LlmSettings::default(),
            embeddings: EmbeddingSettings::default(),
            history_messages: 6,
            index_memory_mb: 1024,
            remembered_answers: 4096,
        }
    }
}

/// Which embedder turns chunks and questions into vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmbeddingProvider {
    /// The static table compiled into the binary (offline, no download).
    Builtin,
    /// A local BERT sentence-transformer directory (`model_dir`), e.g.
    /// all-MiniLM-L6-v2.
    Local,
    /// An OpenAI-compatible `/embeddings` API (`base_url`, `model`).
    Openai,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddingSettings {
    pub provider: EmbeddingProvider,
    /// For `local`: the model directory (config.json, vocab.txt,
    /// model.safetensors).
    pub model_dir: Option<std::path::PathBuf>,
    /// For `local`: word pieces per text, at most 512.
    pub max_tokens: usize,
    /// For `openai`: e.g. `https://api.openai.com/v1/`.
    pub base_url: Option<Url>,
    pub model: String,
    pub api_key: Option<SecretString>,
    pub timeout_secs: u64,
    /// Cosine similarity below which the best passage does not count as an
    /// answer ("I don't know"). Defaults to the value calibrated for the
    /// built-in and the MiniLM embedders; none for a remote model.
    pub min_similarity: Option<f32>,
}

impl Default for EmbeddingSettings {
    fn default() -> Self {
        Self {
            provider: EmbeddingProvider::Builtin,
            model_dir: None,
            max_tokens: 256,
            base_url: None,
            model: "text-embedding-3-small".to_owned(),
            api_key: None,
            timeout_secs: 10,
            min_similarity: None,
        }
    }
}

/// An OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM,
/// llama.cpp server…). Without `base_url`, answers are extractive (offline).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    /// e.g. `https://api.openai.com/v1/` or `http://localhost:11434/v1/`.
    pub base_url: Option<Url>,
    pub model: String,
    pub api_key: Option<SecretString>,
    /// Longest time a whole answer may take.
    pub timeout_secs: u64,
    /// Longest wait for the first token before falling back to the extractive answer.
    pub first_token_timeout_secs: u64,
    pub max_tokens: u32,
    pub temperature: f32,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            base_url: None,
            model: "gpt-4o-mini".to_owned(),
            api_key: None,
            timeout_secs: 30,
            first_token_timeout_secs: 10,
            max_tokens: 400,
            temperature: 0.2,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlerConfig {
    /// Development only: exact `ip:port` pairs the crawler may fetch even
    /// though they are not public (e.g. `127.0.0.1:8000` for a local site).
    /// Production refuses to start with any.
    pub allow: Vec<SocketAddr>,
    /// Largest page body fetched, in bytes.
    pub max_page_bytes: usize,
    /// Longest time one fetch (with its redirects) may take.
    pub timeout_secs: u64,
    /// Longest honoured robots.txt crawl-delay.
    pub max_crawl_delay_secs: u64,
}

impl Default for CrawlerConfig {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            max_page_bytes: 5 * 1024 * 1024,
            timeout_secs: 20,
            max_crawl_delay_secs: 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Background workers in this process (0: none, e.g. on web-only instances).
    pub workers: usize,
    /// How long a claimed job is reserved for its worker; a worker that dies
    /// loses its jobs to others after this.
    pub lease_secs: u64,
    /// How often an idle worker looks for work.
    pub poll_millis: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            workers: 1,
            lease_secs: 120,
            poll_millis: 1000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// `smtp://host:port` (plain, for a local relay), `smtp://host?tls=required`
    /// (STARTTLS) or `smtps://user:password@host` (implicit TLS). Without it,
    /// development prints codes to the log and production refuses to start.
    pub url: Option<SecretString>,
    /// The sender of sign-in codes.
    pub from: String,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            url: None,
            from: "Witzo <no-reply@localhost>".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    /// The OpenID provider's issuer URL (discovery at
    /// `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    /// Turns the "Continue with …" sign-in on.
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// The provider's name on the sign-in button.
    pub display_name: String,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            issuer: "https://accounts.google.com".to_owned(),
            client_id: None,
            client_secret: None,
            display_name: "Google".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct BillingConfig {
    pub stripe: StripeConfig,
}

/// Stripe Checkout and webhooks. Without `secret_key`, plans change only
/// through `witzo admin account set-plan`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StripeConfig {
    /// The API secret key (`sk_live_…`/`sk_test_…`); turns Stripe on.
    pub secret_key: Option<SecretString>,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: Option<SecretString>,
    /// Stripe's API; a test double's address in tests.
    pub api_base: String,
    /// How far a webhook's signed timestamp may be from now.
    pub tolerance_secs: u64,
    pub timeout_secs: u64,
}

impl Default for StripeConfig {
    fn default() -> Self {
        Self {
            secret_key: None,
            webhook_secret: None,
            api_base: "https://api.stripe.com".to_owned(),
            tolerance_secs: 300,
            timeout_secs: 15,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// How long an e-mailed code is valid.
    pub code_ttl_minutes: u64,
    /// Wrong tries before a code is void.
    pub code_max_attempts: u32,
    /// Codes one address may be sent per hour.
    pub codes_per_email_per_hour: u32,
    /// Code requests one IP address may make per hour (burst: a quarter).
    pub codes_per_ip_per_hour: u32,
    /// Code checks and OpenID sign-ins one IP address may make per hour.
    pub sign_ins_per_ip_per_hour: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            code_ttl_minutes: 10,
            code_max_attempts: 5,
            codes_per_email_per_hour: 3,
            codes_per_ip_per_hour: 20,
            sign_ins_per_ip_per_hour: 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics` on the main listener to requests bearing this token.
    pub token: Option<SecretString>,
    /// Serve `/metrics` (without a token) on this separate address instead.
    pub listen: Option<SocketAddr>,
}

/// HTTPS served by Witzo itself (without a TLS-terminating proxy).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain (leaf first); with `key`, `listen` speaks TLS.
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// How often the files are checked for a renewed certificate.
    pub reload_secs: u64,
    /// A plain-HTTP address that only redirects to the https `public_url`
    /// (usually port 80).
    pub redirect_listen: Option<SocketAddr>,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            cert: None,
            key: None,
            reload_secs: 5,
            redirect_listen: None,
        }
    }
}

impl TlsConfig {
    pub fn enabled(&self) -> bool {
        self.cert.is_some() && self.key.is_some()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest accepted JSON or form body, in bytes (routes may set their own).
    pub json_body_bytes: usize,
    /// Longest time a request may take before it is answered `request_timeout`.
    pub request_timeout_secs: u64,
    /// Sustained requests per minute one IP address may make to the public API.
    pub public_per_ip_per_minute: u32,
    /// Requests one IP address may make to the public API in a burst.
    pub public_per_ip_burst: u32,
    /// Requests per minute to one widget's public API, from all visitors.
    pub widget_per_minute: u32,
    pub widget_burst: u32,
    /// Requests per minute one visitor may make to a widget (chat, feedback, contact).
    pub visitor_per_minute: u32,
    pub visitor_burst: u32,
    /// Requests per minute one owner API key may make (`/api/v1`).
    pub api_key_per_minute: u32,
    pub api_key_burst: u32,
    /// Connections in the database pool.
    pub database_connections: u32,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace_secs: u64,
    /// A request's headers must arrive within this many seconds; a
    /// keep-alive connection left idle this long is closed.
    pub header_read_timeout_secs: u64,
    /// Open connections this process accepts at most.
    pub max_connections: usize,
    /// Open connections one client IP address may hold at most.
    pub max_connections_per_ip: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_body_bytes: 64 * 1024,
            request_timeout_secs: 30,
            public_per_ip_per_minute: 120,
            public_per_ip_burst: 30,
            widget_per_minute: 600,
            widget_burst: 120,
            visitor_per_minute: 20,
            visitor_burst: 8,
            api_key_per_minute: 600,
            api_key_burst: 60,
            database_connections: 10,
            shutdown_grace_secs: 20,
            header_read_timeout_secs: 10,
            max_connections: 4096,
            max_connections_per_ip: 256,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// A session unused for this long ends.
    pub idle_timeout_minutes: u64,
    /// Every session ends this long after sign-in.
    pub absolute_timeout_hours: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: 24 * 60,
            absolute_timeout_hours: 14 * 24,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            public_url: None,
            database_url: None,
            redis_url: None,
            redis_key_prefix: "witzo:".to_owned(),
            secret_key: None,
            environment: Environment::Development,
            trust_proxy: false,
            log_format: LogFormat::Text,
            log_level: "info".to_owned(),
            metrics: MetricsConfig::default(),
            tls: TlsConfig::default(),
            limits: Limits::default(),
            session: SessionConfig::default(),
            smtp: SmtpConfig::default(),
            oidc: OidcConfig::default(),
            billing: BillingConfig::default(),
            auth: AuthConfig::default(),
            crawler: CrawlerConfig::default(),
            jobs: JobsConfig::default(),
            answers: AnswersConfig::default(),
        }
    }
}

/// Why the configuration was refused. The messages name settings, never values.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("could not read {name} ({path}): {source}")]
    SettingFile {
        name: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(Box<figment::Error>),
    #[error("invalid or unsafe configuration:\n  - {}", .0.join("\n  - "))]
    Unsafe(Vec<String>),
    #[error("could not read or create the secret key file {path}: {source}")]
    SecretKeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Values given on the command line, applied over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
}

const DEFAULT_FILE: &str = "witzo.toml";

/// Settings read from files: `WITZO_SECRET_KEY_FILE=/run/credentials/…`
/// sets `secret_key` to that file's content (without its final line
/// break), `WITZO_SMTP__URL_FILE` sets `smtp.url`, and so on, so secrets
/// come from systemd credentials or container secrets rather than the
/// environment. They win over the same setting given directly.
fn file_settings(
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut settings = Vec::new();
    for (name, path) in vars {
        let Some(name) = name.to_str() else { continue };
        let Some(key) = name
            .strip_prefix("WITZO_")
            .and_then(|rest| rest.strip_suffix("_FILE"))
            .filter(|key| !key.is_empty() && !key.starts_with("TEST_"))
        else {
            continue;
        };
        let path = PathBuf::from(path);
        let content =
            std::fs::read_to_string(&path).map_err(|source| ConfigError::SettingFile {
                name: name.to_owned(),
                path: path.clone(),
                source,
            })?;
        let value = content.trim_end_matches(['\n', '\r']).to_owned();
        settings.push((key.to_ascii_lowercase().replace("__", "."), value));
    }
    Ok(settings)
}

impl Config {
    /// Loads defaults, the config file, the environment and `overrides`, in
    /// that order, then checks the result.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        match &overrides.config_file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.clone())),
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_FILE).exists() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_FILE));
            }
            None => {}
        }
        // WITZO_TEST_* belong to the test suites, not to the server;
        // WITZO_…_FILE name files that hold a setting (below).
        figment =
            figment.merge(Env::prefixed("WITZO_").split("__").filter(|key| {
                !key.as_str().starts_with("test_") && !key.as_str().ends_with("_file")
            }));
        for (key, value) in file_settings(std::env::vars_os())? {
            figment = figment.merge(Serialized::default(&key, value));
        }
        if let Some(listen) = overrides.listen {
            figment = figment.merge(Serialized::default("listen", listen));
        }
        if let Some(dir) = &overrides.data_dir {
            figment = figment.merge(Serialized::default("data_dir", dir));
        }
        if let Some(format) = overrides.log_format {
            let name = match format {
                LogFormat::Text => "text",
                LogFormat::Json => "json",
            };
            figment = figment.merge(Serialized::default("log_format", name));
        }
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        config.check()?;
        Ok(config)
    }

    /// Refuses incomplete settings, and settings that are unsafe in production, listing every problem.
    pub fn check(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if let Some(key) = &self.secret_key
            && key.expose_secret().len() < 32
        {
            problems.push("secret_key must be at least 32 characters".to_owned());
        }
        if self.environment == Environment::Production {
            if self.secret_key.is_none() {
                problems.push("secret_key must be set (WITZO_SECRET_KEY)".to_owned());
            }
            match &self.public_url {
                None => problems.push("public_url must be set (WITZO_PUBLIC_URL)".to_owned()),
                Some(url) if url.scheme() != "https" && !self.trust_proxy => problems.push(
                    "public_url must be https:// (or set trust_proxy behind a TLS-terminating proxy)"
                        .to_owned(),
                ),
                Some(_) => {}
            }
            if self.smtp.url.is_none() {
                problems.push(
                    "smtp.url must be set: sign-in codes are sent by e-mail (WITZO_SMTP__URL)"
                        .to_owned(),
                );
            }
        }
        let limits = &self.limits;
        if limits.header_read_timeout_secs == 0
            || limits.max_connections == 0
            || limits.max_connections_per_ip == 0
        {
            problems.push(
                "limits.header_read_timeout_secs, limits.max_connections and limits.max_connections_per_ip must be at least 1"
                    .to_owned(),
            );
        }
        let embeddings = &self.answers.embeddings;
        match embeddings.provider {
            EmbeddingProvider::Local if embeddings.model_dir.is_none() => problems
                .push("answers.embeddings.model_dir must be set for the local provider".to_owned()),
            EmbeddingProvider::Openai if embeddings.base_url.is_none() => problems
                .push("answers.embeddings.base_url must be set for the openai provider".to_owned()),
            _ => {}
        }
        if !(2..=512).contains(&embeddings.max_tokens) {
            problems.push("answers.embeddings.max_tokens must be between 2 and 512".to_owned());
        }
        if embeddings
            .min_similarity
            .is_some_and(|s| !(-1.0..=1.0).contains(&s))
        {
            problems.push("answers.embeddings.min_similarity must be between -1 and 1".to_owned());
        }
        if self.environment == Environment::Production && !self.crawler.allow.is_empty() {
            problems.push("crawler.allow is for development only".to_owned());
        }
        if self.jobs.lease_secs == 0
            || self.crawler.timeout_secs == 0
            || self.crawler.max_page_bytes == 0
        {
            problems.push(
                "jobs.lease_secs, crawler.timeout_secs and crawler.max_page_bytes must be positive"
                    .to_owned(),
            );
        }
        let stripe = &self.billing.stripe;
        if stripe.secret_key.is_some() != stripe.webhook_secret.is_some() {
            problems.push(
                "billing.stripe.secret_key and billing.stripe.webhook_secret must be set together"
                    .to_owned(),
            );
        }
        match Url::parse(&stripe.api_base) {
            Err(_) => problems.push("billing.stripe.api_base must be a URL".to_owned()),
            Ok(base)
                if self.environment == Environment::Production
                    && stripe.secret_key.is_some()
                    && base.scheme() != "https" =>
            {
                problems.push("billing.stripe.api_base must be https:// in production".to_owned());
            }
            Ok(_) => {}
        }
        if stripe.tolerance_secs == 0 || stripe.tolerance_secs > 3600 {
            problems.push("billing.stripe.tolerance_secs must be between 1 and 3600".to_owned());
        }
        if self.oidc.client_id.is_some() != self.oidc.client_secret.is_some() {
            problems.push("oidc.client_id and oidc.client_secret must be set together".to_owned());
        }
        match Url::parse(&self.oidc.issuer) {
            Err(_) => problems.push("oidc.issuer must be a URL".to_owned()),
            Ok(issuer)
                if self.environment == Environment::Production
                    && self.oidc.client_id.is_some()
                    && issuer.scheme() != "https" =>
            {
                problems.push("oidc.issuer must be https:// in production".to_owned());
            }
            Ok(_) => {}
        }
        let auth = &self.auth;
        if auth.code_ttl_minutes == 0
            || auth.code_max_attempts == 0
            || auth.codes_per_email_per_hour == 0
            || auth.codes_per_ip_per_hour == 0
            || auth.sign_ins_per_ip_per_hour == 0
        {
            problems.push("auth.* limits must be positive".to_owned());
        }
        if let Some(url) = &self.public_url
            && (!matches!(url.scheme(), "http" | "https") || url.host_str().is_none())
        {
            problems.push("public_url must be an http:// or https:// URL with a host".to_owned());
        }
        if self.tls.cert.is_some() != self.tls.key.is_some() {
            problems.push("tls.cert and tls.key must be set together".to_owned());
        }
        if self.tls.redirect_listen.is_some() && !self.tls.enabled() {
            problems.push("tls.redirect_listen needs tls.cert and tls.key".to_owned());
        }
        if self.tls.enabled()
            && self
                .public_url
                .as_ref()
                .is_some_and(|url| url.scheme() != "https")
        {
            problems.push("with tls.cert, public_url must be https://".to_owned());
        }
        if self.tls.reload_secs == 0 {
            problems.push("tls.reload_secs must be positive".to_owned());
        }
        if self.limits.json_body_bytes == 0 || self.limits.request_timeout_secs == 0 {
            problems.push(
                "limits.json_body_bytes and limits.request_timeout_secs must be positive"
                    .to_owned(),
            );
        }
        let l = &self.limits;
        if [
            l.public_per_ip_per_minute,
            l.public_per_ip_burst,
            l.widget_per_minute,
            l.widget_burst,
            l.visitor_per_minute,
            l.visitor_burst,
            l.api_key_per_minute,
            l.api_key_burst,
        ]
        .contains(&0)
        {
            problems.push("limits.*_per_minute and limits.*_burst must be positive".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Unsafe(problems))
        }
    }

    /// The URL Witzo is reached at, given the address it actually bound.
    pub fn public_url_for(&self, bound: SocketAddr) -> Result<Url, url::ParseError> {
        let scheme = if self.tls.enabled() { "https" } else { "http" };
        match &self.public_url {
            Some(url) => Ok(url.clone()),
            None => Url::parse(&format!("{scheme}://{bound}/")),
        }
    }

    pub fn database_url(&self) -> SecretString {
        self.database_url.clone().unwrap_or_else(|| {
            let path = self.data_dir.join("witzo.db");
            SecretString::from(format!("sqlite://{}?mode=rwc", path.display()))
        })
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.limits.request_timeout_secs)
    }

    /// The configured secret key, or (development only, checked by
    /// [`Config::check`]) the one persisted in the data directory, created
    /// with owner-only permissions on first use.
    pub fn resolve_secret_key(&self) -> Result<SecretString, ConfigError> {
        if let Some(key) = &self.secret_key {
            return Ok(key.clone());
        }
        let path = self.data_dir.join("secret.key");
        let io = |source| ConfigError::SecretKeyFile {
            path: path.clone(),
            source,
        };
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let existing = existing.trim();
            if existing.len() >= 32 {
                return Ok(SecretString::from(existing.to_owned()));
            }
        }
        std::fs::create_dir_all(&self.data_dir).map_err(io)?;
        let key = hex::encode(rand::random::<[u8; 32]>());
        write_private(&path, &key).map_err(io)?;
        Ok(SecretString::from(key))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_from_the_files_witzo_file_variables_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let key = dir.path().join("secret_key");
        let smtp = dir.path().join("smtp");
        std::fs::write(&key, "k".repeat(40) + "\n").unwrap_or_default();
        std::fs::write(&smtp, "smtp://mail.example.com:587").unwrap_or_default();
        let vars = [
            ("WITZO_SECRET_KEY_FILE", key.as_os_str()),
            ("WITZO_SMTP__URL_FILE", smtp.as_os_str()),
            ("WITZO_TEST_DB_FILE", key.as_os_str()),
            ("WITZO_LISTEN", key.as_os_str()),
            ("OTHER_FILE", key.as_os_str()),
        ]
        .map(|(name, path)| (name.into(), path.to_owned()));
        let settings = file_settings(vars.into_iter()).unwrap_or_default();
        assert_eq!(
            settings,
            [
                ("secret_key".to_owned(), "k".repeat(40)),
                (
                    "smtp.url".to_owned(),
                    "smtp://mail.example.com:587".to_owned()
                ),
            ]
        );
        let missing = [(
            "WITZO_SECRET_KEY_FILE".into(),
            dir.path().join("nope").into_os_string(),
        )];
        assert!(matches!(
            file_settings(missing.into_iter()),
            Err(ConfigError::SettingFile { .. })
        ));
    }
}
