//! The HTTP server: binds, serves until a shutdown signal, drains in-flight requests, and in
//! the background sweeps expired sessions and runs the job consumer (process timers, rule
//! jobs, deliveries) unless `--no-worker`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use formwork_jobs::Consumer;
use formwork_runtime::Runtime;
use formwork_web::WebConfig;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How often expired sessions are deleted.
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(600);

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FORMWORK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Mark session cookies Secure (when served over HTTPS).
    #[arg(long, env = "FORMWORK_SECURE_COOKIES")]
    pub secure_cookies: bool,
    #[command(flatten)]
    pub worker: crate::workers::WorkerArgs,
    #[command(flatten)]
    pub oidc: crate::sso::OidcArgs,
}

pub(crate) async fn serve_until_signal(
    runtime: Arc<Runtime>,
    args: &ServeArgs,
) -> anyhow::Result<()> {
    crate::workers::refresh_projections(&runtime).await?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    let addr = listener.local_addr()?;
    println!("Formwork is listening on http://{addr}/");
    let oidc = args
        .oidc
        .build(args.worker.public_url.as_deref(), &runtime)
        .await?;
    let config = WebConfig {
        secure_cookies: args.secure_cookies,
        oidc,
        ..WebConfig::default()
    };
    let consumer = if args.worker.no_worker {
        tracing::info!("no background worker here (--no-worker)");
        None
    } else {
        let integrations = args.worker.integrations()?;
        let consumer = args.worker.consumer(runtime.clone(), &integrations)?;
        tracing::info!(
            owner = consumer.owner(),
            "background worker: {}",
            args.worker.mail_summary()
        );
        Some(consumer)
    };
    run(listener, runtime, config, consumer, shutdown_signal()).await
}

/// A server started with [`spawn`]; dropping `shutdown` (or sending on it) stops it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub shutdown: oneshot::Sender<()>,
    pub handle: JoinHandle<anyhow::Result<()>>,
}

/// Binds `bind` (port 0 picks a free port) and serves in a background task, with `consumer`
/// working the queue beside it when given.
pub async fn spawn(
    runtime: Arc<Runtime>,
    bind: SocketAddr,
    config: WebConfig,
    consumer: Option<Consumer>,
) -> anyhow::Result<RunningServer> {
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        run(listener, runtime, config, consumer, async {
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

/// Serves on `bind` until Ctrl-C or SIGTERM, with `consumer` working the queue beside it.
pub async fn serve(
    runtime: Arc<Runtime>,
    listener: TcpListener,
    config: WebConfig,
    consumer: Option<Consumer>,
) -> anyhow::Result<()> {
    run(listener, runtime, config, consumer, shutdown_signal()).await
}

async fn run(
    listener: TcpListener,
    runtime: Arc<Runtime>,
    config: WebConfig,
    consumer: Option<Consumer>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let sweeper = tokio::spawn(sweep_sessions(runtime.clone()));
    let (stop_worker, worker_stopped) = oneshot::channel::<()>();
    let worker = consumer.map(|c| {
        tokio::spawn(c.run(async {
            let _ = worker_stopped.await;
        }))
    });
    let app = formwork_web::app(runtime, &config);
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving HTTP");
    sweeper.abort();
    // The worker finishes the round it is in; what it leaves unfinished, its lease hands on.
    let _ = stop_worker.send(());
    if let Some(worker) = worker {
        let _ = tokio::time::timeout(Duration::from_secs(20), worker).await;
    }
    result
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

pub(crate) async fn shutdown_signal() {
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
