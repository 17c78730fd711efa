//! The store conformance suite for processes: an instance written with its record, one step
//! per transaction with its version, open-task and fired-timer guards, timers, timelines,
//! inbox pages and notifications, on SQLite and on PostgreSQL, each test in a fresh database.

use std::sync::Arc;

use anyhow::{Context as _, bail, ensure};
use formwork_store::{
    AppId, Inserted, Instance, InstanceId, InstanceStatus, NewHistory, NewInstance, NewJob,
    NewNotification, NewTask, NewTimer, ProcessId, Record, RecordStatus, StepWrite, Store,
    StoreError, StoreResult, TaskAction, TaskBox, TaskClose, TaskId, TaskKind, TaskQuery,
    TaskStatus, User,
};
use formwork_testkit::fixtures::{
    actor, app_id, missing, new_draft, new_record, new_user, notifications, package, record_update,
};
use formwork_testkit::with_each_backend;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

pub(crate) type Db = Arc<dyn Store>;

const APP: &str = "projects";

fn app() -> AppId {
    app_id(APP)
}
const T0: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);

pub(crate) struct World {
    pub alice: User,
    pub bob: User,
    pub carol: User,
}

pub(crate) async fn world(store: &Db) -> anyhow::Result<World> {
    let mut users = Vec::new();
    for name in ["alice", "bob", "carol"] {
        users.push(store.create_user(new_user(name), None).await?);
    }
    let pkg = package(APP, "项目", "Projects");
    store
        .create_app(&new_draft(&app(), &pkg, &actor("analyst")))
        .await?;
    store.publish(&app(), &pkg, &actor("analyst")).await?;
    let carol = users.pop().context("carol")?;
    let bob = users.pop().context("bob")?;
    let alice = users.pop().context("alice")?;
    Ok(World { alice, bob, carol })
}

pub(crate) fn task(key: &str, node: &str, assignee: &User) -> NewTask {
    NewTask {
        id: TaskId::new(),
        key: key.to_owned(),
        node_id: node.to_owned(),
        assignee_id: assignee.id.clone(),
        round: 1,
        kind: TaskKind::Step,
        due_at: None,
    }
}

fn history(action: &str, actor: Option<&User>) -> NewHistory {
    NewHistory {
        actor: actor.map(|u| u.id.clone()),
        node_id: Some("a".into()),
        action: action.to_owned(),
        comment: None,
        detail: json!({"n": 1}),
    }
}

fn close(key: &str, by: &User) -> TaskClose {
    TaskClose {
        key: key.to_owned(),
        status: TaskStatus::Done,
        action: TaskAction::Approve,
        by: Some(by.id.clone()),
        comment: Some("同意".into()),
    }
}

/// A record of `owner` whose process starts with one open task per `(key, assignee)`.
pub(crate) async fn started(
    store: &Db,
    owner: &User,
    tasks: &[(&str, &User)],
) -> anyhow::Result<(Record, Instance)> {
    let instance_id = InstanceId::new();
    let mut new = new_record(&app(), &owner.id, None, json!({"name": "p"}));
    new.status = RecordStatus::InReview;
    let mut step = StepWrite::new(
        instance_id.clone(),
        json!({"status": {"state": "running"}}),
        InstanceStatus::Running,
    );
    step.tasks_created = tasks.iter().map(|(k, u)| task(k, "a", u)).collect();
    step.history = vec![history("started", Some(owner))];
    step.notifications = tasks
        .iter()
        .map(|(k, u)| NewNotification {
            user_id: u.id.clone(),
            kind: "task".into(),
            payload: json!({"key": k}),
        })
        .collect();
    step.at = Some(T0);
    new.process = Some(NewInstance {
        process_id: ProcessId::parse("approval")?,
        step,
        proposed_changes: None,
    });
    let record = match store.insert_record(new, &owner.id).await? {
        Inserted::New(r) => r,
        Inserted::Replayed(r) => bail!("replayed {}", r.id),
    };
    let instance = store
        .get_instance(&instance_id)
        .await?
        .context("the instance was written with its record")?;
    Ok((record, instance))
}

/// A step on `instance` computed from `version`.
pub(crate) fn step(instance: &Instance, version: i64) -> StepWrite {
    let mut step = StepWrite::new(
        instance.id.clone(),
        json!({"status": {"state": "running"}, "seq": version}),
        InstanceStatus::Running,
    );
    step.expected_version = Some(version);
    step.at = Some(T0 + time::Duration::hours(version));
    step
}

pub(crate) fn is_conflict<T: std::fmt::Debug>(r: &StoreResult<T>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

#[tokio::test]
async fn an_instance_is_written_with_its_record_tasks_timeline_and_messages() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let (record, instance) =
            started(&store, &w.alice, &[("a#1", &w.bob), ("a#2", &w.carol)]).await?;
        ensure!(record.status == RecordStatus::InReview);
        ensure!(instance.record_id == record.id && instance.app_id == APP);
        ensure!(instance.process_id == "approval" && instance.app_version == 1);
        ensure!(instance.version == 1 && instance.status == InstanceStatus::Running);
        ensure!(instance.state["status"]["state"] == "running");
        ensure!(store.instance_for_record(&record.id).await? == Some(instance.clone()));
        ensure!(store.instance_for_record(&missing()).await?.is_none());

        let tasks = store.tasks_of_instance(&instance.id).await?;
        let keys: Vec<_> = tasks.iter().map(|t| t.key.as_str()).collect();
        ensure!(keys == ["a#1", "a#2"], "{keys:?}");
        let first = &tasks[0];
        ensure!(first.record_id == record.id && first.assignee_id == w.bob.id);
        ensure!(
            first.status == TaskStatus::Open
                && first.action.is_none()
                && first.decided_at.is_none()
        );
        ensure!(store.get_task(&first.id).await?.as_ref() == Some(first));

        let rows = store.instance_history(&instance.id).await?;
        ensure!(rows.len() == 1 && rows[0].action == "started");
        ensure!(rows[0].actor.as_ref() == Some(&w.alice.id));
        ensure!(rows[0].at == T0 && rows[0].detail == json!({"n": 1}));

        let notes = store
            .list_notifications(&notifications(&w.bob.id, None, None, 10))
            .await?;
        ensure!(notes.len() == 1 && notes[0].kind == "task");
        ensure!(notes[0].payload["key"] == "a#1");
        ensure!(notes[0].payload["instance_id"] == instance.id.as_str());
        ensure!(notes[0].payload["record_id"] == record.id.as_str());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_step_closes_and_opens_tasks_and_moves_the_record_on_in_one_transaction() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let (record, instance) = started(&store, &w.alice, &[("a#1", &w.bob)]).await?;
        let mut s = step(&instance, 1);
        s.decided_task = Some("a#1".into());
        s.tasks_closed = vec![close("a#1", &w.bob)];
        s.tasks_created = vec![task("b#2", "b", &w.carol)];
        s.history = vec![history("decided", Some(&w.bob))];
        s.record_status = Some(RecordStatus::Approved);
        s.record_data = Some(json!({"name": "p2"}));
        s.record_diff = Some(json!({"name": {"from": "p", "to": "p2"}}));
        s.outbox = vec![NewJob::new("notify", json!({"x": 1}))];
        let after = store.apply_step(s, Some(&w.bob.id)).await?;
        ensure!(after.version == 2);
        ensure!(after.state["seq"] == 1);
        ensure!(after.updated_at == T0 + time::Duration::hours(1));

        let tasks = store.tasks_of_instance(&instance.id).await?;
        let decided = tasks.iter().find(|t| t.key == "a#1").context("a#1")?;
        ensure!(decided.status == TaskStatus::Done && decided.action == Some(TaskAction::Approve));
        ensure!(decided.decided_by.as_ref() == Some(&w.bob.id));
        ensure!(decided.comment.as_deref() == Some("同意"));
        ensure!(decided.decided_at == Some(T0 + time::Duration::hours(1)));
        let next = tasks.iter().find(|t| t.key == "b#2").context("b#2")?;
        ensure!(next.status == TaskStatus::Open && next.assignee_id == w.carol.id);

        let moved = store.get_record(&record.id).await?.context("record")?;
        ensure!(moved.status == RecordStatus::Approved && moved.data == json!({"name": "p2"}));
        ensure!(moved.rev == record.rev + 1);
        let audit = store.record_history(&record.id).await?;
        let last = audit.last().context("audit")?;
        ensure!(last.action == "record.update" && last.actor.as_deref() == Some(w.bob.id.as_str()));
        ensure!(last.detail.contains("p2"), "{}", last.detail);
        ensure!(store.instance_history(&instance.id).await?.len() == 2);
        // The step's job is pending, due from the step's instant on.
        let claim = |now| formwork_store::Claim {
            owner: "w".into(),
            now,
            lease: time::Duration::minutes(1),
            limit: 10,
        };
        ensure!(
            store.claim_jobs(&claim(T0)).await?.is_empty(),
            "not due before the step"
        );
        let jobs = store
            .claim_jobs(&claim(T0 + time::Duration::days(1)))
            .await?;
        let job = jobs
            .iter()
            .find(|j| j.payload == json!({"x": 1}))
            .context("job")?;
        ensure!(job.kind == "notify" && job.created_at == T0 + time::Duration::hours(1));
        ensure!(job.attempts == 1 && job.finished_at.is_none());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_stale_version_a_closed_task_or_a_fired_timer_refuse_the_whole_step() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let (_, instance) =
            started(&store, &w.alice, &[("a#1", &w.bob), ("a#2", &w.carol)]).await?;
        let mut s = step(&instance, 1);
        s.timers_scheduled = vec![NewTimer {
            key: "a#1/remind".into(),
            kind: "reminder".into(),
            fire_at: T0,
        }];
        store.apply_step(s, None).await?;

        // Computed from version 1, which is gone.
        let mut stale = step(&instance, 1);
        stale.history = vec![history("late", None)];
        ensure!(is_conflict(&store.apply_step(stale, None).await));

        let mut decide = step(&instance, 2);
        decide.decided_task = Some("a#1".into());
        decide.tasks_closed = vec![close("a#1", &w.bob)];
        store.apply_step(decide, None).await?;
        let mut again = step(&instance, 3);
        again.decided_task = Some("a#1".into());
        again.history = vec![history("twice", None)];
        ensure!(is_conflict(&store.apply_step(again, None).await));
        let mut unknown = step(&instance, 3);
        unknown.decided_task = Some("no-such-key".into());
        ensure!(is_conflict(&store.apply_step(unknown, None).await));

        let mut fire = step(&instance, 3);
        fire.fired_timer = Some("a#1/remind".into());
        store.apply_step(fire, None).await?;
        let mut refire = step(&instance, 4);
        refire.fired_timer = Some("a#1/remind".into());
        refire.history = vec![history("twice", None)];
        ensure!(is_conflict(&store.apply_step(refire, None).await));

        // Nothing of the refused steps stayed.
        let current = store
            .get_instance(&instance.id)
            .await?
            .context("instance")?;
        ensure!(current.version == 4, "version {}", current.version);
        let actions: Vec<_> = store
            .instance_history(&instance.id)
            .await?
            .into_iter()
            .map(|r| r.action)
            .collect();
        ensure!(actions == ["started"], "{actions:?}");

        let mut gone = step(&instance, 1);
        gone.instance_id = missing();
        ensure!(matches!(
            store.apply_step(gone, None).await,
            Err(StoreError::NotFound(_))
        ));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn fifty_concurrent_decisions_of_one_task_land_exactly_once() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let (_, instance) = started(&store, &w.alice, &[("a#1", &w.bob)]).await?;
        let mut handles = Vec::new();
        for n in 0..50 {
            let store = store.clone();
            let bob = w.bob.clone();
            let instance = instance.clone();
            handles.push(tokio::spawn(async move {
                let mut s = step(&instance, 1);
                s.decided_task = Some("a#1".into());
                s.tasks_closed = vec![close("a#1", &bob)];
                s.history = vec![history(&format!("decided-{n}"), Some(&bob))];
                store.apply_step(s, Some(&bob.id)).await
            }));
        }
        let (mut ok, mut conflicts) = (0, 0);
        for h in handles {
            match h.await? {
                Ok(_) => ok += 1,
                Err(StoreError::Conflict(_)) => conflicts += 1,
                Err(e) => bail!("unexpected error: {e}"),
            }
        }
        ensure!(
            ok == 1 && conflicts == 49,
            "{ok} landed, {conflicts} conflicts"
        );
        ensure!(store.instance_history(&instance.id).await?.len() == 2);
        ensure!(
            store
                .get_instance(&instance.id)
                .await?
                .context("instance")?
                .version
                == 2
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn timers_schedule_once_per_key_and_only_pending_ones_are_due() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let (_, instance) = started(&store, &w.alice, &[("a#1", &w.bob)]).await?;
        let timer = |key: &str, hours: i64| NewTimer {
            key: key.to_owned(),
            kind: "reminder".into(),
            fire_at: T0 + time::Duration::hours(hours),
        };
        let mut s = step(&instance, 1);
        s.timers_scheduled = vec![timer("t1", 1), timer("t2", 2), timer("t3", 3)];
        store.apply_step(s, None).await?;
        // The same keys again (a replayed step) change nothing, not even the time.
        let mut s = step(&instance, 2);
        s.timers_scheduled = vec![timer("t1", 9), timer("t2", 9)];
        s.timers_cancelled = vec!["t2".into()];
        store.apply_step(s, None).await?;

        let due = store.due_timers(T0 + time::Duration::hours(10), 10).await?;
        let keys: Vec<_> = due.iter().map(|t| t.key.as_str()).collect();
        ensure!(keys == ["t1", "t3"], "{keys:?}");
        ensure!(due[0].fire_at == T0 + time::Duration::hours(1));
        ensure!(due[0].instance_id == instance.id && due[0].kind == "reminder");
        ensure!(
            store
                .due_timers(T0 + time::Duration::minutes(90), 10)
                .await?
                .len()
                == 1
        );
        ensure!(store.due_timers(T0, 10).await?.is_empty());
        ensure!(
            store
                .due_timers(T0 + time::Duration::hours(10), 1)
                .await?
                .len()
                == 1
        );

        let mut fire = step(&instance, 3);
        fire.fired_timer = Some("t1".into());
        store.apply_step(fire, None).await?;
        let keys: Vec<_> = store
            .due_timers(T0 + time::Duration::hours(10), 10)
            .await?
            .into_iter()
            .map(|t| t.key)
            .collect();
        ensure!(keys == ["t3"], "{keys:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn inbox_boxes_page_newest_first_by_keyset() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let mut instances = Vec::new();
        for _ in 0..5 {
            instances.push(started(&store, &w.alice, &[("a#1", &w.bob)]).await?.1);
        }
        let todo = |after: Option<TaskId>, task_box| TaskQuery {
            user_id: w.bob.id.clone(),
            task_box,
            after,
            limit: 2,
        };
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_tasks(&todo(after.clone(), TaskBox::Todo))
                .await?;
            if page.is_empty() {
                break;
            }
            after = page.last().map(|t| t.id.clone());
            seen.extend(page.into_iter().map(|t| t.id));
        }
        ensure!(seen.len() == 5);
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        ensure!(seen == sorted, "newest first");
        ensure!(
            store
                .list_tasks(&todo(None, TaskBox::Done))
                .await?
                .is_empty()
        );

        let mut s = step(&instances[0], 1);
        s.decided_task = Some("a#1".into());
        s.tasks_closed = vec![close("a#1", &w.bob)];
        store.apply_step(s, None).await?;
        let done = store.list_tasks(&todo(None, TaskBox::Done)).await?;
        ensure!(done.len() == 1 && done[0].instance_id == instances[0].id);
        ensure!(store.list_tasks(&todo(None, TaskBox::Todo)).await?.len() == 2);
        let carol = TaskQuery {
            user_id: w.carol.id.clone(),
            ..todo(None, TaskBox::Todo)
        };
        ensure!(store.list_tasks(&carol).await?.is_empty());

        let mine = store.submitted_instances(&w.alice.id, None, 3).await?;
        ensure!(mine.len() == 3);
        let rest = store
            .submitted_instances(&w.alice.id, Some(&mine[2].record_id), 10)
            .await?;
        ensure!(rest.len() == 2);
        ensure!(mine[0].record_id > mine[1].record_id && mine[2].record_id > rest[0].record_id);
        ensure!(
            store
                .submitted_instances(&w.bob.id, None, 10)
                .await?
                .is_empty()
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn notifications_page_by_kind_count_unread_and_mark_read() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let (_, instance) = started(&store, &w.alice, &[("a#1", &w.bob)]).await?;
        let mut s = step(&instance, 1);
        s.notifications = (0..4)
            .map(|n| NewNotification {
                user_id: w.bob.id.clone(),
                kind: if n % 2 == 0 { "cc" } else { "decision" }.into(),
                payload: json!({"n": n}),
            })
            .collect();
        store.apply_step(s, None).await?;
        ensure!(store.unread_notifications(&w.bob.id).await? == 5);
        let all = store
            .list_notifications(&notifications(&w.bob.id, None, None, 10))
            .await?;
        let ns: Vec<Value> = all.iter().map(|n| n.payload["n"].clone()).collect();
        ensure!(
            ns == [json!(3), json!(2), json!(1), json!(0), Value::Null],
            "{ns:?}"
        );
        let page = store
            .list_notifications(&notifications(&w.bob.id, None, Some(&all[1].id), 2))
            .await?;
        ensure!(page.len() == 2 && page[0].id == all[2].id);
        let cc = store
            .list_notifications(&notifications(&w.bob.id, Some("cc"), None, 10))
            .await?;
        ensure!(cc.len() == 2 && cc.iter().all(|n| n.kind == "cc"));

        let marked = store
            .mark_notifications_read(&w.bob.id, &[all[0].id.clone(), all[0].id.clone()])
            .await?;
        ensure!(marked == 1);
        // Someone else's notification is not theirs to mark.
        ensure!(
            store
                .mark_notifications_read(&w.carol.id, &[all[1].id.clone()])
                .await?
                == 0
        );
        ensure!(store.unread_notifications(&w.bob.id).await? == 4);
        let first = store
            .list_notifications(&notifications(&w.bob.id, None, None, 1))
            .await?;
        ensure!(first[0].read_at.is_some());
        ensure!(store.mark_notifications_read(&w.bob.id, &[]).await? == 4);
        ensure!(store.unread_notifications(&w.bob.id).await? == 0);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_step_whose_data_was_computed_from_an_older_record_revision_is_refused() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let (record, instance) = started(&store, &w.alice, &[("a#1", &w.bob)]).await?;
        let edited = json!({"name": "edited"});
        let diff = json!({});
        store
            .update_record(
                &record_update(&record.id, record.rev, &edited, record.status, &diff),
                &w.alice.id,
            )
            .await?;
        let mut late = step(&instance, 1);
        late.record_data = Some(json!({"name": "from the step"}));
        late.record_rev = Some(record.rev);
        ensure!(is_conflict(&store.apply_step(late, None).await));
        ensure!(store.get_record(&record.id).await?.context("record")?.data == edited);

        let mut fresh = step(&instance, 1);
        fresh.record_data = Some(json!({"name": "from the step"}));
        fresh.record_rev = Some(record.rev + 1);
        store.apply_step(fresh, None).await?;
        let after = store.get_record(&record.id).await?.context("record")?;
        ensure!(after.data["name"] == "from the step" && after.rev == record.rev + 2);
        Ok(())
    })
    .await;
}
