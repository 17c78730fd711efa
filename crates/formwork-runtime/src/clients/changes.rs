//! What an accepted change request does to its project. The request is the client's wish in
//! words; what it changes of the project's locked fields (amount, customer, dates) must go
//! through the project's own 变更 approval, never around it. This is the one place that hands
//! an accepted request over: [`Runtime::forward_accepted_change_request`].

use formwork_store::{InstanceStatus, Record, RecordId};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::policy::Caller;
use crate::{Runtime, RuntimeResult};

/// The form of the sample app whose accepted records are forwarded.
pub const CHANGE_REQUEST_FORM: &str = "change_request";

/// Fields of a change request → the project fields they propose (locked once approved).
const PROPOSED: &[(&str, &str)] = &[("desired_end_date", "end_date")];

/// The project and the changes an accepted request proposes for it, if any.
pub fn proposed_changes(request: &Record) -> Option<(RecordId, Value)> {
    if request.form_id.as_str() != CHANGE_REQUEST_FORM {
        return None;
    }
    let project: RecordId = request.data.get("project")?.as_str()?.parse().ok()?;
    let changes: Map<String, Value> = PROPOSED
        .iter()
        .filter_map(|(theirs, ours)| Some(((*ours).to_owned(), request.data.get(*theirs)?.clone())))
        .filter(|(_, v)| !v.is_null())
        .collect();
    (!changes.is_empty()).then_some((project, Value::Object(changes)))
}

impl Runtime {
    /// Called once the owner accepted a change request (its instance ended approved): the
    /// changes it proposes become a 变更 of the project, in the project owner's name.
    ///
    /// A project that is not approved, or already has a 变更 under way, keeps its values: the
    /// decision on the request stands, and the owner files the 变更 by hand.
    pub(crate) async fn forward_accepted_change_request(
        &self,
        owner: &Caller,
        request: &Record,
        status: InstanceStatus,
        now: OffsetDateTime,
    ) -> RuntimeResult<()> {
        if status != InstanceStatus::Approved {
            return Ok(());
        }
        let Some((project, changes)) = proposed_changes(request) else {
            return Ok(());
        };
        let label = request
            .number
            .clone()
            .unwrap_or_else(|| request.id.to_string());
        let comment = format!("客户变更申请 {label}");
        if let Err(e) = self
            .request_change(owner, &project, &changes, Some(&comment), now)
            .await
        {
            tracing::warn!(
                request = %request.id,
                %project,
                error = %e,
                "an accepted change request did not open the project's 变更"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(form: &str, data: Value) -> Record {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        Record {
            id: "01900000-0000-7000-8000-000000000001".parse().unwrap(),
            app_id: "project-registration".parse().unwrap(),
            form_id: form.parse().unwrap(),
            app_version: 1,
            number: None,
            owner_id: "01900000-0000-7000-8000-000000000002".parse().unwrap(),
            department_id: None,
            status: formwork_store::RecordStatus::Approved,
            data,
            rev: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn an_accepted_request_proposes_the_project_fields_it_names() {
        let project = "01900000-0000-7000-8000-0000000000aa";
        let r = request(
            CHANGE_REQUEST_FORM,
            json!({"project": project, "title": "推迟", "desired_end_date": "2027-03-14"}),
        );
        let (id, changes) = proposed_changes(&r).unwrap();
        assert_eq!(id.as_str(), project);
        assert_eq!(changes, json!({"end_date": "2027-03-14"}));
        let words_only = request(
            CHANGE_REQUEST_FORM,
            json!({"project": project, "title": "x"}),
        );
        assert!(proposed_changes(&words_only).is_none());
        assert!(proposed_changes(&request("feedback", json!({"project": project}))).is_none());
    }
}
