//! A process definition as one petgraph graph with its structure worked out: the single model
//! that both validation (`formwork app validate`, publish) and the engine compile from.
//!
//! The stored format stays [`ProcessDef`] (string ids, ordered edge list); [`ProcessGraph`] is
//! built from it in memory. Graph node `i` is `def.nodes[i]` and edge weights index `def.edges`,
//! so every fault points back into the package. A node repeating an earlier id stays in the
//! graph without edges (edges resolve to the first); edges naming unknown nodes are left out.
//!
//! [`ProcessGraph::problems`] lists every structural fault. A graph without problems is one
//! the engine runs: that is the contract between this crate and `formwork-process`, which
//! refuses exactly these problems and nothing else.

mod blocks;
mod checks;

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::def::{AssigneeDef, EdgeDef, NodeDef, NodeKind, ProcessDef};
use crate::problem::Problem;

pub use blocks::{Block, Scope};

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
        NodeKind::Approval(_) => &["approve", "reject", "return", "timeout"],
        NodeKind::Fill(_) => &["submit", "withdraw", "timeout"],
        _ => &[],
    }
}

/// Whether an edge is forward flow: taken on approve / submit (or with no `on`), or when a
/// deadline passes. Reject, withdraw and return edges send work back or out instead, and may
/// leave or re-enter a parallel branch anywhere.
pub fn is_forward(edge: &EdgeDef) -> bool {
    matches!(
        edge.on.as_deref(),
        None | Some("approve" | "submit" | "timeout")
    )
}

/// A process graph with lookups by node id and its parallel structure.
#[derive(Debug, Clone)]
pub struct ProcessGraph {
    def: ProcessDef,
    graph: DiGraph<usize, usize>,
    ids: HashMap<String, usize>,
    /// Per node: indexes into `def.edges` of the edges leaving it to a known node, in order.
    out: Vec<Vec<usize>>,
    /// Per edge: the node it leads to, when both its ends exist.
    edge_to: Vec<Option<usize>>,
    start: Option<usize>,
    blocks: Vec<Block>,
    block_of_split: Vec<Option<usize>>,
    block_of_join: Vec<Option<usize>>,
    /// Per node: the blocks holding it, outermost first, with its branch in each.
    scopes: Vec<Vec<Scope>>,
    problems: Vec<Problem>,
}

impl ProcessGraph {
    /// Builds the graph of `def` and works out its structure and faults.
    pub fn build(def: &ProcessDef) -> Self {
        let n = def.nodes.len();
        let mut graph = DiGraph::with_capacity(n, def.edges.len());
        let mut ids = HashMap::with_capacity(n);
        for (i, node) in def.nodes.iter().enumerate() {
            graph.add_node(i);
            ids.entry(node.id.clone()).or_insert(i);
        }
        let mut out = vec![Vec::new(); n];
        let mut edge_to = Vec::with_capacity(def.edges.len());
        for (e, edge) in def.edges.iter().enumerate() {
            let ends = (ids.get(&edge.from), ids.get(&edge.to));
            if let (Some(&a), Some(&b)) = ends {
                graph.add_edge(NodeIndex::new(a), NodeIndex::new(b), e);
                out[a].push(e);
                edge_to.push(Some(b));
            } else {
                edge_to.push(None);
            }
        }
        let mut this = ProcessGraph {
            def: def.clone(),
            graph,
            ids,
            out,
            edge_to,
            start: None,
            blocks: Vec::new(),
            block_of_split: vec![None; n],
            block_of_join: vec![None; n],
            scopes: vec![Vec::new(); n],
            problems: Vec::new(),
        };
        let mut problems = Vec::new();
        this.start = this.check_local(&mut problems);
        this.analyse_blocks(&mut problems);
        this.check_cycles(&mut problems);
        this.problems = problems;
        this
    }

    /// Every structural fault, with pointers relative to the process (`/nodes/3`,
    /// `/edges/2/on`). Empty means the engine can run the process.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The definition the graph was built from.
    pub fn def(&self) -> &ProcessDef {
        &self.def
    }

    /// The petgraph graph: node `i` is `def().nodes[i]`, edge weights index `def().edges`.
    pub fn graph(&self) -> &DiGraph<usize, usize> {
        &self.graph
    }

    /// The index (into `def().nodes`) of the node with `id`; the first one if repeated.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.ids.get(id).copied()
    }

    /// The node at an index.
    pub fn node_at(&self, node: usize) -> Option<&NodeDef> {
        self.def.nodes.get(node)
    }

    /// The node with `id`.
    pub fn node(&self, id: &str) -> Option<&NodeDef> {
        self.index(id).and_then(|i| self.node_at(i))
    }

    /// The index of the start node, if there is exactly one.
    pub fn start(&self) -> Option<usize> {
        self.start
    }

    /// Indexes into `def().edges` of the edges leaving `node`, in definition order.
    ///
    /// A condition node takes the first of these whose `when` is true, else its default.
    pub fn out(&self, node: usize) -> &[usize] {
        self.out.get(node).map_or(&[], Vec::as_slice)
    }

    /// The node edge `edge` leads to, when both its ends exist.
    pub fn target(&self, edge: usize) -> Option<usize> {
        self.edge_to.get(edge).copied().flatten()
    }

    /// Edges leaving `id`, with their index in `def().edges`, in definition order.
    pub fn outgoing(&self, id: &str) -> Vec<(usize, &EdgeDef)> {
        let Some(node) = self.index(id) else {
            return Vec::new();
        };
        self.out(node)
            .iter()
            .map(|&e| (e, &self.def.edges[e]))
            .collect()
    }

    /// Edges entering `id`, with their index in `def().edges`, in definition order.
    pub fn incoming(&self, id: &str) -> Vec<(usize, &EdgeDef)> {
        let Some(node) = self.index(id) else {
            return Vec::new();
        };
        self.def
            .edges
            .iter()
            .enumerate()
            .filter(|&(e, edge)| self.target(e) == Some(node) && self.ids.contains_key(&edge.from))
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

    /// The parallel blocks: one per split that pairs with a join.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The block a split opens.
    pub fn block_of_split(&self, node: usize) -> Option<usize> {
        self.block_of_split.get(node).copied().flatten()
    }

    /// The block a join closes.
    pub fn block_of_join(&self, node: usize) -> Option<usize> {
        self.block_of_join.get(node).copied().flatten()
    }

    /// The blocks holding `node`, outermost first, each with the node's branch. A block's own
    /// split and join are not inside it.
    pub fn scopes(&self, node: usize) -> &[Scope] {
        self.scopes.get(node).map_or(&[], Vec::as_slice)
    }

    /// The join where the branches of split `id` meet.
    pub fn join_of(&self, id: &str) -> Option<&str> {
        let block = self.block_of_split(self.index(id)?)?;
        self.node_at(self.blocks[block].join).map(|n| n.id.as_str())
    }

    /// The fill step a `return_to_submitter` sends work back to: the first fill step of the
    /// submitter (in definition order) outside every parallel block.
    pub fn revise_step(&self) -> Option<usize> {
        (0..self.def.nodes.len()).find(|&i| {
            self.is_first(i)
                && self.scopes(i).is_empty()
                && matches!(self.kind(i), Some(NodeKind::Fill(f)) if f.assignee == AssigneeDef::Submitter)
        })
    }

    /// Whether `node` is the first node with its id (later repeats are faults).
    fn is_first(&self, node: usize) -> bool {
        self.def
            .nodes
            .get(node)
            .is_some_and(|n| self.index(&n.id) == Some(node))
    }

    fn kind(&self, node: usize) -> Option<&NodeKind> {
        self.def.nodes.get(node).map(|n| &n.kind)
    }

    fn id(&self, node: usize) -> &str {
        self.def.nodes.get(node).map_or("", |n| n.id.as_str())
    }

    fn edge(&self, e: usize) -> &EdgeDef {
        &self.def.edges[e]
    }

    /// `(edge, from, to)` of every edge between known nodes.
    fn edges(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.graph
            .raw_edges()
            .iter()
            .map(|raw| (raw.weight, raw.source().index(), raw.target().index()))
    }
}

fn pointer(node: usize) -> String {
    format!("/nodes/{node}")
}
