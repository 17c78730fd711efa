//! What people read about processes: the inbox boxes, a task with its record as the step may
//! show it, a record's timeline, and notifications. Lists page by keyset (`after` = the last
//! id of the previous page) and never count, except a user's unread messages.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use formwork_model::{NodeKind, Text};
use formwork_process::{CompiledProcess, State};
use formwork_store::{
    Instance, InstanceId, Notification, NotificationId, NotificationQuery, Record, RecordId, Task,
    TaskBox, TaskId, TaskKind, TaskQuery, TaskStatus, UserId,
};
use serde_json::Value;

use super::timeline::Timeline;
use crate::directory::Directory;
use crate::policy::Caller;
use crate::policy::fields::{FieldAccess, shown_fields, without_hidden};
use crate::policy::{redact_record, within_role};
use crate::{CompiledApp, Runtime, RuntimeError, RuntimeResult};

/// Largest page of an inbox or of notifications.
pub const MAX_PAGE: u32 = 100;

const DEFAULT_PAGE: u32 = 20;

/// The boxes of the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxBox {
    /// Open tasks of the caller.
    Todo,
    /// Records the caller submitted that have a process.
    Submitted,
    /// Records the caller was copied in on.
    Cc,
    /// Tasks the caller decided.
    Done,
}

/// How the to-do box is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InboxOrder {
    /// Newest arrival first.
    #[default]
    Arrival,
    /// By deadline, earliest (so overdue) first; tasks without one last, oldest first.
    Deadline,
}

impl InboxOrder {
    /// `arrival` or `due` (as pages and the API name them).
    pub fn parse(name: &str) -> Option<InboxOrder> {
        match name {
            "arrival" => Some(InboxOrder::Arrival),
            "due" => Some(InboxOrder::Deadline),
            _ => None,
        }
    }
}

impl InboxBox {
    pub fn parse(name: &str) -> Option<InboxBox> {
        match name {
            "todo" => Some(InboxBox::Todo),
            "submitted" => Some(InboxBox::Submitted),
            "cc" => Some(InboxBox::Cc),
            "done" => Some(InboxBox::Done),
            _ => None,
        }
    }
}

/// Someone as a page shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserBrief {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

/// A step of a process as a page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeView {
    pub id: String,
    pub name: Option<Text>,
    /// The node kind tag: `approval`, `fill`, …
    pub kind: &'static str,
}

/// One entry of an inbox box.
#[derive(Debug, Clone)]
pub struct InboxItem {
    /// The task (todo and done boxes).
    pub task: Option<Task>,
    /// The copy sent to the caller (cc box).
    pub notification: Option<Notification>,
    pub instance: Instance,
    pub process_name: Text,
    pub node: Option<NodeView>,
    pub record: Record,
    pub submitter: Option<UserBrief>,
    /// The record's first text field, if the caller may see it here.
    pub title: Option<String>,
}

/// One page of a box; `next` is the `after` of the next page.
#[derive(Debug, Clone)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next: Option<String>,
}

/// A task with what its step may show.
#[derive(Debug, Clone)]
pub struct TaskDetail {
    pub task: Task,
    pub node: NodeView,
    pub process_name: Text,
    pub instance: Instance,
    /// The record, without the fields hidden at this step.
    pub record: Record,
    /// The access to every field the step shows.
    pub fields: BTreeMap<String, FieldAccess>,
    /// The actions the assignee may take now (none once the task is closed).
    pub actions: Vec<&'static str>,
    /// Earlier steps the task may be returned to.
    pub return_to: Vec<NodeView>,
    pub assignee: Option<UserBrief>,
    pub submitter: Option<UserBrief>,
    pub timeline: Timeline,
}

/// One page of notifications, newest first, and the unread count.
#[derive(Debug, Clone)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub next: Option<String>,
    pub unread: u32,
}

/// An inbox row: the instance it is about, with the task or the copy it comes from.
type InboxRow = (InstanceId, Option<Task>, Option<Notification>);

/// Someone as a page shows them, from the directory; `None` for an id it does not know.
pub(super) fn brief(dir: &Directory, id: &UserId) -> Option<UserBrief> {
    dir.user(id).map(account_brief)
}

pub(super) fn account_brief(u: &crate::Account) -> UserBrief {
    UserBrief {
        id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
    }
}

pub(super) fn node_view(process: &CompiledProcess, id: &str) -> NodeView {
    let node = process.node(id);
    NodeView {
        id: id.to_owned(),
        name: node.and_then(|n| n.name.clone()),
        kind: node.map_or("unknown", |n| n.kind.tag()),
    }
}

fn page_size(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

/// The page's items and the cursor of the next page, from `limit + 1` rows.
fn cut<T>(mut rows: Vec<T>, limit: u32, id: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = more.then(|| rows.last().map(&id)).flatten();
    (rows, next)
}

impl Runtime {
    /// One page of one of the caller's inbox boxes.
    pub async fn inbox(
        &self,
        caller: &Caller,
        which: InboxBox,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> RuntimeResult<InboxPage> {
        self.inbox_in_order(caller, which, InboxOrder::Arrival, after, limit)
            .await
    }

    /// One page of one of the caller's inbox boxes in `order` (which only the to-do box
    /// follows; the others are newest first). The store orders and pages, whatever the size.
    pub async fn inbox_in_order(
        &self,
        caller: &Caller,
        which: InboxBox,
        order: InboxOrder,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> RuntimeResult<InboxPage> {
        let (entries, next) = self
            .inbox_rows(caller, which, order, after, page_size(limit))
            .await?;
        let dir = self.directory_for(caller).await?;
        // The page's instances with their records in one read, not two per entry.
        let ids: Vec<InstanceId> = entries.iter().map(|(id, _, _)| id.clone()).collect();
        let found: HashMap<InstanceId, (Instance, Record)> = self
            .store
            .instances_on_records(&ids)
            .await?
            .into_iter()
            .map(|pair| (pair.0.id.clone(), pair))
            .collect();
        let mut items = Vec::with_capacity(entries.len());
        for (instance_id, task, note) in entries {
            // An entry whose instance or record is gone is left out.
            let Some((instance, record)) = found.get(&instance_id).cloned() else {
                continue;
            };
            items.push(self.item(&dir, instance, record, task, note).await?);
        }
        Ok(InboxPage { items, next })
    }

    /// The rows of one page of a box, each as the instance it is about (with its task or
    /// message), and the cursor of the next page.
    async fn inbox_rows(
        &self,
        caller: &Caller,
        which: InboxBox,
        order: InboxOrder,
        after: Option<&str>,
        limit: u32,
    ) -> RuntimeResult<(Vec<InboxRow>, Option<String>)> {
        let user_id = caller.user.id.clone();
        Ok(match which {
            InboxBox::Todo | InboxBox::Done => {
                let task_box = match (which, order) {
                    (InboxBox::Todo, InboxOrder::Deadline) => TaskBox::TodoByDeadline,
                    (InboxBox::Todo, InboxOrder::Arrival) => TaskBox::Todo,
                    _ => TaskBox::Done,
                };
                let query = TaskQuery {
                    user_id,
                    task_box,
                    after: after.map(parse_after).transpose()?,
                    limit: limit + 1,
                };
                let (rows, next) = cut(self.store.list_tasks(&query).await?, limit, |t| {
                    t.id.to_string()
                });
                let rows = rows
                    .into_iter()
                    .map(|t| (t.instance_id.clone(), Some(t), None));
                (rows.collect(), next)
            }
            InboxBox::Submitted => {
                let after = after.map(parse_after::<RecordId>).transpose()?;
                let rows = self
                    .store
                    .submitted_instances(&user_id, after.as_ref(), limit + 1)
                    .await?;
                let (rows, next) = cut(rows, limit, |i| i.record_id.to_string());
                (rows.into_iter().map(|i| (i.id, None, None)).collect(), next)
            }
            InboxBox::Cc => {
                let query = NotificationQuery {
                    user_id,
                    kind: Some("cc".into()),
                    before: after.map(parse_after).transpose()?,
                    limit: limit + 1,
                };
                let (rows, next) = cut(self.store.list_notifications(&query).await?, limit, |n| {
                    n.id.to_string()
                });
                // A copy always names its instance; one that does not is left out.
                let rows = rows.into_iter().filter_map(|note| {
                    let id = note.payload.get("instance_id").and_then(Value::as_str)?;
                    Some((InstanceId::parse(id).ok()?, None, Some(note)))
                });
                (rows.collect(), next)
            }
        })
    }

    /// An inbox entry about `instance` and its `record`.
    async fn item(
        &self,
        dir: &Directory,
        instance: Instance,
        record: Record,
        task: Option<Task>,
        notification: Option<Notification>,
    ) -> RuntimeResult<InboxItem> {
        let app = self
            .app_version(&instance.app_id, instance.app_version)
            .await?;
        let process = app.process(&instance.process_id)?;
        let node = task.as_ref().map(|t| node_view(process, &t.node_id));
        let title = title(
            &app,
            &record,
            task.as_ref().and_then(|t| process.node(&t.node_id)),
        );
        let submitter = brief(dir, &record.owner_id);
        Ok(InboxItem {
            task,
            notification,
            process_name: process.def().name.clone(),
            instance,
            node,
            record,
            submitter,
            title,
        })
    }

    /// A task of the caller's (open or closed) with its record as its step shows it.
    pub async fn task_detail(
        &self,
        caller: &Caller,
        task_id: &TaskId,
    ) -> RuntimeResult<TaskDetail> {
        let task = self
            .store
            .get_task(task_id)
            .await?
            .filter(|t| t.assignee_id == caller.user.id)
            .ok_or_else(|| RuntimeError::NotFound(format!("task {task_id}")))?;
        let loaded = self.load_instance(&task.instance_id).await?;
        let process = loaded.process()?.clone();
        let node_def = process
            .node(&task.node_id)
            .ok_or_else(|| RuntimeError::Internal(format!("no node {}", task.node_id)))?;
        let form = loaded.form()?;
        let keys = form.def().field_keys();
        let mut record = loaded.record.clone();
        // A record returned to its submitter is theirs to revise as a whole.
        let fields = if task.kind == TaskKind::Resubmit {
            keys.iter()
                .map(|k| ((*k).to_owned(), FieldAccess::Editable))
                .collect()
        } else {
            record.data = without_hidden(node_def, &record.data);
            shown_fields(node_def, &keys)
        };
        // The step's grid and the caller's role both apply: the stricter wins.
        let fields = within_role(caller, form.def(), fields);
        record = redact_record(caller, form.def(), record);
        let open = task.status == TaskStatus::Open;
        let resubmit = task.kind == TaskKind::Resubmit;
        let actions = if !open {
            Vec::new()
        } else if resubmit {
            vec!["submit", "withdraw"]
        } else if matches!(node_def.kind, NodeKind::Fill(_)) {
            vec!["submit", "withdraw", "return", "transfer"]
        } else {
            vec![
                "approve",
                "reject",
                "return_to_submitter",
                "return",
                "transfer",
                "add_signer",
            ]
        };
        let return_to = if open && !resubmit {
            returnable(&process, &loaded.state, &task.node_id)
        } else {
            Vec::new()
        };
        let dir = loaded.dir.clone();
        let timeline = self.timeline_of(&loaded).await?;
        Ok(TaskDetail {
            node: node_view(&process, &task.node_id),
            process_name: process.def().name.clone(),
            instance: loaded.instance,
            assignee: brief(&dir, &task.assignee_id),
            submitter: brief(&dir, &record.owner_id),
            task,
            record,
            fields,
            actions,
            return_to,
            timeline,
        })
    }

    /// One page of the caller's notifications, newest first, with the unread count.
    pub async fn notifications(
        &self,
        caller: &Caller,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> RuntimeResult<NotificationPage> {
        let limit = page_size(limit);
        let rows = self
            .store
            .list_notifications(&NotificationQuery {
                user_id: caller.user.id.clone(),
                kind: None,
                before: after.map(parse_after).transpose()?,
                limit: limit + 1,
            })
            .await?;
        let (items, next) = cut(rows, limit, |n| n.id.to_string());
        let unread = self.store.unread_notifications(&caller.user.id).await?;
        Ok(NotificationPage {
            items,
            next,
            unread,
        })
    }

    pub async fn unread_notifications(&self, caller: &Caller) -> RuntimeResult<u32> {
        Ok(self.store.unread_notifications(&caller.user.id).await?)
    }

    /// Marks the caller's notifications read: these, or all when `ids` is empty. Ids come as
    /// the caller sent them; a malformed one names no notification.
    pub async fn mark_notifications_read(
        &self,
        caller: &Caller,
        ids: &[String],
    ) -> RuntimeResult<u64> {
        if ids.len() > MAX_PAGE as usize {
            return Err(RuntimeError::Invalid {
                problems: vec![crate::accounts::problem(
                    "/ids",
                    "max_items",
                    &format!("一次最多标记 {MAX_PAGE} 条"),
                    &format!("At most {MAX_PAGE} at a time"),
                )],
            });
        }
        let named: Vec<NotificationId> = ids.iter().filter_map(|i| i.parse().ok()).collect();
        if named.is_empty() && !ids.is_empty() {
            return Ok(0);
        }
        Ok(self
            .store
            .mark_notifications_read(&caller.user.id, &named)
            .await?)
    }
}

/// A page cursor (`after`): the last id of the previous page.
fn parse_after<T: FromStr>(text: &str) -> RuntimeResult<T> {
    text.parse().map_err(|_| RuntimeError::Malformed {
        problem: crate::accounts::problem(
            "/after",
            "invalid_query",
            "翻页游标无效",
            "The page cursor is not valid",
        ),
    })
}

/// Human steps this instance passed that a task at `at` may be returned to.
fn returnable(process: &CompiledProcess, state: &State, at: &str) -> Vec<NodeView> {
    state
        .passed
        .iter()
        .filter(|n| n.as_str() != at)
        .map(|n| node_view(process, n))
        .collect()
}

/// The record's first text field in form order, unless hidden at `node`.
pub(super) fn title(
    app: &CompiledApp,
    record: &Record,
    node: Option<&formwork_model::NodeDef>,
) -> Option<String> {
    let form = app.form(&record.form_id).ok()?;
    let field = form
        .fields()
        .iter()
        .find(|f| matches!(f.kind, formwork_forms::FieldKind::Text))?;
    if let Some(node) = node
        && crate::policy::fields::field_access(node, &field.key) == Some(FieldAccess::Hidden)
    {
        return None;
    }
    record.data.get(&field.key)?.as_str().map(str::to_owned)
}
