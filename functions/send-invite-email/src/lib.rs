//! send-invite-email: (re)sends an organization owner's invitation.
//!
//! For a pending invite it issues a fresh token (32 bytes from the CSPRNG, base64url),
//! stores only its SHA-256 — so the previous link stops working — and extends the
//! expiry, all in one RPC run with the caller's JWT (the database checks the caller is
//! a platform admin, or the service role). It then emails
//! `{APP_URL}/onboarding/join/{token}` through Resend and returns the link, so the
//! admin screen can show it even when the email could not be sent.

use onboarding::email::{self, send_email, ResendConfig, SendError};
use onboarding::invites::{self, invite_link, InviteToken};
use platform::config::Secret;
use platform::log::emit;
use platform::outbound::{HttpOutbound, Outbound};
use platform::request::{check_json_body, require_method, Fields};
use platform::{
    ApiError, Caller, Config, ConfigError, Db, EdgeFunction, Env, HttpRequest, HttpResponse,
    PostgrestDb,
};
use serde_json::json;

const NAME: &str = "send-invite-email";

pub struct SendInviteEmail<D, O> {
    db: D,
    outbound: O,
    resend: ResendConfig,
    app_url: String,
    ttl_hours: u64,
    limits: email::Limits,
}

pub use onboarding::email::DEFAULT_FROM;

impl<D: Db, O: Outbound> SendInviteEmail<D, O> {
    pub fn new(
        db: D,
        outbound: O,
        resend: ResendConfig,
        app_url: String,
        ttl_hours: u64,
        limits: email::Limits,
    ) -> Self {
        SendInviteEmail {
            db,
            outbound,
            resend,
            app_url,
            ttl_hours,
            limits,
        }
    }

    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        require_method(request, "POST")?;
        let jwt = request.bearer_jwt().ok_or(ApiError::Unauthorized)?;
        check_json_body(request)?;
        let invite_id = Fields::from_body(&request.body)?.only_uuid("invite_id")?;

        let token = InviteToken::generate();
        let issued = self
            .db
            .rpc(
                Caller::User(jwt),
                "issue_invite_token",
                &json!({ "p_invite_id": invite_id, "p_token_hash": token.hash(), "p_ttl_hours": self.ttl_hours }),
            )
            .await
            .map_err(invites::from_db)?;
        let link = invite_link(&self.app_url, &token);
        let invites::IssuedSend {
            email,
            send_attempt,
        } = invites::issued_invite_email(&invite_id.to_string(), &issued, &link)
            .ok_or(ApiError::Internal)?;
        let invite = json!({
            "invite_id": invite_id, "email": email.to, "link": link, "expires_at": issued.get("expires_at"),
        });

        let outcome = send_email(&self.outbound, &self.resend, &email, self.limits).await;
        // The invite's record and the caller get what happened, in our words; Resend's own
        // text goes to the log only.
        let recorded_error = outcome.as_ref().err().map(ToString::to_string);
        if let Err(error) = &outcome {
            emit(&json!({ "function": NAME, "event": "email_not_sent", "invite_id": invite_id, "error": error.to_string(), "upstream": error.log_detail() }).to_string());
        }
        let record = json!({ "p_invite_id": invite_id, "p_send_attempt": send_attempt, "p_error": recorded_error });
        if let Err(err) = self
            .db
            .rpc(Caller::ServiceRole, "record_invite_send", &record)
            .await
        {
            // The email went (or not) already; losing the bookkeeping is logged, not fatal.
            emit(&json!({ "function": NAME, "event": "record_send_failed", "error": err.to_string() }).to_string());
        }
        let error = match outcome {
            Ok(sent) => {
                let mut body = invite;
                body["email_id"] = json!(sent.id);
                body["attempts"] = json!(sent.attempts);
                return Ok(HttpResponse::json(200, &body));
            }
            Err(rejected @ SendError::Rejected { .. }) => ApiError::ServiceRejected {
                code: "email_rejected",
                message: format!("{rejected}; the invite is kept and its link works"),
            },
            Err(unavailable @ SendError::Unavailable { .. }) => ApiError::ServiceUnavailable {
                code: "email_unavailable",
                message: format!("{unavailable}; the invite is kept, send it again later"),
            },
        };
        // The link still works: the admin screen can show it as a fallback.
        Ok(HttpResponse::error_with(&error, Some(("invite", invite))))
    }
}

impl EdgeFunction for SendInviteEmail<PostgrestDb, HttpOutbound> {
    const NAME: &'static str = NAME;
    const CORS: bool = true;

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let config = Config::from_env(env)?;
        let resend = ResendConfig {
            api_url: env
                .optional("RESEND_API_URL")
                .map_or(Ok(email::DEFAULT_API_URL.to_owned()), |_| {
                    env.url("RESEND_API_URL")
                })?,
            api_key: Secret::new(env.required("RESEND_API_KEY")?),
            from: env
                .optional("INVITE_EMAIL_FROM")
                .unwrap_or_else(|| DEFAULT_FROM.to_owned()),
        };
        Ok(SendInviteEmail::new(
            PostgrestDb::new(&config),
            HttpOutbound::default(),
            resend,
            env.url("APP_URL")?,
            env.number("INVITE_TTL_HOURS", 72, 1..=720)?,
            email::DEFAULT_LIMITS,
        ))
    }

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        self.send(request).await
    }
}

#[cfg(target_arch = "wasm32")]
platform::export_to_deno!(crate::SendInviteEmail<platform::PostgrestDb, platform::outbound::HttpOutbound>);

/// The handler's orderings, on scripted fakes of the database and of Resend.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use platform::testing::{Journal, ScriptedDb, ScriptedOutbound};
    use platform::DbError;
    use serde_json::Value;

    const INVITE: &str = "c0ffee00-0000-4000-8000-000000000002";

    fn issued() -> Value {
        json!({"send_attempt": 2, "email": "owner@example.com", "organization_name": "Acme", "expires_at": "2026-12-01T00:00:00Z"})
    }

    fn handler(
        db: ScriptedDb,
        resend: ScriptedOutbound,
    ) -> SendInviteEmail<ScriptedDb, ScriptedOutbound> {
        let config = ResendConfig {
            api_url: "https://resend.test".into(),
            api_key: Secret::new("re_test"),
            from: DEFAULT_FROM.into(),
        };
        SendInviteEmail::new(
            db,
            resend,
            config,
            "https://app.test".into(),
            72,
            email::DEFAULT_LIMITS,
        )
    }

    fn request() -> HttpRequest {
        HttpRequest::new("POST")
            .with_header("authorization", "Bearer aaa.bbb.ccc")
            .with_body(json!({ "invite_id": INVITE }).to_string())
    }

    #[tokio::test]
    async fn the_token_is_issued_before_the_email_and_the_send_is_recorded_after() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal)
            .answer("issue_invite_token", Ok(issued()))
            .answer("record_invite_send", Ok(json!({})));
        let resend = ScriptedOutbound::new(&journal).status(200, r#"{"id":"email_1"}"#);
        let function = handler(db, resend);
        let response = function.send(&request()).await.unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(
            journal.entries(),
            [
                "rpc issue_invite_token",
                "post https://resend.test/emails",
                "rpc record_invite_send"
            ]
        );
        // Only the token's hash reaches the database; the link in the email carries it.
        let calls = function.db.calls();
        let hash = calls[0].args["p_token_hash"].as_str().unwrap().to_owned();
        let (email, _) = &function.outbound.requests()[0];
        let link = serde_json::from_str::<Value>(&response.body).unwrap()["link"]
            .as_str()
            .unwrap()
            .to_owned();
        let token = link.rsplit('/').next().unwrap();
        assert_eq!(hash, InviteToken::parse(token).unwrap().hash());
        assert!(email.body.contains(&link));
        assert!(!calls
            .iter()
            .any(|call| call.args.to_string().contains(token)));
        assert_eq!(calls[1].args["p_error"], Value::Null);
    }

    /// The email went out, then recording that failed: the caller still gets the link.
    #[tokio::test]
    async fn losing_the_record_of_a_sent_email_is_not_fatal() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal).answer("issue_invite_token", Ok(issued()));
        let resend = ScriptedOutbound::new(&journal).status(200, r#"{"id":"email_1"}"#);
        let response = handler(db, resend).send(&request()).await.unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(
            journal.entries().last().map(String::as_str),
            Some("rpc record_invite_send")
        );
    }

    /// The invite could not be issued: nothing is emailed.
    #[tokio::test]
    async fn no_email_without_an_issued_token() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal).answer(
            "issue_invite_token",
            Err(DbError::Rejected {
                status: 400,
                code: "P0001".into(),
                message: "invite_revoked".into(),
                details: None,
            }),
        );
        let error = handler(db, ScriptedOutbound::new(&journal))
            .send(&request())
            .await
            .unwrap_err();
        assert_eq!(error.code(), "invite_revoked");
        assert_eq!(journal.entries(), ["rpc issue_invite_token"]);
    }
}
