//! A store that counts the calls made through it, by method, before handing each to the real
//! one: what one request costs in store reads and writes, printed beside each bench line.
//!
//! Every trait method is listed once below with whether it reads or writes; a method added to
//! a store trait must be added here too (the compiler says so).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use formwork_store::*;
use time::OffsetDateTime;

/// Calls counted so far, by method name, with whether the method writes.
#[derive(Default)]
pub struct Tally(Mutex<BTreeMap<&'static str, (bool, u64)>>);

/// What a stretch of calls cost: reads, writes and the methods called.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calls {
    pub reads: u64,
    pub writes: u64,
    pub by_method: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn count(&self, name: &'static str, writes: bool) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(name).or_insert((writes, 0)).1 += 1;
    }

    /// Everything counted so far.
    pub fn snapshot(&self) -> Calls {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut calls = Calls::default();
        for (name, (writes, n)) in map.iter() {
            if *writes {
                calls.writes += n;
            } else {
                calls.reads += n;
            }
            calls.by_method.insert(name, *n);
        }
        calls
    }
}

impl Calls {
    /// The calls made between `self` (earlier) and `later`.
    pub fn until(&self, later: &Calls) -> Calls {
        let by_method = later
            .by_method
            .iter()
            .map(|(k, n)| (*k, n - self.by_method.get(k).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        Calls {
            reads: later.reads - self.reads,
            writes: later.writes - self.writes,
            by_method,
        }
    }

    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Calls) {
        self.reads += other.reads;
        self.writes += other.writes;
        for (k, n) in &other.by_method {
            *self.by_method.entry(k).or_default() += n;
        }
    }

    /// The methods called, each with its calls per operation over `ops` operations.
    pub fn per_op(&self, ops: usize) -> String {
        let ops = ops.max(1) as f64;
        self.by_method
            .iter()
            .map(|(k, n)| format!("{k} {:.1}", *n as f64 / ops))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The real store, counted.
pub struct Counting {
    inner: Arc<dyn Store>,
    tally: Arc<Tally>,
}

impl Counting {
    pub fn wrap(inner: Arc<dyn Store>) -> (Arc<dyn Store>, Arc<Tally>) {
        let tally = Arc::new(Tally::default());
        let store = Counting {
            inner,
            tally: tally.clone(),
        };
        (Arc::new(store), tally)
    }
}

/// Implements `$trait` for [`Counting`]: each method counts itself (`read` or `write`) and
/// calls the real store's.
macro_rules! counted {
    ($trait:ident { $( $kind:ident fn $name:ident(&self $(, $arg:ident : $ty:ty)* $(,)?) -> $ret:ty; )* }) => {
        #[async_trait]
        impl $trait for Counting {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    self.tally.count(stringify!($name), counted!(@writes $kind));
                    self.inner.$name($($arg),*).await
                }
            )*
        }
    };
    (@writes read) => { false };
    (@writes write) => { true };
}

counted!(AccountStore {
    write fn create_user(&self, user: NewUser, actor: Option<&UserId>) -> StoreResult<User>;
    read fn get_user(&self, id: &UserId) -> StoreResult<Option<User>>;
    read fn get_user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    read fn list_users(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<User>>;
    write fn set_password(&self, user_id: &UserId, password_hash: &str) -> StoreResult<()>;
    write fn set_suspended(&self, user_id: &UserId, suspended: bool, actor: Option<&UserId>) -> StoreResult<()>;
    write fn create_service_user(&self, user: NewUser, roles: &[RoleId], actor: Option<&UserId>) -> StoreResult<User>;
    read fn service_user_ids(&self) -> StoreResult<Vec<UserId>>;
    write fn upsert_role(&self, role: Role) -> StoreResult<()>;
    read fn list_roles(&self) -> StoreResult<Vec<Role>>;
    write fn add_role_member(&self, role_id: &RoleId, user_id: &UserId) -> StoreResult<()>;
    write fn remove_role_member(&self, role_id: &RoleId, user_id: &UserId) -> StoreResult<()>;
    read fn user_roles(&self, user_id: &UserId) -> StoreResult<Vec<RoleId>>;
    read fn role_members(&self, role_id: &RoleId) -> StoreResult<Vec<User>>;
    read fn directory_epoch(&self) -> StoreResult<i64>;
    read fn load_directory(&self) -> StoreResult<DirectoryRows>;
    write fn external_sign_in(&self, sign_in: &ExternalSignIn) -> StoreResult<ExternalSignInOutcome>;
});

counted!(DepartmentStore {
    write fn create_department(&self, dept: NewDepartment) -> StoreResult<Department>;
    read fn get_department_by_name(&self, name: &str) -> StoreResult<Option<Department>>;
    read fn list_departments(&self) -> StoreResult<Vec<Department>>;
    write fn set_department_head(&self, dept_id: &DepartmentId, head_user_id: Option<&UserId>) -> StoreResult<()>;
    read fn department_chain(&self, user_id: &UserId) -> StoreResult<Vec<Department>>;
    write fn rename_department(&self, dept_id: &DepartmentId, name: &str, actor: Option<&UserId>) -> StoreResult<Department>;
    write fn move_department(&self, dept_id: &DepartmentId, parent: Option<&DepartmentId>, actor: Option<&UserId>) -> StoreResult<Department>;
    write fn delete_department(&self, dept_id: &DepartmentId, actor: Option<&UserId>) -> StoreResult<()>;
});

counted!(SignInStore {
    write fn session_create(&self, session: &SessionRow) -> StoreResult<bool>;
    write fn session_save(&self, session: &SessionRow) -> StoreResult<()>;
    read fn session_load(&self, id: &str, now: OffsetDateTime) -> StoreResult<Option<SessionRow>>;
    read fn session_load_with_epoch(&self, id: &str, now: OffsetDateTime) -> StoreResult<Option<(SessionRow, Epochs)>>;
    write fn session_delete(&self, id: &str) -> StoreResult<()>;
    write fn session_delete_expired(&self, now: OffsetDateTime) -> StoreResult<u64>;
    write fn create_token(&self, token: NewApiToken) -> StoreResult<ApiToken>;
    write fn use_token(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<(ApiToken, User)>>;
    read fn list_tokens(&self, user_id: &UserId) -> StoreResult<Vec<ApiToken>>;
    write fn revoke_token(&self, user_id: &UserId, token_id: &TokenId) -> StoreResult<()>;
    write fn record_login_failure(&self, key: &str, now: OffsetDateTime, since: OffsetDateTime) -> StoreResult<u32>;
    read fn login_failures_since(&self, key: &str, since: OffsetDateTime) -> StoreResult<u32>;
    write fn clear_login_failures(&self, key: &str) -> StoreResult<()>;
});

counted!(AppStore {
    write fn create_app(&self, draft: &DraftWrite<'_>) -> StoreResult<Draft>;
    read fn get_draft(&self, app_id: &AppId) -> StoreResult<Option<Draft>>;
    write fn put_draft(&self, draft: &DraftWrite<'_>, expected_rev: Option<i64>) -> StoreResult<Draft>;
    read fn list_apps(&self) -> StoreResult<Vec<AppSummary>>;
    write fn publish_noted(&self, app_id: &AppId, package: &str, actor: &UserId, note: serde_json::Value) -> StoreResult<AppVersion>;
    read fn list_versions(&self, app_id: &AppId) -> StoreResult<Vec<AppVersionInfo>>;
    read fn get_version(&self, app_id: &AppId, version: i64) -> StoreResult<Option<AppVersion>>;
    read fn latest_version(&self, app_id: &AppId) -> StoreResult<Option<AppVersion>>;
    read fn latest_version_number(&self, app_id: &AppId) -> StoreResult<Option<i64>>;
    read fn latest_version_at_epoch(&self, app_id: &AppId) -> StoreResult<(Option<i64>, i64)>;
});

counted!(RecordStore {
    write fn insert_record(&self, record: NewRecord, actor: &UserId) -> StoreResult<Inserted>;
    read fn get_record(&self, id: &RecordId) -> StoreResult<Option<Record>>;
    read fn get_records(&self, ids: &[RecordId]) -> StoreResult<Vec<Record>>;
    write fn update_record(&self, update: &RecordUpdate, actor: &UserId) -> StoreResult<Record>;
    write fn delete_record(&self, id: &RecordId, expected_rev: Option<i64>, actor: &UserId) -> StoreResult<()>;
    write fn delete_record_with_events(&self, id: &RecordId, expected_rev: Option<i64>, actor: &UserId, events: &[NewJob]) -> StoreResult<()>;
    read fn list_records(&self, query: &RecordQuery) -> StoreResult<Vec<Record>>;
    read fn count_records(&self, query: &RecordQuery, cap: u32) -> StoreResult<u32>;
    read fn explain_list_records(&self, query: &RecordQuery) -> StoreResult<Vec<String>>;
    read fn record_history(&self, record_id: &RecordId) -> StoreResult<Vec<AuditEntry>>;
    read fn list_audit(&self, before: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    write fn add_comment(&self, record_id: &RecordId, author_id: &UserId, body: &str) -> StoreResult<Comment>;
    read fn list_comments(&self, record_id: &RecordId) -> StoreResult<Vec<Comment>>;
    write fn insert_attachment(&self, attachment: &Attachment) -> StoreResult<()>;
    read fn get_attachment(&self, id: &FileId) -> StoreResult<Option<Attachment>>;
    read fn list_drafts(&self, owner_id: &UserId, limit: u32) -> StoreResult<Vec<Record>>;
    write fn submit_draft(&self, id: &RecordId, expected_rev: i64, submitted: NewRecord, actor: &UserId) -> StoreResult<Record>;
    write fn purge_drafts(&self, before: OffsetDateTime) -> StoreResult<u64>;
});

counted!(ProcessStore {
    write fn apply_step(&self, step: StepWrite, actor: Option<&UserId>) -> StoreResult<Instance>;
    write fn apply_step_with_tasks(&self, step: StepWrite, actor: Option<&UserId>) -> StoreResult<(Instance, Vec<Task>)>;
    read fn instance_on_record(&self, id: &InstanceId) -> StoreResult<Option<(Instance, Record)>>;
    read fn instances_on_records(&self, ids: &[InstanceId]) -> StoreResult<Vec<(Instance, Record)>>;
    read fn task_on_record(&self, id: &TaskId) -> StoreResult<Option<(Task, Instance, Record)>>;
    read fn get_instance(&self, id: &InstanceId) -> StoreResult<Option<Instance>>;
    read fn get_instances(&self, ids: &[InstanceId]) -> StoreResult<Vec<Instance>>;
    read fn instance_for_record(&self, record_id: &RecordId) -> StoreResult<Option<Instance>>;
    read fn instances_of_record(&self, record_id: &RecordId) -> StoreResult<Vec<Instance>>;
    write fn restart_on_record(&self, restart: InstanceRestart, actor: &UserId) -> StoreResult<Record>;
    read fn get_task(&self, id: &TaskId) -> StoreResult<Option<Task>>;
    read fn tasks_of_instance(&self, instance_id: &InstanceId) -> StoreResult<Vec<Task>>;
    read fn list_tasks(&self, query: &TaskQuery) -> StoreResult<Vec<Task>>;
    read fn submitted_instances(&self, user_id: &UserId, after: Option<&RecordId>, limit: u32) -> StoreResult<Vec<Instance>>;
    read fn list_instances(&self, query: &InstanceQuery) -> StoreResult<Vec<Instance>>;
    read fn instance_history(&self, instance_id: &InstanceId) -> StoreResult<Vec<HistoryRow>>;
    read fn due_timers(&self, now: OffsetDateTime, limit: u32) -> StoreResult<Vec<Timer>>;
    read fn list_notifications(&self, query: &NotificationQuery) -> StoreResult<Vec<Notification>>;
    read fn unread_notifications(&self, user_id: &UserId) -> StoreResult<u32>;
    write fn mark_notifications_read(&self, user_id: &UserId, ids: &[NotificationId]) -> StoreResult<u64>;
});

counted!(JobStore {
    write fn enqueue_job(&self, job: NewJob) -> StoreResult<bool>;
    write fn claim_jobs(&self, claim: &Claim) -> StoreResult<Vec<Job>>;
    write fn complete_job(&self, completion: JobCompletion) -> StoreResult<()>;
    write fn finish_job(&self, lease: &JobLease, finish: JobFinish, delivery: Option<NewDelivery>, now: OffsetDateTime) -> StoreResult<()>;
    read fn get_job(&self, id: &str) -> StoreResult<Option<Job>>;
    read fn list_jobs(&self, query: &JobQuery) -> StoreResult<Vec<Job>>;
    write fn retry_job(&self, id: &str, actor: &UserId, now: OffsetDateTime) -> StoreResult<Job>;
    write fn discard_job(&self, id: &str, actor: &UserId) -> StoreResult<Job>;
    read fn job_deliveries(&self, job_id: &str) -> StoreResult<Vec<Delivery>>;
    write fn purge_jobs(&self, before: OffsetDateTime) -> StoreResult<u64>;
    write fn reserve_rate_slot(&self, request: SlotRequest<'_>, rule: &SlotRule) -> StoreResult<OffsetDateTime>;
    write fn claim_timers(&self, claim: &Claim) -> StoreResult<Vec<Timer>>;
    write fn release_timer(&self, timer_id: &str, owner: &str, release: TimerRelease) -> StoreResult<()>;
    read fn rule_runs_of_record(&self, record_id: &RecordId) -> StoreResult<Vec<RuleRun>>;
    read fn get_rule_run(&self, id: &str) -> StoreResult<Option<RuleRun>>;
    read fn jobs_of_rule_run(&self, rule_run_id: &str) -> StoreResult<Vec<Job>>;
    read fn deliveries_of_rule_run(&self, rule_run_id: &str) -> StoreResult<Vec<Delivery>>;
});

counted!(SettingsStore {
    read fn get_setting(&self, key: &str) -> StoreResult<Option<Setting>>;
    write fn put_setting(&self, key: &str, value: &str, actor: &UserId) -> StoreResult<Setting>;
    read fn notification_settings(&self, user_id: &UserId) -> StoreResult<Option<NotificationSettings>>;
    write fn put_notification_settings(&self, settings: &NotificationSettings) -> StoreResult<()>;
});

counted!(ReportStore {
    read fn run_report(&self, plan: &formwork_reports::ir::Plan, scope: &ReportScope) -> StoreResult<ReportRows>;
    read fn explain_report(&self, plan: &formwork_reports::ir::Plan, scope: &ReportScope) -> StoreResult<Vec<String>>;
    write fn build_projection(&self, spec: &formwork_query::ProjectionSpec) -> StoreResult<bool>;
    write fn insert_import(&self, new: &NewImport) -> StoreResult<()>;
    read fn get_import(&self, id: &str) -> StoreResult<Option<Import>>;
    read fn committed_import(&self, app_id: &AppId, form_id: &FormId, content_hash: &str) -> StoreResult<Option<String>>;
    write fn settle_import(&self, id: &str, expected: ImportStatus, settlement: &ImportSettlement) -> StoreResult<bool>;
    read fn staged_rows(&self, id: &str) -> StoreResult<serde_json::Value>;
    write fn commit_import(&self, id: &str, records: Vec<NewRecord>, actor: &UserId) -> StoreResult<u64>;
});

counted!(PortalStore {
    read fn list_customers(&self) -> StoreResult<Vec<Customer>>;
    write fn create_customer(&self, name: &str, contacts: &str, actor: &UserId) -> StoreResult<Customer>;
    write fn update_customer(&self, id: &str, name: &str, contacts: &str, actor: &UserId) -> StoreResult<()>;
    write fn link_customer_account(&self, user_id: &UserId, customer_id: Option<&str>, actor: &UserId) -> StoreResult<()>;
    read fn customer_of_user(&self, user_id: &UserId) -> StoreResult<Option<Customer>>;
    read fn customer_accounts(&self, customer_id: &str) -> StoreResult<Vec<UserId>>;
    write fn set_file_shared(&self, record_id: &RecordId, file_id: &FileId, shared: bool, actor: &UserId) -> StoreResult<()>;
    read fn shared_files(&self, record_id: &RecordId) -> StoreResult<Vec<FileId>>;
    write fn add_thread_message(&self, record_id: &RecordId, author_id: &UserId, body: &str) -> StoreResult<ThreadMessage>;
    read fn thread_messages(&self, record_id: &RecordId) -> StoreResult<Vec<ThreadMessage>>;
    write fn put_delegation(&self, user_id: &UserId, delegation: Option<&Delegation>) -> StoreResult<()>;
    read fn delegations(&self) -> StoreResult<Vec<Delegation>>;
});

#[async_trait]
impl Store for Counting {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.inner.migrate().await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.tally.count("ping", false);
        self.inner.ping().await
    }
}
