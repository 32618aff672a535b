//! validate-invite: the public preview behind an invitation link.
//!
//! Anyone holding the link may see what it invites to — the organization's name, plan,
//! enabled features and the invited email (for the read-only signup field) — and
//! nothing changes: email link scanners that open it leave the invitation as it was.
//! A shareable invite link's token is previewed the same way, with `kind: "link"` (and
//! no email: a link is not bound to one). A malformed token is refused before any
//! database work.

use onboarding::invites::{self, InviteToken};
use platform::request::{check_json_body, Fields};
use platform::{
    ApiError, Caller, Config, ConfigError, Db, EdgeFunction, Env, HttpRequest, HttpResponse,
    PostgrestDb,
};
use serde_json::json;

pub struct ValidateInvite<D> {
    db: D,
}

impl<D: Db> ValidateInvite<D> {
    pub fn new(db: D) -> Self {
        ValidateInvite { db }
    }

    async fn validate(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let token = match request.method.as_str() {
            "GET" => request
                .query_param("token")
                .ok_or_else(|| ApiError::InvalidPayload("token is required".into()))?,
            "POST" => {
                check_json_body(request)?;
                Fields::from_body(&request.body)?.only_string("token", 1000)?
            }
            other => {
                return Err(ApiError::MethodNotAllowed {
                    method: other.to_owned(),
                    allowed: "GET, POST",
                })
            }
        };
        let token = InviteToken::parse(&token).ok_or_else(|| {
            ApiError::InvalidPayload(format!(
                "token is malformed: expected {} characters of base64url",
                invites::TOKEN_LEN
            ))
        })?;
        let preview = self
            .db
            .rpc(
                Caller::ServiceRole,
                "validate_invite",
                &json!({ "p_token_hash": token.hash() }),
            )
            .await
            .map_err(invites::from_db)?;
        Ok(HttpResponse::json(200, &preview))
    }
}

impl EdgeFunction for ValidateInvite<PostgrestDb> {
    const NAME: &'static str = "validate-invite";
    const CORS: bool = true;

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(ValidateInvite::new(PostgrestDb::new(&Config::from_env(
            env,
        )?)))
    }

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        self.validate(request).await
    }
}

#[cfg(target_arch = "wasm32")]
platform::export_to_deno!(crate::ValidateInvite<platform::PostgrestDb>);
