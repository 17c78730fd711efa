//! The background worker each `formwork serve` runs (unless `--no-worker`), or that
//! `formwork worker` runs alone: its configuration (SMTP, the outbound allowlist, the
//! integrations file, how it claims and retries) and its start.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use formwork_jobs::channels::{Mailer, SmtpSettings};
use formwork_jobs::config::{Integrations, WorkerConfig};
use formwork_jobs::net::{Allowlist, HttpConfig, SafeClient};
use formwork_jobs::{Consumer, Deliverer, RetryPolicy, SystemClock};
use formwork_runtime::Runtime;

#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// SMTP server for mail: smtp://[user[:password]@]host[:port] (STARTTLS) or smtps://…
    /// Without it, mail is recorded as skipped.
    #[arg(long, env = "FORMWORK_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of mail.
    #[arg(
        long,
        env = "FORMWORK_MAIL_FROM",
        default_value = "Formwork <noreply@formwork.local>"
    )]
    pub mail_from: String,
    /// Internal hosts outgoing requests may reach, as host[:port], comma-separated (on-premise
    /// systems; every private, loopback and metadata address is refused otherwise).
    #[arg(long, env = "FORMWORK_OUTBOUND_ALLOW", default_value = "")]
    pub outbound_allow: String,
    /// JSON file with robots, webhook receivers and their secrets, and inbound hook secrets.
    #[arg(long, env = "FORMWORK_INTEGRATIONS_FILE")]
    pub integrations_file: Option<PathBuf>,
    /// Where people open Formwork (e.g. https://formwork.example.com), for links in mail.
    #[arg(long, env = "FORMWORK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve HTTP only: leave background work to other instances or `formwork worker`.
    #[arg(long, env = "FORMWORK_NO_WORKER")]
    pub no_worker: bool,
    /// Pause between looks for due work when idle, in milliseconds.
    #[arg(long, env = "FORMWORK_JOBS_POLL_MS", default_value_t = 1000)]
    pub jobs_poll_ms: u64,
    /// How long claimed work stays a worker's before another may take it over, in seconds.
    #[arg(long, env = "FORMWORK_JOBS_LEASE_SECS", default_value_t = 120)]
    pub jobs_lease_secs: u64,
    /// The ceiling of the first retry's delay, in milliseconds (doubling up to an hour).
    #[arg(long, env = "FORMWORK_JOBS_RETRY_BASE_MS", default_value_t = 30_000)]
    pub jobs_retry_base_ms: u64,
    /// Tries before a job is dead.
    #[arg(long, env = "FORMWORK_JOBS_MAX_ATTEMPTS", default_value_t = 10)]
    pub jobs_max_attempts: u32,
    /// Days a draft (暂存) is kept after it was last saved.
    #[arg(long, env = "FORMWORK_DRAFT_TTL_DAYS", default_value_t = 30)]
    pub draft_ttl_days: u64,
}

impl WorkerArgs {
    /// The integrations file, or none configured.
    pub fn integrations(&self) -> anyhow::Result<Integrations> {
        let Some(path) = &self.integrations_file else {
            return Ok(Integrations::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the integrations file {}", path.display()))?;
        Integrations::parse(&text)
            .map_err(|e| anyhow::anyhow!("integrations file {}: {e}", path.display()))
    }

    fn allowlist(&self) -> anyhow::Result<Allowlist> {
        let entries: Vec<&str> = self
            .outbound_allow
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        Allowlist::parse(&entries)
            .map_err(|e| anyhow::anyhow!("FORMWORK_OUTBOUND_ALLOW: {}", e.message("en")))
    }

    /// One sentence on where mail goes, for `formwork demo` and the log.
    pub fn mail_summary(&self) -> String {
        match &self.smtp_url {
            Some(url) => match SmtpSettings::from_url(url, &self.mail_from) {
                Ok(s) => format!(
                    "mail goes to {}:{} as {} (demo users are {{username}}@example.com)",
                    s.host, s.port, s.from
                ),
                Err(e) => format!("mail is not sent: {}", e.message("en")),
            },
            None => "no SMTP server configured (FORMWORK_SMTP_URL): mail actions are recorded \
                     as skipped on each rule run"
                .to_owned(),
        }
    }

    /// The consumer for `runtime`.
    pub fn consumer(
        &self,
        runtime: Arc<Runtime>,
        integrations: &Integrations,
    ) -> anyhow::Result<Consumer> {
        let http = HttpConfig {
            allowlist: self.allowlist()?,
            ..HttpConfig::default()
        };
        let client = SafeClient::new(http);
        let mailer = match &self.smtp_url {
            Some(url) => Some(Mailer::new(
                SmtpSettings::from_url(url, &self.mail_from)
                    .map_err(|e| anyhow::anyhow!("FORMWORK_SMTP_URL: {}", e.message("en")))?,
                client.clone(),
            )),
            None => None,
        };
        let deliverer = Deliverer {
            client,
            mailer,
            integrations: Arc::new(integrations.clone()),
            public_url: self.public_url.clone(),
        };
        let config = WorkerConfig {
            poll: Duration::from_millis(self.jobs_poll_ms.max(10)),
            lease: Duration::from_secs(self.jobs_lease_secs.max(1)),
            retry: RetryPolicy {
                base: Duration::from_millis(self.jobs_retry_base_ms.max(1)),
                max_attempts: self.jobs_max_attempts.max(1),
                ..RetryPolicy::default()
            },
            public_url: self.public_url.clone(),
            draft_ttl: Duration::from_secs(self.draft_ttl_days.max(1) * 24 * 3600),
            ..WorkerConfig::default()
        };
        Ok(Consumer::new(
            runtime,
            Consumer::unique_owner(),
            Arc::new(SystemClock),
            deliverer,
            config,
        ))
    }
}

/// Runs `formwork worker`: the consumer alone, until Ctrl-C or SIGTERM.
pub async fn run_alone(runtime: Arc<Runtime>, args: &WorkerArgs) -> anyhow::Result<()> {
    refresh_projections(&runtime).await?;
    let integrations = args.integrations()?;
    let consumer = args.consumer(runtime, &integrations)?;
    tracing::info!(owner = consumer.owner(), "{}", args.mail_summary());
    consumer.run(crate::server::shutdown_signal()).await;
    Ok(())
}

/// Before serving, like a migration: builds the projections an older Formwork built (or none
/// built), so lists and reports do not read the records' JSON until the next publish. A
/// build takes the database's write lock for its length (minutes per million records
/// on SQLite), which is why it happens here and not under traffic.
pub(crate) async fn refresh_projections(runtime: &Runtime) -> anyhow::Result<()> {
    let t = std::time::Instant::now();
    let built = runtime
        .refresh_projections()
        .await
        .map_err(|e| anyhow::anyhow!("rebuilding projections: {e}"))?;
    if built > 0 {
        tracing::info!(
            built,
            seconds = t.elapsed().as_secs(),
            "projections rebuilt"
        );
    }
    Ok(())
}
