//! Server-rendered pages (minijinja, `templates/`), always HTML-escaped.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::{AutoEscape, Environment, context};
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Everything rendered here is HTML, whatever a template is named.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in [
        ("base.html", include_str!("../../../templates/base.html")),
        ("index.html", include_str!("../../../templates/index.html")),
    ] {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env
});

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index))
}

fn texts(lang: Lang) -> serde_json::Value {
    match lang {
        Lang::ZhCn => json!({
            "heading": "Formwork 已启动",
            "lead": "无代码表单、审批流程与报表平台。业务分析师设计应用，管理员发布，员工填报与审批。",
            "status": "运行状态", "ok": "正常", "database": "数据库",
            "apps": "已发布的应用", "no_apps": "还没有已发布的应用。运行 formwork demo 可导入示例应用。",
            "version": "版本", "developers": "开发者", "sign_in_api": "登录接口",
        }),
        Lang::En => json!({
            "heading": "Formwork is running",
            "lead": "No-code forms, approval flows and reports. Analysts design apps, admins publish them, people fill in and approve.",
            "status": "Status", "ok": "OK", "database": "Database",
            "apps": "Published apps", "no_apps": "No app is published yet. Run formwork demo to load the sample app.",
            "version": "version", "developers": "Developers", "sign_in_api": "sign-in API",
        }),
    }
}

async fn index(State(state): State<AppState>, lang: Lang) -> Result<Response, ApiError> {
    let store = state.runtime.store();
    let apps: Vec<_> = store
        .list_apps()
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .filter_map(|a| {
            let version = a.latest_version?;
            let name: formwork_model::Text = serde_json::from_str(&a.name).unwrap_or_default();
            Some(json!({"id": a.id, "name": name.get(lang.tag()), "version": version}))
        })
        .collect();
    let html = TEMPLATES
        .get_template("index.html")
        .and_then(|t| {
            t.render(context! {
                lang => lang.tag(),
                t => minijinja::Value::from(minijinja::value::Serde(texts(lang))),
                apps => minijinja::Value::from(minijinja::value::Serde(&apps)),
                database => store.backend().as_str(),
            })
        })
        .map_err(ApiError::internal)?;
    Ok(Html(html).into_response())
}
