//! Sign-in with OpenID Connect (issue 11 point 5), on SQLite and PostgreSQL: the callback
//! refuses an answer no sign-in of this browser is waiting for, the settings are checked before
//! serving, and the runtime links, matches, creates and refuses provider accounts in one
//! transaction. The whole walk against a real provider is `tests/browser/oidc.test.mjs`.

use std::sync::Arc;

use axum::http::StatusCode;
use formwork::sso::OidcArgs;
use formwork_runtime::{ExternalPolicy, ExternalRefusal, MatchClaim, NewUserInput, ProviderClaims};
use formwork_store::RoleId;
use formwork_web::{Oidc, OidcConfig, OidcSettings, WebConfig};

use crate::common::{Client, TestApp, apps};

/// A provider nobody answers for (port 9 on loopback: discard, closed here): only what Formwork
/// decides alone can pass.
fn silent_provider() -> Arc<Oidc> {
    let config = OidcConfig::from_settings(&OidcSettings {
        issuer: "http://127.0.0.1:9".into(),
        client_id: Some("formwork".into()),
        client_secret: Some("secret".into()),
        public_url: Some("http://127.0.0.1:8080".into()),
        claim: "preferred_username".into(),
        ..OidcSettings::default()
    })
    .unwrap();
    Arc::new(Oidc::new(config).unwrap())
}

fn client_with_oidc(app: &TestApp) -> Client {
    let config = WebConfig {
        oidc: Some(silent_provider()),
        ..WebConfig::default()
    };
    Client::new(formwork_web::app(app.runtime.clone(), &config))
}

#[tokio::test]
async fn the_login_page_offers_the_provider_only_when_configured() {
    for app in apps().await {
        let mut plain = app.client();
        let page = plain.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.text().contains("id=\"sso\""));
        assert_eq!(plain.get("/login/oidc").await.status, StatusCode::NOT_FOUND);

        let mut c = client_with_oidc(&app);
        let page = c.get("/login?next=%2Finbox").await;
        assert!(page.text().contains("使用企业账号登录"), "{}", page.text());
        // minijinja writes `/` as `&#x2f;` in attributes.
        let href = "href=\"&#x2f;login&#x2f;oidc?next=%2Finbox\"";
        assert!(page.text().contains(href), "{}", page.text());
    }
}

#[tokio::test]
async fn a_callback_no_sign_in_is_waiting_for_is_refused_without_a_session() {
    for app in apps().await {
        let mut c = client_with_oidc(&app);
        let res = c
            .get("/login/oidc/callback?code=stolen-code&state=guessed-state")
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert!(
            res.text().contains("没有正在进行的企业账号登录"),
            "{}",
            res.text()
        );
        assert_eq!(c.cookie(), None, "no session is created");
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);

        // Signed in with a password, a forged callback ends that session too rather than
        // leaving any sign-in state behind.
        c.login("sales1", crate::common::PASSWORD).await;
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::OK);
        let res = c.get("/login/oidc/callback?code=x&state=y").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_provider_that_does_not_answer_is_a_clear_502_page() {
    for app in apps().await {
        let mut c = client_with_oidc(&app);
        let res = c
            .send(
                axum::http::Method::GET,
                "/login/oidc",
                None,
                &[("accept-language", "en")],
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_GATEWAY);
        assert!(
            res.text()
                .contains("The identity provider cannot be reached right now"),
            "{}",
            res.text()
        );
    }
}

fn args(roles: &str) -> OidcArgs {
    OidcArgs {
        oidc_issuer: Some("https://sso.example.com/realms/acme".into()),
        oidc_client_id: Some("formwork".into()),
        oidc_client_secret: None,
        oidc_redirect_url: None,
        oidc_claim: "email".into(),
        oidc_create_users: true,
        oidc_new_user_roles: roles.into(),
        oidc_label: None,
    }
}

#[tokio::test]
async fn settings_are_checked_before_serving() {
    for app in apps().await {
        let public = Some("https://formwork.example.com");
        let ok = args("sales, finance")
            .build(public, &app.runtime)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            ok.config.redirect_url.as_str(),
            "https://formwork.example.com/login/oidc/callback"
        );
        assert_eq!(ok.config.claim, MatchClaim::Email);

        let err = args("sales,no_such_role")
            .build(public, &app.runtime)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("no_such_role"), "{err}");
        let err = args("").build(None, &app.runtime).await.unwrap_err();
        assert!(
            err.to_string().contains("FORMWORK_OIDC_REDIRECT_URL"),
            "{err}"
        );
        let mut no_issuer = args("");
        no_issuer.oidc_issuer = None;
        assert!(no_issuer.build(None, &app.runtime).await.unwrap().is_none());
    }
}

fn claims(subject: &str, username: &str) -> ProviderClaims {
    ProviderClaims {
        issuer: "https://sso.example.com".into(),
        subject: subject.into(),
        preferred_username: Some(username.into()),
        email: None,
        email_verified: None,
        name: None,
    }
}

fn by_username() -> ExternalPolicy {
    ExternalPolicy {
        claim: MatchClaim::PreferredUsername,
        create_with_roles: None,
    }
}

#[tokio::test]
async fn a_provider_account_is_matched_once_then_followed_by_its_link() {
    for app in apps().await {
        let rt = &app.runtime;
        let first = rt
            .external_sign_in(&claims("sub-1", "Sales1"), &by_username())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.username, "sales1");
        // Renamed at the provider: the link still finds sales1.
        let renamed = rt
            .external_sign_in(&claims("sub-1", "zhang.wei"), &by_username())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(renamed.id, first.id);
        // Another account of the provider calling itself sales1 cannot take the user over.
        let other = rt
            .external_sign_in(&claims("sub-2", "sales1"), &by_username())
            .await
            .unwrap();
        assert_eq!(other, Err(ExternalRefusal::LinkedElsewhere));
        // The same subject at another provider is another account.
        let mut elsewhere = claims("sub-1", "nobody-here");
        elsewhere.issuer = "https://other.example.com".into();
        assert_eq!(
            rt.external_sign_in(&elsewhere, &by_username())
                .await
                .unwrap(),
            Err(ExternalRefusal::Unknown)
        );
        // A suspended user is refused whatever the provider says.
        rt.set_suspended("sales1", true, None).await.unwrap();
        assert_eq!(
            rt.external_sign_in(&claims("sub-1", "sales1"), &by_username())
                .await
                .unwrap(),
            Err(ExternalRefusal::Suspended)
        );
        let mut no_claim = claims("sub-3", "x");
        no_claim.preferred_username = None;
        assert_eq!(
            rt.external_sign_in(&no_claim, &by_username())
                .await
                .unwrap(),
            Err(ExternalRefusal::ClaimMissing("preferred_username"))
        );
    }
}

#[tokio::test]
async fn unknown_people_are_created_with_the_configured_roles_when_allowed() {
    for app in apps().await {
        let rt = &app.runtime;
        let policy = ExternalPolicy {
            claim: MatchClaim::Email,
            create_with_roles: Some(vec![RoleId::parse("sales").unwrap()]),
        };
        let mut person = claims("sub-9", "Zhao.Liu");
        person.email = Some("zhao.liu@corp.example".into());
        person.email_verified = Some(true);
        person.name = Some("赵六".into());
        let created = rt
            .external_sign_in(&person, &policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(created.username, "zhao.liu");
        assert_eq!(created.display_name, "赵六");
        let caller = rt.session_caller(&created.id).await.unwrap();
        assert_eq!(
            caller.roles,
            vec![RoleId::parse("sales").unwrap()],
            "the directory sees the new member at once"
        );
        // No password signs the new user in.
        assert!(
            rt.login("zhao.liu", "", None, time::OffsetDateTime::now_utc())
                .await
                .is_err()
        );
        // Found again by its link, not created twice.
        let again = rt
            .external_sign_in(&person, &policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.id, created.id);

        // A new person whose username is taken by somebody the e-mail does not match.
        let mut clash = claims("sub-10", "sales2");
        clash.email = Some("someone.else@corp.example".into());
        assert_eq!(
            rt.external_sign_in(&clash, &policy).await.unwrap(),
            Err(ExternalRefusal::UsernameTaken("sales2".into()))
        );
        // An address the provider says is not verified matches nobody.
        let mut unverified = claims("sub-11", "x");
        unverified.email = Some("zhao.liu@corp.example".into());
        unverified.email_verified = Some(false);
        assert_eq!(
            rt.external_sign_in(&unverified, &policy).await.unwrap(),
            Err(ExternalRefusal::EmailUnverified)
        );
        // Without creation, an unknown address is refused.
        let closed = ExternalPolicy {
            claim: MatchClaim::Email,
            create_with_roles: None,
        };
        let mut stranger = claims("sub-12", "stranger");
        stranger.email = Some("stranger@corp.example".into());
        assert_eq!(
            rt.external_sign_in(&stranger, &closed).await.unwrap(),
            Err(ExternalRefusal::Unknown)
        );
    }
}

#[tokio::test]
async fn an_email_shared_by_two_users_matches_nobody_and_case_does_not_matter() {
    for app in apps().await {
        let rt = &app.runtime;
        for name in ["dup.one", "dup.two", "solo"] {
            let email = if name == "solo" {
                "Solo@Corp.Example"
            } else {
                "dup@corp.example"
            };
            rt.add_user(
                NewUserInput {
                    username: name.into(),
                    email: Some(email.into()),
                    password: "long enough password".into(),
                    ..NewUserInput::default()
                },
                None,
            )
            .await
            .unwrap();
        }
        let policy = ExternalPolicy {
            claim: MatchClaim::Email,
            create_with_roles: None,
        };
        let mut dup = claims("sub-20", "x");
        dup.email = Some("DUP@corp.example".into());
        assert_eq!(
            rt.external_sign_in(&dup, &policy).await.unwrap(),
            Err(ExternalRefusal::Ambiguous)
        );
        let mut solo = claims("sub-21", "x");
        solo.email = Some("solo@corp.example".into());
        let user = rt.external_sign_in(&solo, &policy).await.unwrap().unwrap();
        assert_eq!(user.username, "solo");
    }
}
