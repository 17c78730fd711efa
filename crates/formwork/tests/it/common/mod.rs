//! Shared harness of the HTTP tests: the real router over a fresh database per backend, with
//! the demo organisation in it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod client;
pub mod flows;
pub mod pages;

use std::sync::Arc;

use formwork_runtime::Runtime;
use formwork_store::Store;
use formwork_testkit::{Backend, TestDb};
use formwork_web::WebConfig;

pub use client::Client;

/// The password every demo user gets in tests.
pub const PASSWORD: &str = "test-password-1";

pub struct TestApp {
    pub db: TestDb,
    /// Uploaded files of this test; removed with the app.
    pub files_dir: std::path::PathBuf,
    pub store: Arc<dyn Store>,
    pub runtime: Arc<Runtime>,
    pub router: axum::Router,
}

impl TestApp {
    pub fn client(&self) -> Client {
        Client::new(self.router.clone())
    }

    /// A second, independent instance of the server on the same database (own pool, own
    /// router), as a load balancer would have.
    pub async fn second_instance(&self) -> axum::Router {
        let store = self.db.store().await.expect("second store");
        let runtime = Runtime::new(store).with_files_dir(&self.files_dir);
        formwork_web::app(Arc::new(runtime), &WebConfig::default())
    }

    /// The runtime's caller for a user, for use cases the HTTP API does not reach.
    pub async fn runtime_caller(&self, username: &str) -> formwork_runtime::Caller {
        let user = self
            .store
            .get_user_by_username(username)
            .await
            .unwrap()
            .expect("user");
        self.runtime.caller(user.into()).await.unwrap()
    }

    /// A client already signed in as `username`.
    pub async fn signed_in(&self, username: &str) -> Client {
        let mut c = self.client();
        c.login(username, PASSWORD).await;
        c
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.files_dir);
    }
}

/// The backends every test runs on. PostgreSQL is left out only when the test command says
/// so (`FORMWORK_TEST_PG=skip`).
pub async fn apps() -> Vec<TestApp> {
    let mut out = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend).await.expect("test database") else {
            eprintln!("skipping {} (FORMWORK_TEST_PG=skip)", backend.as_str());
            continue;
        };
        let store = db.store().await.expect("store");
        let files_dir =
            std::env::temp_dir().join(format!("formwork-files-{}", formwork_store::new_id()));
        let runtime = Arc::new(Runtime::new(store.clone()).with_files_dir(&files_dir));
        runtime
            .ensure_demo_org(PASSWORD, false)
            .await
            .expect("demo organisation");
        let router = formwork_web::app(runtime.clone(), &WebConfig::default());
        out.push(TestApp {
            db,
            files_dir,
            store,
            runtime,
            router,
        });
    }
    out
}

/// `text` as a record id (tests hand ids around as the API shows them).
pub fn rid(text: &str) -> formwork_store::RecordId {
    text.parse().unwrap()
}

/// The sample app package shipped with the binary.
pub fn sample_package() -> serde_json::Value {
    serde_json::from_str(formwork::SAMPLE_APP).expect("sample app is JSON")
}

/// The open tasks of a record's process as (task id, assignee username, node), oldest first.
pub async fn open_tasks(app: &TestApp, record_id: &str) -> Vec<(String, String, String)> {
    let record_id = rid(record_id);
    let instance = app
        .store
        .instance_for_record(&record_id)
        .await
        .unwrap()
        .expect("the record has a process");
    let mut out = Vec::new();
    for task in app.store.tasks_of_instance(&instance.id).await.unwrap() {
        if task.status == formwork_store::TaskStatus::Open {
            let user = app
                .store
                .get_user(&task.assignee_id)
                .await
                .unwrap()
                .unwrap();
            out.push((task.id.to_string(), user.username, task.node_id));
        }
    }
    out
}

/// The one open task of a record, which must be `username`'s.
pub async fn only_task_of(app: &TestApp, record_id: &str, username: &str) -> String {
    let open = open_tasks(app, record_id).await;
    let who: Vec<&str> = open.iter().map(|(_, u, _)| u.as_str()).collect();
    assert_eq!(who, [username], "open tasks of {record_id}");
    open[0].0.clone()
}

/// Every task of a record's process, oldest first.
pub async fn all_tasks(app: &TestApp, record_id: &str) -> Vec<formwork_store::Task> {
    let instance = app
        .store
        .instance_for_record(&rid(record_id))
        .await
        .unwrap()
        .expect("the record has a process");
    app.store.tasks_of_instance(&instance.id).await.unwrap()
}
