//! The HTTP server: binds, serves until a shutdown signal, drains in-flight requests, and in
//! the background sweeps expired sessions and fires due process timers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use formwork_runtime::Runtime;
use formwork_web::WebConfig;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How often expired sessions are deleted.
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(600);

/// How often due timers (reminders, escalations, waits) are looked for. The first look is at
/// start, so timers that fell due while the server was down fire on catch-up.
const TIMERS_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FORMWORK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Mark session cookies Secure (when served over HTTPS).
    #[arg(long, env = "FORMWORK_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

pub(crate) async fn serve_until_signal(
    runtime: Arc<Runtime>,
    args: &ServeArgs,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    let addr = listener.local_addr()?;
    println!("Formwork is listening on http://{addr}/");
    let config = WebConfig {
        secure_cookies: args.secure_cookies,
        ..WebConfig::default()
    };
    crate::serve(runtime, listener, config).await
}

/// A server started with [`spawn`]; dropping `shutdown` (or sending on it) stops it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub shutdown: oneshot::Sender<()>,
    pub handle: JoinHandle<anyhow::Result<()>>,
}

/// Binds `bind` (port 0 picks a free port) and serves in a background task.
pub async fn spawn(
    runtime: Arc<Runtime>,
    bind: SocketAddr,
    config: WebConfig,
) -> anyhow::Result<RunningServer> {
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        run(listener, runtime, config, async {
            let _ = rx.await;
        })
        .await
    });
    Ok(RunningServer {
        addr,
        shutdown: tx,
        handle,
    })
}

/// Serves on `bind` until Ctrl-C or SIGTERM.
pub async fn serve(
    runtime: Arc<Runtime>,
    listener: TcpListener,
    config: WebConfig,
) -> anyhow::Result<()> {
    run(listener, runtime, config, shutdown_signal()).await
}

async fn run(
    listener: TcpListener,
    runtime: Arc<Runtime>,
    config: WebConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let sweeper = tokio::spawn(sweep_sessions(runtime.clone()));
    let timers = tokio::spawn(fire_timers(runtime.clone()));
    let app = formwork_web::app(runtime, &config);
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving HTTP");
    sweeper.abort();
    timers.abort();
    result
}

async fn fire_timers(runtime: Arc<Runtime>) {
    let mut tick = tokio::time::interval(TIMERS_EVERY);
    // A slow round (many timers after downtime) is not followed by a burst of catch-up ticks.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match runtime
            .fire_due_timers(time::OffsetDateTime::now_utc())
            .await
        {
            Ok(run) if run.fired + run.failed > 0 => tracing::info!(
                fired = run.fired,
                skipped = run.skipped,
                failed = run.failed,
                "process timers"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not fire process timers"),
        }
    }
}

async fn sweep_sessions(runtime: Arc<Runtime>) {
    let mut tick = tokio::time::interval(SESSION_SWEEP_EVERY);
    loop {
        tick.tick().await;
        match runtime
            .delete_expired_sessions(time::OffsetDateTime::now_utc())
            .await
        {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "expired sessions deleted"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
