//! The deterministic benchmark dataset: project registrations generated from their index, and
//! seeded through the store (validated by the real form, numbered, audited).

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
