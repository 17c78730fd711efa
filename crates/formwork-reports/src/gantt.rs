//! The critical path method over activities with durations and finish-to-start dependencies.
//!
//! Forward pass: an activity starts when its last predecessor finishes (`ES = max EF`, 0 with
//! none), `EF = ES + duration`; the project lasts `D = max EF`. Backward pass: an activity
//! must finish by its first successor's latest start (`LF = min LS`, `D` with none),
//! `LS = LF − duration`. Slack is `LS − ES`; activities with none are critical, and a critical
//! path is a chain of critical activities from time 0 to `D` where each starts exactly when
//! the previous finishes. Durations are whole days; [`crate::views`] turns dated milestones
//! into activities.

use std::collections::HashMap;

use serde::Serialize;

/// Critical paths listed at most; parallel critical chains multiply, so the list is capped.
pub const MAX_PATHS: usize = 100;

/// One activity of a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub id: String,
    /// Whole days, ≥ 0 (0 is a milestone).
    pub duration: i64,
    /// Ids of activities that must finish before this one starts.
    pub depends_on: Vec<String>,
}

/// An activity scheduled: its window and slack, in days from the project start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    pub id: String,
    pub duration: i64,
    pub earliest_start: i64,
    pub earliest_finish: i64,
    pub latest_start: i64,
    pub latest_finish: i64,
    pub slack: i64,
    pub critical: bool,
}

/// The schedule of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// In the order given.
    pub activities: Vec<Scheduled>,
    /// Days from start to the last finish.
    pub duration: i64,
    /// Every critical path (at most [`MAX_PATHS`]), each a list of ids in order.
    pub critical_paths: Vec<Vec<String>>,
}

/// Why a network cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GanttError {
    #[error("dependencies form a cycle: {}", .ids.join(" → "))]
    Cycle { ids: Vec<String> },
    #[error("`{id}` depends on `{depends_on}`, which does not exist")]
    UnknownDependency { id: String, depends_on: String },
    #[error("`{id}` is named twice")]
    DuplicateId { id: String },
    #[error("`{id}` has a negative duration")]
    NegativeDuration { id: String },
}

impl GanttError {
    /// The message as `(zh-CN, en)`.
    pub fn texts(&self) -> (String, String) {
        let en = self.to_string();
        let zh = match self {
            GanttError::Cycle { ids } => format!("依赖关系形成循环：{}", ids.join(" → ")),
            GanttError::UnknownDependency { id, depends_on } => {
                format!("「{id}」依赖的「{depends_on}」不存在")
            }
            GanttError::DuplicateId { id } => format!("「{id}」重名"),
            GanttError::NegativeDuration { id } => format!("「{id}」的结束日期早于开始日期"),
        };
        (zh, en)
    }
}

/// Predecessor and successor indexes of every activity.
struct Network {
    preds: Vec<Vec<usize>>,
    succs: Vec<Vec<usize>>,
}

fn network(activities: &[Activity]) -> Result<Network, GanttError> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, a) in activities.iter().enumerate() {
        if a.duration < 0 {
            return Err(GanttError::NegativeDuration { id: a.id.clone() });
        }
        if index.insert(a.id.as_str(), i).is_some() {
            return Err(GanttError::DuplicateId { id: a.id.clone() });
        }
    }
    let n = activities.len();
    let (mut preds, mut succs) = (vec![Vec::new(); n], vec![Vec::new(); n]);
    for (i, a) in activities.iter().enumerate() {
        for dep in &a.depends_on {
            let &p = index
                .get(dep.as_str())
                .ok_or_else(|| GanttError::UnknownDependency {
                    id: a.id.clone(),
                    depends_on: dep.clone(),
                })?;
            if !preds[i].contains(&p) {
                preds[i].push(p);
                succs[p].push(i);
            }
        }
    }
    Ok(Network { preds, succs })
}

/// A topological order (Kahn), or the cycle that prevents one.
fn order(activities: &[Activity], net: &Network) -> Result<Vec<usize>, GanttError> {
    let n = activities.len();
    let mut indegree: Vec<usize> = net.preds.iter().map(Vec::len).collect();
    let mut ready: Vec<usize> = (0..n).rev().filter(|&i| indegree[i] == 0).collect();
    let mut out = Vec::with_capacity(n);
    while let Some(i) = ready.pop() {
        out.push(i);
        for &s in net.succs[i].iter().rev() {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.push(s);
            }
        }
    }
    if out.len() == n {
        return Ok(out);
    }
    // Walk predecessors among the unordered activities until one repeats: that is a cycle.
    let stuck = |i: usize| indegree[i] > 0;
    let mut walk: Vec<usize> = Vec::new();
    let mut at = (0..n).find(|&i| stuck(i)).unwrap_or(0);
    while !walk.contains(&at) {
        walk.push(at);
        at = net.preds[at]
            .iter()
            .copied()
            .find(|&p| stuck(p))
            .unwrap_or(at);
    }
    let from = walk.iter().position(|&i| i == at).unwrap_or(0);
    // Predecessors were walked, so reversed they run in dependency order; close the loop.
    let mut ids: Vec<String> = walk[from..]
        .iter()
        .rev()
        .map(|&i| activities[i].id.clone())
        .collect();
    ids.extend(ids.first().cloned());
    Err(GanttError::Cycle { ids })
}

/// Schedules `activities`: early and late windows, slack and the critical paths.
pub fn critical_path(activities: &[Activity]) -> Result<Schedule, GanttError> {
    let net = network(activities)?;
    let topo = order(activities, &net)?;
    let n = activities.len();
    let d = |i: usize| activities[i].duration;
    let mut es = vec![0i64; n];
    for &i in &topo {
        es[i] = net.preds[i]
            .iter()
            .map(|&p| es[p] + d(p))
            .max()
            .unwrap_or(0);
    }
    let total = (0..n).map(|i| es[i] + d(i)).max().unwrap_or(0);
    let mut lf = vec![total; n];
    for &i in topo.iter().rev() {
        lf[i] = net.succs[i]
            .iter()
            .map(|&s| lf[s] - d(s))
            .min()
            .unwrap_or(total);
    }
    let scheduled: Vec<Scheduled> = (0..n)
        .map(|i| Scheduled {
            id: activities[i].id.clone(),
            duration: d(i),
            earliest_start: es[i],
            earliest_finish: es[i] + d(i),
            latest_start: lf[i] - d(i),
            latest_finish: lf[i],
            slack: lf[i] - d(i) - es[i],
            critical: lf[i] - d(i) == es[i],
        })
        .collect();
    let mut paths = Vec::new();
    let starts = topo.iter().copied().filter(|&i| {
        scheduled[i].critical
            && es[i] == 0
            && net.preds[i]
                .iter()
                .all(|&p| es[p] + d(p) != 0 || !scheduled[p].critical)
    });
    for start in starts {
        extend(start, &mut vec![start], &net, &scheduled, total, &mut paths);
    }
    Ok(Schedule {
        activities: scheduled,
        duration: total,
        critical_paths: paths,
    })
}

/// Depth-first: follows critical successors that start when `at` finishes, to the end.
fn extend(
    at: usize,
    path: &mut Vec<usize>,
    net: &Network,
    s: &[Scheduled],
    total: i64,
    out: &mut Vec<Vec<String>>,
) {
    if out.len() >= MAX_PATHS {
        return;
    }
    let next: Vec<usize> = net.succs[at]
        .iter()
        .copied()
        .filter(|&n| s[n].critical && s[n].earliest_start == s[at].earliest_finish)
        .collect();
    if next.is_empty() {
        if s[at].earliest_finish == total {
            out.push(path.iter().map(|&i| s[i].id.clone()).collect());
        }
        return;
    }
    for n in next {
        path.push(n);
        extend(n, path, net, s, total, out);
        path.pop();
    }
}
