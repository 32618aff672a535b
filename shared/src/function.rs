//! What an edge function is to the rest of the system: a name, a constructor from the
//! environment, and a request handler. Native tests and the Deno bridge both drive
//! functions through this trait, so they exercise the same code path.

use crate::config::{ConfigError, Env};
use crate::error::ApiError;
use crate::http::{HttpRequest, HttpResponse, MAX_BODY_BYTES};

#[allow(async_fn_in_trait)] // deliberately without Send: wasm32 futures are !Send
pub trait EdgeFunction: Sized + 'static {
    /// The function's name as deployed (`/functions/v1/<NAME>`), used in log lines.
    const NAME: &'static str;

    /// Reads and validates the configuration once, at start.
    fn from_env(env: &Env) -> Result<Self, ConfigError>;

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError>;
}

/// Runs a handler and renders any error as the documented JSON error response.
pub async fn respond<F: EdgeFunction>(function: &F, request: &HttpRequest) -> HttpResponse {
    match function.handle(request).await {
        Ok(response) => response,
        Err(error) => error.to_response(),
    }
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
