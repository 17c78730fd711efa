//! Support for `formwork bench`: a synthetic export of many rows, and the process's peak
//! memory, so the bench can print time and peak RSS for 100k rows.
//!
//! Rows are built into one reused buffer, so the export's own allocations per row stay a
//! handful of strings.

use std::io::Write;

use formwork_reports::ir::{OutputColumn, ValueType};
use serde_json::Value;

use crate::SheetError;
use crate::export::write_xlsx;

/// The columns of the synthetic export: one of each kind a project list has.
pub fn synthetic_columns() -> Vec<OutputColumn> {
    let col = |key: &str, label: &str, value_type| OutputColumn {
        key: key.into(),
        label: label.into(),
        value_type,
    };
    vec![
        col("number", "编号", ValueType::Text),
        col("name", "项目名称", ValueType::Text),
        col("customer", "客户", ValueType::Text),
        col("region", "区域", ValueType::Text),
        col("amount", "预计金额（元）", ValueType::Money),
        col("start_date", "开始日期", ValueType::Date),
        col("created_at", "创建时间", ValueType::Datetime),
        col("owner", "提交人", ValueType::User),
    ]
}

/// Synthetic row `i` written into `row` (cleared first).
pub fn synthetic_row(i: u64, row: &mut Vec<Value>) {
    const REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];
    row.clear();
    row.push(Value::String(format!("PRJ-2026-{i:06}")));
    row.push(Value::String(format!("项目 {i}")));
    row.push(Value::String(format!("客户 {}", i % 997)));
    row.push(Value::String(REGIONS[(i % 7) as usize].to_owned()));
    row.push(Value::String(format!(
        "{}.{:02}",
        1000 + i * 37 % 1_000_000,
        i % 100
    )));
    row.push(Value::String(format!(
        "2026-{:02}-{:02}",
        i % 12 + 1,
        i % 28 + 1
    )));
    row.push(Value::String(format!(
        "2026-{:02}-{:02}T{:02}:30:00Z",
        i % 12 + 1,
        i % 28 + 1,
        i % 24
    )));
    row.push(Value::String(format!("sales{}", i % 50)));
}

/// Writes `n` synthetic rows as XLSX to `out`; the number written.
pub fn export_synthetic_xlsx<W: Write + Send>(out: W, n: u64) -> Result<u64, SheetError> {
    let columns = synthetic_columns();
    let mut buffer = Vec::with_capacity(columns.len());
    let rows = (0..n).map(move |i| {
        synthetic_row(i, &mut buffer);
        buffer.clone()
    });
    write_xlsx(out, &columns, rows, "Sheet1", None)
}

/// The peak resident memory of this process in KiB (`VmHWM`), where the OS tells it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
