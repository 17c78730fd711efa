//! A record's rule runs as people read them: which rule ran on what, how each action went,
//! and each outgoing delivery with its tries (a refused address, an unreachable server, a
//! mail left out because nobody configured SMTP).

use formwork_model::{RecordId, Text};
use formwork_store::{Delivery, Job, RuleRun};
use serde_json::Value;

use crate::policy::Caller;
use crate::{Runtime, RuntimeResult};

/// Runs shown per record, newest first.
const SHOWN: usize = 50;

/// One action of a run.
#[derive(Debug, Clone)]
pub struct RuleActionView {
    /// `notify`, `set_field`, …
    pub kind: String,
    /// `done`, `queued`, `skipped`, `failed`, `refused`.
    pub outcome: String,
    pub code: Option<String>,
    pub message: Option<Text>,
    pub detail: Value,
}

/// One run of a rule with its deliveries.
#[derive(Debug, Clone)]
pub struct RuleRunView {
    pub run: RuleRun,
    /// The rule's name in the version it ran under (its id when it has none).
    pub rule_name: Text,
    pub message: Option<Text>,
    pub actions: Vec<RuleActionView>,
    /// The delivery jobs it caused, each with its logged tries.
    pub deliveries: Vec<(Job, Vec<Delivery>)>,
}

fn text(value: &Value) -> Option<Text> {
    serde_json::from_value(value.clone()).ok()
}

impl Runtime {
    /// The rule runs of a record the caller may read, newest first, with their deliveries.
    pub async fn rule_runs(
        &self,
        caller: &Caller,
        record_id: &RecordId,
    ) -> RuntimeResult<Vec<RuleRunView>> {
        let record = self.read_record(caller, record_id).await?;
        let app = self.app_version(&record.app_id, record.app_version).await?;
        let mut out = Vec::new();
        for run in self
            .store
            .rule_runs_of_record(record_id)
            .await?
            .into_iter()
            .take(SHOWN)
        {
            let rule_name = app
                .def
                .rules
                .iter()
                .find(|r| r.id == run.rule_id)
                .and_then(|r| r.name.clone())
                .unwrap_or_else(|| Text::zh_en(&run.rule_id, &run.rule_id));
            let actions = run
                .actions
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| RuleActionView {
                    kind: a["type"].as_str().unwrap_or_default().to_owned(),
                    outcome: a["outcome"].as_str().unwrap_or_default().to_owned(),
                    code: a["code"].as_str().map(str::to_owned),
                    message: text(&a["message"]),
                    detail: a["detail"].clone(),
                })
                .collect();
            let jobs = self.store.jobs_of_rule_run(&run.id).await?;
            let tries = self.store.deliveries_of_rule_run(&run.id).await?;
            let deliveries = jobs
                .into_iter()
                .map(|job| {
                    let mine = tries
                        .iter()
                        .filter(|d| d.job_id == job.id)
                        .cloned()
                        .collect();
                    (job, mine)
                })
                .collect();
            out.push(RuleRunView {
                message: run.message.as_ref().and_then(text),
                rule_name,
                actions,
                deliveries,
                run,
            });
        }
        Ok(out)
    }
}
