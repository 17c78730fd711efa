//! The `formwork` command line.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use formwork_model::validate::{Problem, validate_package};
use formwork_model::{AppId, UserId};
use formwork_runtime::{
    NewUserInput, PublishOptions, Runtime, RuntimeError, parse_package, system_actor,
};

use crate::{DEFAULT_DATABASE_URL, open_migrated};

#[derive(Debug, Parser)]
#[command(
    name = "formwork",
    version,
    about = "Formwork: no-code forms, approvals and reports"
)]
pub struct Cli {
    /// Database: sqlite://path/to/file.db or postgres://user@host/db
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Directory for uploaded files (share it between instances, e.g. over NFS).
    #[arg(long, env = "FORMWORK_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: std::path::PathBuf,
    /// Language of messages printed for people: zh-CN or en.
    #[arg(long, env = "FORMWORK_LANG", default_value = "zh-CN", global = true)]
    pub lang: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and API.
    Serve(crate::server::ServeArgs),
    /// Set up the sample app with demo users on this database, then serve it.
    Demo(crate::demo::DemoArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Measure submissions and lists beside their physical floor (fresh databases).
    Bench(crate::bench::BenchArgs),
    /// Work with app packages.
    #[command(subcommand)]
    App(AppCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the OpenAPI document the handlers declare and exit (the server serves the copy
    /// committed as designer-ui/openapi.json, which the tests hold equal to it).
    Openapi,
    /// Run only the background worker (timers, rules, mail, robots, webhooks), no HTTP.
    Worker(crate::workers::WorkerArgs),
    /// List, retry or discard background jobs.
    #[command(subcommand)]
    Jobs(crate::jobs_cli::JobsCommand),
    /// Show the working-time calendar or import a year's holidays.
    #[command(subcommand)]
    Calendar(crate::jobs_cli::CalendarCommand),
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Check a package file; prints every problem with its JSON pointer, exits 1 if any.
    Validate { file: PathBuf },
    /// Import a package file as an app's draft.
    Import {
        file: PathBuf,
        /// Replace the draft when the app exists.
        #[arg(long)]
        replace: bool,
        /// Publish right after importing.
        #[arg(long)]
        publish: bool,
        /// Publish even though flow test cases fail (recorded in the audit log).
        #[arg(long, requires = "publish")]
        override_flow_tests: bool,
    },
    /// Publish an app's draft as its next version; refused while a flow test case fails.
    Publish {
        app: AppId,
        /// Publish even though flow test cases fail (recorded in the audit log).
        #[arg(long)]
        override_flow_tests: bool,
    },
    /// Print (or write) a published version in canonical form.
    Export {
        app: AppId,
        /// Version number (default: the latest).
        #[arg(long)]
        version: Option<i64>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input with --password-stdin,
    /// otherwise generated and printed once.
    Add {
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Suspend a user: their sessions and tokens end at once.
    Suspend { username: String },
    /// Lift a suspension.
    Reinstate { username: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the secret is printed once.
    Create {
        username: String,
        #[arg(long)]
        name: String,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("formwork: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("formwork: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FORMWORK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Colour only for a person at a terminal: a log redirected to a file (or a journal)
    // carries no escape codes. NO_COLOR turns it off everywhere.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    if std::env::var("FORMWORK_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let lang = if cli.lang.to_ascii_lowercase().starts_with("en") {
        "en"
    } else {
        "zh-CN"
    };
    match cli.command {
        Command::App(AppCommand::Validate { file }) => return validate_file(&file, lang),
        Command::Openapi => print_document(&formwork_web::generated_openapi()?.to_pretty_json()?)?,
        Command::Serve(args) => {
            formwork_web::prepare();
            let runtime = Arc::new(
                Runtime::new(open_migrated(&cli.database_url).await?)
                    .with_files_dir(cli.data_dir.join("files"))
                    .with_hook_secrets(args.worker.integrations()?.inbound),
            );
            crate::server::serve_until_signal(runtime, &args).await?;
        }
        Command::Worker(args) => {
            let runtime = Arc::new(
                Runtime::new(open_migrated(&cli.database_url).await?)
                    .with_files_dir(cli.data_dir.join("files")),
            );
            crate::workers::run_alone(runtime, &args).await?;
        }
        Command::Jobs(cmd) => {
            let runtime = Runtime::new(open_migrated(&cli.database_url).await?);
            crate::jobs_cli::jobs(&runtime, cmd).await.map_err(|e| {
                match e.downcast::<RuntimeError>() {
                    Ok(e) => explain(e, lang),
                    Err(e) => e,
                }
            })?;
        }
        Command::Calendar(cmd) => {
            let runtime = Runtime::new(open_migrated(&cli.database_url).await?);
            crate::jobs_cli::calendar(&runtime, cmd, lang).await?;
        }
        Command::Demo(args) => {
            formwork_web::prepare();
            crate::demo::run(&cli.database_url, &cli.data_dir, args).await?
        }
        Command::Bench(args) => crate::bench::run(args).await?,
        Command::Migrate => {
            open_migrated(&cli.database_url).await?;
            println!("migrations applied");
        }
        Command::App(cmd) => {
            let runtime = Runtime::new(open_migrated(&cli.database_url).await?);
            return app_command(&runtime, cmd, lang).await;
        }
        Command::User(cmd) => {
            let runtime = Runtime::new(open_migrated(&cli.database_url).await?);
            user_command(&runtime, cmd, lang).await?;
        }
        Command::Token(TokenCommand::Create { username, name }) => {
            let runtime = Runtime::new(open_migrated(&cli.database_url).await?);
            let user = runtime
                .user_by_username(&username)
                .await
                .map_err(|e| explain(e, lang))?;
            let created = runtime
                .create_token(&user, &name)
                .await
                .map_err(|e| explain(e, lang))?;
            println!("{}", created.secret);
            eprintln!(
                "token {} created for {username}; the secret above is shown only once",
                created.token.id
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a document on stdout. A reader that stops early (`formwork openapi | head`) is no
/// error: `println!` would panic on the closed pipe.
pub(crate) fn print_document(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => Ok(written?),
    }
}

fn print_problems(problems: &[Problem], lang: &str) {
    for p in problems {
        let pointer = if p.pointer.is_empty() {
            "/"
        } else {
            &p.pointer
        };
        eprintln!("{pointer}: [{}] {}", p.code, p.message.get(lang));
    }
}

fn validate_file(file: &PathBuf, lang: &str) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let package = match parse_package(&bytes) {
        Ok(p) => p,
        Err(e) => return Err(explain(e, lang)),
    };
    match validate_package(&package) {
        Ok(_) => {
            println!("{}: ok", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            print_problems(&problems, lang);
            eprintln!("{}: {} problem(s)", file.display(), problems.len());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Turns a use-case error into a readable CLI error, printing field problems first.
pub(crate) fn explain(e: RuntimeError, lang: &str) -> anyhow::Error {
    match e {
        RuntimeError::Invalid { problems } => {
            print_problems(&problems, lang);
            anyhow::anyhow!("{} problem(s)", problems.len())
        }
        RuntimeError::Malformed { problem } => {
            print_problems(std::slice::from_ref(&problem), lang);
            anyhow::anyhow!("the input cannot be read")
        }
        other => anyhow::anyhow!(other),
    }
}

/// Publishes `app` through the same gate as the designer: refused, naming each failing flow
/// test case, unless `override_tests` (then the audit row lists the overridden cases).
async fn publish_gated(
    runtime: &Runtime,
    app: &AppId,
    override_tests: bool,
    lang: &str,
) -> anyhow::Result<()> {
    let options = PublishOptions {
        summary: None,
        override_tests,
    };
    let published = match runtime.publish_with(app, &system_actor(), &options).await {
        Ok(p) => p,
        Err(RuntimeError::Invalid { problems })
            if !problems.is_empty() && problems.iter().all(|p| p.code == "flow_test_failed") =>
        {
            print_problems(&problems, lang);
            anyhow::bail!(
                "{}",
                if lang == "en" {
                    format!(
                        "not published: {} flow test case(s) fail; fix the flow or the cases, \
                         or pass --override-flow-tests (recorded in the audit log)",
                        problems.len()
                    )
                } else {
                    format!(
                        "未发布：{} 个流程测试用例未通过。请修改流程或用例，\
                         或加 --override-flow-tests 强制发布（将记入审计日志）",
                        problems.len()
                    )
                }
            );
        }
        Err(e) => return Err(explain(e, lang)),
    };
    println!(
        "published {} version {}",
        published.app_id, published.version
    );
    Ok(())
}

async fn app_command(runtime: &Runtime, cmd: AppCommand, lang: &str) -> anyhow::Result<ExitCode> {
    let actor = system_actor();
    match cmd {
        AppCommand::Validate { file } => return validate_file(&file, lang),
        AppCommand::Import {
            file,
            replace,
            publish,
            override_flow_tests,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let package = parse_package(&bytes).map_err(|e| explain(e, lang))?;
            let outcome = runtime
                .import_app(&package, &actor, replace)
                .await
                .map_err(|e| explain(e, lang))?;
            println!(
                "imported {} as draft revision {}",
                outcome.app_id, outcome.draft_rev
            );
            if !outcome.problems.is_empty() {
                print_problems(&outcome.problems, lang);
                eprintln!(
                    "the draft has {} problem(s); fix them before publishing",
                    outcome.problems.len()
                );
                if publish {
                    return Ok(ExitCode::FAILURE);
                }
            }
            if publish {
                publish_gated(runtime, &outcome.app_id, override_flow_tests, lang).await?;
            }
        }
        AppCommand::Publish {
            app,
            override_flow_tests,
        } => publish_gated(runtime, &app, override_flow_tests, lang).await?,
        AppCommand::Export {
            app,
            version,
            output,
        } => {
            let v = runtime
                .get_version(&app, version, &actor)
                .await
                .map_err(|e| explain(e, lang))?;
            match output {
                Some(path) => std::fs::write(&path, v.package.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{}", v.package),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn user_command(runtime: &Runtime, cmd: UserCommand, lang: &str) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            display_name,
            email,
            admin,
            password_stdin,
        } => {
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the password")?;
                (s.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (crate::demo::random_password(), true)
            };
            if password.is_empty() {
                bail!("the password on standard input is empty");
            }
            let user = runtime
                .add_user(
                    NewUserInput {
                        username,
                        display_name,
                        email,
                        password: password.clone(),
                        department_id: None,
                        is_admin: admin,
                    },
                    Some(&UserId::system()),
                )
                .await
                .map_err(|e| explain(e, lang))?;
            println!("user {} created", user.username);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Suspend { username } => {
            runtime
                .set_suspended(&username, true, Some(&UserId::system()))
                .await
                .map_err(|e| explain(e, lang))?;
            println!("user {username} suspended; their sessions and tokens are ended");
        }
        UserCommand::Reinstate { username } => {
            runtime
                .set_suspended(&username, false, Some(&UserId::system()))
                .await
                .map_err(|e| explain(e, lang))?;
            println!("user {username} reinstated");
        }
    }
    Ok(())
}
