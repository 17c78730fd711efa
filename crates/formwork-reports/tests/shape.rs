//! Plans evaluated in Rust and shaped: exact money, percent of total, top N with others,
//! date buckets in Asia/Shanghai, task KPIs, listings with totals, and the record views.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{project, record, sample, task};
use formwork_reports::eval::Rows;
use formwork_reports::views::{calendar_events, gantt_bars, kanban_lanes};
use formwork_reports::{evaluate, shape};
use serde_json::{Value, json};

fn table(s: &common::Sample, id: &str, rows: Rows<'_>, lang: &str) -> Value {
    let report = s.report(id);
    let plan = s
        .plan_as(&report, &s.all_fields, lang, &Default::default())
        .unwrap();
    let (cells, totals) = evaluate(&plan, rows);
    serde_json::to_value(shape(&plan, cells, totals, lang).unwrap()).unwrap()
}

#[test]
fn money_sums_are_exact_decimal_strings() {
    let s = sample();
    let records = vec![
        project("1", "甲", "华东", "0.10"),
        project("2", "乙", "华东", "0.20"),
        project("3", "丙", "华北", "99999999999.99"),
        project("4", "丁", "华北", "0.01"),
    ];
    let t = table(&s, "amount_by_region", Rows::Records(&records), "zh-CN");
    assert_eq!(
        t,
        json!({
            "columns": [
                {"key": "region", "label": "区域", "type": "text"},
                {"key": "sum_amount", "label": "预计金额（元）", "type": "money"}
            ],
            "rows": [["华东", "0.30"], ["华北", "100000000000.00"]]
        })
    );
}

#[test]
fn select_keys_show_option_labels_in_the_viewer_language() {
    let s = sample();
    let records = vec![project("1", "甲", "华东", "1.00")];
    let t = table(&s, "amount_by_region", Rows::Records(&records), "en");
    assert_eq!(t["rows"], json!([["East China", "1.00"]]));
    assert_eq!(t["columns"][0]["label"], "Region");
}

#[test]
fn top_n_folds_the_rest_into_others_and_shares_add_up_over_all_groups() {
    let s = sample();
    let records: Vec<_> = [
        ("A", "500.00"),
        ("B", "300.00"),
        ("C", "100.00"),
        ("D", "60.00"),
        ("E", "30.00"),
        ("F", "7.50"),
        ("G", "2.50"),
        ("A", "0.00"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (c, a))| project(&i.to_string(), c, "华东", a))
    .collect();
    let t = table(&s, "top_customers", Rows::Records(&records), "zh-CN");
    assert_eq!(
        t["rows"],
        json!([
            ["A", "500.00", 50],
            ["B", "300.00", 30],
            ["C", "100.00", 10],
            ["D", "60.00", 6],
            ["E", "30.00", 3],
            ["其他", "10.00", 1]
        ])
    );
}

#[test]
fn averages_of_folded_groups_divide_the_folded_sums_not_average_the_averages() {
    let s = sample();
    let mut report = s.report("top_customers");
    report.measures =
        serde_json::from_value(json!([{"fn": "avg", "field": "amount"}, {"fn": "count"}])).unwrap();
    report.sort = serde_json::from_value(json!([{"by": "count", "desc": true}])).unwrap();
    report.top = Some(formwork_model::TopDef { n: 1, others: true });
    let records = vec![
        project("1", "A", "华东", "10.00"),
        project("2", "A", "华东", "20.00"),
        project("3", "A", "华东", "30.00"),
        project("4", "B", "华东", "1.00"),
        project("5", "C", "华东", "2.00"),
        project("6", "C", "华东", "4.00"),
    ];
    let plan = s.plan(&report);
    let (cells, _) = evaluate(&plan, Rows::Records(&records));
    let t = shape(&plan, cells, None, "en").unwrap();
    // Others: (1 + 2 + 4) / 3 = 2.33 (the average of averages would be 2.00).
    assert_eq!(
        t.rows,
        vec![
            vec![json!("A"), json!("20.00"), json!(3)],
            vec![json!("Others"), json!("2.33"), json!(3)]
        ]
    );
}

#[test]
fn month_buckets_follow_the_shanghai_calendar() {
    let s = sample();
    let records = vec![
        // 2026-03-31 23:30 UTC is 2026-04-01 07:30 in Shanghai.
        record("1", "2026-03-31T23:30:00Z", json!({"name": "项目一"})),
        record("2", "2026-03-31T15:59:59Z", json!({"name": "项目二"})),
        record("3", "2026-03-31T16:00:00Z", json!({"name": "项目三"})),
    ];
    let zh = table(
        &s,
        "registrations_per_month",
        Rows::Records(&records),
        "zh-CN",
    );
    assert_eq!(zh["rows"], json!([["2026年3月", 1], ["2026年4月", 2]]));
    let en = table(&s, "registrations_per_month", Rows::Records(&records), "en");
    assert_eq!(en["rows"], json!([["2026-03", 1], ["2026-04", 2]]));
}

#[test]
fn week_quarter_and_year_buckets_have_their_first_day_and_labels() {
    use formwork_reports::eval::bucket_start;
    use formwork_reports::ir::Bucket;
    use formwork_reports::labels::bucket;
    let d = |s: &str| formwork_reports::filters::parse_date(s).unwrap();
    assert_eq!(bucket_start(Bucket::Week, d("2026-01-01")), d("2025-12-29"));
    assert_eq!(
        bucket("zh-CN", Bucket::Week, d("2025-12-29")),
        "2026年第1周"
    );
    assert_eq!(bucket("en", Bucket::Week, d("2025-12-29")), "2026-W01");
    assert_eq!(
        bucket_start(Bucket::Quarter, d("2026-08-15")),
        d("2026-07-01")
    );
    assert_eq!(
        bucket("zh-CN", Bucket::Quarter, d("2026-07-01")),
        "2026年第3季度"
    );
    assert_eq!(bucket("en", Bucket::Quarter, d("2026-07-01")), "2026 Q3");
    assert_eq!(bucket_start(Bucket::Year, d("2026-08-15")), d("2026-01-01"));
    assert_eq!(bucket("zh-CN", Bucket::Year, d("2026-01-01")), "2026年");
}

#[test]
fn step_time_kpi_gives_average_and_p90_per_step_in_seconds() {
    let s = sample();
    let tasks = vec![
        task(
            "director_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-01T01:00:00Z"),
            None,
        ),
        task(
            "director_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-01T03:00:00Z"),
            None,
        ),
        task(
            "director_approval",
            Some("reject"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-01T11:00:00Z"),
            None,
        ),
        task(
            "ceo_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-01T00:00:30Z"),
            None,
        ),
        // Open tasks do not count.
        task("ceo_approval", None, "2026-06-01T00:00:00Z", None, None),
    ];
    let t = table(
        &s,
        "kpi-registration_approval-step_time",
        Rows::Tasks(&tasks),
        "zh-CN",
    );
    assert_eq!(
        t["columns"][1],
        json!({"key": "avg_time", "label": "平均耗时", "type": "duration"})
    );
    // director: 3600, 10800, 39600 s: avg 18000; p90 = 10800 + 0.8 × 28800 = 33840.
    assert_eq!(
        t["rows"],
        json!([["总经理审批", 30, 30, 1], ["销售总监审批", 18000, 33840, 3]])
    );
}

#[test]
fn the_sample_average_hours_report_keeps_showing_hours() {
    let s = sample();
    let tasks = vec![
        task(
            "director_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-01T01:30:00Z"),
            None,
        ),
        task(
            "director_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-01T02:00:00Z"),
            None,
        ),
    ];
    let t = table(&s, "approval_time_by_step", Rows::Tasks(&tasks), "zh-CN");
    assert_eq!(t["rows"], json!([["销售总监审批", 1.75]]));
    assert_eq!(t["columns"][1]["type"], "number");
}

#[test]
fn outcome_and_overdue_rates_are_shares_of_the_steps_tasks() {
    let s = sample();
    let tasks = vec![
        task(
            "director_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-02T00:00:00Z"),
            Some("2026-06-03T00:00:00Z"),
        ),
        task(
            "director_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-04T00:00:00Z"),
            Some("2026-06-03T00:00:00Z"),
        ),
        task(
            "director_approval",
            Some("reject"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-02T00:00:00Z"),
            None,
        ),
        // Open and past due at NOW (2026-06-30): overdue; open and not yet due: not.
        task(
            "director_approval",
            None,
            "2026-06-01T00:00:00Z",
            None,
            Some("2026-06-10T00:00:00Z"),
        ),
        task(
            "director_approval",
            None,
            "2026-06-29T00:00:00Z",
            None,
            Some("2026-07-01T00:00:00Z"),
        ),
    ];
    let outcomes = table(
        &s,
        "kpi-registration_approval-outcomes",
        Rows::Tasks(&tasks),
        "en",
    );
    assert_eq!(
        outcomes["rows"],
        json!([["Sales director approval", 66.67, 0, 33.33, 3]])
    );
    let overdue = table(
        &s,
        "kpi-registration_approval-overdue_rate",
        Rows::Tasks(&tasks),
        "en",
    );
    assert_eq!(overdue["rows"], json!([["Sales director approval", 50, 4]]));
}

#[test]
fn weekly_throughput_counts_decisions_per_iso_week() {
    let s = sample();
    let tasks = vec![
        task(
            "ceo_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-01T02:00:00Z"),
            None,
        ),
        // Sunday 2026-06-07 17:00 UTC is Monday 01:00 in Shanghai: the next week.
        task(
            "ceo_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-07T17:00:00Z"),
            None,
        ),
        task(
            "ceo_approval",
            Some("approve"),
            "2026-06-01T00:00:00Z",
            Some("2026-06-07T15:00:00Z"),
            None,
        ),
    ];
    let t = table(
        &s,
        "kpi-registration_approval-weekly_throughput",
        Rows::Tasks(&tasks),
        "en",
    );
    assert_eq!(t["rows"], json!([["2026-W23", 2], ["2026-W24", 1]]));
}

#[test]
fn on_time_rate_and_budget_variance_read_the_marked_fields() {
    let s = sample();
    let records = vec![
        record(
            "1",
            "2026-01-01T00:00:00Z",
            json!({"end_date": "2026-05-01", "actual_end_date": "2026-04-30", "amount": "100.00", "actual_cost": "90.00"}),
        ),
        record(
            "2",
            "2026-01-01T00:00:00Z",
            json!({"end_date": "2026-05-01", "actual_end_date": "2026-05-01", "amount": "200.00", "actual_cost": "260.50"}),
        ),
        record(
            "3",
            "2026-01-01T00:00:00Z",
            json!({"end_date": "2026-05-01", "actual_end_date": "2026-05-02", "amount": "300.00"}),
        ),
        record(
            "4",
            "2026-01-01T00:00:00Z",
            json!({"end_date": "2026-05-01", "amount": "400.00", "actual_cost": "1.00"}),
        ),
    ];
    let on_time = table(
        &s,
        "kpi-project-on_time_rate",
        Rows::Records(&records),
        "en",
    );
    assert_eq!(on_time["rows"], json!([[66.67, 3]]));
    let budget = table(
        &s,
        "kpi-project-budget_variance",
        Rows::Records(&records),
        "en",
    );
    // Records 1, 2 and 4 have both: budget 700.00, cost 351.50, variance −348.50 = −49.79 %.
    assert_eq!(
        budget["rows"],
        json!([["700.00", "351.50", "-348.50", -49.79]])
    );
}

#[test]
fn a_table_lists_records_with_labels_and_totals_over_every_matching_row() {
    let s = sample();
    let mut report = s.report("projects_table");
    report.limit = Some(2);
    let mut records = vec![
        project("1", "甲", "华东", "10.00"),
        project("2", "乙", "华北", "20.50"),
        project("3", "丙", "华东", "30.25"),
    ];
    records[0].data["stage"] = json!("executing");
    let plan = s.plan(&report);
    let (cells, totals) = evaluate(&plan, Rows::Records(&records));
    let t = serde_json::to_value(shape(&plan, cells, totals, "zh-CN").unwrap()).unwrap();
    assert_eq!(
        t["rows"][0],
        json!([
            "3", "PRJ-3", "项目3", "丙", "华东", null, "30.25", null, null
        ])
    );
    assert_eq!(t["rows"][1][5], json!(null));
    assert_eq!(t["rows"].as_array().unwrap().len(), 2);
    assert_eq!(
        t["totals"],
        json!([3, null, null, null, null, null, "60.75", null, null])
    );
}

#[test]
fn kanban_lanes_follow_the_options_and_collect_cards_without_one() {
    let s = sample();
    let report = s.report("projects_board");
    let mut records = vec![
        project("1", "甲", "华东", "1.00"),
        project("2", "乙", "华东", "1.00"),
        project("3", "丙", "华东", "1.00"),
    ];
    records[0].data["stage"] = json!("executing");
    records[2].data["stage"] = json!("closed");
    let plan = s.plan(&report);
    let (cells, _) = evaluate(&plan, Rows::Records(&records));
    let lanes = kanban_lanes(&plan, &report.view, &cells, "zh-CN");
    let summary: Vec<(Option<&str>, &str, usize)> = lanes
        .iter()
        .map(|l| (l.value.as_deref(), l.label.as_str(), l.cards.len()))
        .collect();
    assert_eq!(
        summary,
        [
            (Some("planning"), "立项", 0),
            (Some("executing"), "执行中", 1),
            (Some("accepting"), "验收中", 0),
            (Some("closed"), "已结项", 1),
            (None, "未分类", 1)
        ]
    );
}

#[test]
fn gantt_bars_schedule_milestones_and_mark_the_critical_path() {
    let s = sample();
    let report = s.report("projects_gantt");
    let mut p = project("1", "甲", "华东", "1.00");
    p.data["start_date"] = json!("2026-03-01");
    p.data["end_date"] = json!("2026-03-31");
    p.data["milestones"] = json!([
        {"title": "需求", "start_date": "2026-03-01", "due_date": "2026-03-05"},
        {"title": "开发", "start_date": "2026-03-06", "due_date": "2026-03-20", "depends_on": "需求"},
        {"title": "文档", "start_date": "2026-03-06", "due_date": "2026-03-08", "depends_on": "需求"},
        {"title": "验收", "depends_on": "开发、文档"}
    ]);
    let mut looped = project("2", "乙", "华东", "1.00");
    looped.data["start_date"] = json!("2026-04-01");
    looped.data["milestones"] =
        json!([{"title": "甲", "depends_on": "乙"}, {"title": "乙", "depends_on": "甲"}]);
    let records = vec![p, looped];
    let plan = s.plan(&report);
    let (cells, _) = evaluate(&plan, Rows::Records(&records));
    let bars = gantt_bars(&plan, &report.view, &cells);
    let bar = bars.iter().find(|b| b.record_id == "1").unwrap();
    assert_eq!(bar.duration_days, 20);
    assert_eq!(
        bar.critical_paths,
        vec![vec!["需求".to_owned(), "开发".into(), "验收".into()]]
    );
    let docs = bar.milestones.iter().find(|m| m.title == "文档").unwrap();
    assert_eq!(docs.schedule.slack, 12);
    let accept = bar.milestones.iter().find(|m| m.title == "验收").unwrap();
    assert_eq!(accept.earliest_start.unwrap().to_string(), "2026-03-21");
    let looped = bars.iter().find(|b| b.record_id == "2").unwrap();
    assert!(
        looped
            .problem
            .as_ref()
            .unwrap()
            .get("zh-CN")
            .contains("循环"),
        "{:?}",
        looped.problem
    );
    assert!(looped.milestones.is_empty());
}

#[test]
fn calendar_events_sit_on_their_start_date_and_span_to_the_end() {
    let s = sample();
    let report = s.report("projects_calendar");
    let mut a = project("1", "甲", "华东", "1.00");
    a.data["start_date"] = json!("2026-03-05");
    a.data["end_date"] = json!("2026-03-07");
    let mut b = project("2", "乙", "华东", "1.00");
    b.data["start_date"] = json!("2026-03-02");
    let c = project("3", "丙", "华东", "1.00");
    let plan = s.plan(&report);
    let (cells, _) = evaluate(&plan, Rows::Records(&[a, b, c]));
    let events = calendar_events(&plan, &report.view, &cells);
    let summary: Vec<(String, Option<String>)> = events
        .iter()
        .map(|e| (e.date.to_string(), e.end.map(|d| d.to_string())))
        .collect();
    assert_eq!(
        summary,
        [
            ("2026-03-02".to_owned(), None),
            ("2026-03-05".to_owned(), Some("2026-03-07".to_owned()))
        ]
    );
}

#[test]
fn rows_that_do_not_fit_the_plan_are_refused() {
    let s = sample();
    let plan = s.plan(&s.report("amount_by_region"));
    let err = shape(
        &plan,
        vec![vec![formwork_reports::ir::Cell::Null]],
        None,
        "zh-CN",
    )
    .unwrap_err();
    assert_eq!(err.code(), "row_mismatch");
}

#[test]
fn a_pivot_lays_two_keys_out_as_rows_and_columns() {
    let s = sample();
    let mut records = vec![
        project("1", "甲", "华东", "10.00"),
        project("2", "乙", "华东", "5.00"),
        project("3", "丙", "华北", "7.00"),
    ];
    records[0].data["business_line"] = json!("software");
    records[1].data["business_line"] = json!("consulting");
    records[2].data["business_line"] = json!("software");
    let plan = s.plan(&s.report("amount_by_region_and_line"));
    let (cells, _) = evaluate(&plan, Rows::Records(&records));
    let table = shape(&plan, cells, None, "zh-CN").unwrap();
    let p = formwork_reports::views::pivot(&table).unwrap();
    assert_eq!(p.rows, [json!("华东"), json!("华北")]);
    assert_eq!(p.columns, [json!("咨询"), json!("软件开发")]);
    assert_eq!(
        p.cells[0],
        [Some(vec![json!("5.00")]), Some(vec![json!("10.00")])]
    );
    assert_eq!(p.cells[1], [None, Some(vec![json!("7.00")])]);
}
