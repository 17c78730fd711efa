//! Validation and the engine agree, over HTTP on SQLite and PostgreSQL: for random processes
//! (block-structured ones, the same with a random edge added or removed, and edges drawn at
//! random), a package that imports without problems publishes and takes a submission without
//! a 5xx, and one with problems names each with a JSON pointer and a message, and cannot be
//! published. The generator is seeded, so a failure names the case that reproduces it.

use axum::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::common::apps;
use crate::common::flows::package;

const CASES: u64 = 100;

const PEOPLE: &[&str] = &["manager1", "manager2", "director", "finance", "ceo"];

/// A process under construction: nodes, edges, and the human steps so far.
#[derive(Default)]
struct Graph {
    nodes: Vec<Value>,
    edges: Vec<Value>,
    humans: Vec<String>,
    n: usize,
}

impl Graph {
    fn id(&mut self, prefix: &str) -> String {
        self.n += 1;
        format!("{prefix}{}", self.n)
    }

    fn human(&mut self, rng: &mut StdRng) -> String {
        let id = self.id("h");
        let assignee = match rng.random_range(0..4) {
            0 => json!({"type": "field", "field": "reviewers"}),
            1 => json!({"type": "role", "role": "manager"}),
            2 => json!({"type": "department_head", "levels": 1}),
            _ => json!({"type": "user", "username": PEOPLE[rng.random_range(0..PEOPLE.len())]}),
        };
        let fallback = if rng.random_bool(0.5) { "skip" } else { "stop" };
        let mode = ["single", "all", "any", "sequential"][rng.random_range(0..4)];
        self.nodes
            .push(json!({"id": id, "kind": "approval", "assignee": assignee,
            "mode": mode, "fallback": {"type": fallback},
            "auto_approve_repeat": rng.random_bool(0.3)}));
        self.humans.push(id.clone());
        id
    }

    fn edge(&mut self, from: &str, to: &str) {
        self.edges.push(json!({"from": from, "to": to}));
    }

    /// A block after `from`; returns its last node.
    fn block(&mut self, rng: &mut StdRng, from: &str, depth: u32) -> String {
        match if depth > 1 { 0 } else { rng.random_range(0..6) } {
            0 | 1 => {
                let h = self.human(rng);
                self.edge(from, &h);
                h
            }
            2 => {
                let c = self.id("c");
                self.nodes.push(json!({"id": c, "kind": "condition"}));
                self.edge(from, &c);
                let merge = self.human(rng);
                for (i, when) in ["amount > 100", ""].iter().enumerate() {
                    let first = self.human(rng);
                    let mut e = json!({"from": c, "to": first});
                    if when.is_empty() {
                        e["default"] = json!(true);
                    } else {
                        e["when"] = json!(when);
                    }
                    self.edges.push(e);
                    let last = if i == 0 {
                        self.block(rng, &first, depth + 1)
                    } else {
                        first
                    };
                    self.edge(&last, &merge);
                }
                merge
            }
            kind @ (3 | 4) => {
                let inclusive = kind == 4;
                let s = self.id("s");
                let j = self.id("j");
                let split = if inclusive {
                    "inclusive_split"
                } else {
                    "parallel_split"
                };
                self.nodes.push(json!({"id": s, "kind": split}));
                let branches = rng.random_range(2..4);
                let mut join = json!({"id": j, "kind": "parallel_join"});
                if !inclusive && rng.random_bool(0.3) {
                    join["required"] = json!(branches - 1);
                }
                self.nodes.push(join);
                self.edge(from, &s);
                for b in 0..branches {
                    let first = self.human(rng);
                    let mut e = json!({"from": s, "to": first});
                    if inclusive {
                        if b + 1 == branches {
                            e["default"] = json!(true);
                        } else {
                            e["when"] = json!(format!("amount > {}", b * 50));
                        }
                    }
                    self.edges.push(e);
                    let last = self.block(rng, &first, depth + 1);
                    self.edge(&last, &j);
                }
                j
            }
            _ => {
                let a = self.id("act");
                self.nodes
                    .push(json!({"id": a, "kind": "action", "set": {"n": "n + 1"}}));
                self.edge(from, &a);
                a
            }
        }
    }
}

/// A random process: block-structured, then perhaps changed by one random edit.
fn random_process(seed: u64) -> (Value, Value) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = Graph::default();
    g.nodes.push(json!({"id": "start", "kind": "start"}));
    let mut last = "start".to_owned();
    for _ in 0..rng.random_range(1..4) {
        last = g.block(&mut rng, &last, 0);
    }
    g.nodes
        .push(json!({"id": "done", "kind": "end", "outcome": "approved"}));
    g.edge(&last, "done");
    let all: Vec<String> = g
        .nodes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    let pick = |rng: &mut StdRng| all[rng.random_range(0..all.len())].clone();
    match rng.random_range(0..5) {
        0 if !g.edges.is_empty() => {
            let at = rng.random_range(0..g.edges.len());
            g.edges.remove(at);
        }
        1 => {
            let (from, to) = (pick(&mut rng), pick(&mut rng));
            g.edge(&from, &to);
        }
        2 if g.humans.len() > 1 => {
            let h = g.humans.clone();
            let (from, to) = (
                &h[rng.random_range(1..h.len())],
                &h[rng.random_range(0..h.len())],
            );
            g.edges
                .push(json!({"from": from, "to": to, "on": "reject"}));
        }
        3 => {
            for _ in 0..3 {
                let (from, to) = (pick(&mut rng), pick(&mut rng));
                g.edge(&from, &to);
            }
        }
        _ => {}
    }
    (json!(g.nodes), json!(g.edges))
}

#[tokio::test]
async fn every_random_process_that_validates_runs_and_every_other_is_refused_with_pointers() {
    for app in apps().await {
        let mut analyst = app.signed_in("analyst").await;
        let mut sales1 = app.signed_in("sales1").await;
        let (mut valid, mut refused) = (0, 0);
        for seed in 0..CASES {
            let id = format!("prop{seed}");
            let (nodes, edges) = random_process(seed);
            let pkg = package(&id, nodes, edges);
            let imported = analyst.post("/api/v1/apps", &pkg).await;
            assert_eq!(
                imported.status,
                StatusCode::CREATED,
                "seed {seed}: {}",
                imported.text()
            );
            let problems = imported.json()["problems"].as_array().unwrap().clone();
            let publish = format!("/api/v1/apps/{id}/publish");
            let published = analyst.post(&publish, &json!({})).await;
            if !problems.is_empty() {
                for p in &problems {
                    assert!(
                        p["path"].as_str().unwrap().starts_with('/'),
                        "seed {seed}: {p}"
                    );
                    assert!(
                        !p["message"].as_str().unwrap().is_empty(),
                        "seed {seed}: {p}"
                    );
                }
                assert_eq!(
                    published.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "seed {seed}"
                );
                refused += 1;
                continue;
            }
            valid += 1;
            assert_eq!(
                published.status,
                StatusCode::OK,
                "seed {seed}: {}",
                published.text()
            );
            let data = json!({"title": format!("随机 {seed}"), "amount": seed * 37 % 200,
                              "n": 0, "reviewers": ["manager2", "finance"]});
            let created = sales1
                .post(&format!("/api/v1/apps/{id}/forms/req/records"), &data)
                .await;
            assert_eq!(
                created.status,
                StatusCode::CREATED,
                "seed {seed}: {}",
                created.text()
            );
            let record = created.json()["id"].as_str().unwrap().to_owned();
            let listed = sales1
                .get(&format!("/api/v1/apps/{id}/forms/req/records"))
                .await;
            assert_eq!(
                listed.status,
                StatusCode::OK,
                "seed {seed}: {}",
                listed.text()
            );
            let timeline = sales1
                .get(&format!("/api/v1/records/{record}/timeline"))
                .await;
            assert_eq!(
                timeline.status,
                StatusCode::OK,
                "seed {seed}: {}",
                timeline.text()
            );
        }
        eprintln!(
            "{}: {valid} ran, {refused} refused",
            app.db.backend().as_str()
        );
        assert!(
            valid >= CASES / 4 && refused >= CASES / 10,
            "{valid} ran, {refused} refused"
        );
    }
}
