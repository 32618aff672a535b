//! accept-invite: the signed-in invitee joins the inviting organization.
//!
//! One RPC (`public.accept_invite`) run with the caller's own JWT, so the database
//! knows who is accepting: in one transaction, with the invite row locked, it checks
//! the invite is pending and unexpired and that the caller's confirmed email is the
//! invited one, then creates the membership, marks the invite accepted and links the
//! profile. Accepting again returns the same membership; concurrent accepts of one
//! token yield exactly one.

use onboarding::invites::{self, InviteToken};
use platform::request::{check_json_body, require_method, Fields};
use platform::{
    ApiError, Caller, Config, ConfigError, Db, EdgeFunction, Env, HttpRequest, HttpResponse,
    PostgrestDb,
};
use serde_json::json;

pub struct AcceptInvite<D> {
    db: D,
}

impl<D: Db> AcceptInvite<D> {
    pub fn new(db: D) -> Self {
        AcceptInvite { db }
    }

    async fn accept(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        require_method(request, "POST")?;
        let jwt = request.bearer_jwt().ok_or(ApiError::Unauthorized)?;
        check_json_body(request)?;
        let token = Fields::from_body(&request.body)?.only_string("token", 1000)?;
        let token = InviteToken::parse(&token)
            .ok_or_else(|| ApiError::InvalidPayload("token is malformed".into()))?;
        let membership = self
            .db
            .rpc(
                Caller::User(jwt),
                "accept_invite",
                &json!({ "p_token_hash": token.hash() }),
            )
            .await
            .map_err(invites::from_db)?;
        Ok(HttpResponse::json(200, &membership))
    }
}

impl EdgeFunction for AcceptInvite<PostgrestDb> {
    const NAME: &'static str = "accept-invite";
    const CORS: bool = true;

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(AcceptInvite::new(PostgrestDb::new(&Config::from_env(env)?)))
    }

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        self.accept(request).await
    }
}

#[cfg(target_arch = "wasm32")]
platform::export_to_deno!(crate::AcceptInvite<platform::PostgrestDb>);
