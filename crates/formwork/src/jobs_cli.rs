//! `formwork jobs list|retry|discard` and `formwork calendar show|import`: the queue of
//! background work and the working-time calendar from the command line, acting as the
//! `system` admin.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use formwork_model::JobState;
use formwork_runtime::{Caller, Runtime, system_actor};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first.
    List {
        /// Only jobs in this state: pending, running, retrying, done or dead.
        #[arg(long)]
        state: Option<String>,
        /// How many (1–100).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Put a dead or retrying job back in the queue now, with its tries reset.
    Retry { id: String },
    /// Remove a job that is not running or done from the queue.
    Discard { id: String },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Print the working-time calendar (JSON) and which years lack holidays.
    Show,
    /// Enter one year's holidays and make-up working days from a CSV or JSON-lines file
    /// (`date,kind,name`; kind `holiday`/`放假` or `workday`/`上班`).
    Import {
        file: PathBuf,
        #[arg(long)]
        year: i32,
        /// Where the dates come from (the government notice), shown to admins.
        #[arg(long)]
        source: Option<String>,
    },
}

fn admin() -> Caller {
    Caller {
        user: system_actor(),
        roles: Vec::new(),
        epochs: None,
    }
}

fn when(t: Option<OffsetDateTime>) -> String {
    t.and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".into())
}

pub async fn jobs(runtime: &Runtime, cmd: JobsCommand) -> anyhow::Result<()> {
    let caller = admin();
    let now = OffsetDateTime::now_utc();
    match cmd {
        JobsCommand::List { state, limit } => {
            let state = match state.as_deref() {
                None => None,
                Some(s) => Some(JobState::parse(s).map_err(|_| {
                    anyhow::anyhow!("--state must be pending, running, retrying, done or dead")
                })?),
            };
            let page = runtime.list_jobs(&caller, state, None, limit).await?;
            if page.items.is_empty() {
                println!("no jobs");
            }
            for job in page.items {
                println!(
                    "{}  {:<8}  {:<17}  tries {:<2}  next {}  {}{}",
                    job.id,
                    job.state.as_str(),
                    job.kind,
                    job.attempts,
                    when(Some(job.run_at)),
                    job.event_id,
                    job.last_error
                        .map(|e| format!("  last error: {e}"))
                        .unwrap_or_default()
                );
            }
        }
        JobsCommand::Retry { id } => {
            let job = runtime.retry_job(&caller, &id, now).await?;
            println!("job {} is pending again ({})", job.id, job.kind);
        }
        JobsCommand::Discard { id } => {
            let job = runtime.discard_job(&caller, &id).await?;
            println!("job {} ({}) discarded", job.id, job.kind);
        }
    }
    Ok(())
}

pub async fn calendar(runtime: &Runtime, cmd: CalendarCommand, lang: &str) -> anyhow::Result<()> {
    let caller = admin();
    let now = OffsetDateTime::now_utc();
    let show = matches!(cmd, CalendarCommand::Show);
    let settings = match cmd {
        CalendarCommand::Show => runtime.calendar_settings(&caller, now).await?,
        CalendarCommand::Import { file, year, source } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let source = source.or_else(|| Some(file.display().to_string()));
            let saved = runtime
                .import_calendar_year(&caller, year, &text, source, now)
                .await
                .map_err(|e| crate::cli::explain(e, lang))?;
            let days = saved
                .def
                .years
                .iter()
                .find(|y| y.year == year)
                .map_or(0, |y| y.days.len());
            println!("calendar {year}: {days} special days saved");
            saved
        }
    };
    if show {
        crate::cli::print_document(&serde_json::to_string_pretty(&settings.def)?)?;
    }
    for year in &settings.missing_years {
        eprintln!(
            "warning: no holidays entered for {year}; deadlines in {year} count weekdays only \
             (formwork calendar import FILE --year {year})"
        );
    }
    Ok(())
}
