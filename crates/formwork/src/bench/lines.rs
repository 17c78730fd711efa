//! The sequential lines: one client, our request beside its floor, one of each in turn.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{Value, json};

use super::cost::Meter;
use super::counting::Tally;
use super::stats::{Samples, ms};
use super::{Actors, RECORDS, dataset, http, raw};

/// Times one future.
pub(crate) async fn timed<T>(
    f: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<(T, Duration)> {
    let t = Instant::now();
    let out = f.await?;
    Ok((out, t.elapsed()))
}

/// Samples of our operation and its two floors, warm-up excluded.
#[derive(Default)]
struct Trio {
    ours: Samples,
    db: Samples,
    http: Samples,
}

impl Trio {
    fn push(&mut self, measured: bool, ours: Duration, db: Duration, http: Duration) {
        if measured {
            self.ours.push(ours);
            self.db.push(db);
            self.http.push(http);
        }
    }

    fn print_rates(&self, label: &str) {
        let floor = 1.0 / (1.0 / self.db.rate() + 1.0 / self.http.rate());
        println!(
            "{label} ours {:>7.0}/s (p50 {})  raw tx {:>7.0}/s  echo {:>7.0}/s  floor {:>7.0}/s  ratio {:>5.1}%",
            self.ours.rate(),
            ms(self.ours.p50()),
            self.db.rate(),
            self.http.rate(),
            floor,
            100.0 * self.ours.rate() / floor
        );
    }
}

pub(crate) struct Lines<'a> {
    pub server: SocketAddr,
    pub echo: SocketAddr,
    pub raw: &'a raw::Pool,
    pub actors: &'a Actors,
    pub ops: usize,
    pub tally: Arc<Tally>,
}

impl Lines<'_> {
    /// A meter for one line's requests.
    pub async fn meter(&self) -> anyhow::Result<Meter> {
        Ok(Meter::new(
            self.tally.clone(),
            self.raw.formwork_backends().await?,
        ))
    }

    pub fn warmup(&self) -> usize {
        self.ops / 10
    }

    /// Submissions over HTTP beside raw inserts; with `assignee`, the form has a process and
    /// the raw side starts one too. Returns the raw starts, to be decided later.
    pub async fn submissions(
        &self,
        path: &str,
        assignee: Option<&formwork_runtime::Account>,
        label: &str,
    ) -> anyhow::Result<Vec<raw::Started>> {
        let mut ours_conn = http::Conn::open(self.server).await?;
        let mut echo_conn = http::Conn::open(self.echo).await?;
        let headers = [
            ("Content-Type", "application/json"),
            ("Cookie", self.actors.sales_cookie.as_str()),
        ];
        let mut trio = Trio::default();
        let mut meter = self.meter().await?;
        let mut started = Vec::new();
        for i in 0..self.ops + self.warmup() {
            // Under 50,000 from sales1: one approval by their department head, then the end.
            let mut data = dataset::project(1_000_000 + i);
            data["amount"] = json!(format!("{}.00", 1000 + i % 40_000));
            data["region"] = json!("华南");
            let body = data.to_string();
            let mark = meter.mark();
            let (reply, d_ours) =
                timed(ours_conn.request("POST", path, &headers, body.as_bytes())).await?;
            meter.stop(mark, i >= self.warmup());
            if reply.status != 201 {
                bail!(
                    "submission failed ({}): {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            let assignee_id = assignee.map(|u| u.id.as_str());
            let (ids, d_raw) = timed(self.raw.insert_record(
                &self.actors.sales,
                &data,
                assignee_id,
            ))
            .await?;
            let (_, d_echo) =
                timed(echo_conn.request("POST", "/echo", &headers, body.as_bytes())).await?;
            trio.push(i >= self.warmup(), d_ours, d_raw, d_echo);
            started.push(ids);
        }
        trio.print_rates(label);
        println!("{}", meter.summary());
        Ok(started)
    }

    /// Approving tasks over HTTP beside the same updates done raw, each side on the tasks its
    /// own `submit+flow` line just created: the same age and the same route (one approval by
    /// the department head, then the end), so both write the same rows to equally warm pages.
    pub async fn decisions(&self, raw_started: Vec<raw::Started>) -> anyhow::Result<()> {
        let mut store_tasks = self.open_task_ids().await?;
        store_tasks.truncate(raw_started.len());
        if store_tasks.len() < raw_started.len() {
            bail!("only {} open tasks to decide", store_tasks.len());
        }
        // Oldest first, as the raw side decides its own.
        store_tasks.reverse();
        let mut trio = Trio::default();
        let mut meter = self.meter().await?;
        let mut decider = Decider::open(self).await?;
        for (i, (task, started)) in store_tasks.iter().zip(&raw_started).enumerate() {
            let mark = meter.mark();
            let d_ours = decider.approve(task).await?;
            meter.stop(mark, i >= self.warmup());
            let (_, d_raw) = timed(self.raw.decide(started, &self.actors.manager)).await?;
            let d_echo = decider.echo().await?;
            trio.push(i >= self.warmup(), d_ours, d_raw, d_echo);
        }
        trio.print_rates("decide     ");
        println!("{}", meter.summary());
        Ok(())
    }

    /// Approving the oldest open tasks: rows seeded long before, cold in the caches of a large
    /// database, some going on to a next step. No floor does the same work, so the line gives
    /// our time alone. It runs after the other lines, whose inbox it would empty.
    pub async fn old_decisions(&self) -> anyhow::Result<()> {
        let mut tasks = self.open_task_ids().await?;
        tasks.reverse();
        tasks.truncate(self.ops + self.warmup());
        if tasks.len() <= self.warmup() {
            println!(
                "decide old  not measured: the manager has only {} open tasks left",
                tasks.len()
            );
            return Ok(());
        }
        let mut samples = Samples::default();
        let mut meter = self.meter().await?;
        let mut decider = Decider::open(self).await?;
        for (i, task) in tasks.iter().enumerate() {
            let mark = meter.mark();
            let d = decider.approve(task).await?;
            meter.stop(mark, i >= self.warmup());
            if i >= self.warmup() {
                samples.push(d);
            }
        }
        println!(
            "decide old  ours {:>7.0}/s (p50 {})  (the oldest open tasks: seeded rows, some going on to a next step; no floor)",
            samples.rate(),
            ms(samples.p50()),
        );
        println!("{}", meter.summary());
        Ok(())
    }

    /// The manager's open tasks, newest first, read through the inbox API.
    pub async fn open_task_ids(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = http::Conn::open(self.server).await?;
        let headers = [("Cookie", self.actors.manager_cookie.as_str())];
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/api/v1/tasks?box=todo&limit=100&after={a}"),
                None => "/api/v1/tasks?box=todo&limit=100".to_owned(),
            };
            let reply = conn.request("GET", &path, &headers, b"").await?;
            if reply.status != 200 {
                bail!(
                    "GET {path}: {} {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            let page: Value = serde_json::from_slice(&reply.body)?;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            // The raw side's rows share the tables (its numbers start with RAW-): skip them.
            ids.extend(
                items
                    .iter()
                    .filter(|t| {
                        !t["record"]["number"]
                            .as_str()
                            .is_some_and(|n| n.starts_with("RAW-"))
                    })
                    .filter_map(|t| t["task"]["id"].as_str().map(str::to_owned)),
            );
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        Ok(ids)
    }

    pub async fn list(&self) -> anyhow::Result<()> {
        let mut ours_conn = http::Conn::open(self.server).await?;
        let mut echo_conn = http::Conn::open(self.echo).await?;
        let path = format!("{RECORDS}?filter=region:eq:%E5%8D%8E%E4%B8%9C&limit=20");
        let headers = [("Cookie", self.actors.sales_cookie.as_str())];
        let mut trio = Trio::default();
        let mut meter = self.meter().await?;
        for i in 0..self.ops + self.warmup() {
            let mark = meter.mark();
            let (reply, d_ours) = timed(ours_conn.request("GET", &path, &headers, b"")).await?;
            meter.stop(mark, i >= self.warmup());
            if reply.status != 200 {
                bail!(
                    "list failed ({}): {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            let (rows, d_raw) = timed(self.raw.first_page(&self.actors.sales, "华东", 21)).await?;
            if rows == 0 {
                bail!("the raw list found nothing: the dataset is wrong");
            }
            let (_, d_echo) =
                timed(echo_conn.request("POST", "/echo", &headers, &reply.body)).await?;
            trio.push(i >= self.warmup(), d_ours, d_raw, d_echo);
        }
        let extra = trio
            .ours
            .p50()
            .saturating_sub(trio.db.p50() + trio.http.p50());
        println!(
            "list p50    ours {}  raw SQL {}  echo of the page {}  ours − (raw + echo) = {}",
            ms(trio.ours.p50()),
            ms(trio.db.p50()),
            ms(trio.http.p50()),
            ms(extra)
        );
        println!("{}", meter.summary());
        Ok(())
    }

    /// The manager's first inbox page (20 open tasks, newest first), alone.
    pub async fn inbox(&self) -> anyhow::Result<()> {
        let mut conn = http::Conn::open(self.server).await?;
        let headers = [("Cookie", self.actors.manager_cookie.as_str())];
        let mut samples = Samples::default();
        let mut meter = self.meter().await?;
        for i in 0..self.ops + self.warmup() {
            let mark = meter.mark();
            let (reply, d) =
                timed(conn.request("GET", "/api/v1/tasks?box=todo&limit=20", &headers, b""))
                    .await?;
            meter.stop(mark, i >= self.warmup());
            if reply.status != 200 {
                bail!(
                    "inbox failed ({}): {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            if i >= self.warmup() {
                samples.push(d);
            }
        }
        println!(
            "inbox p50   ours {}  ({:.0}/s, first page of 20 open tasks)",
            ms(samples.p50()),
            samples.rate()
        );
        println!("{}", meter.summary());
        Ok(())
    }
}

/// The manager approving tasks over HTTP, with the echo of the same request beside.
struct Decider<'h> {
    ours: http::Conn,
    echo: http::Conn,
    headers: [(&'static str, &'h str); 2],
    body: String,
}

impl<'h> Decider<'h> {
    async fn open(lines: &'h Lines<'_>) -> anyhow::Result<Decider<'h>> {
        Ok(Decider {
            ours: http::Conn::open(lines.server).await?,
            echo: http::Conn::open(lines.echo).await?,
            headers: [
                ("Content-Type", "application/json"),
                ("Cookie", lines.actors.manager_cookie.as_str()),
            ],
            body: json!({"action": "approve", "comment": "同意"}).to_string(),
        })
    }

    /// Approves `task`; its time.
    async fn approve(&mut self, task: &str) -> anyhow::Result<Duration> {
        let path = format!("/api/v1/tasks/{task}/decide");
        let (reply, d) =
            timed(
                self.ours
                    .request("POST", &path, &self.headers, self.body.as_bytes()),
            )
            .await?;
        if reply.status != 200 {
            bail!(
                "decision on task {task} failed ({}): {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            );
        }
        Ok(d)
    }

    /// The echo server's time for the same request.
    async fn echo(&mut self) -> anyhow::Result<Duration> {
        let (_, d) = timed(
            self.echo
                .request("POST", "/echo", &self.headers, self.body.as_bytes()),
        )
        .await?;
        Ok(d)
    }
}
