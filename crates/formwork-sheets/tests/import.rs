//! Importing a user's 10k-row workbook with three bad rows, the error report, and the
//! synthetic bench export.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::Read;

use formwork_forms::CompiledForm;
use formwork_model::parse_package;
use formwork_sheets::read::SheetFormat;
use formwork_sheets::{Directory, Mapping, read_grid, rows, write_error_report};
use rust_xlsxwriter::{Format, Workbook};

const PACKAGE: &str = include_str!("../../../apps/project-registration.json");

struct Nobody;

impl Directory for Nobody {
    fn user(&self, _: &str) -> Option<String> {
        None
    }
    fn department(&self, _: &str) -> Option<String> {
        None
    }
}

fn project_form() -> CompiledForm {
    let app = parse_package(PACKAGE).unwrap();
    CompiledForm::compile("project-registration@1", app.form("project").unwrap()).unwrap()
}

/// A workbook as a person would make it: Chinese headers, typed numbers and dates.
fn workbook(rows: u32, bad: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in ["项目名称", "客户", "预计金额（元）", "区域", "开始日期"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let regions = ["华东", "华北", "华南"];
    for r in 1..=rows {
        ws.write_string(r, 0, format!("项目{r}")).unwrap();
        ws.write_string(r, 1, format!("客户{}", r % 50)).unwrap();
        ws.write_number(r, 2, f64::from(r) * 10.25).unwrap();
        ws.write_string(r, 3, regions[(r % 3) as usize]).unwrap();
        ws.write_number_with_format(r, 4, 46082.0 + f64::from(r % 300), &date)
            .unwrap();
    }
    for (r, c, text) in bad {
        ws.write_string(*r, *c, *text).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_10k_row_workbook_with_three_bad_rows_reports_exactly_those_cells() {
    let form = project_form();
    let writable: BTreeSet<String> = form.fields().iter().map(|f| f.key.clone()).collect();
    let bytes = workbook(
        10_000,
        &[
            (17, 2, "一百万"),
            (5_000, 4, "2026-02-30"),
            (9_999, 3, "火星"),
        ],
    );
    let grid = read_grid(&bytes, SheetFormat::Xlsx).unwrap();
    assert_eq!(grid.rows.len(), 10_000);
    let mapping = Mapping::auto(&grid.header, &form, &writable);
    assert_eq!(
        mapping.columns,
        ["name", "customer", "amount", "region", "start_date"].map(|k| Some(k.to_owned()))
    );
    let all: Vec<_> = rows(&grid, &mapping, &form, &Nobody).collect();
    let errors: Vec<(usize, &str, &str, &str)> = all
        .iter()
        .flat_map(|r| &r.errors)
        .map(|e| (e.row, e.column.as_str(), e.cell.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (17, "预计金额（元）", "C18", "bad_money"),
            (5_000, "开始日期", "E5001", "not_a_date"),
            (9_999, "区域", "D10000", "unknown_option"),
        ]
    );
    let first = &all[0];
    assert_eq!(first.data["amount"], "10.25");
    assert_eq!(first.data["start_date"], "2026-03-02");
    assert_eq!(first.data["region"], "华北");
    assert_eq!(
        all[9_998].errors[0].message.get("zh-CN"),
        "「区域」没有选项“火星”"
    );
}

#[test]
fn the_error_report_marks_the_bad_cells_and_lists_the_problems() {
    let form = project_form();
    let writable: BTreeSet<String> = form.fields().iter().map(|f| f.key.clone()).collect();
    let bytes = workbook(5, &[(2, 2, "很多")]);
    let grid = read_grid(&bytes, SheetFormat::Xlsx).unwrap();
    let mapping = Mapping::auto(&grid.header, &form, &writable);
    let errors: Vec<_> = rows(&grid, &mapping, &form, &Nobody)
        .flat_map(|r| r.errors)
        .collect();
    let mut report = Vec::new();
    write_error_report(&mut report, &grid, &errors, "zh-CN").unwrap();
    let back = read_grid(&report, SheetFormat::Xlsx).unwrap();
    assert_eq!(back.header.last().unwrap(), "错误说明");
    assert_eq!(back.rows.len(), 5);
    assert_eq!(
        back.rows[1].last().unwrap(),
        &formwork_sheets::RawCell::Text("C3: 「预计金额（元）」须为金额，最多两位小数".into())
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&report)).unwrap();
    let mut comments = String::new();
    zip.by_name("xl/comments1.xml")
        .unwrap()
        .read_to_string(&mut comments)
        .unwrap();
    assert!(comments.contains("ref=\"C3\""), "{comments}");
    assert!(comments.contains("须为金额"), "{comments}");
    let mut styles = String::new();
    zip.by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(styles.contains("FFC7CE"), "the red fill is defined");
}

#[test]
fn the_synthetic_bench_export_writes_every_row() {
    let mut out = Vec::new();
    assert_eq!(
        formwork_sheets::bench::export_synthetic_xlsx(&mut out, 2_000).unwrap(),
        2_000
    );
    let grid = read_grid(&out, SheetFormat::Xlsx).unwrap();
    assert_eq!(grid.rows.len(), 2_000);
    assert_eq!(grid.header[0], "编号");
}
