//! Typed projections, on SQLite and PostgreSQL: lists (filters, sorts, keyset pages, search
//! including one- and two-character Chinese terms) and reports read the projection and give
//! exactly the rows the JSON gives; every kind of record write keeps it equal to a fresh
//! set-based build.

use formwork_model::AppId;
use formwork_query::{Projection, Sqlite};
use formwork_store::{
    Backend, Column, Cursor, FieldKey, Filter, FilterOp, RecordQuery, RecordStatus, RecordUpdate,
    ReportScope, ValueKind, Visibility,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::common::{TestApp, apps, flows, sample_package};
use crate::reports_parity::{Owner, data, insert_all, new_record, owners, plans, report};

const APP: &str = "project-registration";

/// Raw SQL on the test database, beside the store.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Raw {
    async fn open(app: &TestApp) -> Raw {
        match app.db.backend() {
            Backend::Sqlite => Raw::Sqlite(sqlx::SqlitePool::connect(app.db.url()).await.unwrap()),
            Backend::Postgres => Raw::Pg(sqlx::PgPool::connect(app.db.url()).await.unwrap()),
        }
    }

    async fn exec(&self, sql: &str) {
        let q = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Raw::Sqlite(p) => {
                sqlx::query(q).execute(p).await.unwrap();
            }
            Raw::Pg(p) => {
                sqlx::query(q).execute(p).await.unwrap();
            }
        }
    }

    /// The publish epoch now.
    async fn epoch(&self) -> i64 {
        let q = "SELECT epoch FROM publish_epoch WHERE id = 1";
        match self {
            Raw::Sqlite(p) => sqlx::query_scalar(q).fetch_one(p).await.unwrap(),
            Raw::Pg(p) => sqlx::query_scalar(q).fetch_one(p).await.unwrap(),
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        let q = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM ({sql}) AS x"));
        match self {
            Raw::Sqlite(p) => sqlx::query_scalar(q).fetch_one(p).await.unwrap(),
            Raw::Pg(p) => sqlx::query_scalar(q).fetch_one(p).await.unwrap(),
        }
    }
}

fn field(key: &str, kind: ValueKind) -> Column {
    Column::Data {
        key: FieldKey::parse(key).unwrap(),
        kind,
    }
}

fn query(visibility: Visibility) -> RecordQuery {
    RecordQuery {
        app_id: APP.parse().unwrap(),
        form_id: "project".parse().unwrap(),
        visibility,
        filters: vec![],
        search: None,
        sort: None,
        after: None,
        limit: 23,
        epoch: None,
    }
}

/// The list queries compared: sorts both ways, filters, searches and row scopes.
fn queries(owners: &[Owner]) -> Vec<RecordQuery> {
    let keys = || -> Vec<FieldKey> {
        ["name", "customer", "region"]
            .iter()
            .map(|k| FieldKey::parse(k).unwrap())
            .collect()
    };
    let scoped = Visibility::OwnOrDepartments {
        owner_id: owners[0].id.clone(),
        department_ids: owners[2].department.iter().cloned().collect(),
    };
    let mut out = Vec::new();
    for visibility in [Visibility::All, scoped] {
        out.push(query(visibility.clone()));
        for (col, desc) in [
            (field("amount", ValueKind::Number), true),
            (field("amount", ValueKind::Number), false),
            (field("name", ValueKind::Text), false),
            (field("start_date", ValueKind::Text), true),
            (Column::System("created_at"), true),
        ] {
            let mut q = query(visibility.clone());
            q.sort = Some((col, desc));
            out.push(q);
        }
        for needle in [
            "项",
            "项目1",
            "华东",
            "acme",
            "ACME",
            "cme",
            "1",
            "%",
            "无此项",
        ] {
            let mut q = query(visibility.clone());
            q.search = Some((needle.to_owned(), keys()));
            out.push(q.clone());
            q.sort = Some((field("amount", ValueKind::Number), true));
            out.push(q);
        }
        let mut q = query(visibility.clone());
        q.filters = vec![
            Filter {
                column: field("amount", ValueKind::Number),
                op: FilterOp::Gt,
                value: json!("1000.50"),
            },
            Filter {
                column: field("region", ValueKind::Text),
                op: FilterOp::In,
                value: json!(["华东", "华北"]),
            },
            Filter {
                column: field("customer", ValueKind::Text),
                op: FilterOp::Contains,
                value: json!("cme"),
            },
        ];
        q.sort = Some((field("amount", ValueKind::Number), false));
        out.push(q);
    }
    out
}

/// Each query's first three pages (ids), and its capped count.
async fn lists(app: &TestApp, queries: &[RecordQuery]) -> Vec<(Vec<String>, u32)> {
    let mut out = Vec::new();
    for q in queries {
        let mut q = q.clone();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let page = app.store.list_records(&q).await.unwrap();
            ids.extend(page.iter().map(|r| r.id.to_string()));
            let Some(last) = page.last() else { break };
            let value = match &q.sort {
                Some((Column::Data { key, .. }, _)) => {
                    last.data.get(key.as_str()).cloned().unwrap_or(Value::Null)
                }
                Some((Column::System(_), _)) => json!(
                    last.created_at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap()
                ),
                None => Value::Null,
            };
            q.after = Some(Cursor {
                value,
                id: last.id.clone(),
            });
        }
        let count = app.store.count_records(&q, 1001).await.unwrap();
        out.push((ids, count));
    }
    out
}

async fn report_rows(app: &TestApp, app_id: &AppId) -> Vec<String> {
    let defs = vec![
        report(
            "by_status",
            json!({"group_by": [{"field": "status"}], "measures": [{"fn": "count"}]}),
        ),
        report(
            "by_region",
            json!({"group_by": [{"field": "region"}], "measures": [{"fn": "sum", "field": "amount"}, {"fn": "avg", "field": "amount"}]}),
        ),
        report(
            "per_month",
            json!({"group_by": [{"field": "created_at", "bucket": "month"}], "measures": [{"fn": "count"}]}),
        ),
        report(
            "per_week",
            json!({"group_by": [{"field": "start_date", "bucket": "week"}], "measures": [{"fn": "max", "field": "amount"}]}),
        ),
        report(
            "listing",
            json!({"columns": ["number", "name", "amount", "owner"], "sort": [{"by": "amount", "desc": true}], "limit": 40, "view": {"kind": "table", "totals": true}}),
        ),
    ];
    let scope = ReportScope {
        app_id: app_id.clone(),
        visibility: Visibility::All,
    };
    let mut out = Vec::new();
    for (def, p) in defs.iter().zip(plans(app, app_id, &defs).await) {
        let rows = app.store.run_report(&p, &scope).await.unwrap();
        let mut lines: Vec<String> = rows.rows.iter().map(|r| format!("{r:?}")).collect();
        // Groups come in no particular order; a listing's order is its sort.
        if def.id != "listing" {
            lines.sort();
        }
        out.push(format!("{lines:?} {:?}", rows.totals));
    }
    out
}

async fn seeded(app: &TestApp, n: usize, seed: u64) -> Vec<Owner> {
    flows::publish(app, &sample_package()).await;
    let app_id: AppId = APP.parse().unwrap();
    let owners = owners(app).await;
    let mut rng = StdRng::seed_from_u64(seed);
    let datas = (0..n)
        .map(|_| (rng.random_range(0..owners.len()), data(&mut rng)))
        .collect();
    insert_all(app, &app_id, &owners, datas).await;
    owners
}

#[tokio::test]
async fn lists_and_reports_read_the_projection_and_give_the_rows_the_json_gives() {
    for app in apps().await {
        let owners = seeded(&app, 400, 7).await;
        let app_id: AppId = APP.parse().unwrap();
        let raw = Raw::open(&app).await;
        let queries = queries(&owners);
        let mut sorted = query(Visibility::All);
        sorted.sort = Some((field("amount", ValueKind::Number), true));
        let plan = app.store.explain_list_records(&sorted).await.unwrap();
        assert!(plan.join("\n").contains("fp_"), "{plan:?}");
        // On SQLite a search listed newest first walks its rarest gram's key in order.
        let mut searched = query(Visibility::All);
        searched.search = Some(("华东".into(), vec![FieldKey::parse("region").unwrap()]));
        let plan = app.store.explain_list_records(&searched).await.unwrap();
        if app.db.backend() == Backend::Sqlite {
            let plan = plan.join("\n");
            assert!(
                plan.contains("(gram=?)") && !plan.contains("TEMP B-TREE"),
                "{plan}"
            );
        }

        let with = (
            lists(&app, &queries).await,
            report_rows(&app, &app_id).await,
        );
        // Unregistered, the queries read the JSON again.
        raw.exec("DELETE FROM projections").await;
        let plan = app.store.explain_list_records(&sorted).await.unwrap();
        assert!(!plan.join("\n").contains("fp_"), "{plan:?}");
        let without = (
            lists(&app, &queries).await,
            report_rows(&app, &app_id).await,
        );
        assert!(without.0.iter().any(|(ids, _)| ids.len() > 23));
        for (i, (w, j)) in with.0.iter().zip(&without.0).enumerate() {
            assert_eq!(w, j, "{:?} on {:?}", queries[i], app.db.backend());
        }
        assert_eq!(with.1, without.1, "{:?}", app.db.backend());
    }
}

/// Rows of the projection and grams that differ from `snap_*`, both ways.
async fn differences(raw: &Raw, p: &Projection) -> (i64, i64) {
    let diff = |a: &str, b: &str| format!("SELECT * FROM {a} EXCEPT SELECT * FROM {b}");
    (
        raw.count(&diff(&p.table, "snap_p")).await + raw.count(&diff("snap_p", &p.table)).await,
        raw.count(&diff(&p.grams, "snap_g")).await + raw.count(&diff("snap_g", &p.grams)).await,
    )
}

#[tokio::test]
async fn every_record_write_keeps_the_projection_equal_to_a_fresh_build() {
    for app in apps().await {
        let owners = seeded(&app, 120, 8).await;
        let app_id: AppId = APP.parse().unwrap();
        let actor = owners[0].id.clone();
        // Inserts: a submission and a draft, then the draft submitted.
        let mut rng = StdRng::seed_from_u64(9);
        let mut new = new_record(&app_id, &owners[1], data(&mut rng));
        new.data["name"] = json!("新的项目 Acme");
        let inserted = app.store.insert_record(new, &actor).await.unwrap();
        let mut draft = new_record(&app_id, &owners[2], data(&mut rng));
        draft.status = RecordStatus::Draft;
        let draft = app.store.insert_record(draft, &actor).await.unwrap();
        // An update of data and status, and a delete.
        let page = app
            .store
            .list_records(&query(Visibility::All))
            .await
            .unwrap();
        let r = inserted.record();
        let mut changed = r.data.clone();
        changed["amount"] = json!("123.45");
        changed["name"] = json!("改过的名字");
        let update = RecordUpdate {
            id: r.id.clone(),
            expected_rev: r.rev,
            data: changed,
            status: RecordStatus::Approved,
            diff: json!({}),
            events: vec![],
            audit_note: None,
        };
        app.store.update_record(&update, &actor).await.unwrap();
        // A status moved with the data as it was (what an approval step writes).
        let stepped = page.iter().rev().find(|x| x.id != r.id).unwrap();
        let step = RecordUpdate {
            id: stepped.id.clone(),
            expected_rev: stepped.rev,
            data: stepped.data.clone(),
            status: RecordStatus::Rejected,
            ..update
        };
        app.store.update_record(&step, &actor).await.unwrap();
        let gone = page.iter().find(|x| x.id != r.id).unwrap();
        assert_ne!(gone.id, stepped.id);
        app.store
            .delete_record_with_events(&gone.id, None, &actor, &[])
            .await
            .unwrap();

        let compiled = app.runtime.latest_app(&app_id).await.unwrap();
        let form = compiled.form(&"project".parse().unwrap()).unwrap();
        let spec = formwork_runtime::reports::projections::projection_spec(&app_id, form);
        let p = Projection::new::<Sqlite>(spec.clone());
        let raw = Raw::open(&app).await;
        raw.exec(&format!("CREATE TABLE snap_p AS SELECT * FROM {}", p.table))
            .await;
        raw.exec(&format!("CREATE TABLE snap_g AS SELECT * FROM {}", p.grams))
            .await;
        assert_eq!(
            raw.count(&format!(
                "SELECT id FROM {} WHERE id = '{}'",
                p.table, gone.id
            ))
            .await,
            0
        );
        // 120 seeded, one submitted, one deleted; the draft has no row until it is submitted.
        assert_eq!(raw.count("SELECT id FROM snap_p").await, 120);
        let draft = draft.record();
        let submitted = new_record(&app_id, &owners[2], data(&mut rng));
        app.store
            .submit_draft(&draft.id, draft.rev, submitted, &actor)
            .await
            .unwrap();
        raw.exec("DROP TABLE snap_p").await;
        raw.exec("DROP TABLE snap_g").await;
        raw.exec(&format!("CREATE TABLE snap_p AS SELECT * FROM {}", p.table))
            .await;
        raw.exec(&format!("CREATE TABLE snap_g AS SELECT * FROM {}", p.grams))
            .await;
        assert_eq!(raw.count("SELECT id FROM snap_p").await, 121);
        // Rebuilt from the records alone, set-based.
        raw.exec("DELETE FROM projections").await;
        // A list remembers its form's projection (here: none) for the publish epoch it read;
        // the build moves the epoch, so the next request's list reads the new one.
        let before = raw.epoch().await;
        let mut at = query(Visibility::All);
        at.epoch = Some(before);
        let store = app.store.clone();
        let plan = |q: RecordQuery| {
            let store = store.clone();
            async move { store.explain_list_records(&q).await.unwrap().join("\n") }
        };
        assert!(!plan(at.clone()).await.contains("fp_"));
        assert!(app.store.build_projection(&spec).await.unwrap());
        let after = raw.epoch().await;
        assert!(after > before, "{:?}", app.db.backend());
        assert!(
            !plan(at.clone()).await.contains("fp_"),
            "remembered at its epoch"
        );
        at.epoch = Some(after);
        assert!(plan(at).await.contains("fp_"), "{:?}", app.db.backend());
        assert!(!app.store.build_projection(&spec).await.unwrap());
        assert_eq!(
            differences(&raw, &p).await,
            (0, 0),
            "{:?}",
            app.db.backend()
        );
        // The one-character search finds the changed name through the grams.
        let mut q = query(Visibility::All);
        q.search = Some(("改".into(), vec![FieldKey::parse("name").unwrap()]));
        let found = app.store.list_records(&q).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, r.id);
    }
}

/// After an upgrade that changes what projections hold, start-up rebuilds the projections an
/// older Formwork built (reads ignore them meanwhile) and leaves current ones alone.
#[tokio::test]
async fn start_up_rebuilds_projections_an_older_version_built() {
    for app in apps().await {
        seeded(&app, 30, 3).await;
        let raw = Raw::open(&app).await;
        assert_eq!(app.runtime.refresh_projections().await.unwrap(), 0);
        raw.exec("UPDATE projections SET signature = 'v0:' || signature")
            .await;
        let stale = "SELECT 1 FROM projections WHERE signature LIKE 'v0:%'";
        let forms = raw.count(stale).await;
        assert!(forms > 0, "{:?}", app.db.backend());
        let rebuilt = app.runtime.refresh_projections().await.unwrap();
        assert_eq!(rebuilt as i64, forms, "{:?}", app.db.backend());
        assert_eq!(raw.count(stale).await, 0);
        assert_eq!(app.runtime.refresh_projections().await.unwrap(), 0);
        let mut q = query(Visibility::All);
        q.limit = 100;
        let plan = app.store.explain_list_records(&q).await.unwrap();
        assert!(plan.join("\n").contains("fp_"), "{plan:?}");
        assert_eq!(app.store.list_records(&q).await.unwrap().len(), 30);
    }
}

/// What `task_facts` would hold if built afresh from the tasks, their instances and records.
const FRESH_FACTS: &str = "SELECT t.id, r.app_id, r.form_id, i.process_id, r.id, r.owner_id, \
     r.department_id, t.node_id, t.assignee_id, t.status, t.action, t.created_at, t.decided_at, \
     t.due_at FROM tasks t JOIN process_instances i ON i.id = t.instance_id \
     JOIN records r ON r.id = i.record_id WHERE r.deleted_at IS NULL AND r.status <> 'draft'";
/// The facts with their keys read back: the process key names the task's process, the form
/// key its whole form.
const FACTS: &str = "SELECT f.id, s.app_id, s.form_id, s.process_id, f.record_id, f.owner_id, \
     f.department_id, f.node_id, f.assignee_id, f.status, f.action, f.created_at, f.decided_at, \
     f.due_at FROM task_facts f JOIN fact_scopes s ON s.id = f.process_key \
     JOIN fact_scopes w ON w.id = f.form_key AND w.app_id = s.app_id AND w.form_id = s.form_id \
     AND w.process_id = ''";

/// Submissions (their record written first on SQLite, last on PostgreSQL), an approval, a
/// rejection sent back for revision and a deleted record keep the facts the task reports read
/// equal to a fresh build, and the outcomes KPI counts exactly the decisions of live records.
#[tokio::test]
async fn task_facts_follow_every_task_and_record_write() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let mut s1 = app.signed_in("sales1").await;
        let mut ids = Vec::new();
        for (name, amount) in [
            ("甲项目", "30000.10"),
            ("乙项目", "80000.20"),
            ("丙项目", "45000.00"),
        ] {
            let res = s1
                .post(
                    &format!("/api/v1/apps/{APP}/forms/project/records"),
                    &json!({"name": name, "customer": "某客户", "contact_phone": "13800138000",
                        "amount": amount, "region": "华南", "business_line": "software"}),
                )
                .await;
            assert_eq!(res.status, 201, "{}", res.text());
            ids.push(res.json()["id"].as_str().unwrap().to_owned());
        }
        let decide = |record: String, body: Value| {
            let app = &app;
            async move {
                let held = flows::holders(app, &record).await;
                let (node, user) = held[0].split_once(':').unwrap();
                let res = flows::act(app, &record, node, user, body).await;
                assert_eq!(res.status, 200, "{}", res.text());
            }
        };
        decide(ids[0].clone(), json!({"action": "approve"})).await;
        decide(
            ids[1].clone(),
            json!({"action": "reject", "comment": "金额过高"}),
        )
        .await;
        let actor = app
            .store
            .get_record(&ids[2].parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .owner_id;
        app.store
            .delete_record_with_events(&ids[2].parse().unwrap(), None, &actor, &[])
            .await
            .unwrap();

        let raw = Raw::open(&app).await;
        assert_eq!(raw.count(&format!("{FACTS} EXCEPT {FRESH_FACTS}")).await, 0);
        assert_eq!(raw.count(&format!("{FRESH_FACTS} EXCEPT {FACTS}")).await, 0);
        // Three first steps and the revision the rejection opened; the deleted record's task
        // is not among them.
        assert_eq!(raw.count(FACTS).await, 3, "{:?}", app.db.backend());
        let deleted = format!("SELECT id FROM task_facts WHERE record_id = '{}'", ids[2]);
        assert_eq!(raw.count(&deleted).await, 0);
        let timed = "SELECT id FROM task_facts WHERE status = 'done' AND duration_s >= 0";
        assert_eq!(raw.count(timed).await, 2);

        let mut d = app.signed_in("director").await;
        let res = d
            .get(&format!(
                "/api/v1/apps/{APP}/reports/kpi-registration_approval-outcomes/data"
            ))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let data = res.json();
        let at = data["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["key"] == "decided")
            .unwrap();
        let decided: i64 = data["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r[at]
                    .as_str()
                    .map_or_else(|| r[at].as_i64().unwrap(), |s| s.parse().unwrap())
            })
            .sum();
        assert_eq!(decided, 2, "{data}");

        // The facts' keys answer a form's tasks, one process's, and grouping by process.
        let app_id: AppId = APP.parse().unwrap();
        let by_process = |id: &str, process: Option<&str>| {
            let filters = process.map_or(
                json!([]),
                |p| json!([{"field": "process", "op": "eq", "value": p}]),
            );
            report(
                id,
                json!({"source": "tasks", "filters": filters,
                    "group_by": [{"field": "process"}, {"field": "status"}],
                    "measures": [{"fn": "count"}]}),
            )
        };
        let defs = [
            by_process("whole_form", None),
            by_process("one_process", Some("registration_approval")),
            by_process("unknown_process", Some("no_such_process")),
        ];
        let scope = ReportScope {
            app_id: app_id.clone(),
            visibility: Visibility::All,
        };
        let mut counts = Vec::new();
        for p in plans(&app, &app_id, &defs).await {
            let rows = app.store.run_report(&p, &scope).await.unwrap().rows;
            let mut lines: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
            lines.sort();
            counts.push(lines);
        }
        let at = app.db.backend();
        assert_eq!(counts[0], counts[1], "{at:?}");
        assert_eq!(counts[0].len(), 2, "done and open: {counts:?}");
        assert!(
            counts[0]
                .iter()
                .all(|l| l.contains("registration_approval")),
            "{counts:?}"
        );
        assert!(counts[2].is_empty(), "{counts:?}");
    }
}
