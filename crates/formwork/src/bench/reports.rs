//! Export and import lines of `formwork bench` (the dashboard's are in `widgets`): a 100k-row
//! XLSX export with its time and peak memory; a 10k-row import, checked and committed through
//! the runtime, in rows per second.

use std::time::Instant;

use formwork_reports::ir::{OutputColumn, ValueType};
use formwork_runtime::reports::imports::{ImportOutcome, ImportUpload};
use formwork_runtime::{Account, Runtime};
use serde_json::{Value, json};

const APP: &str = "project-registration";

/// A 100k-row XLSX export: time and the process's peak memory.
pub(super) fn export_100k() -> anyhow::Result<()> {
    let file = tempfile::tempfile()?;
    let before = formwork_sheets::bench::peak_rss_kib();
    let t = Instant::now();
    let n = formwork_sheets::bench::export_synthetic_xlsx(file, 100_000)?;
    println!(
        "export {n} rows to XLSX: {:.2} s, peak RSS {} KiB (before {} KiB)",
        t.elapsed().as_secs_f64(),
        formwork_sheets::bench::peak_rss_kib().unwrap_or(0),
        before.unwrap_or(0)
    );
    Ok(())
}

fn import_sheet(rows: usize) -> anyhow::Result<Vec<u8>> {
    let column = |key: &str, value_type| OutputColumn {
        key: key.into(),
        label: key.into(),
        value_type,
    };
    let columns = [
        column("name", ValueType::Text),
        column("customer", ValueType::Text),
        column("amount", ValueType::Money),
        column("region", ValueType::Text),
        column("contact_phone", ValueType::Text),
    ];
    let regions = ["华东", "华南", "华北"];
    let data: Vec<Vec<Value>> = (0..rows)
        .map(|i| {
            vec![
                json!(format!("导入项目{i}")),
                json!("导入客户"),
                json!(format!("{}.{:02}", 1000 + i, i % 100)),
                json!(regions[i % 3]),
                json!("13800138000"),
            ]
        })
        .collect();
    let mut out = std::io::Cursor::new(Vec::new());
    formwork_sheets::write_xlsx(&mut out, &columns, data, "Sheet1", None)?;
    Ok(out.into_inner())
}

/// A 10k-row import as `sales`: check, then commit (each row numbered, its process started).
pub(super) async fn import_10k(
    runtime: &Runtime,
    sales: &Account,
    tag: usize,
) -> anyhow::Result<()> {
    let rows = 10_000;
    let mut bytes = import_sheet(rows)?;
    // A different file per run, so the duplicate check never refuses it.
    bytes.extend_from_slice(format!("{tag}").as_bytes());
    let caller = runtime
        .caller(sales.clone())
        .await
        .map_err(|e| anyhow::anyhow!("caller: {e}"))?;
    let app = APP.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let form = "project".parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = time::OffsetDateTime::now_utc();
    let t = Instant::now();
    let upload = ImportUpload {
        filename: "bench.xlsx".into(),
        bytes,
        ..ImportUpload::default()
    };
    let checked = runtime
        .upload_import(&caller, &app, &form, upload, now)
        .await
        .map_err(|e| anyhow::anyhow!("import check: {e}"))?;
    let check = t.elapsed();
    let ImportOutcome::Done(import) = checked else {
        anyhow::bail!("the bench sheet was imported already");
    };
    let t = Instant::now();
    runtime
        .commit_import(&caller, &import.id, now)
        .await
        .map_err(|e| anyhow::anyhow!("import commit: {e}"))?;
    let commit = t.elapsed();
    println!(
        "import {rows} rows: check {:.0} rows/s, commit {:.0} rows/s",
        rows as f64 / check.as_secs_f64(),
        rows as f64 / commit.as_secs_f64()
    );
    Ok(())
}
