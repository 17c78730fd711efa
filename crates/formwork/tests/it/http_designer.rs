//! The embedded designer at `/designer/` over HTTP, on SQLite and PostgreSQL: designers get the
//! app (its routes all answer its page), hashed assets are immutable and compressed, a missing
//! asset is a 404 (never the page), others get the 403 page, visitors are sent to sign in.

use crate::common::apps;
use crate::common::pages::Browser;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

/// The first hashed script the designer's page loads.
fn entry_script(html: &str) -> String {
    let start = html.find("/designer/assets/").expect("an asset link");
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

#[tokio::test]
async fn designers_get_the_designer_and_its_assets() {
    for app in apps().await {
        for who in ["analyst", "admin"] {
            let mut b = Browser::signed_in(&app, who).await;
            let page = b.get("/designer/").await;
            assert_eq!(page.status, StatusCode::OK, "{who}");
            assert!(
                page.html.contains(r#"<div id="root"></div>"#),
                "{}",
                page.html
            );
            assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "no-cache");
            assert!(page.headers.get(header::ETAG).is_some());

            // The app's own routes (a reload deep inside it) answer the same page.
            let deep = b.get("/designer/apps/project-registration/flow/x").await;
            assert_eq!(deep.status, StatusCode::OK);
            assert_eq!(deep.html, page.html);

            let script = entry_script(&page.html);
            let res = b
                .send(
                    Request::builder()
                        .uri(&script)
                        .header(header::ACCEPT_ENCODING, "br, gzip"),
                    Body::empty(),
                )
                .await;
            assert_eq!(res.status, StatusCode::OK, "{script}");
            assert_eq!(
                res.headers.get(header::CACHE_CONTROL).unwrap(),
                "max-age=31536000, immutable"
            );
            assert_eq!(res.headers.get(header::CONTENT_ENCODING).unwrap(), "br");
            let etag = res.headers.get(header::ETAG).unwrap().clone();
            let again = b
                .send(
                    Request::builder()
                        .uri(&script)
                        .header(header::IF_NONE_MATCH, etag),
                    Body::empty(),
                )
                .await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED);

            let missing = b.get("/designer/assets/missing-0000.js").await;
            assert_eq!(missing.status, StatusCode::NOT_FOUND);
            assert!(!missing.html.contains("id=\"root\""));
        }
    }
}

#[tokio::test]
async fn others_get_a_403_page_and_visitors_sign_in_first() {
    for app in apps().await {
        let mut visitor = Browser::new(&app);
        let res = visitor.get("/designer/apps/x").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), "/login?next=%2Fdesigner%2Fapps%2Fx");
        assert_eq!(visitor.get("/designer").await.location(), "/designer/");

        let mut sales = Browser::signed_in(&app, "sales1").await;
        let page = sales.get("/designer/").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(
            page.html.contains("设计器只对管理员和应用设计者开放"),
            "{}",
            page.html
        );
        assert!(!page.html.contains("id=\"root\""));
        let home = sales.get("/").await;
        assert!(!home.html.contains("href=\"/designer/\""));

        let mut analyst = Browser::signed_in(&app, "analyst").await;
        let home = analyst.get("/").await;
        assert!(home.html.contains("href=\"/designer/\""), "{}", home.html);
    }
}
