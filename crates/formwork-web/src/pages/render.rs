//! The template environment (every template HTML-escaped, whatever its name) and the frame
//! every page shares: language, the signed-in person, the current address.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formwork_runtime::Caller;
use minijinja::value::Kwargs;
use minijinja::{AutoEscape, Environment, State, Value, context};

use super::assets;
use crate::i18n::Lang;

/// The templates, compiled into the binary.
const TEMPLATES_SRC: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../../templates/base.html")),
    (
        "macros.html",
        include_str!("../../../../templates/macros.html"),
    ),
    (
        "index.html",
        include_str!("../../../../templates/index.html"),
    ),
    (
        "error.html",
        include_str!("../../../../templates/error.html"),
    ),
    (
        "login.html",
        include_str!("../../../../templates/login.html"),
    ),
    ("home.html", include_str!("../../../../templates/home.html")),
    (
        "dashboard.html",
        include_str!("../../../../templates/dashboard.html"),
    ),
    (
        "reports_macros.html",
        include_str!("../../../../templates/reports_macros.html"),
    ),
    (
        "report.html",
        include_str!("../../../../templates/report.html"),
    ),
    (
        "import.html",
        include_str!("../../../../templates/import.html"),
    ),
    (
        "app_home.html",
        include_str!("../../../../templates/app_home.html"),
    ),
    (
        "record_form.html",
        include_str!("../../../../templates/record_form.html"),
    ),
    (
        "record_view.html",
        include_str!("../../../../templates/record_view.html"),
    ),
    (
        "records_list.html",
        include_str!("../../../../templates/records_list.html"),
    ),
    (
        "approval.html",
        include_str!("../../../../templates/approval.html"),
    ),
    (
        "inbox.html",
        include_str!("../../../../templates/inbox.html"),
    ),
    ("task.html", include_str!("../../../../templates/task.html")),
    (
        "admin_instances.html",
        include_str!("../../../../templates/admin_instances.html"),
    ),
    (
        "admin_instance.html",
        include_str!("../../../../templates/admin_instance.html"),
    ),
    (
        "rule_runs.html",
        include_str!("../../../../templates/rule_runs.html"),
    ),
    (
        "admin_jobs.html",
        include_str!("../../../../templates/admin_jobs.html"),
    ),
    (
        "admin_calendar.html",
        include_str!("../../../../templates/admin_calendar.html"),
    ),
    (
        "messages.html",
        include_str!("../../../../templates/messages.html"),
    ),
    (
        "drafts.html",
        include_str!("../../../../templates/drafts.html"),
    ),
    (
        "notification_settings.html",
        include_str!("../../../../templates/notification_settings.html"),
    ),
    (
        "admin_people.html",
        include_str!("../../../../templates/admin_people.html"),
    ),
    (
        "admin_departments.html",
        include_str!("../../../../templates/admin_departments.html"),
    ),
    (
        "delegation.html",
        include_str!("../../../../templates/delegation.html"),
    ),
    (
        "portal_base.html",
        include_str!("../../../../templates/portal_base.html"),
    ),
    (
        "portal_home.html",
        include_str!("../../../../templates/portal_home.html"),
    ),
    (
        "portal_record.html",
        include_str!("../../../../templates/portal_record.html"),
    ),
    (
        "portal_request.html",
        include_str!("../../../../templates/portal_request.html"),
    ),
];

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Everything rendered here is HTML, whatever a template is named.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_function("t", translate);
    env.add_global("css_url", assets::url("app.css"));
    env.add_global("js_url", assets::url("form.js"));
    env.add_global("confirm_js_url", assets::url("confirm.js"));
    env.add_global("departments_js_url", assets::url("departments.js"));
    env.add_global("portal_css_url", assets::url("portal.css"));
    env.add_global("people_js_url", assets::url("people.js"));
    env.add_global("dates_js_url", assets::url("dates.js"));
    env.add_global("flatpickr_js_url", assets::url("flatpickr.min.js"));
    env.add_global("flatpickr_zh_url", assets::url("flatpickr-zh.js"));
    env.add_global("flatpickr_css_url", assets::url("flatpickr.min.css"));
    env.add_function("person_name", person_name);
    for (name, source) in TEMPLATES_SRC {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env
});

/// `t("key", name=value…)`: Formwork's own text in the page's language.
/// The display name of the person `value` names in `people` (`(username, display name)`
/// pairs), else `value` as typed: a picker shows names, never login ids.
fn person_name(people: &Value, value: &str) -> String {
    people
        .try_iter()
        .into_iter()
        .flatten()
        .find(|p| {
            p.get_item_by_index(0)
                .ok()
                .is_some_and(|u| u.as_str() == Some(value))
        })
        .and_then(|p| p.get_item_by_index(1).ok())
        .and_then(|name| name.as_str().map(str::to_owned))
        .unwrap_or_else(|| value.to_owned())
}

fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let lang = match state.lookup("lang").as_ref().and_then(Value::as_str) {
        Some("en") => Lang::En,
        _ => Lang::ZhCn,
    };
    let mut args: Vec<(String, String)> = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        args.push((name.to_owned(), value.to_string()));
    }
    kwargs.assert_all_used()?;
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(lang.message(key, &args))
}

/// What every page shows around its content.
pub(crate) struct Chrome {
    pub lang: Lang,
    pub user: Option<Caller>,
    /// The current path and query, so switching language comes back here.
    pub here: String,
}

impl Chrome {
    pub fn new(lang: Lang, user: Option<&Caller>, here: impl Into<String>) -> Self {
        Self {
            lang,
            user: user.cloned(),
            here: here.into(),
        }
    }
}

/// Serialisable data for a template.
pub(crate) fn data<T: serde::Serialize>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// Renders `name` inside the page frame; a template error is a logged 500 page.
pub(crate) fn render(name: &str, chrome: &Chrome, page: Value) -> Response {
    let user = chrome.user.as_ref().map(|c| {
        context! {
            name => c.user.display_name.clone(),
            username => c.user.username.clone(),
            admin => c.user.is_admin,
            is_admin => c.user.is_admin,
        }
    });
    let ctx = context! {
        lang => chrome.lang.tag(),
        user,
        here => chrome.here.clone(),
        csrf => crate::boundary::csrf::current(),
        csrf_field => crate::boundary::csrf::FIELD,
        ..page
    };
    match TEMPLATES.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => html_response(html),
        Err(e) => {
            tracing::error!(template = name, error = %e, "page does not render");
            let mut r = html_response(format!(
                "<!doctype html><meta charset=utf-8><title>Formwork</title><p>{}</p>",
                chrome.lang.message("internal", &[("request_id", "-")])
            ));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

fn html_response(html: String) -> Response {
    let mut r = html.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// Every `t("…")` key the templates use, for the catalog test.
#[cfg(test)]
pub(crate) fn template_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for (_, source) in TEMPLATES_SRC {
        let mut rest = *source;
        while let Some(i) = rest.find("t(\"") {
            rest = &rest[i + 3..];
            if let Some(end) = rest.find('"') {
                keys.push(rest[..end].to_owned());
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES_SRC {
            assert!(TEMPLATES.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn every_text_the_templates_use_is_in_both_catalogs() {
        let zh: std::collections::HashMap<String, String> =
            serde_json::from_str(include_str!("../../locales/zh-CN.json")).unwrap();
        let en: std::collections::HashMap<String, String> =
            serde_json::from_str(include_str!("../../locales/en.json")).unwrap();
        for key in template_keys() {
            assert!(zh.contains_key(&key), "zh-CN lacks {key}");
            assert!(en.contains_key(&key), "en lacks {key}");
        }
    }

    #[test]
    fn every_post_form_carries_the_csrf_token() {
        // Browsers that send neither Origin nor Sec-Fetch-Site are checked by this token.
        let input = r#"<input type="hidden" name="_csrf" value="{{ csrf }}">"#;
        for (name, source) in TEMPLATES_SRC {
            for (i, _) in source.match_indices("<form") {
                let tag_end = source[i..].find('>').map_or(source.len(), |e| i + e + 1);
                if source[i..tag_end].contains(r#"method="post""#) {
                    assert!(
                        source[tag_end..].starts_with(input),
                        "{name}: a post form without the CSRF token: {}",
                        &source[i..tag_end]
                    );
                }
            }
        }
    }

    #[test]
    fn values_are_escaped_and_never_rendered_as_templates() {
        let chrome = Chrome::new(Lang::ZhCn, None, "/");
        let response = render(
            "error.html",
            &chrome,
            context! { message => "<script>alert(1)</script>{{7*7}}", status => 404, title => "\"><img src=x>" },
        );
        let body = futures_body(response);
        assert!(!body.contains("<script>alert"), "{body}");
        assert!(!body.contains("<img src=x"), "{body}");
        assert!(body.contains("{{7*7}}"), "{body}");
    }

    fn futures_body(response: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
