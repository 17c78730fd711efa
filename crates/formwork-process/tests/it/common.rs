//! Test support: a `Context` over a JSON record with a tiny comparison evaluator, and a
//! `World` that applies effects to a model of the store and checks the engine's invariants.
#![allow(dead_code)]

use std::collections::BTreeMap;

use formwork_model::{AssigneeDef, HoursKind, Outcome, ProcessDef};
use formwork_process::{
    Action, CompiledProcess, Context, Effect, EngineError, Event, Fields, HistoryAction,
    NotifyKind, State, Status, TaskKey, TaskRef, TimerKey, TimerKind, hours_after, step,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

pub const T0: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);

/// A record, a directory and a submitter.
#[derive(Debug, Clone, Default)]
pub struct TestCtx {
    pub data: serde_json::Map<String, Value>,
    /// Truth of expressions the comparison evaluator does not parse.
    pub flags: BTreeMap<String, bool>,
    /// Users per rule: `role:<id>`, `head:<levels>`, `expr:<expr>`.
    pub people: BTreeMap<String, Vec<String>>,
    pub heads: BTreeMap<String, String>,
    pub submitter: String,
    /// Usernames to user ids; when empty every username is its own id.
    pub ids: BTreeMap<String, String>,
}

impl TestCtx {
    pub fn new() -> Self {
        TestCtx {
            submitter: "sales1".into(),
            ..Default::default()
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.data.insert(key.into(), value);
        self
    }

    pub fn people(mut self, rule: &str, users: &[&str]) -> Self {
        self.people
            .insert(rule.into(), users.iter().map(|u| u.to_string()).collect());
        self
    }

    pub fn flag(mut self, expr: &str, value: bool) -> Self {
        self.flags.insert(expr.into(), value);
        self
    }

    /// A directory that knows these (username, id) pairs only.
    pub fn ids(mut self, pairs: &[(&str, &str)]) -> Self {
        self.ids = pairs
            .iter()
            .map(|(name, id)| (name.to_string(), id.to_string()))
            .collect();
        self
    }

    /// A field as the engine sees it: set earlier in the step, else the record's.
    fn field<'a>(&'a self, field: &str, set: &'a Fields) -> Option<&'a Value> {
        set.get(field).or_else(|| self.data.get(field))
    }
}

/// A decimal literal or field as an integer number of millionths, so money compares exactly.
fn micros(text: &str) -> Result<i128, String> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 6 {
        return Err(format!("too many decimals in {text}"));
    }
    let negative = int.starts_with('-');
    let int: i128 = int.parse().map_err(|_| format!("not a number: {text}"))?;
    let frac: i128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}")
            .parse()
            .map_err(|_| format!("not a number: {text}"))?
    };
    Ok(int * 1_000_000 + if negative { -frac } else { frac })
}

impl Context for TestCtx {
    fn eval_bool(&self, expr: &str, set: &Fields) -> Result<bool, String> {
        if let Some(v) = self.flags.get(expr) {
            return Ok(*v);
        }
        let (field, op, lit) = ["<=", ">=", "==", "!=", "<", ">"]
            .iter()
            .find_map(|op| {
                let (l, r) = expr.split_once(&format!(" {op} "))?;
                Some((l.trim(), *op, r.trim()))
            })
            .ok_or_else(|| format!("cannot evaluate {expr}"))?;
        let value = self
            .field(field, set)
            .ok_or_else(|| format!("unknown field {field}"))?;
        let ord = if let Some(s) = lit.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
            value.as_str().ok_or("not a string")?.cmp(s)
        } else {
            let have = match value {
                Value::String(s) => micros(s)?,
                Value::Number(n) => micros(&n.to_string())?,
                _ => return Err(format!("{field} is not a number")),
            };
            have.cmp(&micros(lit)?)
        };
        use std::cmp::Ordering::*;
        Ok(match op {
            "<=" => ord != Greater,
            ">=" => ord != Less,
            "==" => ord == Equal,
            "!=" => ord != Equal,
            "<" => ord == Less,
            _ => ord == Greater,
        })
    }

    /// A string literal, a field, an integer, or `field + N`.
    fn eval(&self, expr: &str, set: &Fields) -> Result<Value, String> {
        if let Some(s) = expr.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
            return Ok(Value::String(s.into()));
        }
        if let Some((field, add)) = expr.split_once(" + ") {
            let have = self.field(field, set).and_then(Value::as_i64).unwrap_or(0);
            let add: i64 = add.parse().map_err(|_| format!("cannot evaluate {expr}"))?;
            return Ok(Value::from(have + add));
        }
        if let Some(v) = self.field(expr, set) {
            return Ok(v.clone());
        }
        expr.parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("cannot evaluate {expr}"))
    }

    fn resolve(&self, assignee: &AssigneeDef, set: &Fields) -> Result<Vec<String>, String> {
        let key = match assignee {
            AssigneeDef::User { username } if self.ids.is_empty() => {
                return Ok(vec![username.clone()]);
            }
            AssigneeDef::User { username } => {
                return Ok(self.ids.get(username).cloned().into_iter().collect());
            }
            AssigneeDef::Field { field } => {
                return Ok(match self.field(field, set) {
                    Some(Value::String(u)) => vec![u.clone()],
                    Some(Value::Array(users)) => users
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                    _ => Vec::new(),
                });
            }
            AssigneeDef::Role { role } => format!("role:{role}"),
            AssigneeDef::DepartmentHead { levels } => format!("head:{levels}"),
            AssigneeDef::Expression { expr } => format!("expr:{expr}"),
            other => return Err(format!("the engine should resolve {other:?} itself")),
        };
        Ok(self.people.get(&key).cloned().unwrap_or_default())
    }

    fn submitter(&self) -> String {
        self.submitter.clone()
    }

    fn head_of(&self, user: &str) -> Result<Option<String>, String> {
        Ok(self.heads.get(user).cloned())
    }

    fn field_instant(&self, field: &str, set: &Fields) -> Result<Option<OffsetDateTime>, String> {
        match self.field(field, set) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .map(Some)
                    .map_err(|e| e.to_string())
            }
            Some(other) => Err(format!("{other} is not a datetime")),
        }
    }

    /// A pretend working-time calendar: a working hour takes three clock hours.
    fn deadline_after(&self, from: OffsetDateTime, hours: u32, kind: HoursKind) -> OffsetDateTime {
        match kind {
            HoursKind::Calendar => hours_after(from, hours),
            HoursKind::Working => hours_after(from, hours * 3),
        }
    }
}

/// A `user` assignee rule.
pub fn user(u: &str) -> Value {
    json!({"type": "user", "username": u})
}

/// A `role` assignee rule.
pub fn role(r: &str) -> Value {
    json!({"type": "role", "role": r})
}

/// A package holding `process` (as process `p` on form `f`): the form declares `fields` as
/// strings, and every role the process names is declared.
pub fn package(process: &Value, fields: &[&str]) -> Value {
    fn roles(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("role")
                    && let Some(role) = map.get("role").and_then(Value::as_str)
                {
                    out.insert(role.to_owned());
                }
                map.values().for_each(|v| roles(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| roles(v, out)),
            _ => {}
        }
    }
    let mut named = std::collections::BTreeSet::new();
    roles(process, &mut named);
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| (f.to_string(), json!({"type": "string"})))
        .collect();
    json!({
        "format": "formwork/app@1",
        "id": "t",
        "name": {"zh-CN": "测试"},
        "roles": named.iter().map(|r| json!({"id": r, "name": {"zh-CN": r}})).collect::<Vec<_>>(),
        "forms": [{"id": "f", "name": {"zh-CN": "表单"},
                   "schema": {"type": "object", "properties": properties}}],
        "processes": [process],
    })
}

/// A process from JSON node and edge lists.
pub fn process(nodes: Value, edges: Value) -> ProcessDef {
    serde_json::from_value(json!({
        "id": "p", "name": {"zh-CN": "流程"}, "form": "f", "nodes": nodes, "edges": edges
    }))
    .expect("process JSON")
}

/// One instance driven like the runtime would: every effect applied to a model of the store.
pub struct World {
    pub p: CompiledProcess,
    pub st: State,
    pub ctx: TestCtx,
    pub now: OffsetDateTime,
    /// Open tasks as the store would hold them.
    pub tasks: BTreeMap<TaskKey, TaskRef>,
    /// The round of every task created.
    pub rounds: BTreeMap<TaskKey, u32>,
    pub timers: BTreeMap<TimerKey, (OffsetDateTime, TimerKind)>,
    /// Every effect of every successful step.
    pub log: Vec<Effect>,
    /// The effects of the last successful step.
    pub last: Vec<Effect>,
}

impl World {
    pub fn new(def: &ProcessDef, ctx: TestCtx) -> World {
        World {
            p: CompiledProcess::compile(def).expect("compiles"),
            st: State::new(),
            ctx,
            now: T0,
            tasks: BTreeMap::new(),
            rounds: BTreeMap::new(),
            timers: BTreeMap::new(),
            log: Vec::new(),
            last: Vec::new(),
        }
    }

    pub fn started(def: &ProcessDef, ctx: TestCtx) -> World {
        let mut w = World::new(def, ctx);
        w.send(Event::Start).expect("starts");
        w
    }

    /// Steps once; on success applies the effects and checks every invariant.
    pub fn send(&mut self, event: Event) -> Result<Vec<Effect>, EngineError> {
        let (st, fx) = step(&self.p, &self.st, event, self.now, &self.ctx)?;
        apply(&mut self.tasks, &mut self.rounds, &mut self.timers, &fx)
            .unwrap_or_else(|e| panic!("{e}\n{fx:#?}"));
        check(&st, &self.tasks, &self.timers).unwrap_or_else(|e| panic!("{e}\n{st:#?}"));
        let text = serde_json::to_string(&st).unwrap();
        assert_eq!(serde_json::from_str::<State>(&text).unwrap(), st, "{text}");
        for effect in &fx {
            if let Effect::SetFields { values, .. } = effect {
                self.ctx.data.extend(values.clone());
            }
        }
        self.st = st;
        self.log.extend(fx.iter().cloned());
        self.last = fx.clone();
        Ok(fx)
    }

    /// Open tasks as (node, assignee), sorted.
    pub fn open(&self) -> Vec<(String, String)> {
        self.tasks
            .values()
            .map(|t| (t.node.clone(), t.assignee.clone()))
            .collect()
    }

    pub fn task(&self, node: &str, user: &str) -> TaskRef {
        self.tasks
            .values()
            .find(|t| t.node == node && t.assignee == user)
            .cloned()
            .unwrap_or_else(|| panic!("no open task for {user} at {node}: {:?}", self.open()))
    }

    pub fn act(
        &mut self,
        node: &str,
        user: &str,
        action: Action,
    ) -> Result<Vec<Effect>, EngineError> {
        let task = self.task(node, user);
        self.send(Event::Decide { task, action })
    }

    pub fn approve(&mut self, node: &str, user: &str) {
        self.act(node, user, Action::Approve).expect("approve");
    }

    pub fn reject(&mut self, node: &str, user: &str) {
        self.act(node, user, Action::Reject).expect("reject");
    }

    /// Fires the one scheduled timer whose key ends with `suffix`.
    pub fn fire(&mut self, suffix: &str) -> Vec<Effect> {
        let key = self
            .timers
            .keys()
            .find(|k| k.0.ends_with(suffix))
            .cloned()
            .unwrap_or_else(|| panic!("no timer *{suffix} in {:?}", self.timers));
        let (at, _) = self.timers.remove(&key).unwrap();
        self.now = self.now.max(at);
        self.send(Event::TimerFired { key }).expect("timer")
    }

    pub fn outcome(&self) -> Option<Outcome> {
        match self.st.status {
            Status::Ended { outcome } => Some(outcome),
            _ => None,
        }
    }

    pub fn history(&self) -> Vec<HistoryAction> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Effect::History(h) => Some(h.action.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every effect of the last step of this kind.
    pub fn last_created(&self) -> Vec<Effect> {
        self.last
            .iter()
            .filter(|e| matches!(e, Effect::CreateTask { .. }))
            .cloned()
            .collect()
    }

    /// The round of the open task at `node` for `user`.
    pub fn round(&self, node: &str, user: &str) -> u32 {
        let key = self.task(node, user).key;
        self.rounds[&key]
    }

    /// The users `cc` nodes notified, in order.
    pub fn cc_sent(&self) -> Vec<&str> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Effect::Notify {
                    user,
                    kind: NotifyKind::Cc,
                } => Some(user.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Nodes that got a task, in order, with the assignee.
    pub fn tasks_created(&self) -> Vec<(String, String)> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Effect::CreateTask { node, assignee, .. } => Some((node.clone(), assignee.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Applies effects to the model store, refusing what a store with unique keys would refuse:
/// one task per key, and one open task per (node, round, assignee).
pub fn apply(
    tasks: &mut BTreeMap<TaskKey, TaskRef>,
    rounds: &mut BTreeMap<TaskKey, u32>,
    timers: &mut BTreeMap<TimerKey, (OffsetDateTime, TimerKind)>,
    effects: &[Effect],
) -> Result<(), String> {
    for effect in effects {
        let problem = match effect {
            Effect::CreateTask {
                key,
                node,
                assignee,
                round,
                ..
            } => {
                let task = TaskRef {
                    node: node.clone(),
                    assignee: assignee.clone(),
                    key: key.clone(),
                };
                let clash = tasks.values().any(|t| {
                    t.node == *node && t.assignee == *assignee && rounds.get(&t.key) == Some(round)
                });
                let twice = rounds.insert(key.clone(), *round).is_some()
                    | tasks.insert(key.clone(), task).is_some();
                if clash {
                    Some(format!(
                        "two open tasks for {assignee} at {node} in round {round}"
                    ))
                } else {
                    twice.then(|| format!("two tasks with key {key}"))
                }
            }
            Effect::CancelTask { key, .. } | Effect::CompleteTask { key, .. } => {
                let missing = tasks.remove(key).is_none();
                missing.then(|| format!("closing task {key}, which is not open"))
            }
            Effect::ScheduleTimer { key, fire_at, kind } => {
                let twice = timers.insert(key.clone(), (*fire_at, *kind)).is_some();
                twice.then(|| format!("timer {key} scheduled twice"))
            }
            Effect::CancelTimer { key } => {
                let missing = timers.remove(key).is_none();
                missing.then(|| format!("cancelling timer {key}, which is not scheduled"))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(problem);
        }
    }
    Ok(())
}

/// The invariants every state must keep, checked against the model store.
pub fn check(
    st: &State,
    tasks: &BTreeMap<TaskKey, TaskRef>,
    timers: &BTreeMap<TimerKey, (OffsetDateTime, TimerKind)>,
) -> Result<(), String> {
    let mut open = st.open_tasks();
    open.sort();
    let mut keys: Vec<_> = open.iter().map(|t| t.key.clone()).collect();
    keys.dedup();
    if keys.len() != open.len() {
        return Err("two open tasks with one key in the state".into());
    }
    let mut stored: Vec<_> = tasks.values().cloned().collect();
    stored.sort();
    if open != stored {
        return Err(format!("state tasks {open:?} != store tasks {stored:?}"));
    }
    let wanted: Vec<_> = st.timers().into_iter().map(|(k, _)| k).collect();
    let mut wanted_sorted = wanted.clone();
    wanted_sorted.sort();
    let scheduled: Vec<_> = timers.keys().cloned().collect();
    if wanted_sorted != scheduled {
        return Err(format!(
            "state timers {wanted_sorted:?} != store timers {scheduled:?}"
        ));
    }
    match &st.status {
        Status::Running if st.tokens.is_empty() => Err("running without a position".into()),
        Status::Running => Ok(()),
        _ if !st.tokens.is_empty() || !tasks.is_empty() || !timers.is_empty() => {
            Err("not running but something is still open".into())
        }
        _ => Ok(()),
    }
}
