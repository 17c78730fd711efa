//! Start-up time and idle memory of a real `formwork serve` on the bench's database: this
//! binary started as a child, timed until its first `/healthz` answers 200, then left idle
//! for a second before its resident set is read, and read again after one API request.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::http;

/// Starts the server on `url`, prints its start-up time and idle RSS, and stops it.
pub async fn measure(url: &str, data_dir: &Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("finding this binary")?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(exe)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", url)
        .env("FORMWORK_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting formwork serve")?;
    let outcome = time_start(&mut child, started).await;
    // Our own child, by its handle.
    let _ = child.kill().await;
    let (up, rss, served) = outcome?;
    let mb = |kib: u64| kib as f64 / 1024.0;
    println!(
        "start-up    {:.0} ms to the first /healthz 200; idle RSS {:.1} MB: {:.1} MB anonymous, \
         {:.1} MB of mapped files (the binary's code, shared and reclaimable); {:.1} MB after its \
         first API request (formwork serve, worker on)",
        up.as_secs_f64() * 1000.0,
        mb(rss.total),
        mb(rss.anonymous),
        mb(rss.files),
        mb(served.total),
    );
    Ok(())
}

/// A process's resident set in KiB, as `/proc/<pid>/status` splits it.
struct Resident {
    total: u64,
    anonymous: u64,
    /// File-backed pages: mostly this binary's code and read-only data.
    files: u64,
}

impl Resident {
    fn of(pid: u32) -> anyhow::Result<Resident> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib = |key: &str| -> anyhow::Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .with_context(|| format!("no {key} in /proc/{pid}/status"))
        };
        Ok(Resident {
            total: kib("VmRSS:")?,
            anonymous: kib("RssAnon:")?,
            files: kib("RssFile:")?,
        })
    }
}

/// Time to the first `/healthz` 200, the resident set a second later, and the resident set
/// after one API request (whatever the API builds on first use shows there).
async fn time_start(
    child: &mut tokio::process::Child,
    started: Instant,
) -> anyhow::Result<(Duration, Resident, Resident)> {
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let Some(line) = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .context("no address printed within 30 s")??
        else {
            bail!("formwork serve exited before listening");
        };
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.trim_end_matches('/').parse::<std::net::SocketAddr>()?;
        }
    };
    let up = loop {
        if let Ok(mut conn) = http::Conn::open(addr).await
            && conn
                .request("GET", "/healthz", &[], b"")
                .await
                .is_ok_and(|r| r.status == 200)
        {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("/healthz did not answer 200 within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = child.id().context("the server exited")?;
    let idle = Resident::of(pid)?;
    let reply = http::Conn::open(addr)
        .await?
        .request("GET", "/api/v1/me", &[], b"")
        .await?;
    if reply.status != 401 {
        bail!("GET /api/v1/me without a session answered {}", reply.status);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok((up, idle, Resident::of(pid)?))
}
