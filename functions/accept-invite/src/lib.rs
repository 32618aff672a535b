//! accept-invite: the signed-in invitee joins the inviting organization.
//!
//! One RPC (`public.accept_invite`) run with the caller's own JWT, so the database
//! knows who is accepting: in one transaction, with the invite row locked, it checks
//! the invite is pending and unexpired and that the caller's confirmed email is the
//! invited one, then creates the membership, marks the invite accepted and links the
//! profile. Accepting again returns the same membership; concurrent accepts of one
//! token yield exactly one.
//!
//! The same route serves the other ways in: a shareable invite link's token (the
//! database tells the two apart by the token's hash), and `{"invite_id": …}` for an
//! invite from `my_invites()` that was never emailed (a verified domain's), accepted only
//! by the signed-in user whose confirmed email it is for.

use onboarding::invites::{self, InviteToken};
use platform::request::{check_json_body, require_method, Fields};
use platform::{
    ApiError, Caller, Config, ConfigError, Db, EdgeFunction, Env, HttpRequest, HttpResponse,
    PostgrestDb,
};
use serde_json::json;
use uuid::Uuid;

/// What the invitee presents: a token from an email or a link, or the id of one of
/// their own pending invites.
enum Presented {
    Token(InviteToken),
    InviteId(Uuid),
}

impl Presented {
    fn from_body(body: &[u8]) -> Result<Self, ApiError> {
        let fields = Fields::from_body(body)?;
        match (
            fields.get("token").is_some(),
            fields.get("invite_id").is_some(),
        ) {
            (true, true) => Err(ApiError::InvalidPayload(
                "give token or invite_id, not both".into(),
            )),
            (false, true) => Ok(Presented::InviteId(fields.only_uuid("invite_id")?)),
            _ => {
                let token = fields.only_string("token", 1000)?;
                InviteToken::parse(&token)
                    .map(Presented::Token)
                    .ok_or_else(|| ApiError::InvalidPayload("token is malformed".into()))
            }
        }
    }
}

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
        let (function, args) = match Presented::from_body(&request.body)? {
            Presented::Token(token) => ("accept_invite", json!({ "p_token_hash": token.hash() })),
            Presented::InviteId(id) => ("accept_invite_by_id", json!({ "p_invite_id": id })),
        };
        let membership = self
            .db
            .rpc(Caller::User(jwt), function, &args)
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
