//! `formwork serve` processes working one queue while one is killed with SIGKILL mid-work:
//! two instances on one PostgreSQL, and one SQLite instance killed and started again. Every
//! reminder and rule effect lands in-app exactly once, and a webhook receiver that fails 30 %
//! of requests at random gets every event at least once, with stable ids, none lost.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use formwork_model::{AppId, FormId, JobState};
use formwork_runtime::signature::{EVENT_ID_HEADER, SIGNATURE_HEADER, verify_webhook_signature};
use formwork_runtime::{Runtime, system_actor};
use formwork_store::{JobQuery, NotificationQuery, Store};
use formwork_testkit::{Backend, TestDb};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const SECRET: &str = "kill-test-secret";
const RECORDS: usize = 16;

/// A receiver that fails 30 % of requests at random and records the event ids it accepted.
#[derive(Clone, Default)]
struct Flaky {
    accepted: Arc<Mutex<Vec<String>>>,
    refused: Arc<Mutex<u32>>,
}

async fn start_flaky(flaky: Flaky) -> u16 {
    let router = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let flaky = flaky.clone();
            async move {
                let id = headers
                    .get(EVENT_ID_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let sig = headers
                    .get(SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let five_min = std::time::Duration::from_secs(300);
                if verify_webhook_signature(SECRET, sig, &body, OffsetDateTime::now_utc(), five_min)
                    .is_err()
                {
                    return StatusCode::UNAUTHORIZED;
                }
                if rand::random::<f64>() < 0.3 {
                    *flaky.refused.lock().unwrap() += 1;
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                flaky.accepted.lock().unwrap().push(id);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    port
}

fn package(port: u16) -> Value {
    let hook = format!("http://127.0.0.1:{port}/hook");
    json!({
        "format": "formwork/app@1",
        "id": "ops",
        "name": {"zh-CN": "运维工单"},
        "forms": [{
            "id": "ticket",
            "name": {"zh-CN": "工单"},
            "schema": {"type": "object", "properties": {
                "title": {"type": "string"}, "due": {"type": "string", "format": "date-time"}}},
            "permissions": {"create": ["*"], "read_all": ["*"]}
        }],
        "processes": [{
            "id": "review", "name": {"zh-CN": "审核"}, "form": "ticket",
            "nodes": [
                {"id": "start", "kind": "start"},
                {"id": "check", "kind": "approval", "name": {"zh-CN": "经理审核"},
                 "assignee": {"type": "user", "username": "manager1"},
                 "deadline": {"until_field": "due", "remind_before_hours": 0, "escalate": {"type": "notify_head"}}},
                {"id": "done", "kind": "end", "outcome": "approved"}
            ],
            "edges": [{"from": "start", "to": "check"}, {"from": "check", "to": "done"}]
        }],
        "rules": [
            {"id": "created", "form": "ticket", "trigger": "created", "actions": [
                {"type": "notify", "to": [{"type": "owner"}], "message": {"zh-CN": "已创建 {{ title }}"}},
                {"type": "webhook", "url": hook}]},
            {"id": "overdue", "form": "ticket", "trigger": {"type": "task_overdue", "hours": 0}, "actions": [
                {"type": "notify", "to": [{"type": "task_assignee"}], "message": {"zh-CN": "超时 {{ title }}"}},
                {"type": "webhook", "url": hook}]}
        ]
    })
}

/// A `formwork serve` on `url`, its worker fast (50 ms polls, 2 s leases, retries from 200 ms).
fn serve(url: &str, port: u16, dir: &std::path::Path) -> Child {
    std::fs::write(
        dir.join("integrations.json"),
        json!({"webhook_secret": SECRET}).to_string(),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", url)
        .env("FORMWORK_DATA_DIR", dir)
        .env("FORMWORK_LOG", "warn")
        .env("FORMWORK_INTEGRATIONS_FILE", dir.join("integrations.json"))
        .env("FORMWORK_OUTBOUND_ALLOW", format!("127.0.0.1:{port}"))
        .env("FORMWORK_JOBS_POLL_MS", "50")
        .env("FORMWORK_JOBS_LEASE_SECS", "2")
        .env("FORMWORK_JOBS_RETRY_BASE_MS", "200")
        .env("FORMWORK_JOBS_MAX_ATTEMPTS", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start formwork serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening"), "{line}");
    child
}

struct World {
    store: Arc<dyn Store>,
    runtime: Arc<Runtime>,
}

async fn world(db: &TestDb, port: u16) -> World {
    let store = db.store().await.unwrap();
    let runtime = Arc::new(Runtime::new(store.clone()));
    runtime
        .ensure_demo_org("kill-test-password", false)
        .await
        .unwrap();
    let actor = system_actor();
    let imported = runtime
        .import_app(&package(port), &actor, false)
        .await
        .unwrap();
    assert!(imported.problems.is_empty(), "{:?}", imported.problems);
    runtime.publish(&imported.app_id, &actor).await.unwrap();
    World { store, runtime }
}

/// Submits the tickets, each due two seconds later.
async fn submit(w: &World) {
    let user = w.runtime.user_by_username("sales1").await.unwrap();
    let caller = w.runtime.caller(user).await.unwrap();
    let app = AppId::parse("ops").unwrap();
    let form = FormId::parse("ticket").unwrap();
    for n in 0..RECORDS {
        let now = OffsetDateTime::now_utc();
        let due = (now + time::Duration::seconds(2)).format(&Rfc3339).unwrap();
        w.runtime
            .submit_record(
                &caller,
                &app,
                &form,
                &json!({"title": format!("T{n}"), "due": due}),
                None,
                now,
            )
            .await
            .unwrap();
    }
}

async fn messages(w: &World, username: &str, kind: &str) -> Vec<Value> {
    let user = w.runtime.user_by_username(username).await.unwrap();
    let query = NotificationQuery {
        user_id: user.id,
        kind: Some(kind.into()),
        before: None,
        limit: 500,
    };
    w.store
        .list_notifications(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.payload)
        .collect()
}

async fn unfinished(w: &World) -> usize {
    let mut n = 0;
    for state in [JobState::Pending, JobState::Running, JobState::Retrying] {
        n += w
            .store
            .list_jobs(&JobQuery {
                state: Some(state),
                before: None,
                limit: 500,
            })
            .await
            .unwrap()
            .len();
    }
    n
}

/// Waits until every job is finished and every expected message is there.
async fn settle(w: &World) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let overdue = messages(w, "manager1", "rule").await.len();
        let escalations = messages(w, "director", "escalation").await.len();
        if overdue >= RECORDS && escalations >= RECORDS && unfinished(w).await == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the queue did not settle: {} unfinished",
            unfinished(w).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Each record's effects exactly once in-app; every webhook event delivered, none lost.
async fn check(w: &World, flaky: &Flaky) {
    let by_record = |messages: Vec<Value>| {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for m in messages {
            *counts
                .entry(m["record_id"].as_str().unwrap_or_default().to_owned())
                .or_default() += 1;
        }
        counts
    };
    for (who, kind) in [
        ("sales1", "rule"),
        ("manager1", "rule"),
        ("manager1", "reminder"),
        ("director", "escalation"),
    ] {
        let counts = by_record(messages(w, who, kind).await);
        assert_eq!(counts.len(), RECORDS, "{who}/{kind}: {counts:?}");
        assert!(
            counts.values().all(|n| *n == 1),
            "{who}/{kind} more than once: {counts:?}"
        );
    }
    let jobs = w
        .store
        .list_jobs(&JobQuery {
            state: None,
            before: None,
            limit: 1000,
        })
        .await
        .unwrap();
    let webhooks: HashSet<String> = jobs
        .iter()
        .filter(|j| j.kind == "deliver.webhook")
        .map(|j| {
            assert_eq!(j.state, JobState::Done, "{j:?}");
            j.event_id.clone()
        })
        .collect();
    assert_eq!(webhooks.len(), 2 * RECORDS);
    let accepted: HashSet<String> = flaky.accepted.lock().unwrap().iter().cloned().collect();
    assert_eq!(
        accepted, webhooks,
        "every event arrived, under its job's event id"
    );
    assert!(
        *flaky.refused.lock().unwrap() > 0,
        "the receiver did refuse some"
    );
}

#[tokio::test]
async fn two_postgresql_instances_one_killed_mid_work_give_each_effect_once_and_lose_no_event() {
    let Some(db) = TestDb::new(Backend::Postgres).await.unwrap() else {
        return;
    };
    let flaky = Flaky::default();
    let port = start_flaky(flaky.clone()).await;
    let w = world(&db, port).await;
    let dir = tempdir("pg");
    let mut a = serve(db.url(), port, &dir);
    let mut b = serve(db.url(), port, &dir);
    submit(&w).await;
    // Kill A while it is working: once deliveries have begun.
    let started = Instant::now();
    while flaky.accepted.lock().unwrap().len() < 4 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill().unwrap();
    a.wait().unwrap();
    settle(&w).await;
    check(&w, &flaky).await;
    b.kill().unwrap();
    b.wait().unwrap();
    drop(w);
    db.cleanup().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_sqlite_instance_killed_mid_work_and_started_again_gives_each_effect_once() {
    let db = TestDb::sqlite().unwrap();
    let flaky = Flaky::default();
    let port = start_flaky(flaky.clone()).await;
    let w = world(&db, port).await;
    let dir = tempdir("sqlite");
    let mut first = serve(db.url(), port, &dir);
    submit(&w).await;
    let started = Instant::now();
    while flaky.accepted.lock().unwrap().len() < 4 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let mut second = serve(db.url(), port, &dir);
    settle(&w).await;
    check(&w, &flaky).await;
    second.kill().unwrap();
    second.wait().unwrap();
    drop(w);
    db.cleanup().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

fn tempdir(tag: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("formwork-kill-{tag}-{}", formwork_store::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
