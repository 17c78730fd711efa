//! The store conformance suite for background work, on SQLite and PostgreSQL: enqueuing is
//! idempotent by event id, concurrent claims never share a job, an expired lease hands a job
//! over and fences the first worker out, a completion writes all of its effects or none,
//! retries, deferrals, dead letters, admin retry and discard, rate-limit slots shared by
//! concurrent reservers, timers claimed with a lease, and purging.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use anyhow::{Context as _, ensure};
use formwork_store::{
    Claim, JobCompletion, JobFinish, JobNotification, JobQuery, JobRecordUpdate, JobState,
    NewDelivery, NewJob, NewNotification, RecordStatus, RecordUpdate, SlotRequest, Store,
    StoreError, User, UserId,
};
use formwork_testkit::fixtures::{actor, app_id, new_draft, new_record, new_user, package};
use formwork_testkit::with_each_backend;
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

type Db = Arc<dyn Store>;

const T0: OffsetDateTime = datetime!(2027-02-01 09:00 UTC);

fn claim(owner: &str, now: OffsetDateTime, limit: u32) -> Claim {
    Claim {
        owner: owner.into(),
        now,
        lease: Duration::seconds(30),
        limit,
    }
}

fn job(n: usize) -> NewJob {
    let mut job = NewJob::new("deliver.webhook", json!({ "n": n }));
    job.run_at = Some(T0);
    job
}

async fn user(store: &Db, name: &str) -> anyhow::Result<User> {
    Ok(store.create_user(new_user(name), None).await?)
}

#[tokio::test]
async fn enqueuing_twice_under_one_event_id_makes_one_job() {
    with_each_backend(|store| async move {
        let mut a = job(1);
        a.event_id = Some("overdue:app:rule:task-1".into());
        ensure!(store.enqueue_job(a.clone()).await?);
        ensure!(!store.enqueue_job(a).await?, "the second is a no-op");
        let all = store
            .list_jobs(&JobQuery {
                state: None,
                before: None,
                limit: 10,
            })
            .await?;
        ensure!(all.len() == 1 && all[0].event_id == "overdue:app:rule:task-1");
        ensure!(all[0].state == JobState::Pending && all[0].run_at == T0);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn concurrent_claimers_never_share_a_job_and_wait_for_its_time() {
    with_each_backend(|store| async move {
        for n in 0..40 {
            store.enqueue_job(job(n)).await?;
        }
        let mut later = job(99);
        later.run_at = Some(T0 + Duration::hours(1));
        store.enqueue_job(later).await?;
        let mut claimers = Vec::new();
        for w in 0..8 {
            let store = store.clone();
            claimers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = store.claim_jobs(&claim(&format!("w{w}"), T0, 3)).await?;
                    if got.is_empty() {
                        return Ok::<_, StoreError>(mine);
                    }
                    mine.extend(got.into_iter().map(|j| (j.id, j.lease_owner, j.attempts)));
                }
            }));
        }
        let mut seen = HashSet::new();
        for c in claimers {
            for (id, owner, attempts) in c.await?? {
                ensure!(seen.insert(id.clone()), "job {id} claimed twice");
                ensure!(owner.is_some() && attempts == 1);
            }
        }
        ensure!(seen.len() == 40, "claimed {}", seen.len());
        let running = store
            .list_jobs(&JobQuery {
                state: Some(JobState::Running),
                before: None,
                limit: 100,
            })
            .await?;
        ensure!(
            running.len() == 40
                && running
                    .iter()
                    .all(|j| j.run_at == T0 + Duration::seconds(30))
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn an_expired_lease_hands_the_job_over_and_fences_the_first_worker_out() {
    with_each_backend(|store| async move {
        let alice = user(&store, "alice").await?;
        store.enqueue_job(job(1)).await?;
        let first = store
            .claim_jobs(&claim("a", T0, 1))
            .await?
            .pop()
            .context("claimed")?;
        ensure!(
            store
                .claim_jobs(&claim("b", T0 + Duration::seconds(10), 1))
                .await?
                .is_empty()
        );
        let second = store
            .claim_jobs(&claim("b", T0 + Duration::seconds(31), 1))
            .await?
            .pop()
            .context("taken over")?;
        ensure!(second.id == first.id && second.attempts == 2);
        // The first worker wakes up and tries to write its effects: nothing lands.
        let mut late = JobCompletion::empty(first.lease(), T0 + Duration::seconds(32));
        late.notifications.push(JobNotification {
            note: NewNotification {
                user_id: alice.id.clone(),
                kind: "rule".into(),
                payload: json!({}),
            },
            record_id: None,
            instance_id: None,
        });
        ensure!(matches!(
            store.complete_job(late).await,
            Err(StoreError::Conflict(_))
        ));
        let finish = store
            .finish_job(
                &first.lease(),
                JobFinish::Done,
                None,
                T0 + Duration::seconds(32),
            )
            .await;
        ensure!(matches!(finish, Err(StoreError::Conflict(_))));
        ensure!(unread(&store, &alice.id).await? == 0);
        // The holder's completion lands, once.
        let mut done = JobCompletion::empty(second.lease(), T0 + Duration::seconds(33));
        done.notifications.push(JobNotification {
            note: NewNotification {
                user_id: alice.id.clone(),
                kind: "rule".into(),
                payload: json!({}),
            },
            record_id: None,
            instance_id: None,
        });
        store.complete_job(done.clone()).await?;
        ensure!(matches!(
            store.complete_job(done).await,
            Err(StoreError::Conflict(_))
        ));
        ensure!(unread(&store, &alice.id).await? == 1);
        let stored = store.get_job(&first.id).await?.context("job")?;
        ensure!(stored.state == JobState::Done && stored.finished_at.is_some());
        Ok(())
    })
    .await;
}

async fn unread(store: &Db, user: &UserId) -> anyhow::Result<u32> {
    Ok(store.unread_notifications(user).await?)
}

#[tokio::test]
async fn a_completion_whose_record_moved_on_writes_nothing() {
    with_each_backend(|store| async move {
        let alice = user(&store, "alice").await?;
        let pkg = package("apps", "应用", "App");
        store
            .create_app(&new_draft(&app_id("apps"), &pkg, &actor("analyst")))
            .await?;
        store
            .publish(&app_id("apps"), &pkg, &actor("analyst"))
            .await?;
        let inserted = store
            .insert_record(
                new_record(&app_id("apps"), &alice.id, None, json!({"n": 1})),
                &alice.id,
            )
            .await?;
        let record = inserted.record().clone();
        store.enqueue_job(job(1)).await?;
        let claimed = store
            .claim_jobs(&claim("a", T0, 1))
            .await?
            .pop()
            .context("claimed")?;
        let mut events = NewJob::new("record.updated", json!({}));
        events.event_id = Some("follow-up".into());
        let mut completion = JobCompletion::empty(claimed.lease(), T0);
        completion.record_updates.push(JobRecordUpdate {
            update: RecordUpdate {
                id: record.id.clone(),
                expected_rev: record.rev + 5,
                data: json!({"n": 2}),
                status: RecordStatus::Submitted,
                diff: json!({}),
                events: vec![events],
                audit_note: None,
            },
            actor: UserId::system(),
            cause: json!({"rules": []}),
        });
        completion.notifications.push(JobNotification {
            note: NewNotification {
                user_id: alice.id.clone(),
                kind: "rule".into(),
                payload: json!({}),
            },
            record_id: Some(record.id.clone()),
            instance_id: None,
        });
        ensure!(matches!(
            store.complete_job(completion).await,
            Err(StoreError::Conflict(_))
        ));
        ensure!(unread(&store, &alice.id).await? == 0);
        ensure!(store.get_job(&claimed.id).await?.context("job")?.state == JobState::Running);
        let all = store
            .list_jobs(&JobQuery {
                state: None,
                before: None,
                limit: 10,
            })
            .await?;
        ensure!(
            all.iter().all(|j| j.event_id != "follow-up"),
            "no follow-up event"
        );
        ensure!(store.get_record(&record.id).await?.context("record")?.data == json!({"n": 1}));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn retries_deferrals_dead_letters_and_an_admins_retry_and_discard() {
    with_each_backend(|store| async move {
        store.enqueue_job(job(1)).await?;
        let j = store
            .claim_jobs(&claim("a", T0, 1))
            .await?
            .pop()
            .context("claimed")?;
        let log = |outcome: &str| NewDelivery {
            channel: "webhook".into(),
            destination: "webhook:http://x".into(),
            started_at: T0,
            outcome: outcome.into(),
            code: Some("http_status".into()),
            message: Some("HTTP 503".into()),
        };
        let retry = JobFinish::Retry {
            at: T0 + Duration::minutes(1),
            code: "http_status".into(),
            error: "HTTP 503".into(),
        };
        store
            .finish_job(&j.lease(), retry, Some(log("failed")), T0)
            .await?;
        let stored = store.get_job(&j.id).await?.context("job")?;
        ensure!(stored.state == JobState::Retrying && stored.run_at == T0 + Duration::minutes(1));
        ensure!(stored.last_error.as_deref() == Some("HTTP 503"));
        ensure!(
            store.claim_jobs(&claim("a", T0, 1)).await?.is_empty(),
            "not before its time"
        );
        let j = store
            .claim_jobs(&claim("a", T0 + Duration::minutes(1), 1))
            .await?
            .pop()
            .context("again")?;
        ensure!(j.attempts == 2);
        store
            .finish_job(
                &j.lease(),
                JobFinish::Defer {
                    until: T0 + Duration::minutes(5),
                },
                None,
                T0,
            )
            .await?;
        let j = store
            .claim_jobs(&claim("a", T0 + Duration::minutes(5), 1))
            .await?
            .pop()
            .context("deferred")?;
        ensure!(j.attempts == 2, "a deferral is not a try");
        store
            .finish_job(
                &j.lease(),
                JobFinish::Dead {
                    code: "http_status".into(),
                    error: "HTTP 410".into(),
                },
                Some(log("failed")),
                T0,
            )
            .await?;
        let dead = store.get_job(&j.id).await?.context("job")?;
        ensure!(dead.state == JobState::Dead && dead.finished_at.is_some());
        let tries = store.job_deliveries(&j.id).await?;
        ensure!(tries.iter().map(|t| t.attempt).collect::<Vec<_>>() == [1, 2]);
        ensure!(tries[0].event_id == dead.event_id);

        let again = store
            .retry_job(&j.id, &actor("admin"), T0 + Duration::hours(1))
            .await?;
        ensure!(again.state == JobState::Pending && again.attempts == 0);
        let running = store
            .claim_jobs(&claim("a", T0 + Duration::hours(1), 1))
            .await?
            .pop()
            .context("claimed")?;
        ensure!(matches!(
            store.discard_job(&running.id, &actor("admin")).await,
            Err(StoreError::Conflict(_))
        ));
        ensure!(matches!(
            store.retry_job(&running.id, &actor("admin"), T0).await,
            Err(StoreError::Conflict(_))
        ));
        store
            .finish_job(
                &running.lease(),
                JobFinish::Retry {
                    at: T0,
                    code: "x".into(),
                    error: "x".into(),
                },
                None,
                T0,
            )
            .await?;
        let gone = store.discard_job(&running.id, &actor("admin")).await?;
        ensure!(gone.id == running.id && store.get_job(&running.id).await?.is_none());
        ensure!(matches!(
            store.discard_job(&running.id, &actor("admin")).await,
            Err(StoreError::NotFound(_))
        ));
        let audit = store.list_audit(None, 10).await?;
        ensure!(
            audit
                .iter()
                .any(|a| a.action == "job.discard" && a.subject == format!("job:{}", running.id))
        );
        ensure!(audit.iter().any(|a| a.action == "job.retry"));
        Ok(())
    })
    .await;
}

/// A slot at `dingtalk:abc` for job `id`, 20 a `window`, at `T0`.
fn slot_request(id: &str, window: Duration) -> SlotRequest<'_> {
    SlotRequest {
        destination: "dingtalk:abc",
        job_id: id,
        keep: 20,
        window,
        now: T0,
    }
}

/// The rule of formwork-jobs' limiter for 20 a minute: at most 20 slots in any minute.
fn rule(reserved: &VecDeque<OffsetDateTime>) -> OffsetDateTime {
    let mut slot = reserved.back().map_or(T0, |&last| last.max(T0));
    if reserved.len() >= 20 {
        slot = slot.max(reserved[reserved.len() - 20] + Duration::minutes(1));
    }
    slot
}

#[tokio::test]
async fn concurrent_reservations_keep_a_destinations_rate_and_a_job_keeps_its_slot() {
    with_each_backend(|store| async move {
        let window = Duration::minutes(1);
        let mut tasks = Vec::new();
        for w in 0..6 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for n in 0..5 {
                    let id = format!("job-{w}-{n}");
                    let slot = store
                        .reserve_rate_slot(slot_request(&id, window), &rule)
                        .await?;
                    got.push((id, slot));
                }
                Ok::<_, StoreError>(got)
            }));
        }
        let mut slots = Vec::new();
        for t in tasks {
            slots.extend(t.await??);
        }
        let now_count = slots.iter().filter(|(_, s)| *s == T0).count();
        let later = slots.iter().filter(|(_, s)| *s == T0 + window).count();
        ensure!(
            (now_count, later) == (20, 10),
            "{now_count} now, {later} a minute later"
        );
        let (id, slot) = slots.last().context("slot")?.clone();
        ensure!(
            store
                .reserve_rate_slot(slot_request(&id, window), &rule)
                .await?
                == slot
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn done_jobs_are_purged_with_their_log_and_others_kept() {
    with_each_backend(|store| async move {
        for n in 0..2 {
            store.enqueue_job(job(n)).await?;
        }
        let claimed = store.claim_jobs(&claim("a", T0, 2)).await?;
        let log = NewDelivery {
            channel: "email".into(),
            destination: "mail:x".into(),
            started_at: T0,
            outcome: "delivered".into(),
            code: None,
            message: None,
        };
        store
            .finish_job(&claimed[0].lease(), JobFinish::Done, Some(log), T0)
            .await?;
        ensure!(store.purge_jobs(T0).await? == 0, "not older than the cut");
        ensure!(store.purge_jobs(T0 + Duration::days(1)).await? == 1);
        ensure!(store.get_job(&claimed[0].id).await?.is_none());
        ensure!(store.job_deliveries(&claimed[0].id).await?.is_empty());
        ensure!(
            store.get_job(&claimed[1].id).await?.is_some(),
            "running jobs stay"
        );
        Ok(())
    })
    .await;
}
