//! The deterministic benchmark dataset: project registrations generated from their index,
//! seeded through the runtime (validated by the real form, numbered, audited, their approval
//! started), then — so that a million records take seconds, not an hour — multiplied by SQL:
//! each copy `k` repeats every seeded record with its instance, tasks and timers under ids
//! whose first eight hex digits are `k` (older than any real UUID v7), up to a number of open
//! instances; beyond that, as history: the record decided (one copy in eight rejected, the
//! rest approved), its instance ended and its open tasks done, each after 0–96 hours, so the
//! process KPIs have a million decisions to read.

use std::sync::Arc;

use anyhow::Context;
use formwork_runtime::Account;
use formwork_runtime::{Caller, Runtime};
use formwork_store::{AppId, FormId};
use serde_json::{Value, json};
use time::OffsetDateTime;

const REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];
const LINES: [&str; 4] = ["software", "integration", "operations", "consulting"];

/// Project number `i`: the same data every run.
pub fn project(i: usize) -> Value {
    let amount = (i * 7919) % 300_000;
    let month = 1 + i % 12;
    json!({
        "name": format!("基准项目 {i:06}"),
        "customer": format!("客户 {:04} 有限公司", i % 997),
        "contact_phone": format!("138{:08}", i % 100_000_000),
        "amount": format!("{amount}.{:02}", i % 100),
        "business_line": LINES[i % LINES.len()],
        "region": REGIONS[i % REGIONS.len()],
        "start_date": format!("2026-{month:02}-01"),
        "end_date": format!("2027-{month:02}-28"),
        "milestones": [{"title": "启动", "due_date": format!("2026-{month:02}-15")}],
    })
}

/// Submits projects `from..to` as `owner`, several at a time.
pub async fn seed(
    runtime: &Arc<Runtime>,
    owner: &Account,
    from: usize,
    to: usize,
) -> anyhow::Result<()> {
    let caller = runtime
        .caller(owner.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = AppId::parse(crate::SAMPLE_APP_ID)?;
    let form = FormId::parse("project")?;
    let workers = 8;
    let mut handles = Vec::new();
    for w in 0..workers {
        let runtime = runtime.clone();
        let caller: Caller = caller.clone();
        let (app, form) = (app.clone(), form.clone());
        handles.push(tokio::spawn(async move {
            let mut i = from + w;
            while i < to {
                runtime
                    .submit_record(
                        &caller,
                        &app,
                        &form,
                        &project(i),
                        None,
                        OffsetDateTime::now_utc(),
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("seeding project {i}: {e}"))?;
                i += workers;
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await.context("seeding task")??;
    }
    Ok(())
}

/// How far the dataset has grown, and from what.
#[derive(Default)]
pub struct Growth {
    /// Records seeded through the runtime: the templates of every copy.
    pub templates: usize,
    /// The last template's id (every template's id is at most this and starts with `01`).
    pub last_template: String,
    /// Copies made so far (copy `k` for `k` in `1..=copies`).
    pub copies: usize,
}

/// Copies `k` in `from..=to` of every template record; with `process`, their instances,
/// tasks and timers too. `{hex}` is the dialect's eight-digit hex of `k.n`; the other
/// placeholders say what a copy keeps of its template ([`AS_IS`], [`DECIDED`]).
const COPY_RECORDS: &str = "WITH RECURSIVE k(n) AS (SELECT CAST($1 AS BIGINT) UNION ALL \
     SELECT n + 1 FROM k WHERE n < $2) \
     INSERT INTO records (id, app_id, form_id, app_version, number, owner_id, department_id, \
     status, data, rev, created_at, updated_at) \
     SELECT {hex} || substr(r.id, 9), r.app_id, r.form_id, r.app_version, \
     r.number || '.' || CAST(k.n AS TEXT), r.owner_id, r.department_id, {status}, {data}, \
     r.rev, r.created_at, r.updated_at \
     FROM k, records r WHERE r.app_id = $3 AND r.id >= '01' AND r.id <= $4";
const COPY_INSTANCES: &str = "WITH RECURSIVE k(n) AS (SELECT CAST($1 AS BIGINT) UNION ALL \
     SELECT n + 1 FROM k WHERE n < $2) \
     INSERT INTO process_instances (id, record_id, app_id, process_id, app_version, state, \
     status, stopped_node, version, created_at, updated_at) \
     SELECT {hex} || substr(i.id, 9), {hex} || substr(i.record_id, 9), i.app_id, \
     i.process_id, i.app_version, {state}, {instance_status}, i.stopped_node, i.version, \
     i.created_at, i.updated_at \
     FROM k, process_instances i WHERE i.app_id = $3 AND i.record_id >= '01' \
     AND i.record_id <= $4";
const COPY_TASKS: &str = "WITH RECURSIVE k(n) AS (SELECT CAST($1 AS BIGINT) UNION ALL \
     SELECT n + 1 FROM k WHERE n < $2) \
     INSERT INTO tasks (id, instance_id, key, node_id, assignee_id, status, action, comment, \
     decided_by, created_at, decided_at, due_at, round, kind) \
     SELECT {hex} || substr(t.id, 9), {hex} || substr(t.instance_id, 9), t.key, t.node_id, \
     t.assignee_id, {task_status}, {action}, t.comment, {decided_by}, t.created_at, \
     {decided_at}, t.due_at, t.round, t.kind \
     FROM k, tasks t JOIN process_instances i ON i.id = t.instance_id \
     WHERE i.app_id = $3 AND i.record_id >= '01' AND i.record_id <= $4";
const COPY_TIMERS: &str = "WITH RECURSIVE k(n) AS (SELECT CAST($1 AS BIGINT) UNION ALL \
     SELECT n + 1 FROM k WHERE n < $2) \
     INSERT INTO timers (id, instance_id, key, kind, fire_at, fired_at, cancelled_at) \
     SELECT {hex} || substr(t.id, 9), {hex} || substr(t.instance_id, 9), t.key, t.kind, \
     t.fire_at, t.fired_at, t.cancelled_at \
     FROM k, timers t JOIN process_instances i ON i.id = t.instance_id \
     WHERE i.app_id = $3 AND i.record_id >= '01' AND i.record_id <= $4";

/// A history copy's outcome: one in eight rejected, the rest approved.
pub(super) const OUTCOME: &str = "CASE WHEN k.n % 8 = 0 THEN 'rejected' ELSE 'approved' END";
/// A finished project's actual cost in 分: 80–120 % of its amount.
pub(super) const COST_CENTS: &str =
    "(CAST(replace(r.data ->> 'amount', '.', '') AS BIGINT) * (80 + k.n % 41) / 100)";

/// An open copy: everything as its template has it.
const AS_IS: [(&str, &str); 8] = [
    ("{status}", "r.status"),
    ("{data}", "r.data"),
    ("{state}", "i.state"),
    ("{instance_status}", "i.status"),
    ("{task_status}", "t.status"),
    ("{action}", "t.action"),
    ("{decided_by}", "t.decided_by"),
    ("{decided_at}", "t.decided_at"),
];
/// A history copy of a template still in review: the record decided with its copy's outcome
/// (an approved one finished with an actual end date and cost, the dialect's `{finished}`),
/// the instance ended (`{ended}`), each open task done by its assignee `{decided}` (0–96
/// hours after it opened), approving or rejecting.
const DECIDED: [(&str, &str); 8] = [
    (
        "{status}",
        "CASE WHEN r.status <> 'in_review' THEN r.status \
         WHEN k.n % 8 = 0 THEN 'rejected' ELSE 'approved' END",
    ),
    ("{data}", "{finished}"),
    (
        "{state}",
        "CASE WHEN i.status = 'running' THEN {ended} ELSE i.state END",
    ),
    (
        "{instance_status}",
        "CASE WHEN i.status = 'running' THEN {outcome} ELSE i.status END",
    ),
    (
        "{task_status}",
        "CASE WHEN t.status = 'open' THEN 'done' ELSE t.status END",
    ),
    (
        "{action}",
        "CASE WHEN t.status = 'open' THEN \
         (CASE WHEN k.n % 8 = 0 THEN 'reject' ELSE 'approve' END) ELSE t.action END",
    ),
    (
        "{decided_by}",
        "CASE WHEN t.status = 'open' THEN t.assignee_id ELSE t.decided_by END",
    ),
    (
        "{decided_at}",
        "CASE WHEN t.status = 'open' THEN {decided} ELSE t.decided_at END",
    ),
];

/// `sql` with each placeholder of `copying` filled in.
fn filled(sql: &str, copying: &[(&str, &str)]) -> String {
    copying
        .iter()
        .fold(sql.to_owned(), |sql, (from, to)| sql.replace(from, to))
}

impl Growth {
    /// Grows the dataset to at least `to` records: the first call seeds `templates` through
    /// the runtime, later copies are made by SQL, with their processes while the open
    /// instances stay within `open_instances`. Returns how it was done, for the output.
    pub async fn grow(
        &mut self,
        runtime: &Arc<Runtime>,
        raw: &super::raw::Pool,
        owner: &Account,
        (templates, to, open_instances): (usize, usize, usize),
    ) -> anyhow::Result<String> {
        let mut how = Vec::new();
        if self.templates == 0 {
            self.templates = templates.min(to).max(1);
            let started = std::time::Instant::now();
            seed(runtime, owner, 0, self.templates).await?;
            self.last_template = raw.last_record_id(crate::SAMPLE_APP_ID).await?;
            how.push(format!(
                "{} through the runtime in {:.1} s",
                self.templates,
                started.elapsed().as_secs_f64()
            ));
        }
        let have = self.templates * (self.copies + 1);
        if to > have {
            let copies = (to - have).div_ceil(self.templates);
            let (first, last) = (self.copies + 1, self.copies + copies);
            let with_process = (open_instances / self.templates)
                .saturating_sub(1)
                .min(last);
            let started = std::time::Instant::now();
            let mut runs = Vec::new();
            if with_process >= first {
                let sqls = [COPY_RECORDS, COPY_INSTANCES, COPY_TASKS, COPY_TIMERS];
                runs.extend(sqls.map(|sql| (filled(sql, &AS_IS), first, with_process)));
            }
            let history = first.max(with_process + 1);
            if last >= history {
                let sqls = [COPY_RECORDS, COPY_INSTANCES, COPY_TASKS];
                runs.extend(sqls.map(|sql| (filled(sql, &DECIDED), history, last)));
            }
            for (sql, from, to) in runs {
                raw.copy(&sql, from, to, crate::SAMPLE_APP_ID, &self.last_template)
                    .await
                    .with_context(|| format!("copying the dataset: {sql}"))?;
            }
            self.copies = last;
            how.push(format!(
                "{} copied by SQL in {:.1} s (INSERT … SELECT, copies {first}–{last}; \
                 with open instances, tasks and timers up to copy {with_process}, \
                 decided beyond)",
                copies * self.templates,
                started.elapsed().as_secs_f64()
            ));
        }
        Ok(how.join(", "))
    }
}
