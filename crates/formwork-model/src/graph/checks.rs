//! Checks of single nodes and edges, reachability and loops: everything about a process graph
//! except its parallel blocks.

use std::collections::HashMap;

use petgraph::Direction;
use petgraph::algo::tarjan_scc;

use super::blocks::Edges;
use super::{ProcessGraph, allowed_actions, default_action, pointer};
use crate::def::{NodeKind, ProcessDef};
use crate::problem::{Fault, Problem};

impl ProcessGraph {
    /// Node and edge faults, reachability and ends; returns the start if there is exactly one.
    pub(super) fn check_local(&self, problems: &mut Vec<Problem>) -> Option<usize> {
        self.check_ids(problems);
        self.check_edges(problems);
        let starts: Vec<usize> = (0..self.def.nodes.len())
            .filter(|&i| self.is_first(i) && matches!(self.kind(i), Some(NodeKind::Start)))
            .collect();
        match starts.as_slice() {
            [] => problems.push(Fault::NoStart.at("/nodes")),
            [_, more @ ..] => {
                for &i in more {
                    problems.push(Fault::SeveralStarts.at(pointer(i)));
                }
            }
        }
        self.check_nodes(problems);
        if let Some(&start) = starts.first() {
            let reached = self.walk(&[start], |_| false, Edges::All, Direction::Outgoing);
            for i in (0..reached.len()).filter(|&i| self.is_first(i) && !reached[i]) {
                let node = self.id(i);
                problems.push(Fault::UnreachableNode { node }.at(pointer(i)));
            }
        }
        self.check_ends(problems);
        match starts.as_slice() {
            [only] => Some(*only),
            _ => None,
        }
    }

    fn check_ids(&self, problems: &mut Vec<Problem>) {
        for (i, node) in self.def.nodes.iter().enumerate() {
            if !self.is_first(i) {
                let fault = Fault::DuplicateId { id: &node.id };
                problems.push(fault.at(format!("/nodes/{i}/id")));
            }
        }
    }

    fn check_edges(&self, problems: &mut Vec<Problem>) {
        let def: &ProcessDef = &self.def;
        for (e, edge) in def.edges.iter().enumerate() {
            for (end, id) in [("from", &edge.from), ("to", &edge.to)] {
                if !self.ids.contains_key(id) {
                    problems.push(Fault::UnknownNode { node: id }.at(format!("/edges/{e}/{end}")));
                }
            }
            if let Some(NodeKind::Start) = self.node(&edge.to).map(|n| &n.kind) {
                problems.push(Fault::StartHasIncoming.at(format!("/edges/{e}")));
            }
            let Some(from) = self.node(&edge.from) else {
                continue;
            };
            match &from.kind {
                NodeKind::End { .. } => {
                    problems.push(Fault::EndHasOutgoing.at(format!("/edges/{e}")));
                }
                kind if kind.is_gateway() && edge.when.is_none() && !edge.default => {
                    problems.push(Fault::ConditionEdgeWithoutWhen.at(format!("/edges/{e}")));
                }
                kind if kind.is_gateway() => {}
                kind if edge.when.is_some() || edge.default => problems.push(
                    Fault::EdgeWhenOutsideCondition { kind: kind.tag() }.at(format!("/edges/{e}")),
                ),
                _ => {}
            }
            if let Some(action) = edge.on.as_deref()
                && !allowed_actions(&from.kind).contains(&action)
            {
                let kind = from.kind.tag();
                let fault = Fault::EdgeActionInvalid { action, kind };
                problems.push(fault.at(format!("/edges/{e}/on")));
            }
        }
    }

    fn check_nodes(&self, problems: &mut Vec<Problem>) {
        for i in (0..self.def.nodes.len()).filter(|&i| self.is_first(i)) {
            let node = &self.def.nodes[i];
            let id = node.id.as_str();
            let out = self.out(i);
            match &node.kind {
                kind if kind.is_gateway() => {
                    match out.iter().filter(|&&e| self.edge(e).default).count() {
                        0 => problems
                            .push(Fault::ConditionWithoutDefault { node: id }.at(pointer(i))),
                        1 => {}
                        _ => problems
                            .push(Fault::ConditionSeveralDefaults { node: id }.at(pointer(i))),
                    }
                }
                NodeKind::ParallelSplit | NodeKind::End { .. } => {}
                kind => {
                    let default = default_action(kind);
                    let mut counts: HashMap<&str, usize> = HashMap::new();
                    for &e in out {
                        let on = self.edge(e).on.as_deref();
                        *counts
                            .entry(on.or(default).unwrap_or("continue"))
                            .or_default() += 1;
                    }
                    let mut ambiguous: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
                    ambiguous.sort();
                    for (action, _) in ambiguous {
                        let fault = Fault::AmbiguousEdges { node: id, action };
                        problems.push(fault.at(pointer(i)));
                    }
                    if let Some(action) = default
                        && !counts.contains_key(action)
                    {
                        let fault = Fault::MissingEdgeAction { node: id, action };
                        problems.push(fault.at(pointer(i)));
                    }
                    if counts.contains_key("timeout") {
                        match kind.deadline() {
                            None => problems
                                .push(Fault::TimeoutWithoutDeadline { node: id }.at(pointer(i))),
                            Some(d) if d.escalate.is_some() => problems.push(
                                Fault::TimeoutWithEscalation { node: id }
                                    .at(format!("/nodes/{i}/deadline/escalate")),
                            ),
                            Some(_) => {}
                        }
                    }
                }
            }
        }
    }

    fn check_ends(&self, problems: &mut Vec<Problem>) {
        let ends: Vec<usize> = (0..self.def.nodes.len())
            .filter(|&i| self.is_first(i) && matches!(self.kind(i), Some(NodeKind::End { .. })))
            .collect();
        let can_end = self.walk(&ends, |_| false, Edges::All, Direction::Incoming);
        for i in (0..can_end.len()).filter(|&i| self.is_first(i) && !can_end[i]) {
            let node = self.id(i);
            problems.push(Fault::CannotReachEnd { node }.at(pointer(i)));
        }
    }

    /// Loops made only of automatic nodes would spin forever: every cycle needs a person.
    pub(super) fn check_cycles(&self, problems: &mut Vec<Problem>) {
        let mut machine = self.graph.clone();
        machine.retain_nodes(|g, ix| g.node_weight(ix).is_some_and(|&i| !self.is_human(i)));
        for component in tarjan_scc(&machine) {
            let looped = match component.as_slice() {
                [only] => machine.find_edge(*only, *only).is_some(),
                _ => true,
            };
            if !looped {
                continue;
            }
            let mut members: Vec<usize> = component
                .iter()
                .filter_map(|&ix| machine.node_weight(ix).copied())
                .collect();
            members.sort_unstable();
            let nodes = members
                .iter()
                .map(|&i| self.id(i))
                .collect::<Vec<_>>()
                .join(", ");
            if let Some(&first) = members.first() {
                problems.push(Fault::CycleWithoutHumanStep { nodes }.at(pointer(first)));
            }
        }
    }

    fn is_human(&self, node: usize) -> bool {
        self.kind(node).is_some_and(NodeKind::is_human)
    }
}
