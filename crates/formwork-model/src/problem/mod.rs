//! Faults found in a package: a JSON pointer, a stable code and a message in zh-CN and en.
//!
//! Every code and both of its messages are written in one place, [`Fault`], so a code cannot
//! exist without its translations.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::def::Text;

/// One fault of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// JSON pointer into the package, e.g. `/processes/0/nodes/3`; empty for the whole package.
    pub pointer: String,
    /// Stable snake_case code, e.g. `duplicate_id`; see [`SCHEMA_CODES`] and [`SEMANTIC_CODES`].
    pub code: String,
    /// What is wrong, in zh-CN and en.
    pub message: Text,
}

impl Problem {
    /// A problem at `pointer` with `code` and its `(zh-CN, en)` message.
    pub fn new(pointer: impl Into<String>, code: &str, (zh, en): (String, String)) -> Problem {
        Problem {
            pointer: pointer.into(),
            code: code.to_owned(),
            message: Text::zh_en(zh, en),
        }
    }

    /// The same problem with `prefix` put before its pointer.
    pub fn under(mut self, prefix: &str) -> Self {
        self.pointer.insert_str(0, prefix);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{pointer}: {} [{}] ({})",
            self.message.get("zh-CN"),
            self.code,
            self.message.get("en")
        )
    }
}

/// Escapes one reference token of a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Codes the JSON Schema stage of validation reports.
pub const SCHEMA_CODES: &[&str] = &[
    "invalid_json",
    "missing_property",
    "unknown_property",
    "wrong_type",
    "bad_enum_value",
    "bad_pattern",
    "too_short",
    "too_long",
    "too_small",
    "too_large",
    "too_few_items",
    "too_many_items",
    "duplicate_items",
    "bad_format",
    "schema_violation",
    "invalid_package",
];

/// Codes the semantic stage of validation reports.
pub const SEMANTIC_CODES: &[&str] = &[
    "duplicate_id",
    "invalid_form_schema",
    "form_schema_not_object",
    "invalid_field_key",
    "unknown_field",
    "invalid_expression",
    "unknown_variable",
    "unknown_form",
    "unknown_node",
    "unknown_role",
    "unknown_report",
    "missing_measure_field",
    "missing_duration",
    "no_start",
    "several_starts",
    "start_has_incoming",
    "end_has_outgoing",
    "unreachable_node",
    "cannot_reach_end",
    "condition_without_default",
    "condition_several_defaults",
    "condition_edge_without_when",
    "edge_when_outside_condition",
    "edge_action_invalid",
    "ambiguous_edges",
    "missing_edge_action",
    "split_without_join",
    "join_without_split",
    "join_closes_several_splits",
    "blocks_overlap",
    "edge_into_branch",
    "branches_merge",
    "join_requires_too_many",
    "timeout_without_deadline",
    "timeout_with_escalation",
    "cycle_without_human_step",
    // Reports, views and dashboards (`report_fault`).
    "unknown_process",
    "bucket_needs_date",
    "rate_without_where",
    "missing_percentile",
    "missing_measure_base",
    "bad_filter_value",
    "param_needs_date",
    "columns_with_measures",
    "unknown_sort_key",
    "top_without_groups",
    "others_cannot_fold",
    "view_needs_listing",
    "view_needs_measures",
    "pivot_needs_two_groups",
    "missing_view_option",
    "widget_needs_one_source",
    "kpi_fields_not_marked",
    "param_applies_to_no_widget",
    // Automation rules and inbound hooks (`rule_fault`).
    "invalid_cron",
    "needs_record",
    "needs_task",
    "not_a_date_field",
    "not_a_subtable",
    "process_of_other_form",
    "notify_without_recipients",
    "robot_needs_destination",
    "webhook_needs_one_target",
    "field_not_settable",
];

mod fault;
pub(crate) use fault::Fault;
