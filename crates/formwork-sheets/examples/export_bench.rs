//! Writes N synthetic rows (default 100 000) as XLSX to a sink and prints the time taken and
//! the process's peak RSS: `cargo run --release -p formwork-sheets --example export_bench -- 100000`.

use std::time::Instant;

fn main() -> Result<(), formwork_sheets::SheetError> {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let before = formwork_sheets::bench::peak_rss_kib();
    let start = Instant::now();
    let written = formwork_sheets::bench::export_synthetic_xlsx(std::io::sink(), n)?;
    let took = start.elapsed();
    let after = formwork_sheets::bench::peak_rss_kib();
    println!(
        "xlsx export: {written} rows in {:.2} s; peak RSS {} KiB (before: {} KiB)",
        took.as_secs_f64(),
        after.map_or("?".into(), |k| k.to_string()),
        before.map_or("?".into(), |k| k.to_string()),
    );
    Ok(())
}
