//! Plain request and response types: the HTTP edge as data, so handlers can be called
//! from native tests exactly as the WebAssembly bridge calls them inside Deno.

use crate::error::ApiError;
use serde::Serialize;
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// Bodies above this are refused with 413 before anything is parsed. Supabase webhook
/// payloads and browser requests of these functions are a few kilobytes at most.
pub const MAX_BODY_BYTES: usize = 128 * 1024;

#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub method: String,
    /// The URL path, e.g. `/functions/v1/user-onboarding/callback` locally or
    /// `/user-onboarding/callback` on Supabase; routes match on its last segment.
    pub path: String,
    /// The query string, without the `?` (empty when there is none).
    pub query: String,
    /// Header names are stored lower-case; lookups are case-insensitive.
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn new(method: impl Into<String>) -> Self {
        HttpRequest {
            method: method.into().to_ascii_uppercase(),
            ..Default::default()
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The last segment of the path (`callback` for `/user-onboarding/callback`).
    pub fn route(&self) -> &str {
        self.path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
    }

    pub fn with_query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    /// The first value of a query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The token of an `Authorization: Bearer <token>` header, if there is one.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }

    /// A bearer token shaped like a JWT (three base64url segments). Anything else is
    /// refused before it is forwarded anywhere.
    pub fn bearer_jwt(&self) -> Option<&str> {
        let token = self.bearer_token()?;
        let segments: Vec<&str> = token.split('.').collect();
        let base64url = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (segments.len() == 3 && token.len() <= 8192 && segments.iter().all(|s| base64url(s)))
            .then_some(token)
    }

    /// A caller-supplied request id is echoed only when it is short and plain, so it
    /// cannot be used to smuggle text into log lines.
    pub fn caller_request_id(&self) -> Option<&str> {
        ["x-request-id", "sb-request-id"]
            .iter()
            .filter_map(|name| self.header(name))
            .find(|id| {
                !id.is_empty()
                    && id.len() <= 64
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    }
}

/// What produces a body piece by piece while it is being sent, so a large answer (an
/// organization's export) never sits in memory whole.
pub trait ChunkSource {
    /// The next piece, `None` once there is no more. An error ends the body early.
    fn next_chunk(&self) -> Pin<Box<dyn Future<Output = Result<Option<String>, ApiError>> + '_>>;
}

/// A body sent as its [`ChunkSource`] produces it.
#[derive(Clone)]
pub struct BodyStream(pub Rc<dyn ChunkSource>);

impl std::fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodyStream(…)")
    }
}

impl PartialEq for BodyStream {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for BodyStream {}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Goes into the request's log line, never to the caller: the id that ties the
    /// request to the rest of its flow (an onboarding's correlation id).
    pub correlation_id: Option<String>,
    /// When set, the body is this stream's pieces (and `body` is empty).
    pub stream: Option<BodyStream>,
}

impl HttpResponse {
    /// The one shape of an error, `{"error": {"code", "message"}}`, with the error's
    /// status and the headers it implies (`Allow`, `WWW-Authenticate`, `Retry-After`).
    pub fn error(error: &ApiError) -> Self {
        Self::error_with(error, None)
    }

    /// The error response with one more top-level field, e.g. what the caller can
    /// still use although the request failed.
    pub fn error_with(error: &ApiError, extra: Option<(&str, serde_json::Value)>) -> Self {
        let mut body = json!({ "error": { "code": error.code(), "message": error.to_string() } });
        if let ApiError::RateLimited {
            retry_after: Some(seconds),
            ..
        } = error
        {
            body["error"]["retry_after"] = json!(seconds);
        }
        if let Some((key, value)) = extra {
            body[key] = value;
        }
        let response = HttpResponse::json(error.status(), &body);
        match error {
            ApiError::MethodNotAllowed { allowed, .. } => response.with_header("allow", *allowed),
            ApiError::Unauthorized => response.with_header("www-authenticate", "Bearer"),
            ApiError::RateLimited {
                retry_after: Some(seconds),
                ..
            } => response.with_header("retry-after", seconds.to_string()),
            _ => response,
        }
    }

    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        // Serialising our own response types cannot fail (string keys, no maps of
        // non-string keys); the fallback keeps the edge panic-free regardless.
        let body = serde_json::to_string(value).unwrap_or_else(|_| {
            r#"{"error":{"code":"internal_error","message":"response could not be encoded"}}"#
                .to_owned()
        });
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
            correlation_id: None,
            stream: None,
        }
    }

    /// A body produced piece by piece while it is sent.
    pub fn streamed(status: u16, content_type: &str, source: impl ChunkSource + 'static) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            stream: Some(BodyStream(Rc::new(source))),
            ..Default::default()
        }
    }

    /// The whole body: `body`, or every piece of the stream (how native callers read a
    /// streamed answer).
    pub async fn collect_body(&self) -> Result<String, ApiError> {
        let Some(BodyStream(source)) = &self.stream else {
            return Ok(self.body.clone());
        };
        let mut body = self.body.clone();
        while let Some(chunk) = source.next_chunk().await? {
            body.push_str(&chunk);
        }
        Ok(body)
    }

    pub fn with_correlation_id(mut self, id: impl ToString) -> Self {
        self.correlation_id = Some(id.to_string());
        self
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Statuses the Fetch standard forbids a body for (101, 103, 204, 205, 304).
    pub fn has_null_body_status(&self) -> bool {
        matches!(self.status, 101 | 103 | 204 | 205 | 304)
    }
}

/// The value of header `name` (any case) among `headers`, whose names are kept lowercase.
fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let name = name.to_ascii_lowercase();
    headers
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_renders_the_documented_shape() {
        let cases = [
            (ApiError::InvalidJson("eof".into()), 400, "invalid_json"),
            (
                ApiError::InvalidPayload("record.id is required".into()),
                400,
                "invalid_payload",
            ),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (
                ApiError::MethodNotAllowed {
                    method: "GET".into(),
                    allowed: "POST",
                },
                405,
                "method_not_allowed",
            ),
            (
                ApiError::PayloadTooLarge { limit: 10 },
                413,
                "payload_too_large",
            ),
            (
                ApiError::UnsupportedMediaType,
                415,
                "unsupported_media_type",
            ),
            (
                ApiError::NotFound {
                    code: "user_not_found",
                    message: "no such user".into(),
                },
                404,
                "user_not_found",
            ),
            (ApiError::Timeout, 504, "upstream_timeout"),
            (ApiError::Upstream, 502, "upstream_error"),
            (ApiError::Internal, 500, "internal_error"),
        ];
        for (error, status, code) in cases {
            let response = HttpResponse::error(&error);
            assert_eq!(response.status, status, "{error:?}");
            let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
            assert_eq!(body["error"]["code"], code);
            assert_eq!(body["error"]["message"], error.to_string());
            assert_eq!(response.header("content-type"), Some("application/json"));
        }
    }

    #[test]
    fn method_not_allowed_says_what_is() {
        let response = HttpResponse::error(&ApiError::MethodNotAllowed {
            method: "PUT".into(),
            allowed: "POST",
        });
        assert_eq!(response.header("allow"), Some("POST"));
    }

    #[test]
    fn a_rate_limit_says_when_to_come_back() {
        let response = HttpResponse::error(&ApiError::RateLimited {
            code: "rate_limited",
            message: "slow down".into(),
            retry_after: Some(42),
        });
        assert_eq!(
            (response.status, response.header("retry-after")),
            (429, Some("42"))
        );
        assert!(
            response.body.contains(r#""retry_after":42"#),
            "{}",
            response.body
        );
    }

    #[test]
    fn an_error_keeps_no_database_text() {
        let api: ApiError = crate::db::DbError::Rejected {
            status: 400,
            code: "23514".into(),
            message: "secret detail".into(),
            details: None,
        }
        .into();
        assert!(!HttpResponse::error(&api).body.contains("secret detail"));
    }

    /// Three pieces, then the end.
    struct Countdown(std::cell::Cell<u8>);

    impl ChunkSource for Countdown {
        fn next_chunk(
            &self,
        ) -> Pin<Box<dyn Future<Output = Result<Option<String>, ApiError>> + '_>> {
            let left = self.0.get();
            self.0.set(left.saturating_sub(1));
            Box::pin(async move { Ok((left > 0).then(|| left.to_string())) })
        }
    }

    #[test]
    fn a_streamed_body_is_its_pieces_in_order() {
        let response =
            HttpResponse::streamed(200, "text/plain", Countdown(std::cell::Cell::new(3)));
        assert_eq!(response.header("content-type"), Some("text/plain"));
        let body = futures_util::FutureExt::now_or_never(response.collect_body());
        assert_eq!(body.map(Result::ok), Some(Some("321".to_owned())));
    }

    #[test]
    fn bearer_token_is_case_insensitive_on_scheme_and_rejects_others() {
        let req = HttpRequest::new("post").with_header("Authorization", "bearer abc.def");
        assert_eq!(req.bearer_token(), Some("abc.def"));
        assert_eq!(req.method, "POST");
        let basic = HttpRequest::new("POST").with_header("authorization", "Basic abc");
        assert_eq!(basic.bearer_token(), None);
        let empty = HttpRequest::new("POST").with_header("authorization", "Bearer ");
        assert_eq!(empty.bearer_token(), None);
    }

    #[test]
    fn bearer_jwt_accepts_only_jwt_shapes() {
        let jwt = HttpRequest::new("POST").with_header("authorization", "Bearer aGVs.bG8_-.c2ln");
        assert_eq!(jwt.bearer_jwt(), Some("aGVs.bG8_-.c2ln"));
        for bad in [
            "Bearer opaque-secret",
            "Bearer a.b",
            "Bearer a.b.c.d",
            "Bearer a.b!.c",
        ] {
            let request = HttpRequest::new("POST").with_header("authorization", bad);
            assert_eq!(request.bearer_jwt(), None, "{bad}");
        }
    }

    #[test]
    fn route_is_the_last_path_segment() {
        assert_eq!(
            HttpRequest::new("POST")
                .with_path("/functions/v1/user-onboarding/callback/")
                .route(),
            "callback"
        );
        assert_eq!(
            HttpRequest::new("POST")
                .with_path("/user-onboarding")
                .route(),
            "user-onboarding"
        );
        assert_eq!(HttpRequest::new("POST").route(), "");
    }

    #[test]
    fn query_params_are_decoded() {
        let request = HttpRequest::new("GET").with_query("a=1&token=ab%2Dc+d&token=second");
        assert_eq!(request.query_param("token").as_deref(), Some("ab-c d"));
        assert_eq!(request.query_param("missing"), None);
    }

    #[test]
    fn caller_request_id_must_be_plain() {
        let ok = HttpRequest::new("GET").with_header("X-Request-Id", "abc-123_X");
        assert_eq!(ok.caller_request_id(), Some("abc-123_X"));
        let bad = HttpRequest::new("GET").with_header("x-request-id", "a\"b\ninjected");
        assert_eq!(bad.caller_request_id(), None);
    }
}
