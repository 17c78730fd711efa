//! The permission matrix, on SQLite and PostgreSQL: every demo role against one project of
//! sales1's (customer 上海示例科技有限公司, in review at the director), over records, fields,
//! tasks, files, comments, reports, exports, portal pages and admin APIs, as own / same
//! department / other department / customer / other customer / everything. Each cell's
//! expected answer comes from [`MATRIX`]; where existence must not leak, the answer is 404,
//! never 403. Every cell is checked and every mismatch reported together.
//!
//! Reports aggregate over every row a role may read, and a customer row scope (a client) is
//! not one they are built for: reports answer clients 404, exactly as for a form the caller
//! cannot read at all (`Runtime::visibility`). An export is the caller's own list as a file, so
//! a client's export holds their customer's projects — the rows the records API lists them —
//! with only the fields they read (no `amount`); another customer's client finds nothing of
//! it. Every export's columns follow the same table's field cells.

use crate::common::pages::Browser;
use crate::common::{TestApp, apps, open_tasks, rid};
use crate::http_portal::{portal_demo, projects_of};
use axum::http::{Method, StatusCode};
use serde_json::json;

/// One actor's row: who, how they stand to the record, and the expected answer of each
/// action (`None` where the action does not apply because the record is not theirs to read).
struct Row {
    user: &'static str,
    relation: &'static str,
    /// `GET /api/v1/records/{id}`
    read: u16,
    /// The record is in their list.
    listed: bool,
    /// `amount` / `actual_cost` are in the data they read.
    amount: Option<bool>,
    actual_cost: Option<bool>,
    /// `PATCH /api/v1/records/{id}` (in review: 409 for whoever may edit it).
    edit: u16,
    /// `POST /records/{id}/comments` (an internal comment; 303 = posted).
    comment: u16,
    /// `GET /portal/records/{id}`.
    portal: u16,
    /// Downloading the file shared with the client on the record.
    shared_file: u16,
    /// `GET /api/v1/tasks/{id}` of the director's open task on the record.
    task: u16,
    /// `GET /api/v1/jobs`, an admin API.
    admin_api: u16,
    /// `GET /api/v1/apps/…/reports/projects_table/data`.
    report: u16,
    /// The project is among the rows of that report.
    in_report: bool,
    /// `GET …/reports/amount_by_region/data`: a report over the `amount` field.
    amount_report: u16,
    /// `GET …/forms/project/records/export?format=csv`.
    export: u16,
    /// The project is in that export.
    exported: bool,
    /// `GET /portal`, the client portal's home page.
    portal_home: u16,
    /// The people admin APIs: `GET /api/v1/departments` and
    /// `POST /api/v1/users/{username}/tokens`.
    people_api: u16,
}

impl Row {
    /// The columns of reports, exports, the portal home and the people admin APIs.
    const fn then(
        mut self,
        (report, in_report, amount_report): (u16, bool, u16),
        (export, exported): (u16, bool),
        portal_home: u16,
        people_api: u16,
    ) -> Row {
        self.report = report;
        self.in_report = in_report;
        self.amount_report = amount_report;
        self.export = export;
        self.exported = exported;
        self.portal_home = portal_home;
        self.people_api = people_api;
        self
    }
}

const fn row(
    (user, relation): (&'static str, &'static str),
    read: u16,
    fields: (Option<bool>, Option<bool>),
    edit: u16,
    comment: u16,
    task: u16,
    admin_api: u16,
) -> Row {
    let readable = read == 200;
    Row {
        user,
        relation,
        read,
        listed: readable,
        amount: fields.0,
        actual_cost: fields.1,
        edit,
        comment,
        portal: read,
        shared_file: read,
        task,
        admin_api,
        report: 0,
        in_report: false,
        amount_report: 0,
        export: 0,
        exported: false,
        portal_home: 0,
        people_api: 0,
    }
}

const HIDDEN: (Option<bool>, Option<bool>) = (None, None);
const ALL_FIELDS: (Option<bool>, Option<bool>) = (Some(true), Some(true));

/// The expected answers.
const MATRIX: &[Row] = &[
    row(
        ("sales1", "own"),
        200,
        (Some(true), Some(false)),
        409,
        303,
        404,
        403,
    )
    .then((200, true, 200), (200, true), 200, 403),
    row(
        ("sales2", "other department"),
        404,
        HIDDEN,
        404,
        404,
        404,
        403,
    )
    .then((200, false, 200), (200, false), 200, 403),
    row(
        ("manager1", "same department (head)"),
        200,
        ALL_FIELDS,
        403,
        303,
        404,
        403,
    )
    .then((200, true, 200), (200, true), 200, 403),
    row(
        ("manager2", "other department (head)"),
        404,
        HIDDEN,
        404,
        404,
        404,
        403,
    )
    .then((200, false, 200), (200, false), 200, 403),
    row(
        ("director", "everything"),
        200,
        ALL_FIELDS,
        403,
        303,
        200,
        403,
    )
    .then((200, true, 200), (200, true), 200, 403),
    row(
        ("finance", "everything, read only"),
        200,
        ALL_FIELDS,
        403,
        303,
        404,
        403,
    )
    .then((200, true, 200), (200, true), 200, 403),
    row(
        ("east_head", "everything, read only"),
        200,
        (Some(true), Some(false)),
        403,
        303,
        404,
        403,
    )
    .then((200, true, 200), (200, true), 200, 403),
    row(
        ("client1", "customer"),
        200,
        (Some(false), Some(false)),
        403,
        404,
        404,
        403,
    )
    .then((404, false, 404), (200, true), 200, 403),
    row(
        ("client2", "other customer"),
        404,
        HIDDEN,
        404,
        404,
        404,
        403,
    )
    .then((404, false, 404), (200, false), 200, 403),
    row(
        ("analyst", "no role on the form"),
        404,
        HIDDEN,
        404,
        404,
        404,
        403,
    )
    .then((404, false, 404), (404, false), 200, 403),
    row(("admin", "admin"), 200, ALL_FIELDS, 409, 303, 404, 200).then(
        (200, true, 200),
        (200, true),
        200,
        200,
    ),
];

struct Fixture {
    record: String,
    /// Its name and amount, to find them in reports and exports.
    name: String,
    amount: String,
    /// Its current revision, so an edit meets the permission check, not a stale one.
    rev: i64,
    task: String,
    file_url: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    portal_demo(app).await;
    let mine = projects_of(app, "sales1").await;
    let record = mine
        .iter()
        .find(|p| p["status"] == "in_review")
        .expect("a project in review")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Finance's cost figure, written under the process as a step with that field would.
    let stored = app.store.get_record(&rid(&record)).await.unwrap().unwrap();
    let mut data = stored.data.clone();
    data["actual_cost"] = json!("12000.00");
    app.store
        .update_record(
            &formwork_store::RecordUpdate {
                id: stored.id.clone(),
                expected_rev: stored.rev,
                diff: json!({"actual_cost": {"from": null, "to": "12000.00"}}),
                data,
                status: stored.status,
                events: Vec::new(),
                audit_note: None,
            },
            &stored.owner_id,
        )
        .await
        .unwrap();
    let (task, who, _) = open_tasks(app, &record).await.remove(0);
    assert_eq!(who, "director");
    let mut client = Browser::signed_in(app, "client1").await;
    let res = client
        .post_multipart(
            &format!("/portal/records/{record}/files"),
            &[],
            &[("file", "范围说明.pdf", b"%PDF-1.4\n%%EOF\n")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = client.get(&format!("/portal/records/{record}")).await;
    let start = page
        .html
        .find(&format!("/portal/records/{record}/files/").replace('/', "&#x2f;"))
        .unwrap();
    let file_url = page.html[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect::<String>()
        .replace("&#x2f;", "/");
    Fixture {
        name: stored.data["name"].as_str().unwrap().to_owned(),
        amount: stored.data["amount"].as_str().unwrap().to_owned(),
        rev: stored.rev + 1,
        record,
        task,
        file_url,
    }
}

/// The answers `row.user` gets, in the order of [`Row`]'s fields, as text for the report.
async fn observe(app: &TestApp, f: &Fixture, user: &str) -> Vec<(&'static str, String)> {
    let mut api = app.signed_in(user).await;
    let mut page = Browser::signed_in(app, user).await;
    let id = &f.record;
    let got = api.get(&format!("/api/v1/records/{id}")).await;
    let data = got.json()["data"].clone();
    let has = |k: &str| {
        if got.status == StatusCode::OK {
            Some(data.get(k).is_some()).map(|b| b.to_string())
        } else {
            None
        }
        .unwrap_or_else(|| "-".into())
    };
    let listed = api
        .get("/api/v1/apps/project-registration/forms/project/records?limit=200")
        .await
        .json()["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|r| r["id"] == id.as_str()));
    let patch = api
        .send(
            Method::PATCH,
            &format!("/api/v1/records/{id}"),
            Some(json!({"name": "改名"}).to_string().into_bytes()),
            &[("if-match", format!("\"{}\"", f.rev).as_str())],
        )
        .await;
    let comment = page
        .post_form(&format!("/records/{id}/comments"), &[("body", "矩阵测试")])
        .await;
    let mut out = vec![
        ("read", got.status.as_u16().to_string()),
        ("listed", listed.to_string()),
        ("amount", has("amount")),
        ("actual_cost", has("actual_cost")),
        ("edit", patch.status.as_u16().to_string()),
        ("comment", comment.status.as_u16().to_string()),
        (
            "portal",
            page.get(&format!("/portal/records/{id}"))
                .await
                .status
                .as_u16()
                .to_string(),
        ),
        (
            "shared_file",
            page.get(&f.file_url).await.status.as_u16().to_string(),
        ),
        (
            "task",
            api.get(&format!("/api/v1/tasks/{}", f.task))
                .await
                .status
                .as_u16()
                .to_string(),
        ),
        (
            "admin_api",
            api.get("/api/v1/jobs").await.status.as_u16().to_string(),
        ),
    ];
    let reports = "/api/v1/apps/project-registration/reports";
    let report = api.get(&format!("{reports}/projects_table/data")).await;
    let amount_report = api.get(&format!("{reports}/amount_by_region/data")).await;
    let export = api
        .get("/api/v1/apps/project-registration/forms/project/records/export?format=csv")
        .await;
    let departments = api.get("/api/v1/departments").await.status;
    let token = api
        .post("/api/v1/users/sales1/tokens", &json!({"name": "矩阵"}))
        .await
        .status;
    // Admins may list departments but never hold a token acting as a person (422).
    let people_api = if departments == StatusCode::OK && token == StatusCode::UNPROCESSABLE_ENTITY {
        StatusCode::OK
    } else if departments == token {
        departments
    } else {
        panic!("{user}: departments {departments}, person token {token}")
    };
    out.extend([
        ("report", report.status.as_u16().to_string()),
        (
            "in_report",
            (report.status == StatusCode::OK && report.text().contains(&f.name)).to_string(),
        ),
        ("amount_report", amount_report.status.as_u16().to_string()),
        ("export", export.status.as_u16().to_string()),
        (
            "exported",
            (export.status == StatusCode::OK && export.text().contains(&f.name)).to_string(),
        ),
        (
            "export_amount",
            (export.status == StatusCode::OK && export.text().contains(&f.amount)).to_string(),
        ),
        (
            "export_cost",
            (export.status == StatusCode::OK && export.text().contains("12000.00")).to_string(),
        ),
        (
            "portal_home",
            page.get("/portal").await.status.as_u16().to_string(),
        ),
        ("people_api", people_api.as_u16().to_string()),
    ]);
    out
}

fn expected(r: &Row) -> Vec<(&'static str, String)> {
    let opt = |b: Option<bool>| b.map_or_else(|| "-".to_owned(), |b| b.to_string());
    vec![
        ("read", r.read.to_string()),
        ("listed", r.listed.to_string()),
        ("amount", opt(r.amount)),
        ("actual_cost", opt(r.actual_cost)),
        ("edit", r.edit.to_string()),
        ("comment", r.comment.to_string()),
        ("portal", r.portal.to_string()),
        ("shared_file", r.shared_file.to_string()),
        ("task", r.task.to_string()),
        ("admin_api", r.admin_api.to_string()),
        ("report", r.report.to_string()),
        ("in_report", r.in_report.to_string()),
        ("amount_report", r.amount_report.to_string()),
        ("export", r.export.to_string()),
        ("exported", r.exported.to_string()),
        // An export carries exactly the fields the row says the caller reads.
        (
            "export_amount",
            (r.exported && r.amount == Some(true)).to_string(),
        ),
        (
            "export_cost",
            (r.exported && r.actual_cost == Some(true)).to_string(),
        ),
        ("portal_home", r.portal_home.to_string()),
        ("people_api", r.people_api.to_string()),
    ]
}

#[tokio::test]
async fn every_role_gets_the_answer_of_the_matrix_for_every_resource_and_action() {
    for app in apps().await {
        let f = fixture(&app).await;
        let mut wrong = Vec::new();
        for r in MATRIX {
            let got = observe(&app, &f, r.user).await;
            for ((action, want), (_, have)) in expected(r).into_iter().zip(got) {
                if want != have {
                    wrong.push(format!(
                        "{} ({}) {action}: expected {want}, got {have}",
                        r.user, r.relation
                    ));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{}:\n{}",
            app.db.backend().as_str(),
            wrong.join("\n")
        );
    }
}
