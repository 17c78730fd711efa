//! The consumer end to end: a fresh database per backend with the demo organisation and a
//! published package, a runtime, a manual clock, and consumers that work the queue in rounds.

#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use formwork_jobs::channels::Mailer;
use formwork_jobs::config::{Integrations, WorkerConfig};
use formwork_jobs::net::{HttpConfig, SafeClient};
use formwork_jobs::{Consumer, Deliverer, ManualClock, RetryPolicy};
use formwork_runtime::{Caller, Record, Runtime, system_actor};
use formwork_store::{AppId, FormId, Store};
use formwork_testkit::{Backend, TestDb};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::common::{TableResolver, config, real_client};

/// Every demo user's password here.
pub const PASSWORD: &str = "test-password-1";

pub struct Env {
    pub db: TestDb,
    pub store: Arc<dyn Store>,
    pub runtime: Arc<Runtime>,
    pub clock: Arc<ManualClock>,
    pub app_id: AppId,
}

/// A worker that retries after at most a second, dead after three tries, with a short lease.
pub fn fast_config() -> WorkerConfig {
    WorkerConfig {
        poll: Duration::from_millis(10),
        lease: Duration::from_secs(5),
        batch: 8,
        retry: RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(4),
            max_attempts: 3,
        },
        ..WorkerConfig::default()
    }
}

/// A deliverer reaching the allowlisted `allow` over the real network (names resolve through
/// an empty table: the tests use IP literals).
pub fn deliverer(allow: &[&str], integrations: Integrations, mailer: Option<Mailer>) -> Deliverer {
    Deliverer {
        client: real_client(config(allow), TableResolver::new([])),
        mailer,
        integrations: Arc::new(integrations),
        public_url: Some("https://formwork.example.com".into()),
    }
}

/// A deliverer over an injected client.
pub fn deliverer_with(client: SafeClient, integrations: Integrations) -> Deliverer {
    Deliverer {
        client,
        mailer: None,
        integrations: Arc::new(integrations),
        public_url: None,
    }
}

/// The HTTP settings of a deliverer allowed to reach `allow`.
pub fn http(allow: &[&str]) -> HttpConfig {
    config(allow)
}

/// Runs `body` on SQLite, then PostgreSQL (unless skipped).
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && formwork_testkit::pg_skipped() {
            eprintln!("skipping PostgreSQL (FORMWORK_TEST_PG=skip)");
            continue;
        }
        body(backend).await;
    }
}

impl Env {
    /// A fresh database with the demo organisation and `package` published, the clock at
    /// `start`.
    pub async fn new(backend: Backend, package: Value, start: OffsetDateTime) -> Env {
        Env::with_clock(backend, package, Arc::new(ManualClock::new(start))).await
    }

    /// As [`Env::new`], on a clock the test shares (with a receiver, say).
    pub async fn with_clock(backend: Backend, package: Value, clock: Arc<ManualClock>) -> Env {
        let db = TestDb::new(backend).await.unwrap().unwrap();
        let store = db.store().await.unwrap();
        let runtime = Arc::new(Runtime::new(store.clone()));
        runtime.ensure_demo_org(PASSWORD, false).await.unwrap();
        let actor = system_actor();
        let imported = runtime.import_app(&package, &actor, false).await.unwrap();
        assert!(imported.problems.is_empty(), "{:#?}", imported.problems);
        runtime.publish(&imported.app_id, &actor).await.unwrap();
        Env {
            db,
            store,
            runtime,
            clock,
            app_id: imported.app_id,
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        formwork_jobs::Clock::now(self.clock.as_ref())
    }

    /// A consumer named `name` on this database and clock.
    pub fn consumer(&self, name: &str, deliverer: Deliverer, config: WorkerConfig) -> Consumer {
        Consumer::new(
            self.runtime.clone(),
            name.to_owned(),
            self.clock.clone(),
            deliverer,
            config,
        )
    }

    /// A consumer on its own connection pool, as another server would have.
    pub async fn other_consumer(
        &self,
        name: &str,
        deliverer: Deliverer,
        config: WorkerConfig,
    ) -> Consumer {
        let runtime = Arc::new(Runtime::new(self.db.store().await.unwrap()));
        Consumer::new(
            runtime,
            name.to_owned(),
            self.clock.clone(),
            deliverer,
            config,
        )
    }

    /// Rounds of all `consumers` side by side until a round of each finds nothing due at the
    /// clock's time; returns the number of rounds.
    pub async fn drain(&self, consumers: &[Consumer]) -> u32 {
        for n in 1..=200 {
            let rounds = futures_util::future::join_all(consumers.iter().map(|c| c.round())).await;
            if rounds.into_iter().all(|r| !r.unwrap().busy()) {
                return n;
            }
        }
        panic!("the queue did not drain in 200 rounds");
    }

    pub async fn caller(&self, username: &str) -> Caller {
        let user = self.runtime.user_by_username(username).await.unwrap();
        self.runtime.caller(user).await.unwrap()
    }

    /// Submits `data` to `form` as `username` at the clock's time.
    pub async fn submit(&self, username: &str, form: &str, data: Value) -> Record {
        let caller = self.caller(username).await;
        let form = FormId::parse(form).unwrap();
        self.runtime
            .submit_record(&caller, &self.app_id, &form, &data, None, self.now())
            .await
            .unwrap()
            .record()
            .clone()
    }

    /// Changes `patch` of `record` as `username` at the clock's time.
    pub async fn update(&self, username: &str, record: &Record, patch: Value) -> Record {
        let caller = self.caller(username).await;
        let current = self.store.get_record(&record.id).await.unwrap().unwrap();
        self.runtime
            .update_record(&caller, &record.id, current.rev, &patch, self.now())
            .await
            .unwrap()
    }

    /// In-app messages of `username`, newest first.
    pub async fn messages(&self, username: &str, kind: &str) -> Vec<Value> {
        let user = self.runtime.user_by_username(username).await.unwrap();
        let page = self
            .store
            .list_notifications(&formwork_store::NotificationQuery {
                user_id: user.id,
                kind: Some(kind.to_owned()),
                before: None,
                limit: 500,
            })
            .await
            .unwrap();
        page.into_iter().map(|n| n.payload).collect()
    }

    pub async fn cleanup(self) {
        let Env {
            db, store, runtime, ..
        } = self;
        drop(runtime);
        drop(store);
        db.cleanup().await.unwrap();
    }
}

/// A package with one form `ticket` (title, a money `amount`, an integer `counter`, a
/// datetime `due`, a user `watcher`), an optional review process on it, and `rules`.
pub fn ticket_package(rules: Value, with_process: bool) -> Value {
    let processes = if with_process {
        json!([{
            "id": "review",
            "name": {"zh-CN": "审核"},
            "form": "ticket",
            "nodes": [
                {"id": "start", "kind": "start"},
                {"id": "check", "kind": "approval", "name": {"zh-CN": "经理审核", "en": "Manager check"},
                 "assignee": {"type": "user", "username": "manager1"},
                 "deadline": {"until_field": "due", "remind_before_hours": 0, "escalate": {"type": "notify_head"}}},
                {"id": "done", "kind": "end", "outcome": "approved"}
            ],
            "edges": [{"from": "start", "to": "check"}, {"from": "check", "to": "done"}]
        }])
    } else {
        json!([])
    };
    json!({
        "format": "formwork/app@1",
        "id": "ops",
        "name": {"zh-CN": "运维工单", "en": "Ops tickets"},
        "roles": [{"id": "finance", "name": {"zh-CN": "财务"}}],
        "forms": [{
            "id": "ticket",
            "name": {"zh-CN": "工单"},
            "schema": {
                "type": "object",
                "properties": {
                    "title": {"type": "string", "maxLength": 100},
                    "amount": {"type": "string", "pattern": "^-?\\d{1,13}(\\.\\d{1,2})?$"},
                    "counter": {"type": "integer"},
                    "due": {"type": "string", "format": "date-time"},
                    "watcher": {"type": "string"},
                    "note": {"type": "string"}
                }
            },
            "ui": {"fields": {
                "amount": {"label": {"zh-CN": "金额"}, "widget": "money"},
                "watcher": {"label": {"zh-CN": "关注人"}, "widget": "user"}
            }},
            "permissions": {"create": ["*"], "read_all": ["*"], "edit_all": ["*"]}
        }],
        "processes": processes,
        "rules": rules
    })
}
