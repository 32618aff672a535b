//! The one error type a handler returns, and the one place it becomes an HTTP status.
//!
//! Every failure a caller can see is `{"error": {"code", "message"}}` with a stable,
//! documented `code`. Internal details (database messages, upstream bodies) are logged
//! by code only and never echoed, so nothing secret or personal leaks through an error.

use crate::db::DbError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("method {method} is not allowed; use {allowed}")]
    MethodNotAllowed {
        method: String,
        allowed: &'static str,
    },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("content-type must be application/json")]
    UnsupportedMediaType,
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    /// Well-formed JSON whose fields are missing or of the wrong type or shape.
    #[error("{0}")]
    InvalidPayload(String),
    /// A request the domain refuses as malformed, with a code of its own.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("missing or invalid credentials")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The thing existed but is no longer usable (expired, revoked).
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    /// Too many requests: try again after `retry_after` seconds (sent as `retry_after`
    /// in the body and as a `Retry-After` header).
    #[error("{message}")]
    RateLimited {
        code: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
    /// A third-party service refused what we sent; retrying will not help.
    #[error("{message}")]
    ServiceRejected { code: &'static str, message: String },
    /// A third-party service is down or kept failing; retrying later may help.
    #[error("{message}")]
    ServiceUnavailable { code: &'static str, message: String },
    /// The database or another dependency did not answer within its deadline.
    #[error("a dependency did not answer in time")]
    Timeout,
    /// A dependency answered with a fault of its own.
    #[error("a dependency failed")]
    Upstream,
    /// Our own fault: a bug or a broken invariant.
    #[error("internal error")]
    Internal,
}

/// A domain error a SQL function raises, by the one convention (CONTRIBUTING.md):
/// `raise exception using errcode = <SQLSTATE>, message = '<stable_code>'`. Each domain
/// keeps a table of these (generated from `openapi/errors.toml`); the SQLSTATE only sets
/// the status PostgREST gives callers of the RPC itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaisedError {
    /// The stable code: the SQL error's `message`.
    pub code: &'static str,
    /// The HTTP status a function answers it with.
    pub status: u16,
    /// What the function tells the caller.
    pub message: &'static str,
}

impl ApiError {
    /// The API error for a database error, using `table` for the codes the domain's SQL
    /// functions raise, and the generic mapping for everything else.
    pub fn from_db(error: DbError, table: &[RaisedError]) -> ApiError {
        if let DbError::Rejected {
            message, details, ..
        } = &error
        {
            if let Some(raised) = table.iter().find(|raised| raised.code == message) {
                if raised.status == 429 {
                    // The SQL puts {"retry_after": <seconds>} in the details.
                    let retry_after = details
                        .as_deref()
                        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                        .and_then(|d| d["retry_after"].as_u64());
                    return ApiError::RateLimited {
                        code: raised.code,
                        message: raised.message.to_owned(),
                        retry_after,
                    };
                }
                return ApiError::with_status(
                    raised.status,
                    raised.code,
                    raised.message.to_owned(),
                );
            }
        }
        error.into()
    }

    /// A domain error with its own code; 4xx statuses without a variant of their own
    /// become 400.
    pub fn with_status(status: u16, code: &'static str, message: String) -> ApiError {
        match status {
            403 => ApiError::Forbidden { code, message },
            404 => ApiError::NotFound { code, message },
            409 => ApiError::Conflict { code, message },
            410 => ApiError::Gone { code, message },
            _ => ApiError::Invalid { code, message },
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidJson(_) | ApiError::InvalidPayload(_) | ApiError::Invalid { .. } => {
                400
            }
            ApiError::Unauthorized => 401,
            ApiError::Forbidden { .. } => 403,
            ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::Gone { .. } => 410,
            ApiError::RateLimited { .. } => 429,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::Internal => 500,
            ApiError::Upstream | ApiError::ServiceRejected { .. } => 502,
            ApiError::ServiceUnavailable { .. } => 503,
            ApiError::Timeout => 504,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::InvalidPayload(_) => "invalid_payload",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Invalid { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Gone { code, .. }
            | ApiError::RateLimited { code, .. }
            | ApiError::ServiceRejected { code, .. }
            | ApiError::ServiceUnavailable { code, .. } => code,
            ApiError::Timeout => "upstream_timeout",
            ApiError::Upstream => "upstream_error",
            ApiError::Internal => "internal_error",
        }
    }
}

impl DbError {
    /// The error of a call made with the caller's own JWT to an RPC only the service role
    /// may execute (a dispatcher's claim): PostgREST refusing it (401 or 403) means the
    /// caller is not the service role.
    pub fn service_role_required(self) -> ApiError {
        match self {
            DbError::Rejected {
                status: 401 | 403, ..
            } => ApiError::Unauthorized,
            other => other.into(),
        }
    }
}

impl From<DbError> for ApiError {
    /// A database error that reaches here was not expected by the handler (expected
    /// ones, such as a unique violation meaning "already done", are matched earlier).
    fn from(err: DbError) -> Self {
        match err {
            // The caller's JWT was refused by PostgREST (expired, bad signature).
            DbError::Rejected { status: 401, .. } => ApiError::Unauthorized,
            DbError::Rejected { ref code, .. } if code == "42501" => ApiError::Forbidden {
                code: "forbidden",
                message: "you are not allowed to do this".into(),
            },
            DbError::Timeout => ApiError::Timeout,
            DbError::Unreachable(_) => ApiError::Upstream,
            DbError::Rejected { status, .. } if status >= 500 => ApiError::Upstream,
            DbError::Rejected { .. } | DbError::BadResponse(_) => ApiError::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_status_and_code() {
        let cases = [
            (ApiError::InvalidJson("eof".into()), 400, "invalid_json"),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::Timeout, 504, "upstream_timeout"),
            (ApiError::Upstream, 502, "upstream_error"),
            (ApiError::Internal, 500, "internal_error"),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status(), error.code()), (status, code), "{error:?}");
        }
    }

    #[test]
    fn raised_domain_codes_map_through_the_table() {
        const TABLE: &[RaisedError] = &[
            RaisedError {
                code: "thing_gone",
                status: 410,
                message: "the thing is gone",
            },
            RaisedError {
                code: "not_yours",
                status: 403,
                message: "not yours",
            },
        ];
        let raised = |code: &str, message: &str| DbError::Rejected {
            status: 400,
            code: code.into(),
            message: message.into(),
            details: None,
        };
        let gone = ApiError::from_db(raised("P0001", "thing_gone"), TABLE);
        assert_eq!(
            (gone.status(), gone.code(), gone.to_string()),
            (410, "thing_gone", "the thing is gone".into())
        );
        assert_eq!(
            ApiError::from_db(raised("42501", "not_yours"), TABLE).status(),
            403
        );
        assert_eq!(
            ApiError::from_db(raised("P0001", "unknown_code"), TABLE),
            ApiError::Internal
        );
        // A 429 keeps the retry_after the SQL put in the details.
        const LIMITED: &[RaisedError] = &[RaisedError {
            code: "rate_limited",
            status: 429,
            message: "slow down",
        }];
        let limited = ApiError::from_db(
            DbError::Rejected {
                status: 429,
                code: "PT429".into(),
                message: "rate_limited".into(),
                details: Some(r#"{"retry_after": 42}"#.into()),
            },
            LIMITED,
        );
        assert_eq!(
            limited,
            ApiError::RateLimited {
                code: "rate_limited",
                message: "slow down".into(),
                retry_after: Some(42),
            }
        );
        // The message decides, whatever SQLSTATE chose the status for direct callers.
        assert_eq!(
            ApiError::from_db(raised("P0002", "thing_gone"), TABLE).code(),
            "thing_gone"
        );
    }

    #[test]
    fn database_faults_map_without_leaking_their_text() {
        let rejected = DbError::Rejected {
            status: 400,
            code: "23514".into(),
            message: "secret detail".into(),
            details: None,
        };
        let api: ApiError = rejected.into();
        assert_eq!(api, ApiError::Internal);
        assert_eq!(ApiError::from(DbError::Timeout).status(), 504);
        assert_eq!(
            ApiError::from(DbError::Unreachable("refused".into())).status(),
            502
        );
    }
}
