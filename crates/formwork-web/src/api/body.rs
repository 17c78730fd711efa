//! A JSON body extractor whose rejections are Formwork errors (stable code, localized text).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use formwork_model::Text;
use formwork_model::validate::Problem;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, but a broken body answers `invalid_json` (400) or `invalid` (422).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(rejection_error(&rejection)),
        }
    }
}

fn rejection_error(rejection: &JsonRejection) -> ApiError {
    let detail = rejection.body_text();
    let (status, code) = match rejection {
        JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        JsonRejection::MissingJsonContentType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_json")
        }
        _ => (StatusCode::BAD_REQUEST, "invalid_json"),
    };
    let problem = Problem {
        pointer: String::new(),
        code: "invalid_body".to_owned(),
        message: Text(
            [("zh-CN", format!("请求内容有误：{detail}")), ("en", detail)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        ),
    };
    ApiError::new(status, code).with_fields(vec![problem])
}
