//! Importing a year's schedule: both file shapes, and errors that name the line at fault.

use formwork_calendar::{CalendarDef, DayKind, ScheduleFormat, WorkCalendar, parse_year_schedule};
use time::macros::{date, datetime};

const CSV_2027: &str = "\
date,kind,name
# 国庆节 2027 (an admin's example, not an official schedule)
2027-10-01,holiday,国庆节
2027-10-04, holiday ,国庆节

2027-10-09,workday,国庆节调休上班
2027-10-10,上班
";

#[test]
fn a_csv_year_is_read_and_replaces_that_year_in_the_calendar() {
    assert_eq!(ScheduleFormat::detect(CSV_2027), ScheduleFormat::Csv);
    let year = parse_year_schedule(2027, CSV_2027, ScheduleFormat::Csv, Some("upload".into()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(year.days.len(), 4);
    assert_eq!(year.days[1].date, date!(2027 - 10 - 04));
    assert_eq!(year.days[1].kind, DayKind::Holiday);
    assert_eq!(year.days[3].kind, DayKind::Workday);
    assert_eq!(year.days[3].name, "");

    let mut def = CalendarDef::china();
    def.replace_year(year.clone());
    def.replace_year(year);
    assert_eq!(
        def.years.iter().map(|y| y.year).collect::<Vec<_>>(),
        [2025, 2026, 2027]
    );
    let cal = WorkCalendar::new(&def).unwrap_or_else(|e| panic!("{e}"));
    assert!(cal.has_schedule_for(2027));
    assert!(!cal.is_working_day(date!(2027 - 10 - 04)));
    assert!(cal.is_working_day(date!(2027 - 10 - 09)));
    assert_eq!(
        cal.add_working_hours(datetime!(2027-10-08 17:00 +8), 2),
        datetime!(2027-10-09 10:00 +8)
    );
}

#[test]
fn json_lines_are_read() {
    let text = "{\"date\":\"2027-01-01\",\"kind\":\"holiday\",\"name\":\"元旦\"}\n\n\
                {\"date\":\"2027-01-02\",\"kind\":\"workday\"}\n";
    assert_eq!(ScheduleFormat::detect(text), ScheduleFormat::JsonLines);
    let year = parse_year_schedule(2027, text, ScheduleFormat::JsonLines, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(year.days.len(), 2);
    assert_eq!(year.days[0].name, "元旦");
}

#[test]
fn errors_name_the_line_in_both_languages() {
    let cases: &[(&str, ScheduleFormat, usize, &str, &str, &str)] = &[
        (
            "2027-10-01,holiday\n2027-13-01,holiday\n",
            ScheduleFormat::Csv,
            2,
            "bad_date",
            "line 2: `2027-13-01` is not a date as YYYY-MM-DD",
            "第 2 行：“2027-13-01”不是有效日期",
        ),
        (
            "date,kind\n2027-10-01,off\n",
            ScheduleFormat::Csv,
            2,
            "bad_kind",
            "line 2: `off` is not a kind",
            "第 2 行：类型“off”无效",
        ),
        (
            "2026-10-01,holiday\n",
            ScheduleFormat::Csv,
            1,
            "outside_year",
            "line 1: 2026-10-01 is not in 2027",
            "第 1 行：日期 2026-10-01 不属于 2027 年",
        ),
        (
            "2027-10-01,holiday\n\n2027-10-01,workday\n",
            ScheduleFormat::Csv,
            3,
            "duplicate_date",
            "line 3: 2027-10-01 was already given on line 1",
            "已在第 1 行出现",
        ),
        (
            "2027-10-01\n",
            ScheduleFormat::Csv,
            1,
            "columns",
            "line 1: expected `date,kind,name`, found 1 column(s)",
            "第 1 行：应为“日期,类型,名称”三列",
        ),
        (
            "{\"date\":\"2027-10-01\",\"kind\":\"holiday\"}\n{\"day\":\"x\"}\n",
            ScheduleFormat::JsonLines,
            2,
            "bad_json",
            "line 2: not a JSON object",
            "第 2 行：",
        ),
        (
            "# nothing\n",
            ScheduleFormat::Csv,
            0,
            "empty",
            "the file lists no dates",
            "没有任何日期",
        ),
    ];
    for &(text, format, line, code, en, zh) in cases {
        let err = parse_year_schedule(2027, text, format, None).err();
        let err = err.unwrap_or_else(|| panic!("{text:?} was accepted"));
        assert_eq!((err.line, err.code()), (line, code), "{text:?}");
        assert!(err.message("en").starts_with(en), "{}", err.message("en"));
        assert!(
            err.message("zh-CN").contains(zh),
            "{}",
            err.message("zh-CN")
        );
    }
}

#[test]
fn a_bad_calendar_definition_is_refused_with_a_clear_message() {
    let bad = |json: &str| {
        let def: CalendarDef = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
        WorkCalendar::new(&def)
            .err()
            .unwrap_or_else(|| panic!("{json} was accepted"))
    };
    let e = bad(r#"{"working_weekdays": []}"#);
    assert_eq!(e.code(), "no_working_weekday");
    assert_eq!(bad(r#"{"working_weekdays": [0]}"#).code(), "bad_weekday");
    assert_eq!(bad(r#"{"working_hours": []}"#).code(), "no_working_hours");
    let e = bad(r#"{"working_hours": [{"start": "9:00", "end": "12:00"}]}"#);
    assert_eq!(
        e.message("zh-CN"),
        "“9:00”不是有效的时间，应为 HH:MM（如 09:00）"
    );
    let e = bad(r#"{"working_hours": [{"start": "13:00", "end": "12:00"}]}"#);
    assert_eq!(e.code(), "empty_interval");
    let e = bad(
        r#"{"working_hours": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "18:00"}]}"#,
    );
    assert_eq!(
        e.message("en"),
        "working hours 09:00–13:00 and 12:00–18:00 overlap or are out of order"
    );
    let e =
        bad(r#"{"years": [{"year": 2027, "days": [{"date": "2028-01-01", "kind": "holiday"}]}]}"#);
    assert_eq!(e.message("zh-CN"), "日期 2028-01-01 不属于 2027 年");
    assert!(serde_json::from_str::<CalendarDef>(r#"{"weekdays": [1]}"#).is_err());
}

#[test]
fn a_calendar_round_trips_through_json_with_readable_dates() {
    let def = CalendarDef::china();
    let json = serde_json::to_value(&def).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["working_weekdays"], serde_json::json!([1, 2, 3, 4, 5]));
    assert_eq!(json["working_hours"][1]["end"], "18:00");
    assert_eq!(json["years"][1]["days"][0]["date"], "2026-01-01");
    let back: CalendarDef = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, def);
    assert_eq!(WorkCalendar::new(&def), Ok(WorkCalendar::china()));
}
