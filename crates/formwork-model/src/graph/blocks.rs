//! Parallel blocks: which join closes each split, which nodes lie inside, and in which branch.
//!
//! Forward flow (edges taken on approve, submit or a deadline, and every edge of an automatic
//! node) must be block-structured: it enters a block only through its split and leaves
//! through its join, or ends the branch at an end node, or jumps out (which abandons the
//! block). Return, reject and withdraw edges may leave or re-enter a block anywhere; the
//! engine then starts a new round of the block.
//!
//! A block's members are
//! - its *core*: nodes forward flow reaches from the split's edges and that reach the join;
//! - its *rework* nodes: reached from the core by any edge (typically `on: reject`) and
//!   flowing forward back into the core or the join, like a branch's own fix step;
//! - its *tails*: nodes reached only by forward edges from the block that lead only to ends,
//!   such as an end that finishes one branch (WCP 11, implicit termination).
//!
//! An end reached by a reject edge, or shared with flow outside the block, is not a member:
//! reaching it ends the whole instance, as it always has.

use std::collections::BTreeSet;

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use super::{ProcessGraph, is_forward, pointer};
use crate::def::NodeKind;
use crate::problem::{Fault, Problem};

/// One parallel block: a split, the join that closes it and the nodes of its branches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub split: usize,
    pub join: usize,
    /// The first node of each branch, in the order of the split's edges (the join itself for
    /// a branch with nothing in it).
    pub heads: Vec<usize>,
    /// The split's edge (index into `def.edges`) that starts each branch.
    pub edges: Vec<usize>,
    /// Whether branches are taken by their edges' conditions (an inclusive split).
    pub inclusive: bool,
    /// How many arrived branches release the join (N-of-M), when fewer than all.
    pub required: Option<u32>,
    members: Vec<bool>,
}

impl Block {
    /// Whether `node` lies inside the block (its split and join do not).
    pub fn contains(&self, node: usize) -> bool {
        self.members.get(node).copied().unwrap_or(false)
    }

    /// How many branches the split has.
    pub fn branches(&self) -> u32 {
        u32::try_from(self.heads.len()).unwrap_or(u32::MAX)
    }

    fn size(&self) -> usize {
        self.members.iter().filter(|&&m| m).count()
    }

    /// Whether `other`'s split, join and members all lie inside this block.
    fn holds(&self, other: &Block) -> bool {
        self.contains(other.split)
            && self.contains(other.join)
            && other
                .members
                .iter()
                .enumerate()
                .all(|(n, &m)| !m || self.contains(n))
    }

    fn touches(&self, other: &Block) -> bool {
        let closed = |b: &Block, n: usize| b.contains(n) || n == b.split || n == b.join;
        (0..self.members.len()).any(|n| closed(self, n) && closed(other, n))
    }
}

/// A block holding a node, and the node's branch in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub block: usize,
    pub branch: u32,
    /// Whether the node belongs to that branch alone. An end reached from several branches,
    /// or a rework step returned to from several, keeps the branch of the token arriving.
    pub fixed: bool,
}

/// Which edges a walk follows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Edges {
    Forward,
    All,
}

/// What kind of member a node is, while a block is worked out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Member {
    No,
    Core,
    Rework,
    Tail,
}

impl ProcessGraph {
    /// Pairs splits with joins, works out each block's members and branches, and reports what
    /// breaks the structure.
    pub(super) fn analyse_blocks(&mut self, problems: &mut Vec<Problem>) {
        let n = self.def.nodes.len();
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for s in (0..n).filter(|&s| self.is_first(s) && self.is_split(s)) {
            let joins = self.joins_met(s);
            if let [join] = joins.as_slice() {
                pairs.push((s, *join));
            } else {
                let joins = if joins.is_empty() {
                    "—".to_owned()
                } else {
                    joins
                        .iter()
                        .map(|&j| self.id(j))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let fault = Fault::SplitWithoutJoin {
                    node: self.id(s),
                    joins,
                };
                problems.push(fault.at(pointer(s)));
            }
        }
        for j in (0..n).filter(|&j| matches!(self.kind(j), Some(NodeKind::ParallelJoin { .. }))) {
            let splits: Vec<usize> = pairs.iter().filter(|p| p.1 == j).map(|p| p.0).collect();
            match splits.as_slice() {
                [] if self.is_first(j) => {
                    problems.push(Fault::JoinWithoutSplit { node: self.id(j) }.at(pointer(j)));
                }
                [] | [_] => {}
                several => {
                    let splits = several.iter().map(|&s| self.id(s)).collect::<Vec<_>>();
                    let fault = Fault::JoinClosesSeveralSplits {
                        node: self.id(j),
                        splits: splits.join(", "),
                    };
                    problems.push(fault.at(pointer(j)));
                }
            }
        }
        let mut flagged = BTreeSet::new();
        let mut branch_sets = Vec::new();
        for &(s, j) in &pairs {
            if pairs.iter().filter(|p| p.1 == j).count() > 1 {
                continue;
            }
            let (block, kinds) = self.block(s, j);
            self.check_entries(&block, &mut flagged);
            let sets = self.branch_sets(&block, &kinds, problems);
            if let (Some(NodeKind::ParallelJoin { required: Some(r) }), b) =
                (self.kind(j), block.heads.len())
                && *r as usize > b
            {
                let fault = Fault::JoinRequiresTooMany {
                    node: self.id(j),
                    required: *r,
                    branches: b,
                };
                problems.push(fault.at(format!("/nodes/{j}/required")));
            }
            self.block_of_split[s] = Some(self.blocks.len());
            self.block_of_join[j] = Some(self.blocks.len());
            self.blocks.push(block);
            branch_sets.push(sets);
        }
        for e in flagged {
            let split = self.id(e.1);
            problems.push(Fault::EdgeIntoBranch { split }.at(format!("/edges/{}", e.0)));
        }
        self.nest(&branch_sets, problems);
    }

    fn is_split(&self, node: usize) -> bool {
        self.kind(node).is_some_and(NodeKind::is_split)
    }

    /// Joins met at nesting depth zero walking forward from the branches of `split`.
    fn joins_met(&self, split: usize) -> Vec<usize> {
        let limit = self.def.nodes.len();
        let mut found = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(usize, usize)> =
            self.targets(split, Edges::All).map(|t| (t, 0)).collect();
        while let Some((node, depth)) = stack.pop() {
            if node == split || !seen.insert((node, depth)) {
                continue;
            }
            let depth = match self.kind(node) {
                Some(NodeKind::ParallelJoin { .. }) if depth == 0 => {
                    found.insert(node);
                    continue;
                }
                Some(NodeKind::ParallelJoin { .. }) => depth - 1,
                Some(k) if k.is_split() && depth < limit => depth + 1,
                Some(NodeKind::End { .. }) | None => continue,
                Some(k) if k.is_split() => continue,
                Some(_) => depth,
            };
            stack.extend(self.targets(node, Edges::Forward).map(|t| (t, depth)));
        }
        found.into_iter().collect()
    }

    /// The block of `split` closed by `join`, and what kind of member each node is.
    fn block(&self, split: usize, join: usize) -> (Block, Vec<Member>) {
        let n = self.def.nodes.len();
        let edges: Vec<usize> = self.out(split).to_vec();
        let heads: Vec<usize> = edges.iter().filter_map(|&e| self.target(e)).collect();
        let ends = [split, join];
        let forward = self.walk(
            &heads,
            |i| ends.contains(&i),
            Edges::Forward,
            Direction::Outgoing,
        );
        let to_join = self.walk(&[join], |i| i == split, Edges::Forward, Direction::Incoming);
        let mut kinds = vec![Member::No; n];
        for i in 0..n {
            if forward[i] && to_join[i] && !ends.contains(&i) {
                kinds[i] = Member::Core;
            }
        }
        let core: Vec<usize> = (0..n).filter(|&i| kinds[i] == Member::Core).collect();
        let after = self.walk(&[join], |i| i == split, Edges::Forward, Direction::Outgoing);
        let mut core_or_join = core.clone();
        core_or_join.push(join);
        let toward = self.walk(
            &core_or_join,
            |i| i == split,
            Edges::Forward,
            Direction::Incoming,
        );
        let from_core = self.walk(
            &core,
            |i| ends.contains(&i),
            Edges::All,
            Direction::Outgoing,
        );
        for i in 0..n {
            if kinds[i] == Member::No
                && from_core[i]
                && toward[i]
                && !after[i]
                && !ends.contains(&i)
            {
                kinds[i] = Member::Rework;
            }
        }
        self.tails(split, &ends, &after, &heads, &mut kinds);
        let inclusive = matches!(self.kind(split), Some(NodeKind::InclusiveSplit));
        let required = match self.kind(join) {
            Some(NodeKind::ParallelJoin { required }) => *required,
            _ => None,
        };
        let members = kinds.iter().map(|&k| k != Member::No).collect();
        let block = Block {
            split,
            join,
            heads,
            edges,
            inclusive,
            required,
            members,
        };
        (block, kinds)
    }

    /// Marks the block's tails: what forward flow reaches from the branches (or from their
    /// rework nodes) that cannot flow on to the split or the join, plus rework loops inside
    /// them; kept only where forward flow enters from the block alone (a return or reject
    /// edge from outside re-enters the block like it re-enters any branch).
    fn tails(
        &self,
        split: usize,
        ends: &[usize; 2],
        after: &[bool],
        heads: &[usize],
        kinds: &mut [Member],
    ) {
        let n = kinds.len();
        let dead = {
            let live = self.walk(ends, |_| false, Edges::Forward, Direction::Incoming);
            live.iter().map(|l| !l).collect::<Vec<_>>()
        };
        let mut from: Vec<usize> = heads.to_vec();
        from.extend((0..n).filter(|&i| kinds[i] == Member::Rework));
        let forward = self.walk(
            &from,
            |i| ends.contains(&i),
            Edges::Forward,
            Direction::Outgoing,
        );
        let free = |i: usize| dead[i] && !after[i] && !ends.contains(&i) && self.is_first(i);
        let mut tail: Vec<bool> = (0..n)
            .map(|i| forward[i] && free(i) && kinds[i] == Member::No)
            .collect();
        let seeds: Vec<usize> = (0..n).filter(|&i| tail[i]).collect();
        let around = self.walk(
            &seeds,
            |i| ends.contains(&i),
            Edges::All,
            Direction::Outgoing,
        );
        let back = self.walk(
            &seeds,
            |i| ends.contains(&i),
            Edges::Forward,
            Direction::Incoming,
        );
        for i in 0..n {
            if !tail[i] && around[i] && back[i] && free(i) && kinds[i] == Member::No {
                tail[i] = true;
            }
        }
        loop {
            let mut shrunk = false;
            for i in 0..n {
                if !tail[i] {
                    continue;
                }
                let inside = self
                    .graph
                    .edges_directed(NodeIndex::new(i), Direction::Incoming)
                    .all(|edge| {
                        let from = edge.source().index();
                        let back = !is_forward(self.edge(*edge.weight()));
                        back || from == split || tail[from] || kinds[from] != Member::No
                    });
                if !inside {
                    tail[i] = false;
                    shrunk = true;
                }
            }
            if !shrunk {
                break;
            }
        }
        for i in (0..n).filter(|&i| tail[i]) {
            kinds[i] = Member::Tail;
        }
    }

    /// Flags forward edges into the middle of the block, and any edge into its join, that do
    /// not come from inside: a token arriving that way would belong to no branch.
    fn check_entries(&self, block: &Block, flagged: &mut BTreeSet<(usize, usize)>) {
        for (e, from, to) in self.edges() {
            let inside = block.contains(from) || from == block.split;
            let into_join = to == block.join;
            let into_middle = block.contains(to) && is_forward(self.edge(e));
            if !inside && (into_join || into_middle) {
                flagged.insert((e, block.split));
            }
        }
    }

    /// The branches each member belongs to; reports nodes that forward flow reaches from
    /// several branches before the join.
    fn branch_sets(
        &self,
        block: &Block,
        kinds: &[Member],
        problems: &mut Vec<Problem>,
    ) -> Vec<BTreeSet<u32>> {
        let n = self.def.nodes.len();
        let outside = |i: usize| kinds[i] == Member::No;
        let mut sets = vec![BTreeSet::new(); n];
        for (b, &head) in block.heads.iter().enumerate() {
            let branch = u32::try_from(b).unwrap_or(u32::MAX);
            let reached = self.walk(&[head], outside, Edges::Forward, Direction::Outgoing);
            for i in (0..n).filter(|&i| reached[i] && kinds[i] != Member::No) {
                sets[i].insert(branch);
            }
        }
        // Members forward flow does not reach (rework steps) take the branch they flow back
        // into, else the one they came from.
        for direction in [Direction::Outgoing, Direction::Incoming] {
            loop {
                let mut grown = false;
                for i in 0..n {
                    if kinds[i] == Member::No || !sets[i].is_empty() {
                        continue;
                    }
                    let mut found = BTreeSet::new();
                    for edge in self.graph.edges_directed(NodeIndex::new(i), direction) {
                        let other = other_end(&edge, direction);
                        let follows = direction == Direction::Incoming
                            || is_forward(self.edge(*edge.weight()));
                        if follows && kinds[other] != Member::No {
                            found.extend(sets[other].iter().copied());
                        }
                    }
                    if !found.is_empty() {
                        sets[i] = found;
                        grown = true;
                    }
                }
                if !grown {
                    break;
                }
            }
        }
        for i in 0..n {
            let shared = sets[i].len() > 1;
            let forward = matches!(kinds[i], Member::Core | Member::Tail);
            let end = matches!(self.kind(i), Some(NodeKind::End { .. }));
            if shared && forward && !end {
                let fault = Fault::BranchesMerge {
                    node: self.id(i),
                    split: self.id(block.split),
                };
                problems.push(fault.at(pointer(i)));
            }
        }
        sets
    }

    /// Checks that blocks nest, and gives every node its scopes, outermost first.
    fn nest(&mut self, branch_sets: &[Vec<BTreeSet<u32>>], problems: &mut Vec<Problem>) {
        for (a, first) in self.blocks.iter().enumerate() {
            for second in &self.blocks[a + 1..] {
                if first.touches(second) && !first.holds(second) && !second.holds(first) {
                    let fault = Fault::BlocksOverlap {
                        first: self.id(first.split),
                        second: self.id(second.split),
                    };
                    problems.push(fault.at(pointer(second.split)));
                }
            }
        }
        let mut order: Vec<usize> = (0..self.blocks.len()).collect();
        order.sort_by_key(|&b| {
            (
                std::cmp::Reverse(self.blocks[b].size()),
                self.blocks[b].split,
            )
        });
        for (node, scopes) in self.scopes.iter_mut().enumerate() {
            *scopes = order
                .iter()
                .filter(|&&b| self.blocks[b].contains(node))
                .map(|&b| {
                    let set = &branch_sets[b][node];
                    Scope {
                        block: b,
                        branch: set.first().copied().unwrap_or(0),
                        fixed: set.len() == 1,
                    }
                })
                .collect();
        }
    }

    /// Targets of the edges leaving `node` that `edges` selects.
    fn targets(&self, node: usize, edges: Edges) -> impl Iterator<Item = usize> + '_ {
        self.out(node).iter().filter_map(move |&e| {
            let take = edges == Edges::All || is_forward(self.edge(e));
            take.then(|| self.target(e)).flatten()
        })
    }

    /// Nodes reachable from `from` (included) in `direction` along `edges`; a node for which
    /// `avoid` holds is reached but never left.
    pub(super) fn walk(
        &self,
        from: &[usize],
        avoid: impl Fn(usize) -> bool,
        edges: Edges,
        direction: Direction,
    ) -> Vec<bool> {
        let mut seen = vec![false; self.def.nodes.len()];
        let mut stack: Vec<usize> = from.to_vec();
        while let Some(node) = stack.pop() {
            if std::mem::replace(&mut seen[node], true) || avoid(node) {
                continue;
            }
            for edge in self.graph.edges_directed(NodeIndex::new(node), direction) {
                if edges == Edges::All || is_forward(self.edge(*edge.weight())) {
                    stack.push(other_end(&edge, direction));
                }
            }
        }
        seen
    }
}

/// The node at the far end of `edge` when walking in `direction`.
fn other_end(edge: &petgraph::graph::EdgeReference<'_, usize>, direction: Direction) -> usize {
    match direction {
        Direction::Outgoing => edge.target().index(),
        Direction::Incoming => edge.source().index(),
    }
}
