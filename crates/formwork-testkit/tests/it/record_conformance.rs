//! The store conformance suite for records: inserts with numbers and idempotency keys,
//! revisions, visibility, filters, keyset pages, search, history, comments and attachments,
//! run on SQLite and on PostgreSQL, each test in its own fresh database.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{Context as _, bail, ensure};
use formwork_store::{
    AppId, Attachment, Column, Cursor, DepartmentId, FieldKey, FileId, Filter, FilterOp, Inserted,
    MAX_LIST_LIMIT, NewDepartment, Record, RecordId, RecordQuery, RecordStatus, Store, StoreError,
    StoreResult, User, ValueKind, Visibility,
};
use formwork_testkit::fixtures::{
    actor, app_id, form_id, missing, new_draft, new_record, new_user, package, record_update,
    yearly_numbering,
};
use formwork_testkit::with_each_backend;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type Db = Arc<dyn Store>;

const APP: &str = "projects";

fn app() -> AppId {
    app_id(APP)
}

/// Users and departments: alice and bob in sales, carol in ops; the app published once.
struct World {
    alice: User,
    bob: User,
    carol: User,
    sales: DepartmentId,
    ops: DepartmentId,
}

async fn world(store: &Db) -> anyhow::Result<World> {
    let dept = |name: &str| NewDepartment {
        name: name.to_owned(),
        parent_id: None,
        head_user_id: None,
    };
    let sales = store.create_department(dept("sales")).await?.id;
    let ops = store.create_department(dept("ops")).await?.id;
    let mut users = Vec::new();
    for (name, dept) in [("alice", &sales), ("bob", &sales), ("carol", &ops)] {
        let mut new = new_user(name);
        new.department_id = Some(dept.clone());
        users.push(store.create_user(new, None).await?);
    }
    let pkg = package(APP, "项目", "Projects");
    store
        .create_app(&new_draft(&app(), &pkg, &actor("analyst")))
        .await?;
    store.publish(&app(), &pkg, &actor("analyst")).await?;
    let carol = users.pop().context("carol")?;
    let bob = users.pop().context("bob")?;
    let alice = users.pop().context("alice")?;
    Ok(World {
        alice,
        bob,
        carol,
        sales,
        ops,
    })
}

/// Inserts a record of `owner` (in their department) and returns it.
async fn insert(store: &Db, owner: &User, data: Value) -> anyhow::Result<Record> {
    let new = new_record(&app(), &owner.id, owner.department_id.as_ref(), data);
    match store.insert_record(new, &owner.id).await? {
        Inserted::New(r) => Ok(r),
        Inserted::Replayed(r) => bail!("replayed {}", r.id),
    }
}

fn query() -> RecordQuery {
    RecordQuery {
        app_id: app(),
        form_id: form_id("project"),
        visibility: Visibility::All,
        filters: Vec::new(),
        search: None,
        sort: None,
        after: None,
        limit: 200,
        epoch: None,
    }
}

#[allow(clippy::expect_used)] // a test helper given literal keys
fn data(key: &str, kind: ValueKind) -> Column {
    Column::Data {
        key: FieldKey::parse(key).expect("a field key"),
        kind,
    }
}

fn filter(column: Column, op: FilterOp, value: Value) -> Filter {
    Filter { column, op, value }
}

fn ids(records: &[Record]) -> Vec<RecordId> {
    records.iter().map(|r| r.id.clone()).collect()
}

/// The `name` field of each record, in list order.
fn names(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.data["name"].as_str().unwrap_or("-").to_owned())
        .collect()
}

/// The names of the records a query with these filters lists, sorted for comparison.
async fn matching(store: &Db, filters: Vec<Filter>) -> anyhow::Result<Vec<String>> {
    let mut q = query();
    q.filters = filters;
    let mut found = names(&store.list_records(&q).await?);
    found.sort();
    Ok(found)
}

fn json(text: &str) -> anyhow::Result<Value> {
    serde_json::from_str(text).with_context(|| format!("not JSON: {text}"))
}

fn is_conflict<T: std::fmt::Debug>(r: &StoreResult<T>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

fn is_not_found<T: std::fmt::Debug>(r: &StoreResult<T>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

// ---- insert, read, update, delete ---------------------------------------------------------------

#[tokio::test]
async fn an_inserted_record_reads_back_updates_with_its_revision_and_deletes() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let created = insert(
            &store,
            &w.alice,
            json!({"name": "Alpha", "amount": "100.00"}),
        )
        .await?;
        let id = uuid::Uuid::parse_str(created.id.as_str())?;
        ensure!(id.get_version_num() == 7, "{id}");
        ensure!(created.rev == 1 && created.app_version == 1 && created.number.is_none());
        ensure!(created.owner_id == w.alice.id);
        ensure!(created.department_id.as_ref() == Some(&w.sales));
        ensure!(created.status == RecordStatus::Submitted && created.data["amount"] == "100.00");
        ensure!(created.created_at == created.updated_at && created.created_at.offset().is_utc());
        ensure!(store.get_record(&created.id).await? == Some(created.clone()));
        ensure!(store.get_record(&missing()).await?.is_none());

        let new_data = json!({"name": "Alpha", "amount": "120.00"});
        let diff = json!({"amount": {"from": "100.00", "to": "120.00"}});
        let updated = store
            .update_record(
                &record_update(&created.id, 1, &new_data, RecordStatus::Approved, &diff),
                &w.bob.id,
            )
            .await?;
        ensure!(
            updated.rev == 2
                && updated.data == new_data
                && updated.status == RecordStatus::Approved
        );
        ensure!(updated.created_at == created.created_at);
        ensure!(updated.updated_at >= created.updated_at);
        ensure!(store.get_record(&created.id).await? == Some(updated.clone()));

        let stale = store
            .update_record(
                &record_update(&created.id, 1, &json!({}), RecordStatus::Draft, &json!({})),
                &w.bob.id,
            )
            .await;
        ensure!(is_conflict(&stale), "{stale:?}");
        ensure!(store.get_record(&created.id).await? == Some(updated.clone()));
        let missing = store
            .update_record(
                &record_update(&missing(), 1, &json!({}), RecordStatus::Draft, &json!({})),
                &actor("x"),
            )
            .await;
        ensure!(is_not_found(&missing), "{missing:?}");

        let stale = store.delete_record(&created.id, Some(1), &w.bob.id).await;
        ensure!(is_conflict(&stale), "{stale:?}");
        store.delete_record(&created.id, Some(2), &w.bob.id).await?;
        ensure!(store.get_record(&created.id).await?.is_none());
        let again = store.delete_record(&created.id, None, &w.bob.id).await;
        ensure!(is_not_found(&again), "{again:?}");
        let late = store
            .update_record(
                &record_update(&created.id, 3, &json!({}), RecordStatus::Draft, &json!({})),
                &w.bob.id,
            )
            .await;
        ensure!(is_not_found(&late), "{late:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_record_of_an_unpublished_version_or_an_unknown_owner_is_not_found() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let mut new = new_record(&app(), &w.alice.id, None, json!({}));
        new.app_version = 2;
        let r = store.insert_record(new, &actor("x")).await;
        ensure!(is_not_found(&r), "{r:?}");
        let r = store
            .insert_record(new_record(&app(), &missing(), None, json!({})), &actor("x"))
            .await;
        ensure!(is_not_found(&r), "{r:?}");
        ensure!(store.list_records(&query()).await?.is_empty());
        Ok(())
    })
    .await;
}

// ---- numbers and idempotency ------------------------------------------------------------------

#[tokio::test]
async fn a_hundred_concurrent_numbered_inserts_get_a_hundred_consecutive_numbers() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let store = store.clone();
                let mut new = new_record(&app(), &w.alice.id, None, json!({ "i": i }));
                new.numbering = Some(yearly_numbering("PRJ", 2026));
                tokio::spawn(async move { store.insert_record(new, &actor("alice")).await })
            })
            .collect();
        let mut numbers = Vec::new();
        for task in tasks {
            let Inserted::New(r) = task.await?? else {
                bail!("replayed without a key");
            };
            numbers.push(r.number.context("no number")?);
        }
        numbers.sort();
        let expected: Vec<_> = (1..=100).map(|n| format!("PRJ-2026-{n:05}")).collect();
        ensure!(numbers == expected, "{numbers:?}");
        Ok(())
    })
    .await;
}

/// On SQLite concurrent inserts share one transaction (group commit), a savepoint each: one
/// that fails after taking its number rolls back only its own savepoint, so the others land
/// and the numbers stay gap-free. PostgreSQL gives each its own transaction; the same holds.
#[tokio::test]
async fn concurrent_inserts_land_together_and_a_failing_one_rolls_back_only_itself() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let store = store.clone();
                let mut new = new_record(&app(), &w.alice.id, None, json!({ "i": i }));
                new.numbering = Some(yearly_numbering("GRP", 2026));
                if i % 5 == 0 {
                    // No such version: fails after its number was taken.
                    new.app_version = 9;
                }
                tokio::spawn(async move { (i, store.insert_record(new, &actor("alice")).await) })
            })
            .collect();
        let mut numbers = Vec::new();
        for task in tasks {
            let (i, outcome) = task.await?;
            if i % 5 == 0 {
                ensure!(is_not_found(&outcome), "{i}: {outcome:?}");
            } else {
                numbers.push(outcome?.record().number.clone().context("no number")?);
            }
        }
        numbers.sort();
        let expected: Vec<_> = (1..=32).map(|n| format!("GRP-2026-{n:05}")).collect();
        ensure!(numbers == expected, "{numbers:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_failed_insert_gives_its_number_back_and_each_scope_counts_from_one() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let numbered = |year: i32, version: i64| {
            let mut new = new_record(&app(), &w.alice.id, None, json!({}));
            new.numbering = Some(yearly_numbering("PRJ", year));
            new.app_version = version;
            new
        };
        let first = store.insert_record(numbered(2026, 1), &actor("a")).await?;
        ensure!(first.record().number.as_deref() == Some("PRJ-2026-00001"));
        // Version 9 does not exist: the insert fails after taking number 2, and rolls it back.
        let failed = store.insert_record(numbered(2026, 9), &actor("a")).await;
        ensure!(is_not_found(&failed), "{failed:?}");
        let second = store.insert_record(numbered(2026, 1), &actor("a")).await?;
        ensure!(second.record().number.as_deref() == Some("PRJ-2026-00002"));
        let next_year = store.insert_record(numbered(2027, 1), &actor("a")).await?;
        ensure!(next_year.record().number.as_deref() == Some("PRJ-2027-00001"));

        let mut unpadded = numbered(2026, 1);
        unpadded.numbering = Some(formwork_store::Numbering {
            scope: String::new(),
            template: "N{seq}".into(),
            width: 0,
        });
        ensure!(
            store
                .insert_record(unpadded, &actor("a"))
                .await?
                .record()
                .number
                .as_deref()
                == Some("N1")
        );
        let mut no_seq = numbered(2026, 1);
        no_seq.numbering = Some(formwork_store::Numbering {
            scope: String::new(),
            template: "N".into(),
            width: 0,
        });
        ensure!(store.insert_record(no_seq, &actor("a")).await.is_err());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn concurrent_inserts_with_one_idempotency_key_make_exactly_one_record() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let store = store.clone();
                let mut new = new_record(&app(), &w.alice.id, None, json!({ "try": 1 }));
                new.numbering = Some(yearly_numbering("PRJ", 2026));
                new.idempotency_key = Some("submit-1".into());
                tokio::spawn(async move { store.insert_record(new, &actor("alice")).await })
            })
            .collect();
        let (mut new, mut replayed) = (Vec::new(), Vec::new());
        for task in tasks {
            match task.await?? {
                Inserted::New(r) => new.push(r),
                Inserted::Replayed(r) => replayed.push(r),
            }
        }
        ensure!(new.len() == 1 && replayed.len() == 19, "{} new", new.len());
        ensure!(replayed.iter().all(|r| *r == new[0]));
        ensure!(new[0].number.as_deref() == Some("PRJ-2026-00001"));
        ensure!(store.list_records(&query()).await?.len() == 1);
        ensure!(store.record_history(&new[0].id).await?.len() == 1);

        // The same key with a different request is refused, whoever sends it first.
        let mut changed = new_record(&app(), &w.alice.id, None, json!({ "try": 2 }));
        changed.idempotency_key = Some("submit-1".into());
        let refused = store.insert_record(changed, &actor("alice")).await;
        ensure!(
            matches!(refused, Err(formwork_store::StoreError::Conflict(_))),
            "{refused:?}"
        );

        // Replays take no number.
        let mut next = new_record(&app(), &w.alice.id, None, json!({}));
        next.numbering = Some(yearly_numbering("PRJ", 2026));
        let next = store.insert_record(next, &actor("alice")).await?;
        ensure!(next.record().number.as_deref() == Some("PRJ-2026-00002"));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn idempotency_keys_belong_to_their_owner() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let keyed = |owner: &User, form: &str| {
            let mut new = new_record(&app(), &owner.id, None, json!({}));
            new.form_id = form_id(form);
            new.idempotency_key = Some("k".into());
            new
        };
        let a = store
            .insert_record(keyed(&w.alice, "project"), &actor("a"))
            .await?;
        let b = store
            .insert_record(keyed(&w.bob, "project"), &actor("b"))
            .await?;
        ensure!(matches!(a, Inserted::New(_)) && matches!(b, Inserted::New(_)));
        ensure!(a.record().id != b.record().id);
        let again = store
            .insert_record(keyed(&w.alice, "project"), &actor("a"))
            .await?;
        ensure!(again == Inserted::Replayed(a.record().clone()));
        // The same key for another form is a client bug, not a replay.
        let other = store
            .insert_record(keyed(&w.alice, "invoice"), &actor("a"))
            .await;
        ensure!(is_conflict(&other), "{other:?}");
        // A replay of a record deleted since cannot return it.
        store
            .delete_record(&b.record().id, None, &actor("b"))
            .await?;
        let gone = store
            .insert_record(keyed(&w.bob, "project"), &actor("b"))
            .await;
        ensure!(is_conflict(&gone), "{gone:?}");
        Ok(())
    })
    .await;
}

// ---- visibility, filters, search ----------------------------------------------------------------

#[tokio::test]
async fn lists_show_own_records_department_records_or_all() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        for (user, name) in [
            (&w.alice, "a1"),
            (&w.alice, "a2"),
            (&w.bob, "b1"),
            (&w.carol, "c1"),
        ] {
            insert(&store, user, json!({ "name": name })).await?;
        }
        // Alice filed this one for ops: it shows once to her, and to whoever sees ops.
        let for_ops = new_record(&app(), &w.alice.id, Some(&w.ops), json!({"name": "a3"}));
        store.insert_record(for_ops, &actor("a")).await?;
        let mut other_form = new_record(&app(), &w.alice.id, Some(&w.sales), json!({"name": "x"}));
        other_form.form_id = form_id("invoice");
        store.insert_record(other_form, &actor("a")).await?;

        let seen = |owner: &User, departments: Vec<DepartmentId>| {
            let mut q = query();
            q.visibility = Visibility::OwnOrDepartments {
                owner_id: owner.id.clone(),
                department_ids: departments,
            };
            let store = store.clone();
            async move {
                let mut n = names(&store.list_records(&q).await?);
                n.sort();
                anyhow::Ok(n)
            }
        };
        ensure!(seen(&w.alice, vec![]).await? == ["a1", "a2", "a3"]);
        ensure!(seen(&w.bob, vec![]).await? == ["b1"]);
        ensure!(seen(&w.bob, vec![w.sales.clone()]).await? == ["a1", "a2", "b1"]);
        ensure!(seen(&w.bob, vec![w.ops.clone()]).await? == ["a3", "b1", "c1"]);
        ensure!(seen(&w.carol, vec![w.sales.clone()]).await? == ["a1", "a2", "b1", "c1"]);
        ensure!(seen(&w.alice, vec![w.ops.clone()]).await? == ["a1", "a2", "a3", "c1"]);
        ensure!(
            seen(&w.carol, vec![w.sales.clone(), w.ops.clone()]).await?
                == ["a1", "a2", "a3", "b1", "c1"]
        );
        ensure!(seen(&w.alice, vec![missing()]).await? == ["a1", "a2", "a3"]);
        // Past a few dozen departments the list tests one OR instead of merging branches.
        let many: Vec<DepartmentId> = (0..40)
            .map(|_| DepartmentId::new())
            .chain([w.ops.clone()])
            .collect();
        ensure!(seen(&w.bob, many).await? == ["a3", "b1", "c1"]);
        ensure!(matching(&store, vec![]).await? == ["a1", "a2", "a3", "b1", "c1"]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn filters_compare_numbers_money_text_and_booleans_by_kind() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        for d in [
            json!({"name": "nine-and-a-half", "amount": "9.5", "urgent": true, "tag": "b"}),
            json!({"name": "ten", "amount": "10", "urgent": false, "tag": "a"}),
            json!({"name": "big", "amount": "100000.30", "tag": "c"}),
            json!({"name": "twelve", "amount": 12, "urgent": true}),
            json!({"name": "none", "amount": null, "tag": "a"}),
        ] {
            insert(&store, &w.alice, d).await?;
        }
        let amount = || data("amount", ValueKind::Number);
        let by = |op, v: Value| vec![filter(amount(), op, v)];
        // As text "9.5" > "10"; as numbers it is smaller.
        ensure!(matching(&store, by(FilterOp::Lt, json!("10"))).await? == ["nine-and-a-half"]);
        ensure!(
            matching(&store, by(FilterOp::Gt, json!("9.5"))).await? == ["big", "ten", "twelve"]
        );
        ensure!(matching(&store, by(FilterOp::Le, json!(10))).await? == ["nine-and-a-half", "ten"]);
        ensure!(matching(&store, by(FilterOp::Ge, json!("12"))).await? == ["big", "twelve"]);
        ensure!(matching(&store, by(FilterOp::Eq, json!("100000.3"))).await? == ["big"]);
        ensure!(matching(&store, by(FilterOp::Eq, json!(12))).await? == ["twelve"]);
        ensure!(
            matching(&store, by(FilterOp::Ne, json!("10"))).await?
                == ["big", "nine-and-a-half", "none", "twelve"]
        );
        ensure!(
            matching(&store, by(FilterOp::In, json!(["9.5", 12, "7"]))).await?
                == ["nine-and-a-half", "twelve"]
        );
        ensure!(
            matching(&store, by(FilterOp::In, json!([])))
                .await?
                .is_empty()
        );
        ensure!(matching(&store, by(FilterOp::IsNull, Value::Null)).await? == ["none"]);
        ensure!(
            matching(&store, by(FilterOp::NotNull, Value::Null))
                .await?
                .len()
                == 4
        );

        let tag = || data("tag", ValueKind::Text);
        let by_tag = |op, v: Value| vec![filter(tag(), op, v)];
        ensure!(matching(&store, by_tag(FilterOp::Eq, json!("a"))).await? == ["none", "ten"]);
        ensure!(
            matching(&store, by_tag(FilterOp::Gt, json!("a"))).await? == ["big", "nine-and-a-half"]
        );
        ensure!(
            matching(&store, by_tag(FilterOp::In, json!(["b", "c"]))).await?
                == ["big", "nine-and-a-half"]
        );
        ensure!(matching(&store, by_tag(FilterOp::IsNull, Value::Null)).await? == ["twelve"]);
        ensure!(
            matching(&store, by_tag(FilterOp::Ne, json!("a"))).await?
                == ["big", "nine-and-a-half", "twelve"]
        );

        let urgent = || data("urgent", ValueKind::Bool);
        ensure!(
            matching(&store, vec![filter(urgent(), FilterOp::Eq, json!(true))]).await?
                == ["nine-and-a-half", "twelve"]
        );
        ensure!(
            matching(&store, vec![filter(urgent(), FilterOp::Eq, json!(false))]).await? == ["ten"]
        );
        // Filters combine with AND.
        ensure!(
            matching(
                &store,
                vec![
                    filter(urgent(), FilterOp::Eq, json!(true)),
                    filter(amount(), FilterOp::Gt, json!("10")),
                ]
            )
            .await?
                == ["twelve"]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn contains_ignores_case_and_takes_percent_and_underscore_literally() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        for name in ["50%_off", "500 off", "5000off", "Alpha", "a\\b", "华东项目"] {
            insert(&store, &w.alice, json!({ "name": name })).await?;
        }
        let has = |needle: &str| {
            vec![filter(
                data("name", ValueKind::Text),
                FilterOp::Contains,
                json!(needle),
            )]
        };
        ensure!(matching(&store, has("0%_")).await? == ["50%_off"]);
        ensure!(matching(&store, has("%")).await? == ["50%_off"]);
        ensure!(matching(&store, has("_")).await? == ["50%_off"]);
        ensure!(matching(&store, has("\\")).await? == ["a\\b"]);
        ensure!(matching(&store, has("ALPH")).await? == ["Alpha"]);
        ensure!(matching(&store, has("华东")).await? == ["华东项目"]);
        ensure!(matching(&store, has("0 o")).await? == ["500 off"]);
        let status = vec![filter(
            Column::System("status"),
            FilterOp::Contains,
            json!("SUBMIT"),
        )];
        ensure!(matching(&store, status).await?.len() == 6);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn filters_on_system_columns_compare_text_and_instants() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let first = insert(&store, &w.alice, json!({"name": "first"})).await?;
        let second = insert(&store, &w.bob, json!({"name": "second"})).await?;
        let carols = insert(&store, &w.carol, json!({"name": "third"})).await?;
        store
            .update_record(
                &record_update(
                    &second.id,
                    1,
                    &second.data,
                    RecordStatus::Approved,
                    &json!({}),
                ),
                &actor("x"),
            )
            .await?;
        let sys = |name: &'static str, op, v: Value| vec![filter(Column::System(name), op, v)];
        ensure!(
            matching(&store, sys("status", FilterOp::Eq, json!("approved"))).await? == ["second"]
        );
        ensure!(
            matching(&store, sys("owner_id", FilterOp::Eq, json!(w.alice.id))).await? == ["first"]
        );
        ensure!(
            matching(&store, sys("department_id", FilterOp::Eq, json!(w.ops))).await? == ["third"]
        );
        ensure!(matching(&store, sys("id", FilterOp::Eq, json!(carols.id))).await? == ["third"]);
        ensure!(
            matching(&store, sys("number", FilterOp::IsNull, Value::Null))
                .await?
                .len()
                == 3
        );
        let after_first = first.created_at.format(&Rfc3339)?;
        ensure!(
            matching(&store, sys("created_at", FilterOp::Gt, json!(after_first))).await?
                == ["second", "third"]
        );
        ensure!(
            matching(&store, sys("created_at", FilterOp::Le, json!(after_first))).await?
                == ["first"]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn queries_with_unsafe_keys_unknown_columns_or_ill_typed_values_are_refused() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        insert(&store, &w.alice, json!({"name": "a"})).await?;
        let refused = |filters: Vec<Filter>| {
            let store = store.clone();
            async move {
                let mut q = query();
                q.filters = filters;
                let r = store.list_records(&q).await;
                anyhow::ensure!(matches!(r, Err(StoreError::Backend(_))), "{r:?}");
                anyhow::Ok(())
            }
        };
        // An unsafe key cannot even be named: the only way to a data column is a checked key.
        for key in [
            "name') OR 1=1 --",
            "Name",
            "1abc",
            "",
            "a.b",
            "a-b",
            "name'",
        ] {
            ensure!(FieldKey::parse(key).is_err(), "{key:?} was accepted");
        }
        refused(vec![filter(
            Column::System("data"),
            FilterOp::Eq,
            json!("a"),
        )])
        .await?;
        refused(vec![filter(
            data("amount", ValueKind::Number),
            FilterOp::Eq,
            json!("1; DROP"),
        )])
        .await?;
        refused(vec![filter(
            data("ok", ValueKind::Bool),
            FilterOp::Eq,
            json!("yes"),
        )])
        .await?;
        refused(vec![filter(
            data("ok", ValueKind::Text),
            FilterOp::In,
            json!("a"),
        )])
        .await?;
        refused(vec![filter(
            Column::System("created_at"),
            FilterOp::Gt,
            json!("yesterday"),
        )])
        .await?;
        // A value that merely looks like SQL is just a value.
        let quoted = vec![filter(
            data("name", ValueKind::Text),
            FilterOp::Eq,
            json!("a' OR '1'='1"),
        )];
        ensure!(matching(&store, quoted).await?.is_empty());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn search_finds_the_number_or_a_listed_text_field_ignoring_case() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let numbered = |d: Value| {
            let mut new = new_record(&app(), &w.alice.id, None, d);
            new.numbering = Some(yearly_numbering("PRJ", 2026));
            new
        };
        for d in [
            json!({"name": "Harbour bridge", "customer": "ACME", "secret": "bridge"}),
            json!({"name": "Tunnel", "customer": "Bridgestone"}),
            json!({"name": "Road", "customer": "100%_sure"}),
        ] {
            store.insert_record(numbered(d), &actor("a")).await?;
        }
        let found = |needle: &str, keys: &[&str]| {
            let mut q = query();
            q.search = Some((
                needle.to_owned(),
                keys.iter()
                    .map(|k| FieldKey::parse(k).expect("a field key"))
                    .collect(),
            ));
            let store = store.clone();
            async move {
                let mut n = names(&store.list_records(&q).await?);
                n.sort();
                anyhow::Ok(n)
            }
        };
        ensure!(found("BRIDGE", &["name", "customer"]).await? == ["Harbour bridge", "Tunnel"]);
        ensure!(found("bridge", &["name"]).await? == ["Harbour bridge"]);
        ensure!(found("prj-2026-00002", &[]).await? == ["Tunnel"]);
        ensure!(found("%_", &["customer"]).await? == ["Road"]);
        ensure!(found("  ", &["name"]).await?.len() == 3);
        ensure!(found("nothing", &["name", "customer"]).await?.is_empty());
        Ok(())
    })
    .await;
}

// ---- keyset pages -------------------------------------------------------------------------------

/// The cursor a client gets for the last row of a page, as the runtime builds it.
fn cursor_of(record: &Record, sort: Option<&Column>) -> anyhow::Result<Cursor> {
    let value = match sort {
        None | Some(Column::System("id")) => Value::String(record.id.to_string()),
        Some(Column::System("number")) => record.number.clone().map_or(Value::Null, Value::String),
        Some(Column::System("created_at")) => Value::String(record.created_at.format(&Rfc3339)?),
        Some(Column::Data { key, .. }) => record
            .data
            .get(key.as_str())
            .cloned()
            .unwrap_or(Value::Null),
        Some(other) => bail!("no cursor for {other:?}"),
    };
    Ok(Cursor {
        value,
        id: record.id.clone(),
    })
}

/// Every page of `q` with `limit` rows, following the cursor until a short page.
async fn all_pages(store: &Db, mut q: RecordQuery, limit: u32) -> anyhow::Result<Vec<Record>> {
    q.limit = limit;
    let sort = q.sort.as_ref().map(|(c, _)| c.clone());
    let mut all = Vec::new();
    for _ in 0..100 {
        let page = store.list_records(&q).await?;
        ensure!(page.len() <= limit as usize);
        let last = page
            .last()
            .map(|r| cursor_of(r, sort.as_ref()))
            .transpose()?;
        let full = page.len() == limit as usize;
        all.extend(page);
        match last {
            Some(cursor) if full => q.after = Some(cursor),
            _ => return Ok(all),
        }
    }
    bail!("paging did not end")
}

/// The order a sort must give: rows with a value by (value, id), then the rest by id, each
/// in the sort's direction.
fn expected_order<K: Ord>(
    records: &[Record],
    key: impl Fn(&Record) -> Option<K>,
    desc: bool,
) -> Vec<RecordId> {
    let mut with: Vec<_> = records
        .iter()
        .filter_map(|r| key(r).map(|k| (k, r.id.clone())))
        .collect();
    let mut without: Vec<_> = records
        .iter()
        .filter(|r| key(r).is_none())
        .map(|r| r.id.clone())
        .collect();
    with.sort();
    without.sort();
    if desc {
        with.reverse();
        without.reverse();
    }
    with.into_iter().map(|(_, id)| id).chain(without).collect()
}

#[tokio::test]
async fn keyset_pages_of_seven_return_each_of_25_records_once_in_order_in_both_directions() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let mut records = Vec::new();
        for i in 0..25_i64 {
            // Ranks tie in fives and every fourth is missing; amounts tie in threes, as text and
            // numbers, and every fifth is null; every sixth record has no number.
            let rank = (i % 4 != 3).then(|| format!("r{}", i % 5));
            let amount = match i % 5 {
                4 => Value::Null,
                _ if i % 2 == 0 => json!(format!("{}.50", i % 3 * 10 - 5)),
                _ => json!(i % 3 * 10 - 5),
            };
            let mut d = json!({ "name": format!("n{i}"), "amount": amount });
            if let Some(rank) = rank {
                d["rank"] = json!(rank);
            }
            let owner = [&w.alice, &w.bob, &w.carol][(i % 3) as usize];
            let mut new = new_record(&app(), &owner.id, owner.department_id.as_ref(), d);
            if i % 6 != 0 {
                new.numbering = Some(yearly_numbering("PRJ", 2026));
            }
            records.push(
                store
                    .insert_record(new, &actor("a"))
                    .await?
                    .record()
                    .clone(),
            );
        }
        let deleted = insert(&store, &w.alice, json!({"name": "gone", "rank": "r0"})).await?;
        store.delete_record(&deleted.id, None, &actor("a")).await?;

        let mut by_id: Vec<_> = ids(&records);
        by_id.sort();
        let newest_first: Vec<_> = by_id.iter().rev().cloned().collect();
        ensure!(ids(&all_pages(&store, query(), 7).await?) == newest_first);

        let amount = |r: &Record| -> Option<i64> {
            // Whole cents: -5.50, -5, 5, 5.50, 15, 15.50 …
            match &r.data["amount"] {
                Value::Number(n) => n.as_i64().map(|n| n * 100),
                Value::String(s) => s.parse::<f64>().ok().map(|f| (f * 100.0).round() as i64),
                _ => None,
            }
        };
        let rank = |r: &Record| {
            r.data
                .get("rank")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        for desc in [false, true] {
            let mut q = query();
            q.sort = Some((Column::System("id"), desc));
            let expected = if desc {
                newest_first.clone()
            } else {
                by_id.clone()
            };
            ensure!(
                ids(&all_pages(&store, q, 7).await?) == expected,
                "id desc={desc}"
            );

            let mut q = query();
            q.sort = Some((data("rank", ValueKind::Text), desc));
            let got = ids(&all_pages(&store, q, 7).await?);
            ensure!(
                got == expected_order(&records, rank, desc),
                "rank desc={desc}"
            );

            let mut q = query();
            q.sort = Some((data("amount", ValueKind::Number), desc));
            let got = ids(&all_pages(&store, q, 7).await?);
            ensure!(
                got == expected_order(&records, amount, desc),
                "amount desc={desc}"
            );

            let mut q = query();
            q.sort = Some((Column::System("number"), desc));
            let got = ids(&all_pages(&store, q, 7).await?);
            ensure!(
                got == expected_order(&records, |r| r.number.clone(), desc),
                "number desc={desc}"
            );

            let mut q = query();
            q.sort = Some((Column::System("created_at"), desc));
            let got = ids(&all_pages(&store, q, 7).await?);
            let at = |r: &Record| Some(r.created_at);
            ensure!(
                got == expected_order(&records, at, desc),
                "created_at desc={desc}"
            );

            // Visibility merges the owner's records with the departments' in the same order.
            let visible: Vec<_> = records
                .iter()
                .filter(|r| r.owner_id != w.bob.id)
                .cloned()
                .collect();
            for sort in [
                None,
                Some(data("amount", ValueKind::Number)),
                Some(data("rank", ValueKind::Text)),
            ] {
                let mut q = query();
                q.visibility = Visibility::OwnOrDepartments {
                    owner_id: w.alice.id.clone(),
                    department_ids: vec![w.ops.clone(), w.ops.clone()],
                };
                q.sort = sort.clone().map(|c| (c, desc));
                let got = ids(&all_pages(&store, q, 7).await?);
                let expected = match &sort {
                    None => expected_order(&visible, |r| Some(r.id.clone()), true),
                    Some(Column::Data { key, .. }) if key.as_str() == "amount" => {
                        expected_order(&visible, amount, desc)
                    }
                    Some(_) => expected_order(&visible, rank, desc),
                };
                ensure!(got == expected, "visible, sort {sort:?} desc={desc}");
            }

            // A filtered, sorted list pages the same way.
            let mut q = query();
            q.sort = Some((data("amount", ValueKind::Number), desc));
            q.filters = vec![filter(
                data("rank", ValueKind::Text),
                FilterOp::NotNull,
                Value::Null,
            )];
            let got = ids(&all_pages(&store, q, 7).await?);
            let ranked: Vec<_> = records
                .iter()
                .filter(|r| rank(r).is_some())
                .cloned()
                .collect();
            ensure!(
                got == expected_order(&ranked, amount, desc),
                "filtered desc={desc}"
            );
        }
        let all: HashSet<_> = ids(&all_pages(&store, query(), 7).await?)
            .into_iter()
            .collect();
        ensure!(all.len() == 25 && !all.contains(&deleted.id));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_limit_is_capped_and_a_zero_limit_returns_nothing() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        for i in 0..3 {
            insert(&store, &w.alice, json!({ "i": i })).await?;
        }
        let mut q = query();
        q.limit = 0;
        ensure!(store.list_records(&q).await?.is_empty());
        q.limit = 2;
        ensure!(store.list_records(&q).await?.len() == 2);
        q.limit = u32::MAX;
        ensure!(store.list_records(&q).await?.len() == 3);
        ensure!(MAX_LIST_LIMIT == 201);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn deleted_records_vanish_from_lists_searches_and_gets() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let keep = insert(&store, &w.alice, json!({"name": "keep"})).await?;
        let drop = insert(&store, &w.alice, json!({"name": "drop"})).await?;
        store.delete_record(&drop.id, Some(1), &w.alice.id).await?;
        ensure!(ids(&store.list_records(&query()).await?) == [keep.id.as_str()]);
        let mut q = query();
        q.search = Some(("drop".into(), vec![FieldKey::parse("name")?]));
        ensure!(store.list_records(&q).await?.is_empty());
        let mut q = query();
        // After the greatest id there can be: the whole list.
        q.after = Some(Cursor {
            value: Value::Null,
            id: RecordId::parse("ffffffff-ffff-7fff-bfff-ffffffffffff")?,
        });
        ensure!(ids(&store.list_records(&q).await?) == [keep.id]);
        ensure!(store.get_record(&drop.id).await?.is_none());
        Ok(())
    })
    .await;
}

// ---- history, comments, attachments -------------------------------------------------------------

#[tokio::test]
async fn record_history_lists_create_update_and_delete_oldest_first_with_the_diff() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let mut new = new_record(&app(), &w.alice.id, None, json!({"amount": "100.00"}));
        new.numbering = Some(yearly_numbering("PRJ", 2026));
        let r = store
            .insert_record(new, &w.alice.id)
            .await?
            .record()
            .clone();
        let other = insert(&store, &w.bob, json!({})).await?;
        let diff = json!({"amount": {"from": "100.00", "to": "150.00"}});
        store
            .update_record(
                &record_update(
                    &r.id,
                    1,
                    &json!({"amount": "150.00"}),
                    RecordStatus::Approved,
                    &diff,
                ),
                &w.bob.id,
            )
            .await?;
        store.delete_record(&r.id, None, &w.carol.id).await?;

        let history = store.record_history(&r.id).await?;
        let actions: Vec<_> = history.iter().map(|h| h.action.as_str()).collect();
        ensure!(
            actions == ["record.create", "record.update", "record.delete"],
            "{actions:?}"
        );
        ensure!(
            history
                .iter()
                .all(|h| h.subject == format!("record:{}", r.id))
        );
        ensure!(
            history
                .windows(2)
                .all(|p| p[0].id < p[1].id && p[0].at <= p[1].at)
        );
        let actors: Vec<_> = history
            .iter()
            .map(|h| h.actor.clone().unwrap_or_default())
            .collect();
        ensure!(actors == [w.alice.id.as_str(), w.bob.id.as_str(), w.carol.id.as_str()]);
        let created = json(&history[0].detail)?;
        ensure!(created["data"] == json!({"amount": "100.00"}), "{created}");
        ensure!(created["number"] == "PRJ-2026-00001" && created["status"] == "submitted");
        let updated = json(&history[1].detail)?;
        ensure!(updated["diff"] == diff && updated["rev"] == 2 && updated["status"] == "approved");
        ensure!(json(&history[2].detail)?["rev"] == 3);

        ensure!(store.record_history(&other.id).await?.len() == 1);
        ensure!(store.record_history(&missing()).await?.is_empty());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn comments_are_listed_oldest_first_and_need_a_live_record_and_author() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let r = insert(&store, &w.alice, json!({})).await?;
        let other = insert(&store, &w.alice, json!({})).await?;
        let c1 = store.add_comment(&r.id, &w.bob.id, "请补充合同").await?;
        let c2 = store.add_comment(&r.id, &w.alice.id, "已补充").await?;
        store
            .add_comment(&other.id, &w.alice.id, "elsewhere")
            .await?;
        ensure!(c1.record_id == r.id && c1.author_id == w.bob.id && c1.body == "请补充合同");
        ensure!(c1.created_at.offset().is_utc());
        ensure!(store.list_comments(&r.id).await? == [c1, c2]);
        ensure!(store.list_comments(&missing()).await?.is_empty());

        let r2 = store.add_comment(&missing(), &w.bob.id, "x").await;
        ensure!(is_not_found(&r2), "{r2:?}");
        let r3 = store.add_comment(&r.id, &missing(), "x").await;
        ensure!(is_not_found(&r3), "{r3:?}");
        store.delete_record(&other.id, None, &actor("a")).await?;
        let r4 = store.add_comment(&other.id, &w.bob.id, "x").await;
        ensure!(is_not_found(&r4), "{r4:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn attachments_store_their_metadata_once() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_795_000_000_123_456_000)?;
        let a = Attachment {
            id: FileId::new(),
            sha256: "ab".repeat(32),
            size: 12_345,
            content_type: "application/pdf".into(),
            filename: "合同 v2.pdf".into(),
            created_by: Some(w.alice.id.clone()),
            created_at: at,
        };
        store.insert_attachment(&a).await?;
        ensure!(store.get_attachment(&a.id).await? == Some(a.clone()));
        ensure!(store.get_attachment(&missing()).await?.is_none());
        let again = store.insert_attachment(&a).await;
        ensure!(is_conflict(&again), "{again:?}");
        let mut orphan = a.clone();
        orphan.id = FileId::new();
        orphan.created_by = Some(missing());
        let r = store.insert_attachment(&orphan).await;
        ensure!(is_not_found(&r), "{r:?}");
        let mut anonymous = a;
        anonymous.id = FileId::new();
        anonymous.created_by = None;
        store.insert_attachment(&anonymous).await?;
        ensure!(store.get_attachment(&anonymous.id).await? == Some(anonymous));
        Ok(())
    })
    .await;
}
