//! Server-rendered pages for people: sign-in, the apps a person may use, new and edit record
//! forms, a record with its comments and history, and record lists.
//!
//! Every page works without JavaScript (plain links and form posts); `static/form.js` only
//! adds immediacy (rule mirroring, inline checks, sub-table rows). Templates are minijinja,
//! always HTML-escaped; the server stays the authority on every rule and permission.

mod about;
mod admin_calendar;
mod admin_departments;
mod admin_instance;
mod admin_instances;
mod admin_jobs;
mod admin_people;
mod app_home;
mod assets;
mod auth;
mod charts;
mod delegation;
mod designer;
mod drafts;
mod error;
mod fields;
mod format;
mod home;
mod imports;
mod inbox;
mod input;
mod lang;
mod login;
mod messages;
mod notification_settings;
mod paging;
mod portal;
mod preview;
mod record_form;
mod record_rework;
mod record_view;
mod records_list;
mod render;
mod reports;
mod rule_runs;
mod task;
mod timeline;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
use crate::boundary::csrf;

pub(crate) use auth::local_path;
pub(crate) use error::PageError;
pub(crate) use preview::preview_page;

/// The Content-Security-Policy of every page: nothing from elsewhere, no inline scripts.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
    style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'";

/// Every page route, with the security headers of pages.
/// An unknown address: a page for browsers, the API's JSON error under `/api/`.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        crate::error::ApiError::not_found().into_response()
    } else {
        PageError::status(axum::http::StatusCode::NOT_FOUND, "not_found").into_response()
    }
}

pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(home::index))
        .route("/about", get(about::about))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .merge(crate::oidc::router())
        .route("/lang", post(lang::switch))
        .route("/apps/{app}", get(app_home::show))
        .route(
            "/apps/{app}/forms/{form}/new",
            get(record_form::new_form).post(record_form::create),
        )
        .route("/apps/{app}/forms/{form}/records", get(records_list::list))
        .route(
            "/apps/{app}/dashboards/{dashboard}",
            get(reports::dashboard),
        )
        .route("/apps/{app}/reports/{report}", get(reports::report))
        .route("/apps/{app}/views/{view}", get(reports::view))
        .route("/apps/{app}/views/{view}/move", post(reports::move_card))
        .route(
            "/apps/{app}/forms/{form}/import",
            get(imports::form).post(imports::upload),
        )
        .route("/imports/{id}", get(imports::show))
        .route("/imports/{id}/commit", post(imports::commit))
        .route("/records/{id}", get(record_view::show))
        .route(
            "/records/{id}/edit",
            get(record_form::edit_form).post(record_form::update),
        )
        .route("/records/{id}/comments", post(record_view::comment))
        .route("/records/{id}/withdraw", post(record_view::withdraw))
        .route("/drafts", get(drafts::list))
        .route("/drafts/{id}", get(drafts::show_draft).post(drafts::save))
        .route("/records/{id}/resubmit", post(record_view::resubmit))
        .route(
            "/records/{id}/change",
            get(record_rework::change_form).post(record_rework::change),
        )
        .route(
            "/records/{id}/revise",
            get(record_rework::revise_form).post(record_rework::revise),
        )
        .route("/records/{id}/thread", post(record_view::reply_to_client))
        .route("/records/{id}/share", post(record_view::share))
        .route("/portal", get(portal::home))
        .route("/portal/records/{id}", get(portal::show))
        .route("/portal/records/{id}/messages", post(portal::post_message))
        .route("/portal/records/{id}/files", post(portal::upload))
        .route("/portal/records/{id}/files/{file}", get(portal::download))
        .route(
            "/portal/records/{id}/new/{form}",
            get(portal::request::new_form).post(portal::request::create),
        )
        .route(
            "/settings/delegation",
            get(delegation::show).post(delegation::save),
        )
        .route(
            "/settings/delegation/take-back",
            post(delegation::take_back),
        )
        .route("/admin/people", get(admin_people::show))
        .route("/admin/people/import", post(admin_people::import))
        .route("/admin/people/{username}/{action}", post(admin_people::act))
        .route("/admin/customers", post(admin_people::add_customer))
        .route("/admin/service-users", post(admin_people::add_service_user))
        .route(
            "/admin/departments",
            get(admin_departments::show).post(admin_departments::create),
        )
        .route(
            "/admin/departments/{id}/{action}",
            post(admin_departments::act),
        )
        .route("/inbox", get(inbox::show))
        .route("/inbox/batch", post(inbox::batch))
        .route("/tasks/{id}", get(task::show).post(task::decide))
        .route("/admin/instances", get(admin_instances::list))
        .route(
            "/admin/instances/{id}",
            get(admin_instance::show).post(admin_instance::act),
        )
        .route("/messages", get(messages::show))
        .route("/messages/read", post(messages::mark_all_read))
        .route("/admin/jobs", get(admin_jobs::show))
        .route("/admin/jobs/{id}/{action}", post(admin_jobs::act))
        .route("/admin/calendar", get(admin_calendar::show))
        .route("/admin/calendar/week", post(admin_calendar::save_week))
        .route("/admin/calendar/import", post(admin_calendar::import))
        .route(
            "/settings/notifications",
            get(notification_settings::show).post(notification_settings::save),
        )
        .fallback(not_found)
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::from_fn(csrf::scope_token))
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                ))
                .layer(axum::middleware::from_fn(error::render_page_errors))
                .layer(axum::middleware::from_fn(csrf::guard_page)),
        );
    Router::new()
        .merge(pages)
        .merge(assets::router())
        .merge(designer::router())
        .layer(
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CONTENT_SECURITY_POLICY),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                )),
        )
        // After the layer above: the draft preview may be framed by the designer.
        .merge(preview::router())
}
