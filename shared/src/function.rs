//! What an edge function is to the rest of the system: a name, a constructor from the
//! environment, and a request handler. Native tests and the Deno bridge both drive
//! functions through this trait, so they exercise the same code path.

use crate::config::{ConfigError, Env};
use crate::error::ApiError;
use crate::http::{HttpRequest, HttpResponse, MAX_BODY_BYTES};
use serde_json::{Map, Value};
use uuid::Uuid;

#[allow(async_fn_in_trait)] // deliberately without Send: wasm32 futures are !Send
pub trait EdgeFunction: Sized + 'static {
    /// The function's name as deployed (`/functions/v1/<NAME>`), used in log lines.
    const NAME: &'static str;

    /// Whether browsers call it directly (`fetch` from the app): then preflight
    /// `OPTIONS` requests are answered and responses carry CORS headers. Callers
    /// authenticate with bearer tokens, never cookies, so any origin may be allowed.
    const CORS: bool = false;

    /// Reads and validates the configuration once, at start.
    fn from_env(env: &Env) -> Result<Self, ConfigError>;

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError>;
}

/// The headers supabase-js sends, as Supabase's own CORS example allows them.
const CORS_HEADERS: [(&str, &str); 4] = [
    ("access-control-allow-origin", "*"),
    (
        "access-control-allow-headers",
        "authorization, x-client-info, apikey, content-type, x-request-id",
    ),
    ("access-control-allow-methods", "GET, POST, OPTIONS"),
    ("access-control-expose-headers", "x-request-id"),
];

/// Runs a handler and renders any error as the documented JSON error response.
pub async fn respond<F: EdgeFunction>(function: &F, request: &HttpRequest) -> HttpResponse {
    if F::CORS && request.method == "OPTIONS" {
        let preflight = HttpResponse {
            status: 204,
            ..Default::default()
        };
        return with_cors(preflight.with_header("access-control-max-age", "86400"));
    }
    let response = match function.handle(request).await {
        Ok(response) => response,
        Err(error) => error.to_response(),
    };
    finish::<F>(response)
}

/// An error met before the handler could run (an unreadable request, an instance that
/// was never configured), rendered as the handler's own errors are: with CORS headers
/// when browsers call the function, so the page can read it.
pub fn respond_error<F: EdgeFunction>(error: ApiError) -> HttpResponse {
    finish::<F>(error.to_response())
}

fn finish<F: EdgeFunction>(response: HttpResponse) -> HttpResponse {
    if F::CORS {
        with_cors(response)
    } else {
        response
    }
}

fn with_cors(response: HttpResponse) -> HttpResponse {
    CORS_HEADERS
        .iter()
        .fold(response, |response, (name, value)| {
            response.with_header(name, *value)
        })
}

/// The body as a JSON object, or the matching 400.
pub fn json_object(request: &HttpRequest) -> Result<Map<String, Value>, ApiError> {
    parse_json_object(&request.body)
}

/// Bytes as a JSON object: 400 `invalid_json` when they are not JSON, 400
/// `invalid_payload` when they are JSON but not an object.
pub fn parse_json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::InvalidPayload(
            "body must be a JSON object".into(),
        )),
        Err(err) => Err(ApiError::InvalidJson(err.to_string())),
    }
}

/// A required string field, named in the error when it is missing or not a string.
pub fn required_str<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a str, ApiError> {
    match object.get(field) {
        Some(Value::String(value)) => Ok(value),
        None | Some(Value::Null) => Err(ApiError::InvalidPayload(format!("{field} is required"))),
        Some(_) => Err(ApiError::InvalidPayload(format!(
            "{field} must be a string"
        ))),
    }
}

/// A required UUID field.
pub fn required_uuid(object: &Map<String, Value>, field: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(required_str(object, field)?)
        .map_err(|_| ApiError::InvalidPayload(format!("{field} must be a UUID")))
}

/// Refuses any method but `allowed` with 405 and an `Allow` header.
pub fn require_method(request: &HttpRequest, allowed: &'static str) -> Result<(), ApiError> {
    if request.method == allowed {
        return Ok(());
    }
    Err(ApiError::MethodNotAllowed {
        method: request.method.clone(),
        allowed,
    })
}

/// Checks a JSON body's size and declared type before it is parsed. Called after
/// authentication, so an anonymous caller learns nothing about what would be accepted.
pub fn check_json_body(request: &HttpRequest) -> Result<(), ApiError> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    // text/plain is what `fetch` sends for a string body when no type is given.
    let media_type = request.header("content-type").map(|value| {
        value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    match media_type.as_deref() {
        None | Some("" | "application/json" | "text/plain") => Ok(()),
        Some(_) => Err(ApiError::UnsupportedMediaType),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_helpers_name_the_field() {
        let request = HttpRequest::new("POST").with_body(json!({"a": 1, "id": "x"}).to_string());
        let object = json_object(&request).unwrap();
        assert_eq!(
            required_str(&object, "a"),
            Err(ApiError::InvalidPayload("a must be a string".into()))
        );
        assert_eq!(
            required_str(&object, "b"),
            Err(ApiError::InvalidPayload("b is required".into()))
        );
        assert_eq!(
            required_uuid(&object, "id"),
            Err(ApiError::InvalidPayload("id must be a UUID".into()))
        );
        let array = HttpRequest::new("POST").with_body("[1]");
        assert!(matches!(
            json_object(&array),
            Err(ApiError::InvalidPayload(_))
        ));
        let broken = HttpRequest::new("POST").with_body("{");
        assert!(matches!(
            json_object(&broken),
            Err(ApiError::InvalidJson(_))
        ));
    }

    #[test]
    fn method_and_body_checks() {
        let get = HttpRequest::new("GET");
        assert!(matches!(
            require_method(&get, "POST"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert_eq!(require_method(&HttpRequest::new("post"), "POST"), Ok(()));
        let big = HttpRequest::new("POST").with_body(vec![b' '; MAX_BODY_BYTES + 1]);
        assert!(matches!(
            check_json_body(&big),
            Err(ApiError::PayloadTooLarge { .. })
        ));
        let form = HttpRequest::new("POST")
            .with_header("Content-Type", "application/x-www-form-urlencoded");
        assert_eq!(check_json_body(&form), Err(ApiError::UnsupportedMediaType));
        let plain =
            HttpRequest::new("POST").with_header("Content-Type", "text/plain;charset=UTF-8");
        assert_eq!(check_json_body(&plain), Ok(()));
        let json =
            HttpRequest::new("POST").with_header("Content-Type", "application/json; charset=utf-8");
        assert_eq!(check_json_body(&json), Ok(()));
        assert_eq!(check_json_body(&HttpRequest::new("POST")), Ok(()));
    }
}
