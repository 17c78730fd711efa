//! The client portal's demo: two customers, `client1` linked to 上海示例科技有限公司 and
//! `client2` to another, and projects of both customers submitted by sales (the first one
//! approved, with milestones). Runs after the sample app is published; a second run changes
//! nothing.

use formwork_store::{AppId, FormId, TaskBox, TaskQuery};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Caller, DecideRequest, Runtime, RuntimeError, RuntimeResult};

/// The customer `client1` belongs to.
pub const DEMO_CUSTOMER: &str = "上海示例科技有限公司";
/// Another customer, whose contact must see none of the first one's projects.
pub const OTHER_CUSTOMER: &str = "北京另一信息技术有限公司";

/// Client accounts: username, display name, customer.
pub const DEMO_CLIENTS: &[(&str, &str, &str)] = &[
    ("client1", "客户联系人 吴昊", DEMO_CUSTOMER),
    ("client2", "客户联系人 郑洁", OTHER_CUSTOMER),
];

/// The sample app and its project form.
const APP: &str = "project-registration";
const PROJECT: &str = "project";

/// A demo project: submitter, customer, name, amount, region, approved by (if any).
type DemoProject = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

const PROJECTS: &[DemoProject] = &[
    (
        "sales1",
        DEMO_CUSTOMER,
        "示例科技数据中台一期",
        "30000.00",
        "华南",
        Some("manager1"),
    ),
    (
        "sales1",
        DEMO_CUSTOMER,
        "示例科技移动办公升级",
        "80000.00",
        "华北",
        None,
    ),
    (
        "sales2",
        OTHER_CUSTOMER,
        "另一信息运维外包",
        "45000.00",
        "华北",
        None,
    ),
];

impl Runtime {
    /// Customers, client accounts and (`with_records`) projects of the portal demo, once the
    /// sample app is published; whatever exists already is kept.
    pub async fn ensure_demo_portal(
        &self,
        now: OffsetDateTime,
        with_records: bool,
    ) -> RuntimeResult<()> {
        let admin = self.demo_caller("admin").await?;
        let mut customers = self.store.list_customers().await?;
        for (username, _, customer) in DEMO_CLIENTS {
            let id = match customers.iter().find(|c| c.name == *customer) {
                Some(c) => c.id.clone(),
                None => {
                    let contacts = format!("{username}@example.com");
                    let created = self.create_customer(&admin, customer, &contacts).await?;
                    customers.push(created.clone());
                    created.id
                }
            };
            self.link_client_account(&admin, username, Some(&id))
                .await?;
        }
        if !with_records {
            return Ok(());
        }
        let app_id = crate::error::package_id(AppId::parse(APP))?;
        let form_id = crate::error::package_id(FormId::parse(PROJECT))?;
        let existing = self
            .list_records(&admin, &app_id, &form_id, &crate::ListRequest::default())
            .await?;
        if !existing.records.is_empty() {
            return Ok(());
        }
        for (who, customer, name, amount, region, approver) in PROJECTS {
            let sales = self.demo_caller(who).await?;
            let inserted = self
                .submit_record(
                    &sales,
                    &app_id,
                    &form_id,
                    &demo_project(name, customer, amount, region),
                    None,
                    now,
                )
                .await?;
            if let Some(approver) = approver {
                self.demo_approve(approver, &inserted.record().id, now)
                    .await?;
            }
        }
        Ok(())
    }

    async fn demo_caller(&self, username: &str) -> RuntimeResult<Caller> {
        let user = self
            .store
            .get_user_by_username(username)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("demo user {username}")))?;
        self.caller(user.into()).await
    }

    /// `username` approves their open task on `record`.
    async fn demo_approve(
        &self,
        username: &str,
        record: &formwork_store::RecordId,
        now: OffsetDateTime,
    ) -> RuntimeResult<()> {
        let approver = self.demo_caller(username).await?;
        let tasks = self
            .store
            .list_tasks(&TaskQuery {
                user_id: approver.user.id.clone(),
                task_box: TaskBox::Todo,
                after: None,
                limit: 100,
            })
            .await?;
        if let Some(task) = tasks.iter().find(|t| &t.record_id == record) {
            let request = DecideRequest {
                action: "approve".into(),
                comment: Some("同意，请按计划推进".into()),
                data: None,
                to: None,
                before: false,
            };
            self.decide(&approver, &task.id, &request, now).await?;
        }
        Ok(())
    }
}

fn demo_project(name: &str, customer: &str, amount: &str, region: &str) -> Value {
    json!({
        "name": name,
        "customer": customer,
        "contact_phone": "13800138000",
        "amount": amount,
        "business_line": "software",
        "region": region,
        "stage": "executing",
        "start_date": "2026-11-01",
        "end_date": "2027-04-30",
        "description": "内部备注：报价含三个月驻场服务。",
        "milestones": [
            {"title": "需求确认", "due_date": "2026-11-20", "owner": "sales1"},
            {"title": "系统上线", "due_date": "2027-02-28", "owner": "sales1"},
            {"title": "项目验收", "due_date": "2027-04-30", "owner": "sales1"}
        ],
    })
}
