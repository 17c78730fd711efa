//! The pages' own CSS and script, compiled into the binary and served under
//! `/static/{hash}/{file}`: the content hash in the address lets browsers keep them for a
//! year, and a new build changes the address. No CDN; the chart and board bundles come from
//! `web-assets/` (built and committed, see its build.sh).

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../static/app.css"),
    },
    Asset {
        name: "confirm.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/confirm.js"),
    },
    Asset {
        name: "portal.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../static/portal.css"),
    },
    Asset {
        name: "departments.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/departments.js"),
    },
    Asset {
        name: "form.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/form.js"),
    },
    Asset {
        name: "people.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/people.js"),
    },
    Asset {
        name: "dates.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/dates.js"),
    },
    // flatpickr 4.6.13 (MIT, static/flatpickr.LICENSE.md), vendored unchanged: dates.js
    // loads it only on pages with date inputs.
    Asset {
        name: "flatpickr.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/flatpickr.min.js"),
    },
    Asset {
        name: "flatpickr-zh.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/flatpickr-zh.js"),
    },
    Asset {
        name: "flatpickr.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../static/flatpickr.min.css"),
    },
    Asset {
        name: "import.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../static/import.js"),
    },
    // Built by web-assets/build.sh (committed; `--check` in the test command): ECharts and
    // SortableJS bundles, referenced only by the pages that draw a chart or a board.
    Asset {
        name: "charts.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../../web-assets/dist/charts.js"),
    },
    Asset {
        name: "kanban.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../../web-assets/dist/kanban.js"),
    },
];

/// FNV-1a of every asset: one version for all of them, which is plenty for two files.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for asset in ASSETS {
        for byte in asset.name.bytes().chain(asset.body.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")[..12].to_owned()
});

/// The address of an asset in this build.
pub(crate) fn url(name: &str) -> String {
    format!("/static/{}/{name}", *VERSION)
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/static/{version}/{file}", get(serve))
}

async fn serve(Path((version, file)): Path<(String, String)>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // An old address (a page rendered by the previous build) still gets the file, but not for
    // a year.
    let cache = if version == *VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.body,
    )
        .into_response()
}
