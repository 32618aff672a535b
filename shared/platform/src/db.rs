//! The one seam between handlers and the database: PostgREST RPC calls.
//!
//! Every multi-row change is a SQL function executed in one transaction, so a handler
//! needs nothing but `rpc`. The trait has no `Send` bound on purpose: on wasm32 the
//! futures hold `Rc`s from wasm-bindgen and are `!Send`.

use crate::config::Config;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    #[error("database call exceeded its deadline")]
    Timeout,
    #[error("database unreachable: {0}")]
    Unreachable(String),
    /// PostgREST answered with an error. `code` is the SQLSTATE (e.g. `23505`) or a
    /// PostgREST code (`PGRST…`); `message` is for logs only, never for callers.
    #[error("database rejected the call ({status} {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
        /// PostgREST's `details`: by the SQL convention, what a caller may use
        /// (e.g. `{"retry_after": 42}` on a 429).
        details: Option<String>,
    },
    #[error("database answered with something that is not JSON: {0}")]
    BadResponse(String),
}

impl DbError {
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            DbError::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Whose privileges a call runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// The service role: for work the function itself is trusted to do.
    ServiceRole,
    /// The end user's own JWT, so that the database (`auth.uid()`, RLS, grants)
    /// decides what they may do, exactly as if they had called PostgREST themselves.
    User(&'a str),
}

#[allow(async_fn_in_trait)] // deliberately without Send: see the module docs
pub trait Db {
    /// Calls `public.<function>(args)` as `caller` and returns its JSON result.
    async fn rpc(&self, caller: Caller<'_>, function: &str, args: &Value)
        -> Result<Value, DbError>;
}

/// [`Db`] for PostgREST behind the project's gateway, with a deadline on every call:
/// natively through the `postgrest` crate (reqwest); in WebAssembly through the
/// platform's `fetch` (see [`crate::fetch`] for why). Every call carries the function's
/// own key in `apikey`; the caller's JWT, when it acts for a user, in `Authorization`;
/// for its own work, a secret key alone (the gateway supplies the `service_role` JWT) or
/// the legacy service-role JWT as the bearer too.
pub struct PostgrestDb {
    #[cfg(not(target_arch = "wasm32"))]
    client: postgrest::Postgrest,
    #[cfg(target_arch = "wasm32")]
    rest_url: String,
    server_key: crate::config::ServerKey,
    timeout_ms: u64,
}

impl PostgrestDb {
    pub fn new(config: &Config) -> Self {
        PostgrestDb {
            #[cfg(not(target_arch = "wasm32"))]
            client: postgrest::Postgrest::new(config.rest_url.clone())
                .insert_header("apikey", config.server_key.apikey()),
            #[cfg(target_arch = "wasm32")]
            rest_url: config.rest_url.clone(),
            server_key: config.server_key.clone(),
            timeout_ms: config.db_timeout_ms,
        }
    }

    /// The bearer token of a call: the user's JWT, or the function's own when it has one.
    fn bearer<'a>(&'a self, caller: Caller<'a>) -> Option<&'a str> {
        match caller {
            Caller::ServiceRole => self.server_key.bearer(),
            Caller::User(jwt) => Some(jwt),
        }
    }
}

impl Db for PostgrestDb {
    #[cfg(not(target_arch = "wasm32"))]
    async fn rpc(
        &self,
        caller: Caller<'_>,
        function: &str,
        args: &Value,
    ) -> Result<Value, DbError> {
        let builder = self.client.rpc(function, args.to_string());
        let request = match self.bearer(caller) {
            None => builder,
            Some(token) => builder.auth(token),
        }
        .build()
        .timeout(std::time::Duration::from_millis(self.timeout_ms));
        let call = async {
            let response = request
                .send()
                .await
                .map_err(|err| DbError::Unreachable(err.to_string()))?;
            let status = response.status().as_u16();
            let body = response
                .text()
                .await
                .map_err(|err| DbError::Unreachable(err.to_string()))?;
            parse_response(status, &body)
        };
        match crate::runtime::with_deadline(self.timeout_ms, call).await {
            Some(result) => result,
            None => Err(DbError::Timeout),
        }
    }

    #[cfg(target_arch = "wasm32")]
    async fn rpc(
        &self,
        caller: Caller<'_>,
        function: &str,
        args: &Value,
    ) -> Result<Value, DbError> {
        let authorization = self.bearer(caller).map(|token| format!("Bearer {token}"));
        let mut headers = vec![
            ("apikey", self.server_key.apikey()),
            ("content-type", "application/json"),
            ("accept", "application/json"),
        ];
        if let Some(authorization) = &authorization {
            headers.push(("authorization", authorization.as_str()));
        }
        let url = format!("{}/rpc/{function}", self.rest_url);
        match crate::fetch::fetch(
            "POST",
            &url,
            &headers,
            Some(&args.to_string()),
            self.timeout_ms,
        )
        .await
        {
            Ok(response) => parse_response(response.status, &response.body),
            Err(crate::fetch::FetchError::Timeout) => Err(DbError::Timeout),
            Err(crate::fetch::FetchError::Failed(reason)) => Err(DbError::Unreachable(reason)),
        }
    }
}

/// Turns a PostgREST answer into a value or a typed error.
pub fn parse_response(status: u16, body: &str) -> Result<Value, DbError> {
    if (200..300).contains(&status) {
        if body.trim().is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_str(body).map_err(|err| DbError::BadResponse(err.to_string()));
    }
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let field = |name: &str| parsed.get(name).and_then(Value::as_str).map(str::to_owned);
    Err(DbError::Rejected {
        status,
        code: field("code").unwrap_or_else(|| status.to_string()),
        message: field("message").unwrap_or_else(|| body.chars().take(200).collect()),
        details: field("details"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_bodies_parse_and_empty_is_null() {
        assert_eq!(parse_response(200, r#"{"a":1}"#).unwrap()["a"], 1);
        assert_eq!(parse_response(204, "").unwrap(), Value::Null);
        assert!(matches!(
            parse_response(200, "<html>"),
            Err(DbError::BadResponse(_))
        ));
    }

    #[test]
    fn postgrest_errors_keep_their_sqlstate() {
        let err = parse_response(
            409,
            r#"{"code":"23505","message":"duplicate key","details":null,"hint":null}"#,
        )
        .unwrap_err();
        assert_eq!(err.sqlstate(), Some("23505"));
        let err = parse_response(502, "Bad Gateway").unwrap_err();
        assert_eq!(
            err,
            DbError::Rejected {
                status: 502,
                code: "502".into(),
                message: "Bad Gateway".into(),
                details: None
            }
        );
    }
}
