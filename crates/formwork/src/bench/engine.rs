//! The engine alone: start an instance of the sample process and walk it to its first task,
//! with the definition compiled once — no database, no HTTP.

use std::time::Instant;

use formwork_model::{AppDef, AssigneeDef, validate_package};
use formwork_process::{CompiledProcess, Context, Event, Fields, State, step};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// User ids of the fixed context (the engine speaks ids).
const MANAGER: &str = "01936f6e-8a4b-7c3d-9e2f-000000000001";
const SUBMITTER: &str = "01936f6e-8a4b-7c3d-9e2f-000000000002";
const DIRECTOR: &str = "01936f6e-8a4b-7c3d-9e2f-000000000003";

/// Evaluates conditions over a fixed record and resolves every assignee to one user.
struct FixedContext {
    scope: Value,
}

impl Context for FixedContext {
    fn eval_bool(&self, expr: &str, _: &Fields) -> Result<bool, String> {
        formwork_model::expr::eval_bool(expr, &self.scope).map_err(|e| e.to_string())
    }

    fn eval(&self, expr: &str, _: &Fields) -> Result<Value, String> {
        formwork_model::expr::eval(expr, &self.scope).map_err(|e| e.to_string())
    }

    fn resolve(&self, _: &AssigneeDef, _: &Fields) -> Result<Vec<String>, String> {
        Ok(vec![MANAGER.to_owned()])
    }

    fn submitter(&self) -> String {
        SUBMITTER.to_owned()
    }

    fn head_of(&self, _: &str) -> Result<Option<String>, String> {
        Ok(Some(DIRECTOR.to_owned()))
    }

    fn field_instant(&self, _: &str, _: &Fields) -> Result<Option<OffsetDateTime>, String> {
        Ok(None)
    }
}

/// Microseconds per start-and-walk, over `ops` runs after a warm-up.
pub fn measure(sample: &str, ops: usize) -> anyhow::Result<()> {
    let package: Value = serde_json::from_str(sample)?;
    let app: AppDef = validate_package(&package)
        .map_err(|p| anyhow::anyhow!("sample app has {} problem(s)", p.len()))?;
    let def = app
        .process("registration_approval")
        .ok_or_else(|| anyhow::anyhow!("sample process missing"))?;
    let compiled = CompiledProcess::compile(def).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ctx = FixedContext {
        scope: json!({"amount": 30000, "region": "华南"}),
    };
    let now = OffsetDateTime::now_utc();
    let run = || -> anyhow::Result<usize> {
        let (state, effects) = step(&compiled, &State::new(), Event::Start, now, &ctx)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(state.open_tasks().len() + effects.len())
    };
    for _ in 0..ops / 10 {
        run()?;
    }
    let started = Instant::now();
    let mut work = 0;
    for _ in 0..ops {
        work += run()?;
    }
    let per_op = started.elapsed().as_secs_f64() * 1e6 / ops as f64;
    if work == 0 {
        anyhow::bail!("the engine created no task");
    }
    println!(
        "engine     start + walk to the first task: {per_op:.1} µs per instance (compiled once)"
    );
    Ok(())
}
