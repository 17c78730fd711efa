//! The definition model of Formwork: serde types of an app package, their validation
//! (against `schemas/` and semantically) and the expression language. No I/O.

pub mod after_approval;
pub mod canonical;
pub mod def;
pub mod expr;
pub mod graph;
pub mod ids;
pub mod problem;
pub mod process_def;
pub mod report_def;
mod report_fault;
pub mod rule_def;
mod rule_fault;
pub mod schema;
pub mod status;
pub mod validate;

pub use after_approval::{AfterApprovalDef, ChangePolicy};
pub use canonical::{canonical_string, export_package};
pub use def::*;
pub use expr::ExprError;
pub use graph::ProcessGraph;
pub use ids::{
    AppId, CommentId, DepartmentId, FileId, FormId, IdError, InstanceId, NotificationId, ProcessId,
    RecordId, RoleId, TaskId, TokenId, UserId,
};
pub use problem::Problem;
pub use status::{
    InstanceStatus, JobState, RecordStatus, StatusError, TaskAction, TaskKind, TaskStatus,
};
pub use validate::{parse_package, read_published, validate_package};
