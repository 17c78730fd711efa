//! The use cases of Formwork — sign in, manage accounts and tokens, import, validate, publish
//! and export apps, run automation rules, keep the working-time calendar, receive inbound
//! hooks, and the queue of background work — each one transaction over the [`Store`] with the
//! pure crates.
//!
//! Handlers and the CLI call these; neither writes SQL nor decides policy themselves.

mod accounts;
mod apps;
pub mod automation;
mod calendar;
mod catalog;
mod clients;
mod comments;
mod demo;
mod demo_portal;
mod departments;
mod designer;
mod directory;
mod error;
mod external;
mod files;
mod hooks;
pub mod jobs;
mod people;
mod people_import;
mod policy;
mod portal;
mod processes;
mod records;
pub mod reports;
mod sessions;
pub mod signature;
mod tokens;

use std::sync::Arc;

use formwork_store::Store;

pub use accounts::{LoginPolicy, MIN_PASSWORD_LEN, NewUserInput};
pub use apps::{ImportOutcome, PublishOutcome, parse_package};
pub use automation::{RuleActionView, RuleJobRun, RuleRunView};
pub use calendar::{CALENDAR_KEY, CalendarSettings, deadline_mode};
pub use catalog::{Catalog, CompiledApp};
pub use clients::{
    CHANGE_REQUEST_FORM, PortalRecord, PortalSection, ProgressStep, RequestKind, StepState,
    ThreadEntry, proposed_changes, relation_to, rows_of,
};
pub use comments::{CommentEntry, FieldChange, HistoryEntry, MAX_COMMENT_CHARS};
pub use demo::{DEMO_USERS, DemoSetup};
pub use demo_portal::{DEMO_CLIENTS, DEMO_CUSTOMER, OTHER_CUSTOMER};
pub use departments::{DepartmentNode, MAX_DEPARTMENT_NAME};
pub use designer::{Change, FlowTestResult, PublishOptions, VersionRef, diff_packages};
pub use error::{RuntimeError, RuntimeResult};
pub use external::{ExternalPolicy, ExternalRefusal, MatchClaim, NO_PASSWORD, ProviderClaims};
pub use files::{MAX_FILE_BYTES, file_ref};
pub use hooks::{HookAuth, HookSecrets, hook_key};
pub use people::{NewServiceUser, Person};
pub use people_import::PeopleImport;
pub use policy::fields::{FieldAccess, field_access};
pub use policy::{
    Caller, FormAccess, ListScope, RowScope, editable_after, form_access, may_edit, may_edit_some,
    may_read_field, readable_fields, redact, writable_fields,
};
pub use portal::{AppAccess, PersonChoice, TASK_COUNT_CAP};
pub use processes::{
    DecideRequest, Decided, InboxBox, InboxItem, InboxOrder, InboxPage, InstanceChanged,
    InstanceDetail, InstanceListRequest, InstancePage, InstanceSummary, MAX_BATCH, NodeView,
    NotificationPage, OpenTaskView, PendingChange, TaskDetail, Timeline, TimelineEntry, TimerRun,
    UpcomingStep, UserBrief,
};
pub use records::{ListRequest, RecordPage};
pub use tokens::CreatedToken;

// Rows the runtime hands out as they are stored: none carries a secret (users go out as
// `Account`, without their password hash).
pub use formwork_store::{
    Account, ApiToken, AppSummary, AppVersion, AppVersionInfo, Attachment, Comment, Customer,
    Delegation, Department, Draft, Epochs, Inserted, Instance, Notification, Record, Role,
    SessionRow, Task, ThreadMessage,
};

/// System role whose members may design and publish apps (admins may too).
pub const DESIGNER_ROLE: &str = "app_designer";

/// The use cases over one store. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    store: Arc<dyn Store>,
    login_policy: LoginPolicy,
    catalog: Arc<Catalog>,
    directory: Arc<directory::DirectoryCache>,
    files_dir: std::path::PathBuf,
    calendar: Arc<calendar::CalendarCache>,
    hook_secrets: Arc<HookSecrets>,
    /// Imports being checked or committed by this server, and how far they are.
    import_progress: Arc<reports::imports::ProgressBoard>,
}

impl Runtime {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            login_policy: LoginPolicy::default(),
            catalog: Arc::new(Catalog::default()),
            directory: Arc::new(directory::DirectoryCache::default()),
            files_dir: std::path::PathBuf::from("data/files"),
            calendar: Arc::new(calendar::CalendarCache::default()),
            hook_secrets: Arc::new(HookSecrets::new()),
            import_progress: Arc::default(),
        }
    }

    /// Where uploaded files are kept (by content hash); default `data/files`.
    pub fn with_files_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.files_dir = dir.into();
        self
    }

    /// Replaces the login throttling policy (tests use a small window).
    pub fn with_login_policy(mut self, policy: LoginPolicy) -> Self {
        self.login_policy = policy;
        self
    }
}

/// The actor of command-line administration: acts with admin rights and is recorded in the
/// audit log as `system`.
pub fn system_actor() -> Account {
    Account {
        id: formwork_store::UserId::system(),
        username: "system".to_owned(),
        display_name: "system".to_owned(),
        email: None,
        department_id: None,
        is_admin: true,
        suspended: false,
        created_at: time::OffsetDateTime::UNIX_EPOCH,
    }
}
