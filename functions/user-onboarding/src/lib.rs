//! user-onboarding: a tenant's complainants and executors join over Telegram, through
//! a Make scenario (seed 003). One function, the seed's three routes:
//!
//! - `POST …/user-onboarding/request` — a tenant admin (their JWT) starts or resends an
//!   onboarding. One RPC writes the pending state, the "Queued" notification, the event
//!   and the outbox message in one transaction; the message is then delivered at once
//!   if Make answers, and by the dispatcher otherwise. Always `202 {status: "queued"}`.
//! - `POST …/user-onboarding/callback` — Make reports the confirmed chat id, or a
//!   failure; authenticated by `MAKE_ONBOARDING_CALLBACK_TOKEN`.
//! - `POST …/user-onboarding/dispatch` — drains due outbox messages (pg_cron calls it
//!   with the project's secret key); retries with backoff, gives up into a failed
//!   onboarding and an error notification.

use futures_util::future::join_all;
use onboarding::tenant_users::{
    self, deliver, parse_callback, parse_request, Callback, Delivery, Leased, MakeConfig,
};
use platform::config::ServerKeys;
use platform::log::emit;
use platform::outbound::{HttpOutbound, Outbound};
use platform::request::{check_json_body, require_method};
use platform::secrets::{server_caller, sha256_hex, CallerSecret};
use platform::{
    runtime, ApiError, Caller, Config, ConfigError, Db, DbError, EdgeFunction, Env, HttpRequest,
    HttpResponse, PostgrestDb,
};
use serde_json::json;

const NAME: &str = "user-onboarding";

/// How many due messages one dispatcher run claims, and how long it holds them.
const DISPATCH_BATCH: u32 = 20;

pub struct UserOnboarding<D, O> {
    db: D,
    outbound: O,
    /// `None` while Make is not configured: requests are queued, delivery waits.
    make: Option<MakeConfig>,
    /// What Make presents on callbacks.
    callback_token: CallerSecret,
    /// What the dispatcher's scheduler may present.
    server_keys: ServerKeys,
}

impl<D: Db, O: Outbound> UserOnboarding<D, O> {
    pub fn new(
        db: D,
        outbound: O,
        make: Option<MakeConfig>,
        callback_token: CallerSecret,
        server_keys: ServerKeys,
    ) -> Self {
        UserOnboarding {
            db,
            outbound,
            make,
            callback_token,
            server_keys,
        }
    }

    async fn route(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        match request.route() {
            "request" => self.request(request).await,
            "callback" => self.callback(request).await,
            "dispatch" => self.dispatch(request).await,
            _ => Err(ApiError::NotFound {
                code: "not_found",
                message: "use /user-onboarding/request, /callback or /dispatch".into(),
            }),
        }
    }

    async fn request(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        require_method(request, "POST")?;
        let jwt = request.bearer_jwt().ok_or(ApiError::Unauthorized)?;
        check_json_body(request)?;
        let onboarding = parse_request(&request.body)?;
        let correlation_id = onboarding.correlation_id;
        // 32 bytes from the CSPRNG, base64url: 43 characters, within Telegram's 64.
        let start_token = platform::secrets::new_token();
        let queued = match self
            .db
            .rpc(
                Caller::User(jwt),
                "request_user_onboarding",
                &json!({ "p_payload": onboarding.payload, "p_start_token": start_token, "p_resend": onboarding.resend }),
            )
            .await
        {
            Ok(queued) => queued,
            Err(err) => return Ok(refused(err, correlation_id)),
        };
        if let Some(message) = Leased::from_json(&queued) {
            // Whatever Make does, the message is safe in the outbox: the answer is 202.
            match &self.make {
                Some(make) => {
                    self.attempt(make, &message).await;
                }
                None => self.hold(&message).await,
            }
        }
        Ok(HttpResponse::json(
            202,
            &json!({ "status": "queued", "correlation_id": correlation_id }),
        )
        .with_correlation_id(correlation_id))
    }

    async fn callback(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        require_method(request, "POST")?;
        self.callback_token.require(request)?;
        check_json_body(request)?;
        let callback = parse_callback(&request.body)?;
        let correlation_id = callback.correlation_id();
        let (function, args) = match &callback {
            Callback::Completed {
                correlation_id,
                email,
                chat_id,
                telegram_user_id,
                start_token,
            } => (
                "complete_user_onboarding",
                // Only the token's hash leaves the function; the database compares hashes.
                json!({ "p_correlation_id": correlation_id, "p_email": email, "p_chat_id": chat_id,
                        "p_telegram_user_id": telegram_user_id, "p_start_token_hash": sha256_hex(start_token) }),
            ),
            Callback::AwaitingChat { correlation_id } => (
                "mark_onboarding_awaiting_chat",
                json!({ "p_correlation_id": correlation_id }),
            ),
            Callback::Failed {
                correlation_id,
                error,
                reason,
            } => (
                "fail_user_onboarding",
                json!({ "p_correlation_id": correlation_id, "p_error": error, "p_reason": reason }),
            ),
        };
        let mut body = match self.db.rpc(Caller::ServiceRole, function, &args).await {
            Ok(result) => result,
            Err(err) => return Ok(refused(err, correlation_id)),
        };
        if body["refused"] == "start_token_mismatch" {
            // Recorded as a warning on the timeline; nothing was bound.
            return Err(ApiError::Forbidden {
                code: "start_token_mismatch",
                message: "the start token is not this onboarding's".into(),
            });
        }
        body["correlation_id"] = json!(correlation_id);
        Ok(HttpResponse::json(200, &body).with_correlation_id(correlation_id))
    }

    /// The scheduler presents the project's secret key (or, while legacy keys are on, a
    /// service-role JWT: any valid one, not one exact string). A JWT is not judged here:
    /// the claim runs with it, so PostgREST verifies its signature and expiry, and only
    /// the service role may execute `claim_onboarding_outbox`: anything else is refused.
    async fn dispatch(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        require_method(request, "POST")?;
        let caller = server_caller(request, &self.server_keys)?;
        let Some(make) = &self.make else {
            // Credentials first: a presented JWT is the database's to judge, even when
            // there is nothing to claim.
            if let Caller::User(_) = caller {
                self.db
                    .rpc(caller, "confirm_service_role", &json!({}))
                    .await
                    .map_err(DbError::service_role_required)?;
            }
            // Nothing is claimed: the queued messages stay due until Make is configured.
            return Ok(HttpResponse::json(
                200,
                &json!({ "claimed": 0, "delivered": 0, "retried": 0, "dead": 0,
                         "waiting": MAKE_NOT_CONFIGURED }),
            ));
        };
        let lease_seconds = make.timeout_ms / 1000 + 10;
        let claimed = self
            .db
            .rpc(
                caller,
                "claim_onboarding_outbox",
                &json!({ "p_limit": DISPATCH_BATCH, "p_lease_seconds": lease_seconds }),
            )
            .await
            .map_err(DbError::service_role_required)?;
        let messages: Vec<Leased> = claimed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Leased::from_json)
            .collect();
        let outcomes = join_all(messages.iter().map(|message| self.attempt(make, message))).await;
        let count = |outcome: &str| {
            outcomes
                .iter()
                .filter(|o| o.as_deref() == Some(outcome))
                .count()
        };
        Ok(HttpResponse::json(
            200,
            &json!({
                "claimed": messages.len(),
                "delivered": count("delivered"),
                "retried": count("retry"),
                "dead": count("dead"),
            }),
        ))
    }

    /// One delivery attempt of a leased message, and its report. Returns the outcome,
    /// or `None` when the report did not reach the database (the lease then runs out
    /// and the message is tried again).
    async fn attempt(&self, make: &MakeConfig, message: &Leased) -> Option<&'static str> {
        let delivery = deliver(&self.outbound, make, message, runtime::random_fraction()).await;
        let report = self
            .db
            .rpc(
                Caller::ServiceRole,
                "report_onboarding_delivery",
                &delivery.report_args(message),
            )
            .await;
        let error = match (&delivery, &report) {
            (_, Err(err)) => Some(err.to_string()),
            (Delivery::Retry { error, .. } | Delivery::Dead { error }, _) => Some(error.clone()),
            _ => None,
        };
        emit(
            &json!({
                "function": NAME, "event": "make_delivery", "correlation_id": message.correlation_id,
                "attempt": message.attempt, "outcome": delivery.outcome(), "reported": report.is_ok(), "error": error,
            })
            .to_string(),
        );
        report.ok().map(|_| delivery.outcome())
    }
}

/// Why a queued message was not attempted, as the timeline and the dispatcher say it.
const MAKE_NOT_CONFIGURED: &str = "make_not_configured";

impl<D: Db, O: Outbound> UserOnboarding<D, O> {
    /// Make is not configured: the leased message is handed back to the outbox (still
    /// due, the attempt not counted) and the tenant is told why it waits. If this report
    /// fails, the lease runs out and the dispatcher finds it all the same.
    async fn hold(&self, message: &Leased) {
        let held = self
            .db
            .rpc(
                Caller::ServiceRole,
                "hold_onboarding_delivery",
                &json!({ "p_outbox_id": message.outbox_id, "p_attempt": message.attempt,
                         "p_reason": MAKE_NOT_CONFIGURED }),
            )
            .await;
        emit(
            &json!({
                "function": NAME, "event": "make_delivery", "correlation_id": message.correlation_id,
                "attempt": message.attempt, "outcome": "waiting", "reason": MAKE_NOT_CONFIGURED,
                "reported": held.is_ok(), "error": held.err().map(|err| err.to_string()),
            })
            .to_string(),
        );
    }
}

/// The error response for a refused onboarding call, keeping the correlation id for
/// the request's log line.
fn refused(error: platform::DbError, correlation_id: impl ToString) -> HttpResponse {
    HttpResponse::error(&tenant_users::from_db(error)).with_correlation_id(correlation_id)
}

impl EdgeFunction for UserOnboarding<PostgrestDb, HttpOutbound> {
    const NAME: &'static str = NAME;
    const CORS: bool = true;

    /// The seed's variables: `MAKE_USER_ONBOARDING_WEBHOOK_URL`, and
    /// `MAKE_ONBOARDING_CALLBACK_TOKEN`, which falls back to the project's server keys.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let config = Config::from_env(env)?;
        let callback_token =
            CallerSecret::from_env(env, "MAKE_ONBOARDING_CALLBACK_TOKEN", &config.server_keys);
        Ok(UserOnboarding::new(
            PostgrestDb::new(&config),
            HttpOutbound::default(),
            MakeConfig::from_env(env)?,
            callback_token,
            config.server_keys,
        ))
    }

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        self.route(request).await
    }
}

#[cfg(target_arch = "wasm32")]
platform::export_to_deno!(crate::UserOnboarding<platform::PostgrestDb, platform::outbound::HttpOutbound>);

/// The handler's orderings, on scripted fakes of the database and of Make.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use platform::retry::Backoff;
    use platform::testing::{Journal, ScriptedDb, ScriptedOutbound};

    const MAKE: &str = "https://hook.make.test/onboarding";

    #[allow(clippy::unwrap_used)] // a helper of the tests: a freshly generated secret
    fn make() -> MakeConfig {
        MakeConfig {
            webhook_url: MAKE.into(),
            signing_secret: platform::signing::WebhookSecret::parse(
                &platform::signing::WebhookSecret::generate(),
            )
            .unwrap(),
            timeout_ms: 1_000,
            backoff: Backoff {
                max_attempts: 3,
                base_ms: 10,
                max_delay_ms: 100,
            },
        }
    }

    fn leased(attempt: u32) -> serde_json::Value {
        json!([{ "outbox_id": 7, "correlation_id": "c0ffee00-0000-4000-8000-000000000001",
                 "attempt": attempt, "payload": {"event_type": "x"} }])
    }

    fn dispatch_request() -> HttpRequest {
        HttpRequest::new("POST")
            .with_path("/user-onboarding/dispatch")
            .with_header("authorization", "Bearer aaa.bbb.ccc")
    }

    fn handler(
        db: ScriptedDb,
        make_answers: ScriptedOutbound,
    ) -> UserOnboarding<ScriptedDb, ScriptedOutbound> {
        UserOnboarding::new(
            db,
            make_answers,
            Some(make()),
            CallerSecret::Bearer(platform::config::Secret::new("callback-secret")),
            ServerKeys::default(),
        )
    }

    #[tokio::test]
    async fn a_delivery_is_recorded_after_make_answered() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal)
            .answer("claim_onboarding_outbox", Ok(leased(1)))
            .answer("report_onboarding_delivery", Ok(json!({})));
        let outbound = ScriptedOutbound::new(&journal)
            .status(200, r#"{"deep_link":"https://t.me/bot?start=x"}"#);
        let function = handler(db, outbound);
        let response = function.route(&dispatch_request()).await.unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(
            journal.entries(),
            [
                "rpc claim_onboarding_outbox",
                &format!("post {MAKE}"),
                "rpc report_onboarding_delivery"
            ]
        );
        let report = &function.db.calls()[1];
        assert_eq!(report.args["p_outcome"], "delivered");
        assert_eq!(report.args["p_deep_link"], "https://t.me/bot?start=x");
        // The claim ran with the presented JWT, so the database decided who may claim.
        assert_eq!(function.db.calls()[0].jwt.as_deref(), Some("aaa.bbb.ccc"));
        let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(body["delivered"], 1);
    }

    /// Make failed and the report of that failure failed too: the message is left to its
    /// lease (it is tried again), the run still answers, and it counts nothing as done.
    #[tokio::test]
    async fn when_recording_the_failure_fails_the_message_is_left_to_its_lease() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal).answer("claim_onboarding_outbox", Ok(leased(1)));
        let outbound = ScriptedOutbound::new(&journal).status(503, "");
        let function = handler(db, outbound);
        let response = function.route(&dispatch_request()).await.unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(
            journal.entries(),
            [
                "rpc claim_onboarding_outbox",
                &format!("post {MAKE}"),
                "rpc report_onboarding_delivery"
            ]
        );
        assert_eq!(function.db.calls()[1].args["p_outcome"], "retry");
        let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(
            (
                body["claimed"].as_u64(),
                body["retried"].as_u64(),
                body["delivered"].as_u64()
            ),
            (Some(1), Some(0), Some(0))
        );
    }

    /// Without Make, a request is still queued (202) and its message handed back to the
    /// outbox with the reason; nothing is sent anywhere.
    #[tokio::test]
    async fn without_make_a_request_is_queued_and_held() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal)
            .answer("request_user_onboarding", Ok(leased(1)[0].clone()))
            .answer("hold_onboarding_delivery", Ok(json!({ "applied": true })));
        let mut function = handler(db, ScriptedOutbound::new(&journal));
        function.make = None;
        let body = json!({
            "event_type": "tenant.user.onboarding_requested",
            "tenant_id": "c0ffee00-0000-4000-8000-00000000000a", "tenant_name": "Acme",
            "user_id": "c0ffee00-0000-4000-8000-00000000000b", "user_role": "executor",
            "email": "exe@example.com",
            "initiated_by": { "id": "c0ffee00-0000-4000-8000-00000000000c", "email": "admin@example.com" },
            "correlation_id": "c0ffee00-0000-4000-8000-000000000001",
            "requested_at": "2026-11-30T12:00:00Z",
        });
        let request = HttpRequest::new("POST")
            .with_path("/user-onboarding/request")
            .with_header("authorization", "Bearer aaa.bbb.ccc")
            .with_header("content-type", "application/json")
            .with_body(body.to_string());
        let response = function.route(&request).await.unwrap();
        assert_eq!(response.status, 202);
        assert_eq!(
            journal.entries(),
            [
                "rpc request_user_onboarding",
                "rpc hold_onboarding_delivery"
            ]
        );
        let hold = &function.db.calls()[1].args;
        assert_eq!(
            (&hold["p_outbox_id"], &hold["p_attempt"], &hold["p_reason"]),
            (&json!(7), &json!(1), &json!("make_not_configured"))
        );
    }

    /// Without Make the dispatcher claims nothing: the messages stay due for later. The
    /// JWT it was given is still checked, by the database, before it answers.
    #[tokio::test]
    async fn without_make_the_dispatcher_leaves_the_outbox_alone() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal).answer("confirm_service_role", Ok(json!(true)));
        let mut function = handler(db, ScriptedOutbound::new(&journal));
        function.make = None;
        let response = function.route(&dispatch_request()).await.unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(journal.entries(), ["rpc confirm_service_role"]);
        let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(body["waiting"], "make_not_configured");
    }

    /// Credentials first: without Make, a JWT the database refuses is a 401, not a 200.
    #[tokio::test]
    async fn without_make_a_refused_jwt_is_401() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal).answer(
            "confirm_service_role",
            Err(DbError::Rejected {
                status: 401,
                code: "PGRST301".into(),
                message: "JWSError".into(),
                details: None,
            }),
        );
        let mut function = handler(db, ScriptedOutbound::new(&journal));
        function.make = None;
        assert_eq!(
            function.route(&dispatch_request()).await.unwrap_err(),
            ApiError::Unauthorized
        );
    }

    #[tokio::test]
    async fn the_last_attempt_is_recorded_dead() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal)
            .answer("claim_onboarding_outbox", Ok(leased(3)))
            .answer("report_onboarding_delivery", Ok(json!({})));
        let function = handler(db, ScriptedOutbound::new(&journal).status(500, ""));
        function.route(&dispatch_request()).await.unwrap();
        assert_eq!(function.db.calls()[1].args["p_outcome"], "dead");
    }

    #[tokio::test]
    async fn a_refused_claim_is_401_and_nothing_is_sent() {
        let journal = Journal::default();
        let db = ScriptedDb::new(&journal).answer(
            "claim_onboarding_outbox",
            Err(DbError::Rejected {
                status: 403,
                code: "42501".into(),
                message: "permission denied".into(),
                details: None,
            }),
        );
        let function = handler(db, ScriptedOutbound::new(&journal));
        assert_eq!(
            function.route(&dispatch_request()).await.unwrap_err(),
            ApiError::Unauthorized
        );
        assert_eq!(journal.entries(), ["rpc claim_onboarding_outbox"]);
    }
}
