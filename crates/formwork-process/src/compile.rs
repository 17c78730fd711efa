//! A `ProcessDef` compiled once: the model's [`ProcessGraph`] (the same analysis validation
//! runs) plus the few lookups every step needs.
//!
//! Compiling refuses exactly the problems [`ProcessGraph::problems`] lists, so a package that
//! passed `formwork app validate` always compiles, and the engine never second-guesses the
//! structure it was given.

use formwork_model::graph::{Block, ProcessGraph, Scope, is_forward};
use formwork_model::{EdgeDef, NodeDef, ProcessDef};

use crate::effect::StepOutcome;
use crate::error::EngineError;
use crate::state::Frame;

/// How many nodes one step may enter before the engine calls it a loop and stops the instance.
pub const DEFAULT_STEP_BUDGET: u32 = 1_000;

/// A process definition ready to run: build it once per (app, version), then call
/// [`step`](crate::step) with it as often as needed.
#[derive(Debug, Clone)]
pub struct CompiledProcess {
    graph: ProcessGraph,
    start: usize,
    budget: u32,
}

impl CompiledProcess {
    /// Builds the process, or returns every structural problem (pointers relative to the
    /// process, as validation reports them under `/processes/N`).
    pub fn compile(def: &ProcessDef) -> Result<CompiledProcess, EngineError> {
        let graph = ProcessGraph::build(def);
        if !graph.problems().is_empty() {
            return Err(EngineError::Invalid {
                problems: graph.problems().to_vec(),
            });
        }
        let start = graph
            .start()
            .ok_or_else(|| EngineError::inconsistent("a process without problems has one start"))?;
        Ok(CompiledProcess {
            graph,
            start,
            budget: DEFAULT_STEP_BUDGET,
        })
    }

    /// The same process with another limit on automatic steps per [`step`](crate::step).
    pub fn with_step_budget(mut self, budget: u32) -> CompiledProcess {
        self.budget = budget;
        self
    }

    /// The definition this was compiled from.
    pub fn def(&self) -> &ProcessDef {
        self.graph.def()
    }

    /// The structural analysis the process was compiled from.
    pub fn graph(&self) -> &ProcessGraph {
        &self.graph
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&NodeDef> {
        self.graph.node(id)
    }

    pub(crate) fn budget(&self) -> u32 {
        self.budget
    }

    pub(crate) fn start(&self) -> usize {
        self.start
    }

    pub(crate) fn index(&self, id: &str) -> Result<usize, EngineError> {
        self.graph
            .index(id)
            .ok_or_else(|| EngineError::inconsistent(format!("unknown node {id}")))
    }

    pub(crate) fn def_of(&self, node: usize) -> &NodeDef {
        &self.graph.def().nodes[node]
    }

    pub(crate) fn id(&self, node: usize) -> &str {
        &self.def_of(node).id
    }

    /// Outgoing edges in definition order, with their target node.
    pub(crate) fn edges_from(&self, node: usize) -> impl Iterator<Item = (&EdgeDef, usize)> {
        let edges = &self.graph.def().edges;
        self.graph
            .out(node)
            .iter()
            .filter_map(move |&e| self.graph.target(e).map(|to| (&edges[e], to)))
    }

    /// The target of the only edge of a node that has exactly one (checked at compile).
    pub(crate) fn next(&self, node: usize) -> Result<usize, EngineError> {
        self.edges_from(node)
            .next()
            .map(|(_, to)| to)
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
            .find(|(edge, _)| on_matches(edge, outcome))
            .map(|(_, to)| to)
    }

    /// Whether the human step has an `on: timeout` edge (a deferred choice with the clock).
    pub(crate) fn has_timeout(&self, node: usize) -> bool {
        self.route(node, StepOutcome::TimedOut).is_some()
    }

    pub(crate) fn block(&self, block: usize) -> &Block {
        &self.graph.blocks()[block]
    }

    /// The block a token frame stands for (frames name their block by its split).
    pub(crate) fn frame_block(&self, frame: &Frame) -> Result<usize, EngineError> {
        let split = self.index(&frame.split)?;
        self.graph
            .block_of_split(split)
            .ok_or_else(|| EngineError::inconsistent(format!("{} is not a split", frame.split)))
    }

    pub(crate) fn block_of_split(&self, node: usize) -> Option<usize> {
        self.graph.block_of_split(node)
    }

    pub(crate) fn block_of_join(&self, node: usize) -> Option<usize> {
        self.graph.block_of_join(node)
    }

    pub(crate) fn scopes(&self, node: usize) -> &[Scope] {
        self.graph.scopes(node)
    }

    pub(crate) fn revise_step(&self) -> Option<usize> {
        self.graph.revise_step()
    }
}

/// Whether an edge is taken for a step outcome (no `on` means approve / submit).
fn on_matches(edge: &EdgeDef, outcome: StepOutcome) -> bool {
    let on = edge.on.as_deref();
    match outcome {
        StepOutcome::Approved | StepOutcome::Submitted => is_forward(edge) && on != Some("timeout"),
        StepOutcome::Rejected => on == Some("reject"),
        StepOutcome::Withdrawn => on == Some("withdraw"),
        StepOutcome::TimedOut => on == Some("timeout"),
    }
}
