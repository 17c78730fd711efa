//! What one request costs besides its time: store calls (reads and writes, by method), CPU of
//! this process while it ran, and — on PostgreSQL — CPU of the server's backends that serve
//! Formwork's pool (`application_name = 'formwork'`).
//!
//! The bench's client waits while the server works, so this process's CPU over a request is
//! the server's (the client's share — one write and one read — is small and the same for the
//! echo). SQLite runs inside the process, so its CPU is in there too.

use std::sync::Arc;
use std::time::Duration;

use rustix::time::{ClockId, clock_gettime};

use super::counting::{Calls, Tally};

/// CPU time this process has used so far (all threads).
pub fn process_cpu() -> Duration {
    // Linux's per-process CPU clock is exact (nanoseconds), unlike `/proc`'s 10 ms ticks.
    let t = clock_gettime(ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// CPU time of the given processes so far, from `/proc` (clock ticks of 10 ms; summed over a
/// whole line of requests, that is precise enough).
pub fn pids_cpu(pids: &[i32]) -> Duration {
    let mut ticks = 0u64;
    for pid in pids {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command (which may hold spaces), from field 3 on: utime is 14,
        // stime 15.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        for i in [11, 12] {
            ticks += fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_millis(ticks * 10)
}

/// Sums what each measured request cost.
pub struct Meter {
    tally: Arc<Tally>,
    /// PostgreSQL backends of Formwork's pool (empty on SQLite).
    db_pids: Vec<i32>,
    calls: Calls,
    cpu: Duration,
    db_cpu_at_start: Duration,
    /// Requests measured (warm-up excluded).
    requests: usize,
    /// Requests sent while the database's CPU was read, warm-up included.
    all_requests: usize,
}

/// The readings before one request.
pub struct Mark {
    calls: Calls,
    cpu: Duration,
}

impl Meter {
    pub fn new(tally: Arc<Tally>, db_pids: Vec<i32>) -> Meter {
        let db_cpu_at_start = pids_cpu(&db_pids);
        Meter {
            tally,
            db_pids,
            calls: Calls::default(),
            cpu: Duration::ZERO,
            db_cpu_at_start,
            requests: 0,
            all_requests: 0,
        }
    }

    pub fn mark(&self) -> Mark {
        Mark {
            calls: self.tally.snapshot(),
            cpu: process_cpu(),
        }
    }

    /// Counts the request begun at `mark` if it is `measured` (not warm-up).
    pub fn stop(&mut self, mark: Mark, measured: bool) {
        if measured {
            self.stop_n(mark, 1);
        } else {
            self.all_requests += 1;
        }
    }

    /// Counts `n` requests that ran since `mark`.
    pub fn stop_n(&mut self, mark: Mark, n: usize) {
        self.cpu += process_cpu().saturating_sub(mark.cpu);
        self.calls.add(&mark.calls.until(&self.tally.snapshot()));
        self.requests += n;
        self.all_requests += n;
    }

    /// One line: store calls and CPU per request.
    pub fn summary(&self) -> String {
        let n = self.requests.max(1);
        let per = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1000.0 / n as f64);
        let db = if self.db_pids.is_empty() {
            String::new()
        } else {
            let db_cpu = pids_cpu(&self.db_pids).saturating_sub(self.db_cpu_at_start);
            let all = self.all_requests.max(1) as f64;
            format!(
                ", PostgreSQL CPU {:.3} ms",
                db_cpu.as_secs_f64() * 1000.0 / all
            )
        };
        format!(
            "            per request: {:.1} store reads, {:.1} writes; CPU {}{db}\n            calls: {}",
            self.calls.reads as f64 / n as f64,
            self.calls.writes as f64 / n as f64,
            per(self.cpu),
            self.calls.per_op(n),
        )
    }
}
