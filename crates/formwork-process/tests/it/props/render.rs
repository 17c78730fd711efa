//! Structured random processes, valid by construction: sequences, conditions, parallel and
//! inclusive blocks (with N-of-M joins and branches that end on their own), human steps with
//! deadlines, timeouts, rejections, rework loops and return edges.

use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub struct HumanSpec {
    pub fill: bool,
    pub mode: u8,
    pub people: u8,
    pub fallback: u8,
    pub repeat: bool,
    /// 0..=3: a deadline escalating one of four ways; 4: a deadline with an `on: timeout` edge.
    pub deadline: Option<u8>,
    /// 0: nothing; 1: reject/withdraw to an end; 2: reject to `revise`; 3: reject to a fix step
    /// of its own that submits back; 4: a return edge to the previous human step.
    pub back: u8,
}

/// A structured piece of process.
#[derive(Debug, Clone)]
pub enum Block {
    Human(HumanSpec),
    Cc,
    Action,
    Wait {
        timed: bool,
    },
    /// Branches in edge order; the last one is the default.
    Cond(Vec<Vec<Block>>),
    /// Branches of a split, each with how it ends: 0, 3, 4, 5 at the join, 1 at an end of its
    /// own, 2 at a terminating end. An empty branch always goes to the join.
    Par {
        branches: Vec<(Vec<Block>, u8)>,
        inclusive: bool,
        required: Option<u8>,
    },
}

/// An exit of a rendered piece still to be connected: the node and the edge's extra keys.
type Exit = (String, Map<String, Value>);

/// A rendered process with its condition flags and (split, join) pairs.
pub struct Rendered {
    pub def: Value,
    pub flags: Vec<String>,
    pub pairs: Vec<(String, String)>,
}

#[derive(Default)]
struct Render {
    nodes: Vec<Value>,
    edges: Vec<Value>,
    n: usize,
    flags: Vec<String>,
    pairs: Vec<(String, String)>,
    humans: Vec<String>,
}

fn plain(id: &str) -> Vec<Exit> {
    vec![(id.to_owned(), Map::new())]
}

fn on(id: &str, action: &str) -> Exit {
    let mut extra = Map::new();
    extra.insert("on".into(), json!(action));
    (id.to_owned(), extra)
}

impl Render {
    fn id(&mut self, prefix: &str) -> String {
        self.n += 1;
        format!("{prefix}{}", self.n)
    }

    fn flag(&mut self, prefix: &str, i: usize) -> String {
        let flag = format!("{prefix}{}_{i}", self.n);
        self.flags.push(flag.clone());
        flag
    }

    fn connect(&mut self, exits: Vec<Exit>, to: &str) {
        for (from, extra) in exits {
            let mut edge = extra;
            edge.insert("from".into(), json!(from));
            edge.insert("to".into(), json!(to));
            self.edges.push(Value::Object(edge));
        }
    }

    fn seq(&mut self, blocks: &[Block], mut exits: Vec<Exit>) -> Vec<Exit> {
        for block in blocks {
            exits = self.block(block, exits);
        }
        exits
    }

    fn block(&mut self, block: &Block, exits: Vec<Exit>) -> Vec<Exit> {
        match block {
            Block::Human(h) => self.human(h, exits),
            Block::Cc => {
                let id = self.id("cc");
                self.connect(exits, &id);
                self.nodes.push(json!({"id": id, "kind": "cc",
                    "assignee": {"type": "role", "role": "r2"}}));
                plain(&id)
            }
            Block::Action => {
                let id = self.id("set");
                self.connect(exits, &id);
                self.nodes
                    .push(json!({"id": id, "kind": "action", "set": {"note": "\"x\""}}));
                plain(&id)
            }
            Block::Wait { timed } => {
                let id = self.id("w");
                self.connect(exits, &id);
                let wait = if *timed {
                    json!({"id": id, "kind": "wait", "hours": 2})
                } else {
                    json!({"id": id, "kind": "wait", "until_field": "past"})
                };
                self.nodes.push(wait);
                plain(&id)
            }
            Block::Cond(branches) => {
                let id = self.id("c");
                self.connect(exits, &id);
                self.nodes.push(json!({"id": id, "kind": "condition"}));
                let mut out = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    let entry = self.gate(&id, i, branches.len(), "c");
                    out.extend(self.seq(branch, vec![entry]));
                }
                out
            }
            Block::Par {
                branches,
                inclusive,
                required,
            } => self.par(branches, *inclusive, *required, exits),
        }
    }

    /// The exit of a gateway's `i`th of `n` edges: a flag, or the default for the last.
    fn gate(&mut self, id: &str, i: usize, n: usize, prefix: &str) -> Exit {
        let mut extra = Map::new();
        if i + 1 == n {
            extra.insert("default".into(), json!(true));
        } else {
            extra.insert("when".into(), json!(self.flag(prefix, i)));
        }
        (id.to_owned(), extra)
    }

    fn par(
        &mut self,
        branches: &[(Vec<Block>, u8)],
        inclusive: bool,
        required: Option<u8>,
        exits: Vec<Exit>,
    ) -> Vec<Exit> {
        let split = self.id("split");
        let join = self.id("join");
        self.connect(exits, &split);
        let kind = if inclusive {
            "inclusive_split"
        } else {
            "parallel_split"
        };
        self.nodes.push(json!({"id": split, "kind": kind}));
        let any_joins = branches
            .iter()
            .any(|(b, end)| b.is_empty() || !matches!(end, 1 | 2));
        for (i, (blocks, end)) in branches.iter().enumerate() {
            let entry = if inclusive {
                self.gate(&split, i, branches.len(), "i")
            } else {
                (split.clone(), Map::new())
            };
            let out = self.seq(blocks, vec![entry]);
            let own_end = !blocks.is_empty() && matches!(end, 1 | 2) && (any_joins || i > 0);
            if own_end {
                let id = self.id("be");
                let mut node = json!({"id": id, "kind": "end", "outcome": "completed"});
                if *end == 2 {
                    node["terminate"] = json!(true);
                }
                self.nodes.push(node);
                self.connect(out, &id);
            } else {
                self.connect(out, &join);
            }
        }
        let mut node = json!({"id": join, "kind": "parallel_join"});
        if let Some(r) = required {
            node["required"] = json!(usize::from(r).min(branches.len()));
        }
        self.nodes.push(node);
        self.pairs.push((split, join.clone()));
        plain(&join)
    }

    fn human(&mut self, h: &HumanSpec, exits: Vec<Exit>) -> Vec<Exit> {
        let id = self.id(if h.fill { "f" } else { "a" });
        self.connect(exits, &id);
        let assignee = json!({"type": "role", "role": format!("r{}", h.people)});
        let mut node = if h.fill {
            json!({"id": id, "kind": "fill", "assignee": assignee})
        } else {
            let mode = ["single", "all", "any", "sequential", "vote"][h.mode as usize];
            let fallback = [
                json!({"type": "stop"}),
                json!({"type": "skip"}),
                json!({"type": "user", "username": "u4"}),
            ][h.fallback as usize]
                .clone();
            json!({"id": id, "kind": "approval", "assignee": assignee, "mode": mode,
                   "ratio": 0.5, "fallback": fallback, "auto_approve_repeat": h.repeat})
        };
        let mut out = plain(&id);
        match h.deadline {
            Some(4) => {
                node["deadline"] = json!({"hours": 24, "remind_before_hours": 4});
                out.push(on(&id, "timeout"));
            }
            Some(e) => {
                let escalate = [
                    json!({"type": "notify_head"}),
                    json!({"type": "reassign", "username": "u5"}),
                    json!({"type": "auto_approve"}),
                    json!({"type": "auto_reject"}),
                ][e as usize]
                    .clone();
                node["deadline"] =
                    json!({"hours": 24, "remind_before_hours": 4, "escalate": escalate});
            }
            None => {}
        }
        self.nodes.push(node);
        match (h.fill, h.back) {
            (false, 1) => self.connect(vec![on(&id, "reject")], "rejected"),
            (true, 1) => self.connect(vec![on(&id, "withdraw")], "withdrawn"),
            (false, 2) => self.connect(vec![on(&id, "reject")], "revise"),
            (false, 3) => {
                let fix = self.id("fix");
                self.nodes.push(json!({"id": fix, "kind": "fill",
                    "assignee": {"type": "submitter"}}));
                self.connect(vec![on(&id, "reject")], &fix);
                self.connect(plain(&fix), &id);
            }
            (false, 4) => {
                if let Some(earlier) = self.humans.last().cloned() {
                    self.connect(vec![on(&id, "return")], &earlier);
                }
            }
            _ => {}
        }
        self.humans.push(id);
        out
    }
}

/// start → body → approved, with `rejected`, `withdrawn` ends and a `revise` fill whose submit
/// edge re-enters the body, each present only when something leads to it.
pub fn render(body: &[Block]) -> Rendered {
    let mut r = Render::default();
    r.nodes.extend([
        json!({"id": "start", "kind": "start"}),
        json!({"id": "approved", "kind": "end", "outcome": "approved"}),
    ]);
    let entries = vec![("start".to_owned(), Map::new()), on("revise", "submit")];
    let out = r.seq(body, entries);
    r.connect(out, "approved");
    let used = |r: &Render, id: &str| r.edges.iter().any(|e| e["to"] == id);
    if used(&r, "revise") {
        r.nodes
            .push(json!({"id": "revise", "kind": "fill", "assignee": {"type": "submitter"}}));
        r.connect(vec![on("revise", "withdraw")], "withdrawn");
    } else {
        r.edges.retain(|e| e["from"] != "revise");
    }
    for (id, outcome) in [("rejected", "rejected"), ("withdrawn", "withdrawn")] {
        if used(&r, id) {
            r.nodes
                .push(json!({"id": id, "kind": "end", "outcome": outcome}));
        }
    }
    Rendered {
        def: json!({"id": "p", "name": {"zh-CN": "流程"}, "form": "f",
                    "nodes": r.nodes, "edges": r.edges}),
        flags: r.flags,
        pairs: r.pairs,
    }
}
