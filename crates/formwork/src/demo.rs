//! `formwork demo`: a working sample on a fresh machine — database, sample app, demo users —
//! reusing whatever an earlier run created.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use clap::Args;
use formwork_model::AppId;
use formwork_runtime::{DEMO_USERS, Runtime, RuntimeError, system_actor};
use rand::RngCore;

use crate::server::{ServeArgs, serve_until_signal};
use crate::{SAMPLE_APP, SAMPLE_APP_ID, open_migrated};

const PASSWORD_FILE: &str = "demo-password";

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Password for every demo user (default: generated once and kept in ./data/demo-password).
    #[arg(long, env = "FORMWORK_DEMO_PASSWORD")]
    pub demo_password: Option<String>,
    /// Set up the demo and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
    /// Leave out the sample projects of the client portal (customers and client accounts are
    /// still set up), for a clean slate such as the browser tests want.
    #[arg(long)]
    pub no_demo_records: bool,
}

/// A random password of 16 URL-safe characters.
pub fn random_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub async fn run(database_url: &str, data_dir: &Path, args: DemoArgs) -> anyhow::Result<()> {
    // Said in words before anything is set up, not as a count of problems.
    if let Some(p) = &args.demo_password
        && p.chars().count() < formwork_runtime::MIN_PASSWORD_LEN
    {
        anyhow::bail!(
            "演示密码至少 {n} 个字符（the demo password needs at least {n} characters）",
            n = formwork_runtime::MIN_PASSWORD_LEN
        );
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let store = open_migrated(database_url).await?;
    let runtime = Arc::new(
        Runtime::new(store)
            .with_files_dir(data_dir.join("files"))
            .with_hook_secrets(args.serve.worker.integrations()?.inbound),
    );

    let (password, reset) = match &args.demo_password {
        Some(p) => (p.clone(), true),
        None => (
            stored_or_new_password(&data_dir.join(PASSWORD_FILE))?,
            false,
        ),
    };
    let setup = runtime
        .ensure_demo_org(&password, reset)
        .await
        .map_err(|e| anyhow::anyhow!("setting up demo users: {e}"))?;

    let actor = system_actor();
    let app_id = AppId::parse(SAMPLE_APP_ID)?;
    if is_missing(runtime.get_draft(&app_id, &actor).await)? {
        let package: serde_json::Value = serde_json::from_str(SAMPLE_APP).context("sample app")?;
        runtime
            .import_app(&package, &actor, false)
            .await
            .map_err(|e| anyhow::anyhow!("importing the sample app: {e}"))?;
    }
    if is_missing(runtime.get_version(&app_id, None, &actor).await)? {
        let published = runtime
            .publish(&app_id, &actor)
            .await
            .map_err(|e| anyhow::anyhow!("publishing the sample app: {e}"))?;
        println!(
            "sample app {SAMPLE_APP_ID} published as version {}",
            published.version
        );
    }

    runtime
        .ensure_demo_portal(time::OffsetDateTime::now_utc(), !args.no_demo_records)
        .await
        .map_err(|e| anyhow::anyhow!("setting up the client portal demo: {e}"))?;
    if setup.created_users.is_empty() {
        println!("demo users already exist; reusing them");
    }
    let users: Vec<&str> = DEMO_USERS.iter().map(|u| u.0).collect();
    println!("demo users: {}", users.join(", "));
    println!("demo password: {password}");
    println!("{}", args.serve.worker.mail_summary());
    if args.no_serve {
        return Ok(());
    }
    serve_until_signal(runtime, &args.serve).await
}

/// Whether a look-up found nothing (other errors stop the demo).
fn is_missing<T>(found: Result<T, RuntimeError>) -> anyhow::Result<bool> {
    match found {
        Ok(_) => Ok(false),
        Err(RuntimeError::NotFound(_)) => Ok(true),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

fn stored_or_new_password(path: &Path) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if !existing.is_empty() {
            return Ok(existing.to_owned());
        }
    }
    let password = random_password();
    std::fs::write(path, format!("{password}\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(password)
}
