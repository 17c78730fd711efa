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
use utoipa_axum::PathItemExt;
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

/// Every API handler, those sharing a path in one group, handed to `$each`: the server's
/// router and the OpenAPI document's generator read the same list.
macro_rules! api_handlers {
    ($each:ident) => {
        $each!(
            [session::login, session::logout],
            [session::me],
            [tokens::list, tokens::create],
            [tokens::revoke],
            [users::create],
            [users::suspend],
            [users::reinstate],
            [people::find],
            [people::reset_password],
            [people::set_roles],
            [people::customers, people::create_customer],
            [people::link_account, people::unlink_account],
            [people::create_service_user],
            [people::service_tokens, people::issue_service_token],
            [people::revoke_service_token],
            [departments::list, departments::create],
            [departments::update, departments::delete],
            [departments::move_to],
            [apps::list, apps::import],
            [apps::get_draft, apps::put_draft],
            [apps::validate],
            [apps::publish],
            [apps::versions],
            [apps::version],
            [designer::check],
            [designer::preview],
            [designer::simulate],
            [designer::run_tests],
            [designer::check_expression],
            [designer::diff],
            [designer::rollback],
            [records::create, records::list],
            [records::count],
            [records::get, records::patch, records::delete],
            [drafts::create],
            [drafts::list],
            [drafts::get, drafts::put, drafts::delete],
            [drafts::submit],
            [approvals::timeline],
            [approvals::withdraw],
            [changes::request],
            [changes::resubmit],
            [tasks::inbox],
            [tasks::get],
            [tasks::decide],
            [tasks::batch_decide],
            [instances::list],
            [instances::get],
            [instances::cancel],
            [instances::retry],
            [instances::move_to],
            [instances::reassign],
            [notifications::list],
            [notifications::unread_count],
            [notifications::mark_read],
            [files::upload],
            [files::own],
            [files::of_record],
            [jobs::list],
            [jobs::get],
            [jobs::retry],
            [jobs::discard],
            [jobs::rule_runs],
            [calendar::get, calendar::put],
            [calendar::import_year],
            [calendar::my_settings, calendar::save_my_settings],
            [hooks::receive],
            [reports::data],
            [reports::export_report],
            [reports::export_records],
            [reports::upload],
            [reports::get],
            [reports::commit],
            [reports::error_report],
        )
    };
}

/// Every API route, with its OpenAPI description: `formwork openapi` and the check that the
/// committed document (`designer-ui/openapi.json`, which the server serves) is still this one.
pub fn documented_router() -> OpenApiRouter<AppState> {
    macro_rules! documented {
        ($([$($module:ident :: $handler:ident),+]),* $(,)?) => {
            OpenApiRouter::with_openapi(ApiDoc::openapi())
                $(.routes(routes!($($module::$handler),+)))*
        };
    }
    api_handlers!(documented)
}

/// Every API route, from the path and methods each handler declares: the same routes as
/// [`documented_router`] without generating its document at every start (code that ran once,
/// and about 1 MB of heap it left behind).
pub fn router() -> axum::Router<AppState> {
    macro_rules! plain {
        ($([$($module:ident :: $handler:ident),+]),* $(,)?) => {{
            let router = axum::Router::new();
            $($(let router = utoipa_axum::paste! {
                route::<$module::[<__path_ $handler>], _, _>(router, $module::$handler)
            };)+)*
            router
        }};
    }
    api_handlers!(plain)
}

/// `router` with `handler` at the path and methods its `#[utoipa::path]` gives.
fn route<P: utoipa::Path, H: axum::handler::Handler<T, AppState>, T: 'static>(
    router: axum::Router<AppState>,
    handler: H,
) -> axum::Router<AppState> {
    let methods = P::methods()
        .iter()
        .fold(axum::routing::MethodRouter::new(), |methods, method| {
            methods.on(method.to_method_filter(), handler.clone())
        });
    router.route(&P::path(), methods)
}
