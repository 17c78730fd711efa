//! The rule runs of a record for people: a small section of the record page, apart from the
//! change history and the approval timeline, listing which rule ran on what trigger, how each
//! action went, and each delivery with its state and last error (an address refused, a
//! server that did not answer, mail skipped because no SMTP server is configured). The
//! `rule_runs` macro of `rule_runs.html` draws it.

use formwork_model::{JobState, RecordId};
use formwork_runtime::{Caller, RuleRunView};
use serde::Serialize;

use super::PageError;
use super::format;
use crate::AppState;
use crate::i18n::Lang;

/// Codes of deliveries the worker skipped for a reason the catalog words.
const SKIP_CODES: &[&str] = &["smtp_not_configured", "no_mail_wanted", "no_mail_for_kind"];

#[derive(Debug, Serialize)]
struct ActionRow {
    label: String,
    outcome: String,
    outcome_label: String,
    message: Option<String>,
}

#[derive(Debug, Serialize)]
struct DeliveryRow {
    channel: String,
    destination: String,
    state: String,
    state_label: String,
    attempts: i32,
    message: Option<String>,
}

/// One run as the section shows it.
#[derive(Debug, Serialize)]
pub(crate) struct RunRow {
    at: String,
    rule: String,
    trigger: String,
    outcome: String,
    outcome_label: String,
    message: Option<String>,
    depth: i32,
    actions: Vec<ActionRow>,
    deliveries: Vec<DeliveryRow>,
}

/// A catalog word for `key` when the catalog has it, else `raw` (names the catalog lacks).
fn word(lang: Lang, prefix: &str, raw: &str) -> String {
    lang.message(&format!("{prefix}.{raw}"), &[])
}

fn row(view: RuleRunView, lang: Lang) -> RunRow {
    let tag = lang.tag();
    let actions = view
        .actions
        .iter()
        .map(|a| ActionRow {
            label: word(lang, "ui.rule.action", &a.kind),
            outcome: a.outcome.clone(),
            outcome_label: word(lang, "ui.rule.action_outcome", &a.outcome),
            message: a.message.as_ref().map(|m| m.get(tag).to_owned()),
        })
        .collect();
    let deliveries = view
        .deliveries
        .iter()
        .map(|(job, tries)| {
            let last = tries.last();
            let skipped =
                job.state == JobState::Done && last.is_some_and(|t| t.outcome == "skipped");
            let (state, state_label) = if skipped {
                (
                    "skipped".to_owned(),
                    lang.message("ui.rule.action_outcome.skipped", &[]),
                )
            } else {
                (
                    job.state.as_str().to_owned(),
                    job.state.label(tag).to_owned(),
                )
            };
            // Skips Formwork explains itself are said in the reader's language.
            let known = last
                .and_then(|t| t.code.as_deref())
                .filter(|c| SKIP_CODES.contains(c))
                .map(|c| lang.message(&format!("ui.delivery.{c}"), &[]));
            DeliveryRow {
                channel: word(
                    lang,
                    "ui.channel",
                    last.map_or("webhook", |t| t.channel.as_str()),
                ),
                destination: last.map(|t| t.destination.clone()).unwrap_or_default(),
                state,
                state_label,
                attempts: job.attempts,
                message: known.or_else(|| match job.state {
                    JobState::Done => last.and_then(|t| t.message.clone()),
                    _ => job
                        .last_error
                        .clone()
                        .or_else(|| last.and_then(|t| t.message.clone())),
                }),
            }
        })
        .collect();
    RunRow {
        at: format::instant(view.run.created_at),
        rule: view.rule_name.get(tag).to_owned(),
        trigger: word(lang, "ui.rule.trigger", &view.run.trigger),
        outcome_label: word(lang, "ui.rule.outcome", &view.run.outcome),
        outcome: view.run.outcome,
        message: view.message.as_ref().map(|m| m.get(tag).to_owned()),
        depth: view.run.depth,
        actions,
        deliveries,
    }
}

/// The record's rule runs, newest first; empty when there are none.
pub(crate) async fn rows(
    state: &AppState,
    caller: &Caller,
    id: &RecordId,
    lang: Lang,
) -> Result<Vec<RunRow>, PageError> {
    let runs = state.runtime.rule_runs(caller, id).await?;
    Ok(runs.into_iter().map(|v| row(v, lang)).collect())
}
