//! A process definition as a petgraph graph, for the checks before publish and for the engine.
//!
//! The stored format stays [`ProcessDef`] (string ids, ordered edge list); [`ProcessGraph`] is
//! built from it in memory. Node weights are indexes into `def.nodes`, edge weights indexes into
//! `def.edges`, so every fault can point back into the package. Edges naming unknown nodes and
//! nodes repeating an earlier id are left out of the graph; [`ProcessGraph::check`] reports them.

use std::collections::{BTreeSet, HashMap, HashSet};

use petgraph::algo::tarjan_scc;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::{Dfs, Reversed, Walker};

use crate::def::{EdgeDef, NodeDef, NodeKind, ProcessDef};
use crate::problem::{Fault, Problem};

/// The action an edge leaving a human step answers to when its `on` is absent.
pub fn default_action(kind: &NodeKind) -> Option<&'static str> {
    match kind {
        NodeKind::Approval(_) => Some("approve"),
        NodeKind::Fill(_) => Some("submit"),
        _ => None,
    }
}

/// Actions whose edges may leave a node of this kind.
pub fn allowed_actions(kind: &NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::Approval(_) => &["approve", "reject", "return"],
        NodeKind::Fill(_) => &["submit", "withdraw"],
        _ => &[],
    }
}

/// A process graph with lookups by node id.
#[derive(Debug, Clone)]
pub struct ProcessGraph {
    def: ProcessDef,
    graph: StableDiGraph<usize, usize>,
    by_id: HashMap<String, NodeIndex>,
}

impl ProcessGraph {
    /// Builds the graph of `def`; the first node with an id wins, edges to unknown ids are left out.
    pub fn build(def: &ProcessDef) -> Self {
        let mut graph = StableDiGraph::new();
        let mut by_id = HashMap::new();
        for (i, node) in def.nodes.iter().enumerate() {
            if !by_id.contains_key(&node.id) {
                by_id.insert(node.id.clone(), graph.add_node(i));
            }
        }
        for (e, edge) in def.edges.iter().enumerate() {
            if let (Some(&a), Some(&b)) = (by_id.get(&edge.from), by_id.get(&edge.to)) {
                graph.add_edge(a, b, e);
            }
        }
        Self {
            def: def.clone(),
            graph,
            by_id,
        }
    }

    /// The definition the graph was built from.
    pub fn def(&self) -> &ProcessDef {
        &self.def
    }

    /// The petgraph graph: node weights index `def().nodes`, edge weights `def().edges`.
    pub fn graph(&self) -> &StableDiGraph<usize, usize> {
        &self.graph
    }

    /// The graph index of the node with `id`.
    pub fn index(&self, id: &str) -> Option<NodeIndex> {
        self.by_id.get(id).copied()
    }

    /// The node at a graph index.
    pub fn node_at(&self, ix: NodeIndex) -> Option<&NodeDef> {
        self.graph
            .node_weight(ix)
            .and_then(|&i| self.def.nodes.get(i))
    }

    /// The node with `id`.
    pub fn node(&self, id: &str) -> Option<&NodeDef> {
        self.index(id).and_then(|ix| self.node_at(ix))
    }

    /// The start node, if there is exactly one.
    pub fn start(&self) -> Option<&NodeDef> {
        match self.starts().as_slice() {
            [only] => self.node_at(*only),
            _ => None,
        }
    }

    /// Edges leaving `id`, with their index in `def().edges`, in definition order.
    ///
    /// A condition node takes the first of these whose `when` is true, else its default.
    pub fn outgoing(&self, id: &str) -> Vec<(usize, &EdgeDef)> {
        self.def
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.from == id && self.by_id.contains_key(&e.to))
            .collect()
    }

    /// Edges entering `id`, with their index in `def().edges`, in definition order.
    pub fn incoming(&self, id: &str) -> Vec<(usize, &EdgeDef)> {
        self.def
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.to == id && self.by_id.contains_key(&e.from))
            .collect()
    }

    /// The edge a human step takes on `action` (`approve`, `reject`, `submit`, …).
    pub fn edge_on(&self, id: &str, action: &str) -> Option<&EdgeDef> {
        let default = self.node(id).and_then(|n| default_action(&n.kind));
        self.outgoing(id)
            .into_iter()
            .map(|(_, e)| e)
            .find(|e| e.on.as_deref().or(default) == Some(action))
    }

    /// The join where the branches of parallel split `id` meet, if they meet at exactly one.
    pub fn join_of(&self, id: &str) -> Option<&str> {
        let split = self.index(id)?;
        if !self.is(split, |k| matches!(k, NodeKind::ParallelSplit)) {
            return None;
        }
        let joins = self.joins_reached(split)?;
        match joins.into_iter().collect::<Vec<_>>().as_slice() {
            [only] => self.node_at(*only).map(|n| n.id.as_str()),
            _ => None,
        }
    }

    /// Every structural fault of the process, with pointers relative to it (`/nodes/3`).
    pub fn check(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.check_edges(&mut problems);
        let starts = self.starts();
        match starts.as_slice() {
            [] => problems.push(Fault::NoStart.at("/nodes")),
            [_, more @ ..] => {
                for &ix in more {
                    problems.push(Fault::SeveralStarts.at(self.pointer(ix)));
                }
            }
        }
        self.check_nodes(&mut problems);
        if let Some(&start) = starts.first() {
            let reached: HashSet<_> = Dfs::new(&self.graph, start).iter(&self.graph).collect();
            for ix in self.indices() {
                if !reached.contains(&ix) {
                    problems
                        .push(Fault::UnreachableNode { node: self.id(ix) }.at(self.pointer(ix)));
                }
            }
        }
        self.check_ends(&mut problems);
        self.check_parallel(&mut problems);
        self.check_cycles(&mut problems);
        problems
    }

    fn check_edges(&self, problems: &mut Vec<Problem>) {
        for (e, edge) in self.def.edges.iter().enumerate() {
            for (end, id) in [("from", &edge.from), ("to", &edge.to)] {
                if !self.by_id.contains_key(id) {
                    problems.push(Fault::UnknownNode { node: id }.at(format!("/edges/{e}/{end}")));
                }
            }
            if let Some(to) = self.node(&edge.to)
                && matches!(to.kind, NodeKind::Start)
            {
                problems.push(Fault::StartHasIncoming.at(format!("/edges/{e}")));
            }
            let Some(from) = self.node(&edge.from) else {
                continue;
            };
            match from.kind {
                NodeKind::End { .. } => {
                    problems.push(Fault::EndHasOutgoing.at(format!("/edges/{e}")))
                }
                NodeKind::Condition if edge.when.is_none() && !edge.default => {
                    problems.push(Fault::ConditionEdgeWithoutWhen.at(format!("/edges/{e}")));
                }
                NodeKind::Condition => {}
                _ if edge.when.is_some() || edge.default => problems.push(
                    Fault::EdgeWhenOutsideCondition {
                        kind: from.kind.tag(),
                    }
                    .at(format!("/edges/{e}")),
                ),
                _ => {}
            }
            if let Some(action) = edge.on.as_deref()
                && !allowed_actions(&from.kind).contains(&action)
            {
                problems.push(
                    Fault::EdgeActionInvalid {
                        action,
                        kind: from.kind.tag(),
                    }
                    .at(format!("/edges/{e}/on")),
                );
            }
        }
    }

    fn check_nodes(&self, problems: &mut Vec<Problem>) {
        for ix in self.indices() {
            let Some(node) = self.node_at(ix) else {
                continue;
            };
            let at = self.pointer(ix);
            let out: Vec<&EdgeDef> = self
                .outgoing(&node.id)
                .into_iter()
                .map(|(_, e)| e)
                .collect();
            match &node.kind {
                NodeKind::Condition => match out.iter().filter(|e| e.default).count() {
                    0 => problems.push(Fault::ConditionWithoutDefault { node: &node.id }.at(at)),
                    1 => {}
                    _ => problems.push(Fault::ConditionSeveralDefaults { node: &node.id }.at(at)),
                },
                NodeKind::ParallelSplit | NodeKind::End { .. } => {}
                kind => {
                    let default = default_action(kind);
                    let mut counts: HashMap<&str, usize> = HashMap::new();
                    for edge in &out {
                        let action = edge.on.as_deref().or(default).unwrap_or("continue");
                        *counts.entry(action).or_default() += 1;
                    }
                    let mut ambiguous: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
                    ambiguous.sort();
                    for (action, _) in ambiguous {
                        problems.push(
                            Fault::AmbiguousEdges {
                                node: &node.id,
                                action,
                            }
                            .at(at.clone()),
                        );
                    }
                    if let Some(action) = default
                        && !counts.contains_key(action)
                    {
                        problems.push(
                            Fault::MissingEdgeAction {
                                node: &node.id,
                                action,
                            }
                            .at(at.clone()),
                        );
                    }
                }
            }
        }
    }

    fn check_ends(&self, problems: &mut Vec<Problem>) {
        let reversed = Reversed(&self.graph);
        let mut can_end = HashSet::new();
        for ix in self.indices() {
            if self.is(ix, |k| matches!(k, NodeKind::End { .. })) && !can_end.contains(&ix) {
                can_end.extend(Dfs::new(reversed, ix).iter(reversed));
            }
        }
        for ix in self.indices() {
            if !can_end.contains(&ix) {
                problems.push(Fault::CannotReachEnd { node: self.id(ix) }.at(self.pointer(ix)));
            }
        }
    }

    fn check_parallel(&self, problems: &mut Vec<Problem>) {
        let mut paired = HashSet::new();
        for ix in self.indices() {
            if !self.is(ix, |k| matches!(k, NodeKind::ParallelSplit)) {
                continue;
            }
            match self.joins_reached(ix) {
                Some(joins) if joins.len() == 1 => paired.extend(joins),
                _ => problems
                    .push(Fault::SplitWithoutJoin { node: self.id(ix) }.at(self.pointer(ix))),
            }
        }
        for ix in self.indices() {
            if self.is(ix, |k| matches!(k, NodeKind::ParallelJoin)) && !paired.contains(&ix) {
                problems.push(Fault::JoinWithoutSplit { node: self.id(ix) }.at(self.pointer(ix)));
            }
        }
    }

    /// Joins that close the branches of `split`, or `None` when a branch reaches no join.
    ///
    /// Walks each branch counting nested splits and joins; a join met at nesting depth zero
    /// closes the branch. Ends and the way back to `split` itself stop a walk.
    fn joins_reached(&self, split: NodeIndex) -> Option<BTreeSet<NodeIndex>> {
        let max_depth = self.graph.node_count();
        let mut all = BTreeSet::new();
        let branches: Vec<_> = self.graph.neighbors(split).collect();
        if branches.is_empty() {
            return None;
        }
        for branch in branches {
            let mut found = BTreeSet::new();
            let mut seen = HashSet::new();
            let mut stack = vec![(branch, 0usize)];
            while let Some((ix, depth)) = stack.pop() {
                if ix == split && depth == 0 || !seen.insert((ix, depth)) {
                    continue;
                }
                let Some(node) = self.node_at(ix) else {
                    continue;
                };
                let depth = match node.kind {
                    NodeKind::ParallelJoin if depth == 0 => {
                        found.insert(ix);
                        continue;
                    }
                    NodeKind::ParallelJoin => depth - 1,
                    NodeKind::ParallelSplit => (depth + 1).min(max_depth),
                    NodeKind::End { .. } => continue,
                    _ => depth,
                };
                stack.extend(self.graph.neighbors(ix).map(|next| (next, depth)));
            }
            if found.is_empty() {
                return None;
            }
            all.extend(found);
        }
        Some(all)
    }

    fn check_cycles(&self, problems: &mut Vec<Problem>) {
        let mut machine = self.graph.clone();
        for ix in self.indices() {
            if self.is(ix, NodeKind::is_human) {
                machine.remove_node(ix);
            }
        }
        for component in tarjan_scc(&machine) {
            let looped = match component.as_slice() {
                [only] => machine.find_edge(*only, *only).is_some(),
                _ => true,
            };
            if !looped {
                continue;
            }
            let mut members: Vec<_> = component
                .iter()
                .filter_map(|&ix| self.graph.node_weight(ix).map(|&i| (i, ix)))
                .collect();
            members.sort_unstable();
            let names = members
                .iter()
                .map(|&(_, ix)| self.id(ix))
                .collect::<Vec<_>>()
                .join(", ");
            if let Some(&(_, first)) = members.first() {
                problems
                    .push(Fault::CycleWithoutHumanStep { nodes: names }.at(self.pointer(first)));
            }
        }
    }

    /// Start nodes in definition order.
    fn starts(&self) -> Vec<NodeIndex> {
        self.indices()
            .into_iter()
            .filter(|&ix| self.is(ix, |k| matches!(k, NodeKind::Start)))
            .collect()
    }

    /// Graph indices in definition order.
    fn indices(&self) -> Vec<NodeIndex> {
        let mut all: Vec<_> = self
            .graph
            .node_indices()
            .filter_map(|ix| self.graph.node_weight(ix).map(|&i| (i, ix)))
            .collect();
        all.sort_unstable();
        all.into_iter().map(|(_, ix)| ix).collect()
    }

    fn is(&self, ix: NodeIndex, test: impl Fn(&NodeKind) -> bool) -> bool {
        self.node_at(ix).is_some_and(|n| test(&n.kind))
    }

    fn id(&self, ix: NodeIndex) -> &str {
        self.node_at(ix).map_or("", |n| n.id.as_str())
    }

    fn pointer(&self, ix: NodeIndex) -> String {
        self.graph
            .node_weight(ix)
            .map_or_else(|| "/nodes".to_owned(), |i| format!("/nodes/{i}"))
    }
}
