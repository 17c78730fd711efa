//! Report SQL against the reference evaluator: every measure and date bucket, run by the
//! database and by `formwork_reports::eval` over the same random records, shaped the same —
//! on SQLite and PostgreSQL. Money sums are exact to the cent over 100k random amounts.

use std::collections::BTreeSet;

use formwork_model::{AppId, ReportDef};
use formwork_reports::eval::{RecordRow, Rows, evaluate};
use formwork_reports::filters::ParamValues;
use formwork_reports::ir::Plan;
use formwork_reports::labels::RawLabels;
use formwork_reports::{PlanContext, Viewer, plan, shape};
use formwork_store::{
    Import, ImportStatus, NewImport, NewRecord, RecordStatus, ReportScope, UserId, Visibility,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::common::{TestApp, apps, flows, sample_package};

const REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];
const LINES: [&str; 4] = ["software", "integration", "operations", "consulting"];
const CUSTOMERS: [&str; 6] = ["甲公司", "乙公司", "Acme", "acme", "丙", "Zeta"];

/// A random amount in 分 between −1,000,000.00 and 99,999,999.99, as the form stores it.
fn money(rng: &mut StdRng) -> (i64, String) {
    let cents: i64 = rng.random_range(-100_000_000..10_000_000_000);
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.abs();
    (cents, format!("{sign}{}.{:02}", a / 100, a % 100))
}

fn date(rng: &mut StdRng) -> String {
    let d = time::Date::from_calendar_date(2025, time::Month::January, 1).unwrap()
        + time::Duration::days(rng.random_range(0..800));
    d.to_string()
}

/// Random project data; about one field in eight is left out.
pub(crate) fn data(rng: &mut StdRng) -> Value {
    let values = [
        ("name", json!(format!("项目{}", rng.random_range(0..1000)))),
        (
            "customer",
            json!(CUSTOMERS[rng.random_range(0..CUSTOMERS.len())]),
        ),
        ("amount", json!(money(rng).1)),
        ("actual_cost", json!(money(rng).1)),
        ("region", json!(REGIONS[rng.random_range(0..REGIONS.len())])),
        (
            "business_line",
            json!(LINES[rng.random_range(0..LINES.len())]),
        ),
        ("start_date", json!(date(rng))),
        ("end_date", json!(date(rng))),
    ];
    let mut d = serde_json::Map::new();
    for (k, v) in values {
        if rng.random_range(0..8) != 0 {
            d.insert(k.into(), v);
        }
    }
    Value::Object(d)
}

pub(crate) struct Owner {
    pub id: UserId,
    username: String,
    pub department: Option<formwork_store::DepartmentId>,
}

pub(crate) async fn owners(app: &TestApp) -> Vec<Owner> {
    let mut out = Vec::new();
    for name in ["sales1", "sales2", "manager1", "director"] {
        let u = app.store.get_user_by_username(name).await.unwrap().unwrap();
        out.push(Owner {
            id: u.id,
            username: u.username,
            department: u.department_id,
        });
    }
    out
}

pub(crate) fn new_record(app_id: &AppId, owner: &Owner, data: Value) -> NewRecord {
    let mut r =
        formwork_testkit::fixtures::new_record(app_id, &owner.id, owner.department.as_ref(), data);
    r.status = RecordStatus::Submitted;
    r
}

/// Inserts `records` in one transaction (the import commit path) and returns them as the
/// evaluator reads them.
pub(crate) async fn insert_all(
    app: &TestApp,
    app_id: &AppId,
    owners: &[Owner],
    datas: Vec<(usize, Value)>,
) -> Vec<RecordRow> {
    let actor = owners[0].id.clone();
    let id = formwork_store::new_id();
    let now = time::OffsetDateTime::now_utc();
    let import = Import {
        id: id.clone(),
        app_id: app_id.clone(),
        form_id: "project".parse().unwrap(),
        created_by: actor.clone(),
        content_hash: id.clone(),
        filename: "parity".into(),
        historical: true,
        status: ImportStatus::Ready,
        row_count: 0,
        errors: json!([]),
        mapping: json!({}),
        created_at: now,
        committed_at: None,
    };
    app.store
        .insert_import(&NewImport {
            import,
            staged: json!([]),
        })
        .await
        .unwrap();
    let records = datas
        .iter()
        .map(|(o, d)| new_record(app_id, &owners[*o], d.clone()))
        .collect();
    app.store.commit_import(&id, records, &actor).await.unwrap();
    // Read back through the list API of the store, all of them.
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = app
            .store
            .list_records(&formwork_store::RecordQuery {
                app_id: app_id.clone(),
                form_id: "project".parse().unwrap(),
                visibility: Visibility::All,
                filters: vec![],
                search: None,
                sort: None,
                after: after.clone(),
                limit: 201,
                epoch: None,
            })
            .await
            .unwrap();
        let last = page.last().map(|r| formwork_store::Cursor {
            value: Value::Null,
            id: r.id.clone(),
        });
        for r in &page {
            let owner = owners.iter().find(|o| o.id == r.owner_id).unwrap();
            rows.push(RecordRow {
                id: r.id.to_string(),
                number: r.number.clone(),
                owner: owner.username.clone(),
                department: r.department_id.as_ref().map(|d| d.to_string()),
                status: r.status.as_str().to_owned(),
                created_at: r.created_at,
                updated_at: r.updated_at,
                data: r.data.clone(),
            });
        }
        if page.len() < 201 {
            break;
        }
        after = last;
    }
    rows
}

pub(crate) fn report(id: &str, body: Value) -> ReportDef {
    let mut v = json!({"id": id, "name": {"zh-CN": id, "en": id}, "form": "project", "source": "records", "view": {"kind": "table"}});
    for (k, x) in body.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).unwrap()
}

/// Every measure, bucket and grouping the parity test runs.
fn reports() -> Vec<ReportDef> {
    let all = json!([
        {"fn": "count"}, {"fn": "count", "field": "amount"},
        {"fn": "count_distinct", "field": "customer"},
        {"fn": "sum", "field": "amount"}, {"fn": "avg", "field": "amount"},
        {"fn": "min", "field": "amount"}, {"fn": "max", "field": "amount"},
        {"fn": "min", "field": "customer", "id": "min_customer"},
        {"fn": "max", "field": "start_date", "id": "max_start"},
        {"fn": "percent"}, {"fn": "percent", "field": "amount", "id": "share_amount"},
        {"fn": "rate", "id": "east", "where": [{"field": "region", "op": "eq", "value": "华东"}]},
        {"fn": "sum", "field": "amount", "id": "east_amount", "where": [{"field": "region", "op": "in", "value": ["华东", "华北"]}]},
        {"fn": "difference", "field": "actual_cost", "base": "amount", "id": "variance"},
        {"fn": "percentile", "field": "amount", "p": 90, "id": "p90_amount"},
        {"fn": "percentile", "field": "amount", "p": 50, "id": "median_east", "where": [{"field": "region", "op": "eq", "value": "华东"}]},
    ]);
    let mut out = Vec::new();
    for (i, g) in [
        json!([]),
        json!([{"field": "region"}]),
        json!([{"field": "region"}, {"field": "business_line"}]),
        json!([{"field": "owner"}]),
        json!([{"field": "department"}]),
        json!([{"field": "customer"}]),
        json!([{"field": "status"}]),
        json!([{"field": "start_date", "bucket": "day"}]),
        json!([{"field": "start_date", "bucket": "week"}]),
        json!([{"field": "start_date", "bucket": "month"}]),
        json!([{"field": "start_date", "bucket": "quarter"}]),
        json!([{"field": "start_date", "bucket": "year"}]),
        json!([{"field": "created_at", "bucket": "month"}]),
        json!([{"field": "created_at", "bucket": "week"}]),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(report(
            &format!("g{i}"),
            json!({"group_by": g, "measures": all}),
        ));
    }
    out.push(report(
        "filtered",
        json!({
            "group_by": [{"field": "region"}],
            "measures": [{"fn": "sum", "field": "amount"}, {"fn": "count"}],
            "filters": [
                {"field": "amount", "op": "gte", "value": "1000.50"},
                {"field": "customer", "op": "contains", "value": "cme"},
                {"field": "start_date", "op": "lt", "value": "2026-01-01"},
                {"field": "business_line", "op": "ne", "value": "software"},
            ],
        }),
    ));
    out.push(report("top", json!({
        "group_by": [{"field": "customer"}],
        "measures": [{"fn": "sum", "field": "amount"}, {"fn": "count"}, {"fn": "max", "field": "amount"}],
        "sort": [{"by": "sum_amount", "desc": true}],
        "top": {"n": 3, "others": true},
    })));
    out.push(report("listing", json!({
        "columns": ["number", "name", "customer", "region", "amount", "start_date", "owner", "created_at"],
        "sort": [{"by": "amount", "desc": true}],
        "limit": 50,
        "view": {"kind": "table", "totals": true},
    })));
    out
}

/// `defs` planned for a viewer who reads every field.
pub(crate) async fn plans(app: &TestApp, app_id: &AppId, defs: &[ReportDef]) -> Vec<Plan> {
    let compiled = app.runtime.latest_app(app_id).await.unwrap();
    let form = compiled.form(&"project".parse().unwrap()).unwrap();
    let readable: BTreeSet<String> = form
        .def()
        .field_keys()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let ctx = PlanContext {
        app: &compiled.def,
        form,
        labels: &RawLabels,
        now: time::OffsetDateTime::now_utc(),
    };
    let viewer = Viewer {
        readable: &readable,
        lang: "zh-CN",
    };
    defs.iter()
        .map(|def| {
            plan(ctx, viewer, def, &ParamValues::default())
                .unwrap_or_else(|e| panic!("{}: {e:?}", def.id))
        })
        .collect()
}

fn all_rows(app_id: &AppId) -> ReportScope {
    ReportScope {
        app_id: app_id.clone(),
        visibility: Visibility::All,
    }
}

async fn check_parity(app: &TestApp, app_id: &AppId, rows: &[RecordRow], defs: &[ReportDef]) {
    let scope = all_rows(app_id);
    for (def, p) in defs.iter().zip(plans(app, app_id, defs).await) {
        let db = app
            .store
            .run_report(&p, &scope)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", def.id));
        let (rows_ref, totals_ref) = evaluate(&p, Rows::Records(rows));
        let got = shape(&p, db.rows, db.totals, "zh-CN").unwrap();
        let want = shape(&p, rows_ref, totals_ref, "zh-CN").unwrap();
        let at = format!("report {} on {}", def.id, app.db.backend().as_str());
        assert_eq!(got.columns, want.columns, "{at}");
        assert_eq!(got.rows.len(), want.rows.len(), "{at}");
        for (g, w) in got.rows.iter().zip(&want.rows) {
            assert_eq!(g, w, "{at}");
        }
        assert_eq!(got.totals, want.totals, "{at}");
    }
}

#[tokio::test]
async fn every_measure_and_bucket_matches_the_reference_evaluator() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let app_id: AppId = "project-registration".parse().unwrap();
        let owners = owners(&app).await;
        let mut rng = StdRng::seed_from_u64(12);
        let datas = (0..600)
            .map(|_| (rng.random_range(0..owners.len()), data(&mut rng)))
            .collect();
        let rows = insert_all(&app, &app_id, &owners, datas).await;
        assert_eq!(rows.len(), 600);
        check_parity(&app, &app_id, &rows, &reports()).await;
    }
}

#[tokio::test]
async fn money_sums_are_exact_to_the_cent_over_100k_amounts() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let app_id: AppId = "project-registration".parse().unwrap();
        let owners = owners(&app).await;
        let mut rng = StdRng::seed_from_u64(100_000);
        let mut total: i128 = 0;
        let mut by_region = [0i128; 7];
        let mut datas = Vec::with_capacity(100_000);
        for _ in 0..100_000 {
            let (cents, text) = money(&mut rng);
            let r = rng.random_range(0..REGIONS.len());
            total += i128::from(cents);
            by_region[r] += i128::from(cents);
            datas.push((
                0,
                json!({"name": "金额", "amount": text, "region": REGIONS[r]}),
            ));
        }
        let rows = insert_all(&app, &app_id, &owners, datas).await;
        assert_eq!(rows.len(), 100_000);
        let def = report(
            "money",
            json!({
                "group_by": [{"field": "region"}],
                "measures": [{"fn": "sum", "field": "amount"}],
            }),
        );
        let overall = report(
            "money_total",
            json!({"measures": [{"fn": "sum", "field": "amount"}]}),
        );
        let planned = plans(&app, &app_id, &[overall, def]).await;
        let scope = all_rows(&app_id);
        let cents = |d: Decimal| {
            let c = d * Decimal::ONE_HUNDRED;
            assert!(c.fract().is_zero(), "{d} is not whole cents");
            rust_decimal::prelude::ToPrimitive::to_i128(&c).unwrap()
        };
        let got = app.store.run_report(&planned[0], &scope).await.unwrap();
        let formwork_reports::ir::Cell::Decimal(sum) = got.rows[0][0] else {
            panic!("{:?}", got.rows)
        };
        assert_eq!(cents(sum), total, "{}", app.db.backend().as_str());
        let got = app.store.run_report(&planned[1], &scope).await.unwrap();
        for row in got.rows {
            let formwork_reports::ir::Cell::Text(region) = &row[0] else {
                panic!()
            };
            let formwork_reports::ir::Cell::Decimal(sum) = row[1] else {
                panic!()
            };
            let i = REGIONS.iter().position(|r| r == region).unwrap();
            assert_eq!(cents(sum), by_region[i], "{region}");
        }
    }
}
