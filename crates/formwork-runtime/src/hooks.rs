//! Inbound hooks: another system (a CRM, say) posts JSON to
//! `/api/v1/apps/{app}/hooks/{hook}`; the hook the package defines maps it onto a form's
//! fields and submits it as its service user, through the same checks as a person's
//! submission.
//!
//! A delivery proves where it comes from with the hook's secret (an `X-Formwork-Signature`
//! header, the scheme Formwork's own webhooks use) or with an API token of the service user.
//! Its delivery id (the `X-Formwork-Delivery-Id` header, or the hook's `delivery_id`
//! expression over the payload) is the submission's idempotency key, so a replay creates
//! nothing new and answers with the record the first delivery made.

use std::collections::HashMap;

use formwork_model::expr;
use formwork_model::{AppId, FormId};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::signature::verify_webhook_signature;
use crate::{Account, Inserted, Runtime, RuntimeError, RuntimeResult};

/// How far a signature's time may be from ours.
const SIGNATURE_TOLERANCE: std::time::Duration = std::time::Duration::from_secs(300);

/// The secrets of inbound hooks, by `"{app}/{hook}"`; from the server's configuration, never
/// from the package.
pub type HookSecrets = HashMap<String, String>;

/// What vouches for an inbound delivery.
#[derive(Debug, Clone, Copy)]
pub enum HookAuth<'a> {
    /// The `X-Formwork-Signature` header.
    Signature(&'a str),
    /// The user of the API token the request carried.
    Token(&'a Account),
}

/// The key a hook's secret is configured under.
pub fn hook_key(app_id: &AppId, hook_id: &str) -> String {
    format!("{app_id}/{hook_id}")
}

fn bad(pointer: &str, code: &str, zh: &str, en: &str) -> RuntimeError {
    RuntimeError::Invalid {
        problems: vec![problem(pointer, code, zh, en)],
    }
}

impl Runtime {
    /// Uses these secrets for inbound hooks.
    pub fn with_hook_secrets(mut self, secrets: HookSecrets) -> Self {
        self.hook_secrets = std::sync::Arc::new(secrets);
        self
    }

    /// Receives one delivery of hook `hook_id` of the latest version of `app_id`.
    pub async fn receive_hook(
        &self,
        app_id: &AppId,
        hook_id: &str,
        auth: HookAuth<'_>,
        delivery_header: Option<&str>,
        body: &[u8],
        now: OffsetDateTime,
    ) -> RuntimeResult<Inserted> {
        let app = self.latest_app(app_id).await?;
        let hook = app
            .def
            .hooks
            .iter()
            .find(|h| h.id == hook_id)
            .ok_or_else(|| RuntimeError::NotFound(format!("hook {app_id}/{hook_id}")))?;
        match auth {
            HookAuth::Signature(header) => {
                let secret = self
                    .hook_secrets
                    .get(&hook_key(app_id, hook_id))
                    .ok_or(RuntimeError::Unauthenticated)?;
                verify_webhook_signature(secret, header, body, now, SIGNATURE_TOLERANCE)
                    .map_err(|_| RuntimeError::Unauthenticated)?;
            }
            HookAuth::Token(user) if user.username == hook.as_user => {}
            HookAuth::Token(_) => return Err(RuntimeError::Forbidden),
        }
        let payload: Value = serde_json::from_slice(body).map_err(|e| RuntimeError::Malformed {
            problem: problem(
                "",
                "invalid_json",
                &format!("请求体不是合法的 JSON：{e}"),
                &format!("the body is not valid JSON: {e}"),
            ),
        })?;
        let scope = json!({ "payload": payload });
        let delivery_id = match (delivery_header, &hook.delivery_id) {
            (Some(id), _) if !id.trim().is_empty() => id.trim().to_owned(),
            (_, Some(src)) => match expr::eval(src, &scope) {
                Ok(Value::String(s)) if !s.is_empty() => s,
                Ok(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        if delivery_id.is_empty() || delivery_id.len() > 200 {
            return Err(bad(
                "/delivery_id",
                "missing_delivery_id",
                "缺少投递编号：请在 X-Formwork-Delivery-Id 头中给出（不超过 200 个字符）",
                "no delivery id: send one in the X-Formwork-Delivery-Id header (at most 200 characters)",
            ));
        }
        let mut input = Map::new();
        for (field, src) in &hook.fields {
            let value = expr::eval(src, &scope).map_err(|e| {
                bad(
                    &format!("/fields/{field}"),
                    "bad_mapping",
                    &format!("字段「{field}」无法从请求取值：{e}"),
                    &format!("`{field}` cannot be taken from the payload: {e}"),
                )
            })?;
            input.insert(field.clone(), value);
        }
        let dir = self.directory().await?;
        let user = dir.active(&hook.as_user).cloned().ok_or_else(|| {
            RuntimeError::Conflict(format!(
                "the hook's service user `{}` does not exist or is suspended",
                hook.as_user
            ))
        })?;
        let caller = self.caller(user).await?;
        let form_id = crate::error::package_id(FormId::parse(&hook.form))?;
        self.submit_record(
            &caller,
            app_id,
            &form_id,
            &Value::Object(input),
            Some(format!("hook:{hook_id}:{delivery_id}")),
            now,
        )
        .await
    }
}
