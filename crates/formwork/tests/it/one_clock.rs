//! One clock reading per transaction: whatever instant the caller hands in, the instance and
//! the first task a submission starts are stamped with the record's own instant, never
//! before it (they were 7–9 ms earlier when the request's clock stamped them).

use formwork_runtime::Inserted;
use formwork_store::{AppId, FormId};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::common::{self, flows};

#[tokio::test]
async fn a_task_is_never_stamped_before_the_record_that_created_it() {
    for app in common::apps().await {
        flows::publish(&app, &common::sample_package()).await;
        let sales = app.runtime.user_by_username("sales1").await.unwrap();
        let caller = app.runtime.caller(sales).await.unwrap();
        let data = json!({
            "name": "时钟", "customer": "客户", "contact_phone": "13800000000",
            "amount": "1000.00", "business_line": "software", "region": "华南",
            "start_date": "2026-01-01", "end_date": "2026-12-31",
            "milestones": [{"title": "启动", "due_date": "2026-02-01"}],
        });
        // A request that took a while to reach the store: its clock is well behind.
        let late = OffsetDateTime::now_utc() - Duration::seconds(5);
        let inserted = app
            .runtime
            .submit_record(
                &caller,
                &AppId::parse(formwork::SAMPLE_APP_ID).unwrap(),
                &FormId::parse("project").unwrap(),
                &data,
                None,
                late,
            )
            .await
            .unwrap();
        let Inserted::New(record) = inserted else {
            panic!("a new record")
        };
        let instance = app
            .store
            .instance_for_record(&record.id)
            .await
            .unwrap()
            .expect("the approval started");
        let tasks = app.store.tasks_of_instance(&instance.id).await.unwrap();
        assert!(!tasks.is_empty());
        assert_eq!(instance.created_at, record.created_at);
        for task in tasks {
            assert_eq!(task.created_at, record.created_at, "{task:?}");
        }
    }
}
