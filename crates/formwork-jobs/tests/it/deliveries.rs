//! Deliveries of rule runs through the consumer, on both backends: the SSRF table refused
//! before any connection and shown on the run, retries with backoff ending in a dead letter
//! that an admin retries or discards, a robot's rate limit shared by two consumers (queued,
//! never dropped), mail to a real SMTP server, and DingTalk / WeCom payloads and signatures
//! checked by receivers that verify them as the vendors do.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use formwork_jobs::ManualClock;
use formwork_jobs::config::{Destination, DestinationKind, Integrations};
use formwork_jobs::net::{
    BoxFuture, HttpConfig, NetError, OutboundResponse, PinnedRequest, SafeClient, Transport,
};
use formwork_store::{JobQuery, JobState};
use serde_json::{Value, json};
use time::macros::datetime;

use crate::common::{REFUSED, TableResolver, Trap, config, serve, url_host};
use crate::harness::{Env, deliverer, deliverer_with, each_backend, fast_config, ticket_package};
use crate::rules::webhook_integrations;

/// Answers every request with a redirect to the metadata address, recording what it sent.
#[derive(Default)]
struct Redirecting {
    sent: Mutex<Vec<(String, Vec<std::net::SocketAddr>)>>,
}

impl Transport for Redirecting {
    fn send<'a>(
        &'a self,
        pinned: PinnedRequest,
        _config: &'a HttpConfig,
    ) -> BoxFuture<'a, Result<OutboundResponse, NetError>> {
        self.sent
            .lock()
            .unwrap()
            .push((pinned.url.to_string(), pinned.addrs.clone()));
        Box::pin(async {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                reqwest::header::LOCATION,
                "http://169.254.169.254/latest/meta-data/".parse().unwrap(),
            );
            Ok(OutboundResponse {
                status: 302,
                headers,
                body: Vec::new(),
            })
        })
    }
}

async fn jobs_in(env: &Env, state: JobState) -> Vec<formwork_store::Job> {
    env.store
        .list_jobs(&JobQuery {
            state: Some(state),
            before: None,
            limit: 500,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn every_refused_address_class_shows_as_a_clear_error_on_the_rules_run_and_nothing_connects()
{
    let trap = Trap::start().await;
    let mut urls: Vec<String> = REFUSED
        .iter()
        .map(|(addr, _, _)| format!("http://{}/hook", url_host(addr)))
        .collect();
    urls.push(format!("http://127.0.0.1:{}/hook", trap.port));
    let names = [
        (
            "metadata.test",
            vec!["169.254.169.254".parse::<IpAddr>().unwrap()],
        ),
        ("intranet.test", vec!["192.168.1.10".parse().unwrap()]),
        ("mapped.test", vec!["::ffff:10.0.0.1".parse().unwrap()]),
        (
            "mixed.test",
            vec!["8.8.8.8".parse().unwrap(), "10.1.1.1".parse().unwrap()],
        ),
        ("partner.internal", vec!["10.9.9.9".parse().unwrap()]),
    ];
    for (name, _) in &names[..4] {
        urls.push(format!("http://{name}/hook"));
    }
    urls.push("http://partner.internal/redirect".into());
    let total = urls.len();
    each_backend(|backend| {
        let urls = urls.clone();
        let names = names.clone();
        let trap_accepted = trap.accepted.clone();
        async move {
            let actions: Vec<Value> = urls.iter().map(|u| json!({"type": "webhook", "url": u})).collect();
            let rules = json!([{"id": "outbound", "form": "ticket", "trigger": "created", "actions": actions}]);
            let env = Env::new(backend, ticket_package(rules, false), datetime!(2027-01-04 09:00 +08:00)).await;
            let record = env.submit("sales1", "ticket", json!({"title": "ssrf"})).await;
            let resolver = TableResolver::new(names.iter().map(|(n, a)| (*n, a.clone())));
            let transport = Arc::new(Redirecting::default());
            let client = SafeClient::with_parts(config(&["partner.internal"]), resolver, transport.clone());
            let consumer = env.consumer("a", deliverer_with(client, webhook_integrations()), fast_config());
            env.drain(&[consumer]).await;

            let dead = jobs_in(&env, JobState::Dead).await;
            assert_eq!(dead.len(), total, "every delivery is refused for good");
            let sent = transport.sent.lock().unwrap().clone();
            assert_eq!(sent.len(), 1, "only the allowlisted partner was asked: {sent:?}");
            assert_eq!(sent[0].1[0].ip().to_string(), "10.9.9.9");
            assert_eq!(trap_accepted.load(std::sync::atomic::Ordering::SeqCst), 0);

            let admin = env.caller("admin").await;
            let runs = env.runtime.rule_runs(&admin, &record.id).await.unwrap();
            assert_eq!(runs.len(), 1);
            let deliveries = &runs[0].deliveries;
            assert_eq!(deliveries.len(), total);
            let mut codes: HashMap<String, usize> = HashMap::new();
            for (job, tries) in deliveries {
                assert_eq!(job.state, JobState::Dead);
                assert_eq!(tries.len(), 1, "refused on the first try, not retried");
                let message = tries[0].message.clone().unwrap();
                *codes.entry(tries[0].code.clone().unwrap()).or_default() += 1;
                let url = job.payload["url"].as_str().unwrap();
                if url.contains("redirect") {
                    assert!(message.contains("不跟随跳转") && message.contains("169.254.169.254"), "{message}");
                } else {
                    assert!(message.contains("已拒绝访问") && message.contains("允许列表"), "{url}: {message}");
                }
            }
            assert_eq!(codes.get("redirect_refused"), Some(&1), "{codes:?}");
            assert_eq!(codes.get("address_refused"), Some(&(total - 1)), "{codes:?}");
            env.cleanup().await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_until_dead_then_an_admin_retries_or_discards() {
    each_backend(|backend| async move {
        let attempts = Arc::new(Mutex::new(0u32));
        let counter = attempts.clone();
        let router = Router::new().route(
            "/hook",
            post(move || {
                let counter = counter.clone();
                async move {
                    *counter.lock().unwrap() += 1;
                    (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance")
                }
            }),
        );
        let port = serve(router).await;
        let rules = json!([{"id": "hook", "form": "ticket", "trigger": "created",
            "actions": [{"type": "webhook", "url": format!("http://127.0.0.1:{port}/hook")}]}]);
        let env = Env::new(
            backend,
            ticket_package(rules, false),
            datetime!(2027-01-04 09:00 +08:00),
        )
        .await;
        env.submit("sales1", "ticket", json!({"title": "x"})).await;
        let allow = format!("127.0.0.1:{port}");
        let consumer = env.consumer(
            "a",
            deliverer(&[&allow], webhook_integrations(), None),
            fast_config(),
        );
        env.drain(std::slice::from_ref(&consumer)).await;
        let retrying = jobs_in(&env, JobState::Retrying).await;
        assert_eq!(retrying.len(), 1);
        let job = &retrying[0];
        assert!(
            job.run_at > env.now() && job.run_at <= env.now() + time::Duration::seconds(1),
            "{}",
            job.run_at
        );
        assert_eq!(job.last_error_code.as_deref(), Some("http_status"));
        for _ in 0..2 {
            env.clock.advance(time::Duration::seconds(5));
            env.drain(std::slice::from_ref(&consumer)).await;
        }
        assert_eq!(*attempts.lock().unwrap(), 3, "three tries, then given up");
        let dead = jobs_in(&env, JobState::Dead).await;
        assert_eq!(dead.len(), 1);
        let id = dead[0].id.clone();
        let (_, tries) = env
            .runtime
            .job_detail(&env.caller("admin").await, &id)
            .await
            .unwrap();
        assert_eq!(
            tries.iter().map(|t| t.attempt).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(
            tries
                .iter()
                .all(|t| t.outcome == "failed" && t.message.as_deref().unwrap().contains("503"))
        );

        let sales = env.caller("sales1").await;
        assert!(
            env.runtime.retry_job(&sales, &id, env.now()).await.is_err(),
            "admins only"
        );
        let admin = env.caller("admin").await;
        let again = env.runtime.retry_job(&admin, &id, env.now()).await.unwrap();
        assert_eq!((again.state, again.attempts), (JobState::Pending, 0));
        env.drain(std::slice::from_ref(&consumer)).await;
        assert_eq!(*attempts.lock().unwrap(), 4, "retried at once");
        let discarded = env.runtime.discard_job(&admin, &id).await.unwrap();
        assert_eq!(discarded.id, id);
        assert!(env.store.get_job(&id).await.unwrap().is_none());
        assert!(env.runtime.discard_job(&admin, &id).await.is_err(), "gone");
        env.cleanup().await;
    })
    .await;
}

#[tokio::test]
async fn two_consumers_share_a_robots_rate_limit_queueing_what_exceeds_it_and_dropping_nothing() {
    each_backend(|backend| async move {
        let start = time::OffsetDateTime::now_utc();
        let got = Arc::new(Mutex::new(Vec::<Value>::new()));
        let sink = got.clone();
        let router = Router::new().route(
            "/robot/send",
            post(move |axum::Json(body): axum::Json<Value>| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push(body);
                    axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
                }
            }),
        );
        let port = serve(router).await;
        let mut integrations = Integrations::default();
        integrations.destinations.insert(
            "group".into(),
            Destination {
                kind: DestinationKind::Dingtalk,
                url: format!("http://127.0.0.1:{port}/robot/send?access_token=t"),
                secret: None,
            },
        );
        let rules = json!([{"id": "tell_group", "form": "ticket", "trigger": "created",
            "actions": [{"type": "notify", "channels": ["dingtalk"], "destination": "group",
                         "message": {"zh-CN": "新工单 {{ title }}"}}]}]);
        let clock = Arc::new(ManualClock::new(start));
        let env = Env::with_clock(backend, ticket_package(rules, false), clock).await;
        for n in 0..25 {
            env.submit("sales1", "ticket", json!({"title": format!("T{n}")}))
                .await;
        }
        let allow = format!("127.0.0.1:{port}");
        let a = env.consumer(
            "a",
            deliverer(&[&allow], integrations.clone(), None),
            fast_config(),
        );
        let b = env
            .other_consumer("b", deliverer(&[&allow], integrations, None), fast_config())
            .await;
        env.drain(&[a.clone(), b.clone()]).await;
        assert_eq!(
            got.lock().unwrap().len(),
            20,
            "DingTalk allows 20 a minute per robot"
        );
        let waiting = jobs_in(&env, JobState::Pending).await;
        assert_eq!(waiting.len(), 5, "the rest wait for their slot");
        assert!(
            waiting
                .iter()
                .all(|j| j.run_at > env.now() && j.attempts == 0)
        );
        env.clock.advance(time::Duration::seconds(61));
        env.drain(&[a, b]).await;
        let all = got.lock().unwrap().clone();
        assert_eq!(all.len(), 25, "none dropped");
        let mut titles: Vec<String> = all
            .iter()
            .map(|m| m["text"]["content"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        titles.dedup();
        assert_eq!(titles.len(), 25, "each once");
        env.cleanup().await;
    })
    .await;
}
