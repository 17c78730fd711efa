//! The JSON API under `/api/v1`, documented by the OpenAPI document it is built with.

pub mod approvals;
pub mod apps;
pub mod body;
pub mod calendar;
pub mod changes;
pub mod departments;
pub mod designer;
pub mod drafts;
pub mod files;
pub mod hooks;
pub mod instance_types;
pub mod instances;
pub mod jobs;
pub mod notifications;
pub mod people;
pub mod records;
pub mod reports;
pub mod session;
pub mod task_types;
pub mod tasks;
pub mod tokens;
pub mod types;
pub mod users;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Formwork API",
        description = "Forms, approvals and reports of a Formwork server. Errors are \
            `{\"error\": code, \"message\": text, \"fields\": [{path, code, message}]}`; \
            `Authorization: Bearer <token>` is accepted wherever a session cookie is."
    ),
    components(schemas(crate::error::ErrorBody, crate::error::FieldError)),
    tags((name = "session"), (name = "tokens"), (name = "users"), (name = "apps"), (name = "designer"), (name = "records"), (name = "drafts"), (name = "tasks"), (name = "instances"), (name = "notifications"), (name = "jobs"), (name = "calendar"), (name = "hooks"), (name = "reports"), (name = "imports"))
)]
struct ApiDoc;

/// Every API route, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::login, session::logout))
        .routes(routes!(session::me))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(users::create))
        .routes(routes!(users::suspend))
        .routes(routes!(users::reinstate))
        .routes(routes!(people::find))
        .routes(routes!(people::reset_password))
        .routes(routes!(people::set_roles))
        .routes(routes!(people::customers, people::create_customer))
        .routes(routes!(people::link_account, people::unlink_account))
        .routes(routes!(people::create_service_user))
        .routes(routes!(people::service_tokens, people::issue_service_token))
        .routes(routes!(people::revoke_service_token))
        .routes(routes!(departments::list, departments::create))
        .routes(routes!(departments::update, departments::delete))
        .routes(routes!(departments::move_to))
        .routes(routes!(apps::list, apps::import))
        .routes(routes!(apps::get_draft, apps::put_draft))
        .routes(routes!(apps::validate))
        .routes(routes!(apps::publish))
        .routes(routes!(apps::versions))
        .routes(routes!(apps::version))
        .routes(routes!(designer::check))
        .routes(routes!(designer::preview))
        .routes(routes!(designer::simulate))
        .routes(routes!(designer::run_tests))
        .routes(routes!(designer::check_expression))
        .routes(routes!(designer::diff))
        .routes(routes!(designer::rollback))
        .routes(routes!(records::create, records::list))
        .routes(routes!(records::count))
        .routes(routes!(records::get, records::patch, records::delete))
        .routes(routes!(drafts::create))
        .routes(routes!(drafts::list))
        .routes(routes!(drafts::get, drafts::put, drafts::delete))
        .routes(routes!(drafts::submit))
        .routes(routes!(approvals::timeline))
        .routes(routes!(approvals::withdraw))
        .routes(routes!(changes::request))
        .routes(routes!(changes::resubmit))
        .routes(routes!(tasks::inbox))
        .routes(routes!(tasks::get))
        .routes(routes!(tasks::decide))
        .routes(routes!(tasks::batch_decide))
        .routes(routes!(instances::list))
        .routes(routes!(instances::get))
        .routes(routes!(instances::cancel))
        .routes(routes!(instances::retry))
        .routes(routes!(instances::move_to))
        .routes(routes!(instances::reassign))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::unread_count))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(files::upload))
        .routes(routes!(files::own))
        .routes(routes!(files::of_record))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::retry))
        .routes(routes!(jobs::discard))
        .routes(routes!(jobs::rule_runs))
        .routes(routes!(calendar::get, calendar::put))
        .routes(routes!(calendar::import_year))
        .routes(routes!(calendar::my_settings, calendar::save_my_settings))
        .routes(routes!(hooks::receive))
        .routes(routes!(reports::data))
        .routes(routes!(reports::export_report))
        .routes(routes!(reports::export_records))
        .routes(routes!(reports::upload))
        .routes(routes!(reports::get))
        .routes(routes!(reports::commit))
        .routes(routes!(reports::error_report))
}
