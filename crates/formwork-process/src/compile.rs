//! A `ProcessDef` compiled once into a petgraph graph plus the indexes every step needs.
//!
//! Compiling checks what the engine needs to run a definition without guessing (edges name real
//! nodes, one start, unambiguous outgoing edges, paired and nested parallel regions). The full
//! publish-time validation lives in `formwork-model`.

use std::collections::{BTreeSet, HashMap};

use formwork_model::{ApprovalMode, EdgeDef, NodeDef, NodeKind, ProcessDef};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, NodeFiltered, Reversed};

use crate::effect::StepOutcome;
use crate::error::EngineError;

/// How many nodes one step may enter before the engine calls it a loop.
pub const DEFAULT_STEP_BUDGET: u32 = 1_000;

/// A process definition ready to run: build it once per (app, version), then call
/// [`step`](crate::step) with it as often as needed.
#[derive(Debug, Clone)]
pub struct CompiledProcess {
    def: ProcessDef,
    /// Node weights are indexes into `def.nodes`, edge weights indexes into `def.edges`.
    graph: DiGraph<usize, usize>,
    ids: HashMap<String, usize>,
    start: usize,
    /// Outgoing edge indexes per node, in the order the definition lists them.
    out: Vec<Vec<usize>>,
    /// Target node index per edge.
    edge_to: Vec<usize>,
    splits: HashMap<usize, Split>,
    split_of_join: HashMap<usize, usize>,
    /// Per node: the splits whose parallel region holds it, outermost first.
    scopes: Vec<Vec<usize>>,
    budget: u32,
}

/// A parallel split, its join and the nodes strictly between them.
#[derive(Debug, Clone)]
pub(crate) struct Split {
    pub join: usize,
    pub branches: u32,
    pub region: Vec<bool>,
}

impl CompiledProcess {
    /// Builds the graph and indexes, or says every reason the definition cannot run.
    pub fn compile(def: &ProcessDef) -> Result<CompiledProcess, EngineError> {
        let mut errors = Vec::new();
        let mut ids = HashMap::new();
        for (i, node) in def.nodes.iter().enumerate() {
            if ids.insert(node.id.clone(), i).is_some() {
                errors.push(format!("node id {} is used twice", node.id));
            }
        }
        let mut graph = DiGraph::with_capacity(def.nodes.len(), def.edges.len());
        for i in 0..def.nodes.len() {
            graph.add_node(i);
        }
        let mut out = vec![Vec::new(); def.nodes.len()];
        let mut edge_to = Vec::with_capacity(def.edges.len());
        for (e, edge) in def.edges.iter().enumerate() {
            match (ids.get(&edge.from), ids.get(&edge.to)) {
                (Some(&a), Some(&b)) => {
                    graph.add_edge(NodeIndex::new(a), NodeIndex::new(b), e);
                    out[a].push(e);
                    edge_to.push(b);
                }
                _ => {
                    errors.push(format!(
                        "edge {} → {} names a node that does not exist",
                        edge.from, edge.to
                    ));
                    edge_to.push(usize::MAX);
                }
            }
        }
        let starts: Vec<usize> = (0..def.nodes.len())
            .filter(|&i| matches!(def.nodes[i].kind, NodeKind::Start))
            .collect();
        if starts.len() != 1 {
            errors.push(format!(
                "a process needs one start node, found {}",
                starts.len()
            ));
        }
        for (i, node) in def.nodes.iter().enumerate() {
            check_node(node, out[i].iter().map(|&e| &def.edges[e]), &mut errors);
        }
        if !errors.is_empty() {
            return Err(EngineError::Invalid { errors });
        }

        let mut compiled = CompiledProcess {
            def: def.clone(),
            graph,
            ids,
            start: starts.first().copied().unwrap_or_default(),
            out,
            edge_to,
            splits: HashMap::new(),
            split_of_join: HashMap::new(),
            scopes: vec![Vec::new(); def.nodes.len()],
            budget: DEFAULT_STEP_BUDGET,
        };
        compiled.pair_parallel(&mut errors);
        if errors.is_empty() {
            compiled.build_scopes(&mut errors);
        }
        if errors.is_empty() {
            compiled.check_edge_scopes(&mut errors);
        }
        if errors.is_empty() {
            Ok(compiled)
        } else {
            Err(EngineError::Invalid { errors })
        }
    }

    /// The same process with another limit on automatic steps per [`step`](crate::step).
    pub fn with_step_budget(mut self, budget: u32) -> CompiledProcess {
        self.budget = budget;
        self
    }

    /// The definition this was compiled from.
    pub fn def(&self) -> &ProcessDef {
        &self.def
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&NodeDef> {
        self.ids.get(id).map(|&i| &self.def.nodes[i])
    }

    pub(crate) fn budget(&self) -> u32 {
        self.budget
    }

    pub(crate) fn start(&self) -> usize {
        self.start
    }

    pub(crate) fn index(&self, id: &str) -> Result<usize, EngineError> {
        self.ids
            .get(id)
            .copied()
            .ok_or_else(|| EngineError::inconsistent(format!("unknown node {id}")))
    }

    pub(crate) fn def_of(&self, node: usize) -> &NodeDef {
        &self.def.nodes[node]
    }

    pub(crate) fn id(&self, node: usize) -> &str {
        &self.def.nodes[node].id
    }

    /// Outgoing edges in definition order, with their target node.
    pub(crate) fn edges_from(&self, node: usize) -> impl Iterator<Item = (&EdgeDef, usize)> {
        self.out[node]
            .iter()
            .map(|&e| (&self.def.edges[e], self.edge_to[e]))
    }

    /// The target of the only edge of a node that has exactly one (checked at compile).
    pub(crate) fn next(&self, node: usize) -> Result<usize, EngineError> {
        self.out[node]
            .first()
            .map(|&e| self.edge_to[e])
            .ok_or_else(|| EngineError::inconsistent(format!("{} has no edge", self.id(node))))
    }

    /// Whether an `on: return` edge leads from `node` to `target`.
    pub(crate) fn return_edge(&self, node: usize, target: usize) -> bool {
        self.edges_from(node)
            .any(|(edge, to)| to == target && edge.on.as_deref() == Some("return"))
    }

    /// The target of the edge a human step takes for `outcome`, if it has one.
    pub(crate) fn route(&self, node: usize, outcome: StepOutcome) -> Option<usize> {
        self.edges_from(node)
            .find(|(edge, _)| on_matches(edge.on.as_deref(), outcome))
            .map(|(_, to)| to)
    }

    pub(crate) fn split(&self, node: usize) -> Result<&Split, EngineError> {
        self.splits
            .get(&node)
            .ok_or_else(|| EngineError::inconsistent(format!("{} is not a split", self.id(node))))
    }

    pub(crate) fn split_of_join(&self, join: usize) -> Option<usize> {
        self.split_of_join.get(&join).copied()
    }

    pub(crate) fn scopes(&self, node: usize) -> &[usize] {
        &self.scopes[node]
    }

    /// Pairs every split with the first join its branches meet at nesting depth zero.
    fn pair_parallel(&mut self, errors: &mut Vec<String>) {
        let n = self.def.nodes.len();
        for s in 0..n {
            if !matches!(self.def.nodes[s].kind, NodeKind::ParallelSplit) {
                continue;
            }
            let joins = self.joins_met(s);
            let [join] = joins.as_slice() else {
                errors.push(format!(
                    "split {} must meet exactly one join, meets {}",
                    self.id(s),
                    if joins.is_empty() {
                        "none".to_owned()
                    } else {
                        joins
                            .iter()
                            .map(|&j| self.id(j))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
                continue;
            };
            if let Some(other) = self.split_of_join.insert(*join, s) {
                errors.push(format!(
                    "join {} closes both {} and {}",
                    self.id(*join),
                    self.id(other),
                    self.id(s)
                ));
            }
            let region = self.region(s, *join);
            let branches = u32::try_from(self.out[s].len()).unwrap_or(u32::MAX);
            self.splits.insert(
                s,
                Split {
                    join: *join,
                    branches,
                    region,
                },
            );
        }
        for j in 0..n {
            if matches!(self.def.nodes[j].kind, NodeKind::ParallelJoin)
                && !self.split_of_join.contains_key(&j)
            {
                errors.push(format!("join {} closes no split", self.id(j)));
            }
        }
    }

    /// Joins reached at depth zero from the branches of `split`, following forward edges only
    /// (reject and withdraw edges leave the region on purpose and are not branch paths).
    fn joins_met(&self, split: usize) -> Vec<usize> {
        let limit = self.def.nodes.len();
        let mut found = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(usize, usize)> = self.out[split]
            .iter()
            .map(|&e| (self.edge_to[e], 0))
            .collect();
        while let Some((node, depth)) = stack.pop() {
            if !seen.insert((node, depth)) {
                continue;
            }
            let depth = match self.def.nodes[node].kind {
                NodeKind::ParallelJoin if depth == 0 => {
                    found.insert(node);
                    continue;
                }
                NodeKind::ParallelJoin => depth - 1,
                NodeKind::ParallelSplit if depth < limit => depth + 1,
                NodeKind::ParallelSplit | NodeKind::End { .. } => continue,
                _ => depth,
            };
            for &e in &self.out[node] {
                if is_forward(self.def.edges[e].on.as_deref()) {
                    stack.push((self.edge_to[e], depth));
                }
            }
        }
        found.into_iter().collect()
    }

    /// Nodes reachable from the split without passing its join that can reach the join without
    /// passing the split.
    fn region(&self, split: usize, join: usize) -> Vec<bool> {
        let (s, j) = (NodeIndex::new(split), NodeIndex::new(join));
        let keep = |n: NodeIndex| n != s && n != j;
        let mut from_split = vec![false; self.def.nodes.len()];
        let forward = NodeFiltered::from_fn(&self.graph, keep);
        let mut dfs = Dfs::empty(&forward);
        dfs.stack.extend(
            self.graph
                .neighbors_directed(s, Direction::Outgoing)
                .filter(|&n| keep(n)),
        );
        while let Some(n) = dfs.next(&forward) {
            from_split[n.index()] = true;
        }
        let mut region = vec![false; self.def.nodes.len()];
        let backward = NodeFiltered::from_fn(Reversed(&self.graph), keep);
        let mut dfs = Dfs::empty(&backward);
        dfs.stack.extend(
            self.graph
                .neighbors_directed(j, Direction::Incoming)
                .filter(|&n| keep(n)),
        );
        while let Some(n) = dfs.next(&backward) {
            region[n.index()] = from_split[n.index()];
        }
        region
    }

    fn build_scopes(&mut self, errors: &mut Vec<String>) {
        for node in 0..self.def.nodes.len() {
            let mut scopes: Vec<usize> = self
                .splits
                .iter()
                .filter(|(_, split)| split.region[node])
                .map(|(&s, _)| s)
                .collect();
            // An enclosing region holds the inner split node too, so it is strictly larger.
            scopes.sort_by_key(|s| {
                let size = self.splits[s].region.iter().filter(|&&r| r).count();
                (std::cmp::Reverse(size), *s)
            });
            for pair in scopes.windows(2) {
                if !self.splits[&pair[0]].region[pair[1]] {
                    errors.push(format!(
                        "parallel regions of {} and {} overlap without nesting (at {})",
                        self.id(pair[0]),
                        self.id(pair[1]),
                        self.id(node)
                    ));
                }
            }
            self.scopes[node] = scopes;
        }
    }

    /// Every edge stays in its parallel region, leaves it, or enters a branch from its split.
    fn check_edge_scopes(&self, errors: &mut Vec<String>) {
        for edge in &self.def.edges {
            let (Ok(a), Ok(b)) = (self.index(&edge.from), self.index(&edge.to)) else {
                continue;
            };
            let (from, to) = (self.scopes(a), self.scopes(b));
            let ok = if let Some(split) = self.splits.get(&a) {
                if b == split.join {
                    to == from
                } else {
                    to.len() == from.len() + 1 && to.starts_with(from) && to.last() == Some(&a)
                }
            } else if let Some(&s) = self.split_of_join.get(&b) {
                self.splits[&s].region[a] && from.starts_with(to)
            } else {
                from.starts_with(to)
            };
            if !ok {
                errors.push(format!(
                    "edge {} → {} crosses into a parallel branch other than through its split \
                     and join",
                    edge.from, edge.to
                ));
            }
        }
    }
}

/// Whether an edge's `on` is taken for a step outcome (absent means approve / submit).
fn on_matches(on: Option<&str>, outcome: StepOutcome) -> bool {
    match outcome {
        StepOutcome::Approved | StepOutcome::Submitted => is_forward(on),
        StepOutcome::Rejected => on == Some("reject"),
        StepOutcome::Withdrawn => on == Some("withdraw"),
    }
}

fn is_forward(on: Option<&str>) -> bool {
    matches!(on, None | Some("approve") | Some("submit"))
}

/// Checks one node and its outgoing edges on their own.
fn check_node<'a>(
    node: &NodeDef,
    edges: impl Iterator<Item = &'a EdgeDef>,
    errors: &mut Vec<String>,
) {
    let edges: Vec<&EdgeDef> = edges.collect();
    let id = &node.id;
    let human = node.kind.is_human();
    let condition = matches!(node.kind, NodeKind::Condition);
    for edge in &edges {
        match edge.on.as_deref() {
            None => {}
            Some("approve" | "reject" | "submit" | "withdraw" | "return") if human => {}
            Some(on) if human => errors.push(format!("edge {id} → {}: unknown on {on}", edge.to)),
            Some(_) => errors.push(format!(
                "edge {id} → {}: on is only for edges leaving a human step",
                edge.to
            )),
        }
        if !condition && (edge.when.is_some() || edge.default) {
            errors.push(format!(
                "edge {id} → {}: when and default are only for edges leaving a condition",
                edge.to
            ));
        }
    }
    match &node.kind {
        NodeKind::End { .. } if !edges.is_empty() => {
            errors.push(format!("end {id} must have no outgoing edge"));
        }
        NodeKind::End { .. } => {}
        NodeKind::Start
        | NodeKind::Cc { .. }
        | NodeKind::Action { .. }
        | NodeKind::Wait(_)
        | NodeKind::ParallelJoin
            if edges.len() != 1 =>
        {
            errors.push(format!(
                "{} {id} needs exactly one outgoing edge, has {}",
                node.kind.tag(),
                edges.len()
            ));
        }
        NodeKind::Condition => {
            if edges.is_empty() {
                errors.push(format!("condition {id} has no outgoing edge"));
            }
            if edges.iter().filter(|e| e.default).count() > 1 {
                errors.push(format!("condition {id} has more than one default edge"));
            }
            for edge in &edges {
                if edge.when.is_none() && !edge.default {
                    errors.push(format!(
                        "edge {id} → {} needs a when or default: true",
                        edge.to
                    ));
                }
            }
        }
        NodeKind::ParallelSplit if edges.is_empty() => {
            errors.push(format!("split {id} has no branch"));
        }
        NodeKind::Approval(_) | NodeKind::Fill(_)
            if !edges.iter().any(|e| is_forward(e.on.as_deref())) =>
        {
            errors.push(format!(
                "{} {id} has no approve/submit edge",
                node.kind.tag()
            ));
        }
        _ => {}
    }
    match &node.kind {
        NodeKind::Approval(a) if a.mode == ApprovalMode::Vote => match a.ratio {
            Some(r) if r > 0.0 && r <= 1.0 => {}
            Some(r) => errors.push(format!("approval {id}: ratio {r} is not in (0, 1]")),
            None => errors.push(format!("approval {id}: mode vote needs a ratio")),
        },
        NodeKind::Wait(w) if w.hours.is_none() && w.until_field.is_none() => {
            errors.push(format!("wait {id} needs hours or until_field"));
        }
        _ => {}
    }
}
