//! Unit tests of the list builder: SQL text and bound values on both dialects.

use super::*;
use crate::dialect::{Postgres, Sqlite};
use formwork_model::{AppId, FormId, RecordId, UserId};
use serde_json::json;

fn amount() -> Column {
    Column::Data {
        key: FieldKey::parse("amount").unwrap(),
        kind: ValueKind::Number,
    }
}

const OWNER: &str = "01936f6e-8a4b-7c3d-9e2f-000000000001";
const DEPT: &str = "01936f6e-8a4b-7c3d-9e2f-0000000000d1";
const AFTER: &str = "01936f6e-8a4b-7c3d-9e2f-000000000190";

fn sample() -> RecordQuery {
    RecordQuery {
        app_id: AppId::parse("projects").unwrap(),
        form_id: FormId::parse("project").unwrap(),
        visibility: Visibility::OwnOrDepartments {
            owner_id: UserId::parse(OWNER).unwrap(),
            department_ids: vec![DepartmentId::parse(DEPT).unwrap()],
        },
        filters: vec![Filter {
            column: amount(),
            op: FilterOp::Gt,
            value: json!("9.5"),
        }],
        search: Some(("acme".into(), vec![FieldKey::parse("customer").unwrap()])),
        sort: Some((amount(), true)),
        after: Some(Cursor {
            value: json!("100000.30"),
            id: RecordId::parse(AFTER).unwrap(),
        }),
        limit: 21,
        epoch: None,
    }
}

/// The SQL of the sample and its bound strings.
fn built<D: Dialect>() -> (String, Vec<String>) {
    let (sql, values) = select::<D>(&sample()).unwrap().unwrap().build(D::builder());
    if std::env::var_os("FORMWORK_PRINT_SQL").is_some() {
        println!("{sql}");
    }
    let strings = values
        .0
        .into_iter()
        .filter_map(|v| match v {
            sea_query::Value::String(Some(s)) => Some(s),
            _ => None,
        })
        .collect();
    (sql, strings)
}

fn assert_values_are_bound(strings: &[String]) {
    assert!(
        strings
            .iter()
            .all(|s| !s.contains("amount") && !s.contains("customer"))
    );
    for v in ["9.5", "100000.30", "%acme%", OWNER, DEPT, AFTER] {
        assert!(
            strings.iter().any(|s| s == v),
            "{v} is not bound: {strings:?}"
        );
    }
}

#[test]
fn sqlite_list_sql_puts_field_paths_in_as_literals_and_binds_every_value() {
    let (sql, strings) = built::<Sqlite>();
    assert!(
        sql.contains("CAST(json_extract(data, '$.amount') AS REAL)"),
        "{sql}"
    );
    assert_values_are_bound(&strings);
}

#[test]
fn postgres_list_sql_puts_field_paths_in_as_literals_and_binds_every_value() {
    let (sql, strings) = built::<Postgres>();
    assert!(sql.contains("CAST(data ->> 'amount' AS numeric)"), "{sql}");
    assert_values_are_bound(&strings);
}

#[test]
fn field_keys_admit_only_lower_case_identifiers() {
    for good in ["amount", "a", "end_date2"] {
        assert!(FieldKey::parse(good).is_ok(), "{good}");
    }
    let long = "a".repeat(65);
    for bad in ["", "Amount", "1a", "a-b", "a'b", "a b", long.as_str()] {
        assert!(FieldKey::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_zero_limit_builds_no_query() {
    let mut q = sample();
    q.limit = 0;
    assert!(select::<Sqlite>(&q).unwrap().is_none());
}
