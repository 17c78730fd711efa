//! Formwork's own texts: one message catalog per language, and the caller's language.
//!
//! A missing translation falls back to zh-CN, never to the key.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

type Catalog = HashMap<String, String>;

static ZH: LazyLock<Catalog> = LazyLock::new(|| load(include_str!("../locales/zh-CN.json")));
static EN: LazyLock<Catalog> = LazyLock::new(|| load(include_str!("../locales/en.json")));

fn load(json: &str) -> Catalog {
    // The catalogs are compiled in and checked by a test, so an empty map is unreachable in
    // practice; it still degrades to the zh-CN fallback rather than panicking.
    serde_json::from_str(json).unwrap_or_default()
}

/// The language a response speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Picks from `?lang=`, the `formwork_lang` cookie, then `Accept-Language`; zh-CN otherwise.
    pub fn from_parts(parts: &Parts) -> Lang {
        Lang::detect(&parts.uri, &parts.headers)
    }

    /// Same as [`Lang::from_parts`], for middleware that holds a whole request.
    pub fn detect(uri: &axum::http::Uri, headers: &axum::http::HeaderMap) -> Lang {
        let query_lang = uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("lang="))
                .map(str::to_owned)
        });
        let cookie_lang = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("formwork_lang=").map(str::to_owned));
        if let Some(lang) = query_lang.or(cookie_lang) {
            return Lang::parse(&lang);
        }
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|first| Lang::parse(first.split(';').next().unwrap_or_default().trim()))
            .unwrap_or_default()
    }

    fn parse(tag: &str) -> Lang {
        if tag.to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    /// The message for `code` in this language or zh-CN, if the catalog has it.
    pub fn lookup(self, code: &str) -> Option<String> {
        let catalog = match self {
            Lang::ZhCn => &*ZH,
            Lang::En => &*EN,
        };
        catalog.get(code).or_else(|| ZH.get(code)).cloned()
    }

    /// The message for `code`, with `{name}` placeholders filled from `args`.
    pub fn message(self, code: &str, args: &[(&str, &str)]) -> String {
        let catalog = match self {
            Lang::ZhCn => &*ZH,
            Lang::En => &*EN,
        };
        let mut text = catalog
            .get(code)
            .or_else(|| ZH.get(code))
            .cloned()
            .unwrap_or_else(|| ZH.get("internal").cloned().unwrap_or_default());
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

/// The catalog words reports show (statuses, task actions), for `formwork-reports`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CatalogLabels;

impl formwork_runtime::reports::Labels for CatalogLabels {
    fn status(&self, lang: &str, status: &str) -> Option<String> {
        Lang::parse(lang).lookup(&format!("status.{status}"))
    }

    fn action(&self, lang: &str, action: &str) -> Option<String> {
        Lang::parse(lang).lookup(&format!("ui.action.{action}"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_parts(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_codes() {
        let mut zh: Vec<_> = ZH.keys().collect();
        let mut en: Vec<_> = EN.keys().collect();
        zh.sort();
        en.sort();
        assert!(!zh.is_empty());
        assert_eq!(zh, en);
    }

    #[test]
    fn placeholders_are_filled() {
        let m = Lang::En.message("too_many_attempts", &[("minutes", "15")]);
        assert_eq!(m, "Too many failed sign-ins; try again in 15 minutes");
    }

    #[test]
    fn accept_language_picks_english_and_defaults_to_chinese() {
        let req = axum::http::Request::builder()
            .header("accept-language", "en-US,en;q=0.9")
            .body(())
            .unwrap();
        assert_eq!(Lang::from_parts(&req.into_parts().0), Lang::En);
        let req = axum::http::Request::builder().body(()).unwrap();
        assert_eq!(Lang::from_parts(&req.into_parts().0), Lang::ZhCn);
    }
}
