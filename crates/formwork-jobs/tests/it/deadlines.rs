//! Time-driven work through the consumer, on both backends with a manual clock: an overdue
//! rule counting 16 working hours across the 2026 National Day holiday fires on the right hour
//! of the right day, once; process reminders and escalations are claimed with a lease and
//! fire once with two consumers racing; the sample app's rules (overdue 24 h, 3 days before a
//! milestone, amount raised over 5 %, large projects approved).

use formwork_jobs::config::Integrations;
use formwork_model::HoursKind;
use formwork_runtime::DecideRequest;
use formwork_store::{JobQuery, JobState, TaskStatus};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::harness::{Env, deliverer, each_backend, fast_config, ticket_package};

fn overdue_rule(hours: u32, calendar: &str) -> Value {
    json!([{
        "id": "overdue",
        "form": "ticket",
        "trigger": {"type": "task_overdue", "hours": hours, "calendar": calendar},
        "actions": [{"type": "notify",
                     "to": [{"type": "task_assignee"}, {"type": "task_assignee_head"}],
                     "message": {"zh-CN": "「{{ task_node }}」待办已超时：{{ title }}（{{ task_assignee }}）"}}]
    }])
}

#[tokio::test]
async fn sixteen_working_hours_from_the_eve_of_national_day_fall_on_october_9th_at_17_and_fire_once()
 {
    each_backend(|backend| async move {
        // 17:00 on Wednesday 30 September 2026, the last working day before the holiday
        // (1–7 October; Saturday 10 October is a make-up working day).
        let start = datetime!(2026-09-30 17:00 +08:00);
        let env = Env::new(
            backend,
            ticket_package(overdue_rule(16, "working"), true),
            start,
        )
        .await;
        env.submit("sales1", "ticket", json!({"title": "国庆前的工单"}))
            .await;
        let due = datetime!(2026-10-09 17:00 +08:00);
        assert_eq!(
            env.runtime
                .deadline_after(start, 16, HoursKind::Working)
                .await
                .unwrap(),
            due
        );
        let consumer = env.consumer(
            "a",
            deliverer(&[], Integrations::default(), None),
            fast_config(),
        );
        env.drain(std::slice::from_ref(&consumer)).await;
        let waiting = env
            .store
            .list_jobs(&JobQuery {
                state: Some(JobState::Pending),
                before: None,
                limit: 10,
            })
            .await
            .unwrap();
        let overdue: Vec<_> = waiting
            .iter()
            .filter(|j| j.kind == "rule.task_overdue")
            .collect();
        assert_eq!(overdue.len(), 1);
        assert_eq!(overdue[0].run_at, due);

        env.clock.set(datetime!(2026-10-09 16:59 +08:00));
        env.drain(std::slice::from_ref(&consumer)).await;
        assert!(
            env.messages("manager1", "rule").await.is_empty(),
            "not before 17:00"
        );
        env.clock.set(due);
        env.drain(std::slice::from_ref(&consumer)).await;
        let told = env.messages("manager1", "rule").await;
        assert_eq!(told.len(), 1);
        assert_eq!(
            told[0]["message"]["zh-CN"],
            "「经理审核」待办已超时：国庆前的工单（华东销售部经理 王强）"
        );
        assert_eq!(
            env.messages("director", "rule").await.len(),
            1,
            "the assignee's head"
        );
        env.clock.advance(Duration::days(3));
        env.drain(std::slice::from_ref(&consumer)).await;
        assert_eq!(env.messages("manager1", "rule").await.len(), 1, "once");
        env.cleanup().await;
    })
    .await;
}

#[tokio::test]
async fn an_overdue_rule_leaves_a_task_decided_in_time_alone() {
    each_backend(|backend| async move {
        let start = datetime!(2027-03-01 10:00 +08:00);
        let env = Env::new(
            backend,
            ticket_package(overdue_rule(2, "calendar"), true),
            start,
        )
        .await;
        let record = env
            .submit("sales1", "ticket", json!({"title": "quick"}))
            .await;
        let manager = env.caller("manager1").await;
        let instance = env
            .store
            .instance_for_record(&record.id)
            .await
            .unwrap()
            .unwrap();
        let task = env
            .store
            .tasks_of_instance(&instance.id)
            .await
            .unwrap()
            .remove(0);
        let approve = DecideRequest {
            action: "approve".into(),
            comment: None,
            data: None,
            to: None,
            before: false,
        };
        env.runtime
            .decide(&manager, &task.id, &approve, start + Duration::hours(1))
            .await
            .unwrap();
        env.clock.advance(Duration::hours(3));
        let consumer = env.consumer(
            "a",
            deliverer(&[], Integrations::default(), None),
            fast_config(),
        );
        env.drain(&[consumer]).await;
        assert!(env.messages("manager1", "rule").await.is_empty());
        env.cleanup().await;
    })
    .await;
}

#[tokio::test]
async fn reminders_and_escalations_are_claimed_with_a_lease_and_fire_once_with_two_consumers() {
    each_backend(|backend| async move {
        let start = datetime!(2027-03-01 10:00 +08:00);
        let env = Env::new(backend, ticket_package(json!([]), true), start).await;
        let due = start + Duration::hours(2);
        let due_text = due
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        for n in 0..6 {
            env.submit(
                "sales1",
                "ticket",
                json!({"title": format!("T{n}"), "due": due_text}),
            )
            .await;
        }
        let a = env.consumer(
            "a",
            deliverer(&[], Integrations::default(), None),
            fast_config(),
        );
        let b = env
            .other_consumer(
                "b",
                deliverer(&[], Integrations::default(), None),
                fast_config(),
            )
            .await;
        env.drain(&[a.clone(), b.clone()]).await;
        assert!(
            env.messages("manager1", "reminder").await.is_empty(),
            "not due yet"
        );
        env.clock.set(due + Duration::minutes(1));
        env.drain(&[a.clone(), b.clone()]).await;
        env.clock.advance(Duration::hours(1));
        env.drain(&[a, b]).await;
        assert_eq!(env.messages("manager1", "reminder").await.len(), 6);
        assert_eq!(env.messages("director", "escalation").await.len(), 6);
        env.cleanup().await;
    })
    .await;
}

fn sample_package() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../apps/project-registration.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn project(name: &str, amount: &str, region: &str, milestones: Value) -> Value {
    json!({"name": name, "customer": "华润置地", "contact_phone": "13800138000", "amount": amount, "region": region,
           "business_line": "software", "milestones": milestones})
}

async fn approve_all(env: &Env, record: &formwork_runtime::Record, at: OffsetDateTime) {
    let approve = DecideRequest {
        action: "approve".into(),
        comment: None,
        data: None,
        to: None,
        before: false,
    };
    for _ in 0..4 {
        let instance = env
            .store
            .instance_for_record(&record.id)
            .await
            .unwrap()
            .unwrap();
        let open: Vec<_> = env
            .store
            .tasks_of_instance(&instance.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.status == TaskStatus::Open)
            .collect();
        let Some(task) = open.first() else { return };
        let who = env
            .store
            .get_user(&task.assignee_id)
            .await
            .unwrap()
            .unwrap();
        let caller = env.caller(&who.username).await;
        env.runtime
            .decide(&caller, &task.id, &approve, at)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_sample_apps_rules_remind_notify_heads_owners_and_finance() {
    each_backend(|backend| async move {
        let start = datetime!(2027-03-01 10:00 +08:00);
        let env = Env::new(backend, sample_package(), start).await;
        let consumer = env.consumer(
            "a",
            deliverer(&[], Integrations::default(), None),
            fast_config(),
        );
        // Overdue by 24 h: the manager's task (due in 48 h) is still open 72 h later.
        let late = env
            .submit(
                "sales1",
                "project",
                project("逾期项目", "30000", "华北", json!([])),
            )
            .await;
        env.clock.set(start + Duration::hours(71));
        env.drain(std::slice::from_ref(&consumer)).await;
        assert!(env.messages("manager1", "rule").await.is_empty());
        env.clock.set(start + Duration::hours(72));
        env.drain(std::slice::from_ref(&consumer)).await;
        let reminded = env.messages("manager1", "rule").await;
        assert_eq!(reminded.len(), 1, "{reminded:#?}");
        assert!(
            reminded[0]["message"]["zh-CN"]
                .as_str()
                .unwrap()
                .contains("已超过期限 24 小时")
        );
        let head = env.messages("director", "rule").await;
        assert_eq!(head.len(), 1);
        assert!(
            head[0]["message"]["zh-CN"]
                .as_str()
                .unwrap()
                .contains("华东销售部经理 王强")
        );
        approve_all(&env, &late, env.now()).await;

        // A milestone due on 20 March: its owner hears on 17 March at 09:00.
        let now = env.now();
        let milestones = json!([{"title": "上线", "due_date": "2027-03-20", "owner": "sales2"}]);
        let rec = env
            .submit(
                "sales1",
                "project",
                project("有里程碑的项目", "40000", "华北", milestones),
            )
            .await;
        approve_all(&env, &rec, now).await;
        env.drain(std::slice::from_ref(&consumer)).await;
        env.clock.set(datetime!(2027-03-17 08:59 +08:00));
        env.drain(std::slice::from_ref(&consumer)).await;
        assert!(env.messages("sales2", "rule").await.is_empty());
        env.clock.set(datetime!(2027-03-17 09:00 +08:00));
        env.drain(std::slice::from_ref(&consumer)).await;
        let owner = env.messages("sales2", "rule").await;
        assert_eq!(owner.len(), 1, "{owner:#?}");
        assert!(
            owner[0]["message"]["zh-CN"]
                .as_str()
                .unwrap()
                .contains("里程碑「上线」将于 2027-03-20 到期")
        );

        // An approved change raises the amount by 10 %: finance hears; by 3 %: not.
        let admin = env.caller("admin").await;
        let before = env.messages("finance", "rule").await.len();
        let current = env.store.get_record(&rec.id).await.unwrap().unwrap();
        env.runtime
            .update_record(
                &admin,
                &rec.id,
                current.rev,
                &json!({"amount": "41200"}),
                env.now(),
            )
            .await
            .unwrap();
        env.drain(std::slice::from_ref(&consumer)).await;
        assert_eq!(
            env.messages("finance", "rule").await.len(),
            before,
            "3 % is not over 5 %"
        );
        let current = env.store.get_record(&rec.id).await.unwrap().unwrap();
        env.runtime
            .update_record(
                &admin,
                &rec.id,
                current.rev,
                &json!({"amount": "45320"}),
                env.now(),
            )
            .await
            .unwrap();
        env.drain(std::slice::from_ref(&consumer)).await;
        let finance = env.messages("finance", "rule").await;
        assert_eq!(finance.len(), before + 1);
        assert!(
            finance[0]["message"]["zh-CN"]
                .as_str()
                .unwrap()
                .contains("由 41200 元调整为 45320 元"),
            "{}",
            finance[0]
        );

        // A project over ¥100,000 approved: finance hears.
        let big = env
            .submit(
                "sales2",
                "project",
                project("大项目", "150000", "华北", json!([])),
            )
            .await;
        approve_all(&env, &big, env.now()).await;
        env.drain(std::slice::from_ref(&consumer)).await;
        let finance = env.messages("finance", "rule").await;
        assert_eq!(finance.len(), before + 2);
        assert!(
            finance[0]["message"]["zh-CN"]
                .as_str()
                .unwrap()
                .contains("大额项目已通过审批")
        );
        env.cleanup().await;
    })
    .await;
}
