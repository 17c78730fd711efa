//! Rules run by the consumer on both backends: each in-app effect once even with two
//! consumers racing, webhooks signed with a stable event id, a rule that sets a field on its
//! own trigger stopped at the depth limit (and saying so), fields set through the form's
//! validation and recorded in the audit trail, records created in another form.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use formwork_jobs::channels::{EVENT_ID_HEADER, SIGNATURE_HEADER, verify_webhook_signature};
use formwork_jobs::config::Integrations;
use formwork_jobs::{Clock, ManualClock};
use formwork_runtime::automation::MAX_RULE_DEPTH;
use formwork_store::JobState;
use serde_json::{Value, json};
use time::macros::datetime;

use crate::common::serve;
use crate::harness::{Env, deliverer, each_backend, fast_config, ticket_package};

pub const SECRET: &str = "webhook-secret-1";

/// A webhook receiver that checks each signature and counts deliveries by event id; with
/// `fail_every` > 0 it answers 503 to every n-th request.
#[derive(Clone, Default)]
pub struct Receiver {
    pub seen: Arc<Mutex<Vec<(String, Value)>>>,
    pub bad_signatures: Arc<Mutex<u32>>,
    /// The clock signatures are checked against (the sender's manual clock); the system's
    /// when `None`.
    pub clock: Option<Arc<ManualClock>>,
}

impl Receiver {
    pub async fn start(&self) -> u16 {
        let me = self.clone();
        let router = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let me = me.clone();
                async move {
                    let id = headers
                        .get(EVENT_ID_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let signature = headers
                        .get(SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    let now = me
                        .clock
                        .as_ref()
                        .map_or_else(time::OffsetDateTime::now_utc, |c| c.now());
                    let five_min = std::time::Duration::from_secs(300);
                    if verify_webhook_signature(SECRET, signature, &body, now, five_min).is_err() {
                        *me.bad_signatures.lock().unwrap() += 1;
                        return StatusCode::UNAUTHORIZED;
                    }
                    let body: Value = serde_json::from_slice(&body).unwrap();
                    me.seen.lock().unwrap().push((id, body));
                    StatusCode::OK
                }
            }),
        );
        serve(router).await
    }

    pub fn ids(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }
}

pub fn webhook_integrations() -> Integrations {
    Integrations {
        webhook_secret: Some(SECRET.into()),
        ..Integrations::default()
    }
}

#[tokio::test]
async fn each_rule_effect_happens_once_while_two_consumers_race_and_webhooks_carry_stable_ids() {
    each_backend(|backend| async move {
        let start = datetime!(2027-01-04 09:00 +08:00);
        let clock = Arc::new(ManualClock::new(start));
        let receiver = Receiver { clock: Some(clock.clone()), ..Receiver::default() };
        let port = receiver.start().await;
        let rules = json!([{
            "id": "created_notice",
            "name": {"zh-CN": "新工单通知", "en": "New ticket notice"},
            "form": "ticket",
            "trigger": "created",
            "actions": [
                {"type": "notify", "to": [{"type": "owner"}, {"type": "user", "username": "manager1"}],
                 "message": {"zh-CN": "工单「{{ title }}」已创建", "en": "Ticket {{ title }} created"}},
                {"type": "webhook", "url": format!("http://127.0.0.1:{port}/hook")}
            ]
        }]);
        let env = Env::with_clock(backend, ticket_package(rules, false), clock).await;
        let allow = format!("127.0.0.1:{port}");
        let mut records = Vec::new();
        for n in 0..12 {
            records.push(env.submit("sales1", "ticket", json!({"title": format!("T{n}")})).await);
        }
        let a = env.consumer("a", deliverer(&[&allow], webhook_integrations(), None), fast_config());
        let b = env
            .other_consumer("b", deliverer(&[&allow], webhook_integrations(), None), fast_config())
            .await;
        env.drain(&[a, b]).await;

        for who in ["sales1", "manager1"] {
            let messages = env.messages(who, "rule").await;
            let mut per_record: HashMap<String, u32> = HashMap::new();
            for m in &messages {
                *per_record.entry(m["record_id"].as_str().unwrap().to_owned()).or_default() += 1;
            }
            assert_eq!(per_record.len(), 12, "{who}: {messages:#?}");
            assert!(per_record.values().all(|n| *n == 1), "{who}: {per_record:?}");
            let title = &messages[0]["message"]["zh-CN"];
            assert!(title.as_str().unwrap().starts_with("工单「T"), "{title}");
        }
        for record in &records {
            let runs = env.store.rule_runs_of_record(&record.id).await.unwrap();
            assert_eq!(runs.len(), 1, "one run per record");
            assert_eq!(runs[0].outcome, "done");
        }
        let ids = receiver.ids();
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(ids.len(), 12, "{ids:?}");
        assert_eq!(distinct.len(), 12);
        assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0);
        let (_, body) = receiver.seen.lock().unwrap()[0].clone();
        assert_eq!(body["trigger"], "created");
        assert_eq!(body["rule_id"], "created_notice");
        assert!(ids.contains(&body["event_id"].as_str().unwrap().to_owned()), "the body names its event id");
        let left = env
            .store
            .list_jobs(&formwork_store::JobQuery { state: Some(JobState::Pending), before: None, limit: 10 })
            .await
            .unwrap();
        assert!(left.is_empty(), "{left:#?}");
        env.cleanup().await;
    })
    .await;
}

#[tokio::test]
async fn a_rule_that_sets_a_field_on_its_own_trigger_stops_at_the_depth_limit_and_says_so() {
    each_backend(|backend| async move {
        let rules = json!([{
            "id": "count_up",
            "form": "ticket",
            "trigger": {"type": "field_changed", "field": "counter"},
            "actions": [{"type": "set_field", "field": "counter", "value": "counter + 1"}]
        }]);
        let env = Env::new(
            backend,
            ticket_package(rules, false),
            datetime!(2027-01-04 09:00 +08:00),
        )
        .await;
        let record = env
            .submit("sales1", "ticket", json!({"title": "loop", "counter": 0}))
            .await;
        env.update("sales1", &record, json!({"counter": 1})).await;
        let consumer = env.consumer(
            "a",
            deliverer(&[], Integrations::default(), None),
            fast_config(),
        );
        env.drain(&[consumer]).await;

        let stored = env.store.get_record(&record.id).await.unwrap().unwrap();
        let depth = i64::from(MAX_RULE_DEPTH);
        assert_eq!(
            stored.data["counter"],
            json!(1 + depth),
            "one increment per level"
        );
        let runs = env.store.rule_runs_of_record(&record.id).await.unwrap();
        let outcomes: Vec<(&str, i32)> =
            runs.iter().map(|r| (r.outcome.as_str(), r.depth)).collect();
        assert_eq!(
            runs.len(),
            usize::try_from(depth).unwrap() + 1,
            "{outcomes:?}"
        );
        let stopped = &runs[0];
        assert_eq!(
            (stopped.outcome.as_str(), stopped.depth),
            ("stopped", MAX_RULE_DEPTH)
        );
        let message = stopped.message.as_ref().unwrap();
        assert!(
            message["zh-CN"].as_str().unwrap().contains("5 层上限"),
            "{message}"
        );
        assert!(
            message["en"].as_str().unwrap().contains("5 levels"),
            "{message}"
        );
        assert!(runs[1..].iter().all(|r| r.outcome == "done"));
        // Each change a rule made is in the audit trail, naming the rule.
        let history = env.store.record_history(&record.id).await.unwrap();
        let by_rule = history
            .iter()
            .filter(|h| h.action == "record.update" && h.detail.contains("count_up"))
            .count();
        assert_eq!(by_rule, usize::try_from(depth).unwrap());
        env.cleanup().await;
    })
    .await;
}

#[tokio::test]
async fn set_fields_go_through_the_forms_validation_and_a_refusal_shows_on_the_run() {
    each_backend(|backend| async move {
        let rules = json!([{
            "id": "bad_amount",
            "form": "ticket",
            "trigger": "created",
            "actions": [
                {"type": "set_field", "field": "amount", "value": "\"lots\""},
                {"type": "set_field", "field": "note", "value": "\"noted: \" ~ title"},
                {"type": "create_record", "form": "ticket", "fields": {"title": "\"follow-up of \" ~ title"}}
            ]
        }]);
        let env = Env::new(backend, ticket_package(rules, false), datetime!(2027-01-04 09:00 +08:00)).await;
        let record = env.submit("sales1", "ticket", json!({"title": "A"})).await;
        let consumer = env.consumer("a", deliverer(&[], Integrations::default(), None), fast_config());
        env.drain(&[consumer]).await;

        let stored = env.store.get_record(&record.id).await.unwrap().unwrap();
        assert_eq!(stored.data["note"], "noted: A");
        assert!(stored.data.get("amount").is_none_or(Value::is_null), "{}", stored.data);
        let runs = env.store.rule_runs_of_record(&record.id).await.unwrap();
        let run = runs.last().unwrap();
        assert_eq!(run.outcome, "failed");
        let actions = run.actions.as_array().unwrap();
        assert_eq!(actions[0]["outcome"], "failed");
        assert_eq!(actions[0]["code"], "invalid");
        assert!(actions[0]["message"]["zh-CN"].as_str().unwrap().contains("amount"), "{}", actions[0]);
        assert_eq!(actions[1]["outcome"], "done");
        assert_eq!(actions[2]["outcome"], "done");
        // The record made by the rule ran the rule too, one level deeper.
        // Each follow-up runs the rule again, one level deeper, until the depth limit.
        let created = env
            .store
            .list_audit(None, 500)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.action == "record.create")
            .count();
        assert_eq!(created, 1 + usize::try_from(MAX_RULE_DEPTH).unwrap());
        env.cleanup().await;
    })
    .await;
}
