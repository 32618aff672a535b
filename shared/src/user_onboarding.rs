//! Pure logic of tenant user onboarding over Telegram (seed 003): the request payload
//! contract Make scenarios expect, the callback shapes, and what one delivery attempt
//! to Make means. The state lives in the database (`request_user_onboarding`,
//! `report_onboarding_delivery`, …); the I/O in the function crates.

use crate::error::{ApiError, RaisedError};
use crate::function::parse_json_object;
use crate::outbound::{Outbound, OutboundError, OutboundRequest};
use crate::retry::{parse_retry_after, Backoff};
use serde_json::{json, Map, Value};
use uuid::Uuid;

pub const EVENT_TYPE: &str = "tenant.user.onboarding_requested";

/// The errors the onboarding SQL functions raise.
pub const RAISED: &[RaisedError] = &[
    (
        "not_tenant_admin",
        403,
        "only an owner or admin of this tenant may onboard its users",
    ),
    (
        "initiated_by_mismatch",
        403,
        "initiated_by.id must be the signed-in admin",
    ),
    (
        "user_not_in_tenant",
        403,
        "the user does not belong to this tenant",
    ),
    (
        "user_mismatch",
        409,
        "email or user_role do not match the tenant's user",
    ),
    (
        "already_onboarded",
        409,
        "the user has already completed onboarding",
    ),
    (
        "onboarding_in_flight",
        409,
        "an onboarding is already in progress; send resend: true to replace it",
    ),
    (
        "correlation_id_used",
        409,
        "this correlation_id was already used for another request",
    ),
    (
        "correlation_not_found",
        404,
        "no onboarding has this correlation_id",
    ),
    (
        "correlation_superseded",
        409,
        "this correlation_id was superseded by a newer invite",
    ),
    (
        "email_mismatch",
        409,
        "the email does not match the user of this onboarding",
    ),
    (
        "already_completed",
        409,
        "this onboarding is already completed",
    ),
];

pub fn from_db(error: crate::db::DbError) -> ApiError {
    ApiError::from_db(error, RAISED)
}

/// A validated onboarding request: the seed's payload (normalised: lower-case email,
/// only the contract's fields) and whether it replaces an onboarding in flight.
#[derive(Debug, Clone, PartialEq)]
pub struct OnboardingRequest {
    pub payload: Value,
    pub correlation_id: Uuid,
    pub resend: bool,
}

/// Collects every problem with a payload, so the 400 names all offending fields.
struct Problems {
    object: Map<String, Value>,
    found: Vec<String>,
}

impl Problems {
    fn new(object: Map<String, Value>) -> Self {
        Problems {
            object,
            found: Vec::new(),
        }
    }

    fn string(&mut self, field: &str, max_len: usize, required: bool) -> Option<String> {
        match self.object.get(field) {
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => self.problem(format!("{field} is required")),
            Some(Value::String(value)) if value.trim().is_empty() && required => {
                self.problem(format!("{field} must not be empty"))
            }
            Some(Value::String(value)) if value.chars().count() > max_len => {
                self.problem(format!("{field} must be at most {max_len} characters"))
            }
            Some(Value::String(value)) => Some(value.trim().to_owned()),
            Some(_) => self.problem(format!("{field} must be a string")),
        }
    }

    fn uuid(&mut self, field: &str) -> Option<Uuid> {
        let raw = self.string(field, 36, true)?;
        Uuid::parse_str(&raw)
            .ok()
            .or_else(|| self.problem(format!("{field} must be a UUID")))
    }

    fn email(&mut self, field: &str) -> Option<String> {
        let raw = self.string(field, 320, true)?;
        is_email(&raw)
            .then(|| raw.to_lowercase())
            .or_else(|| self.problem(format!("{field} must be an email address")))
    }

    fn problem<T>(&mut self, problem: String) -> Option<T> {
        self.found.push(problem);
        None
    }
}

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// Validates the seed's payload contract; the error names every offending field.
pub fn parse_request(body: &[u8]) -> Result<OnboardingRequest, ApiError> {
    let mut check = Problems::new(parse_json_object(body)?);
    if let Some(event_type) = check.string("event_type", 100, true) {
        if event_type != EVENT_TYPE {
            check
                .found
                .push(format!("event_type must be \"{EVENT_TYPE}\""));
        }
    }
    let tenant_id = check.uuid("tenant_id");
    let tenant_name = check.string("tenant_name", 200, true);
    let user_id = check.uuid("user_id");
    let user_role = check.string("user_role", 20, true);
    if let Some(role) = &user_role {
        if role != "executor" && role != "complainant" {
            check
                .found
                .push("user_role must be \"executor\" or \"complainant\"".into());
        }
    }
    let email = check.email("email");
    let full_name = check.string("full_name", 200, false);
    let employee_id = check.string("employee_id", 100, false);
    let initiated_by = match check.object.get("initiated_by").cloned() {
        Some(Value::Object(admin)) => {
            let mut inner = Problems::new(admin);
            let id = inner.uuid("id");
            let admin_email = inner.email("email");
            let name = inner.string("name", 200, false);
            check
                .found
                .extend(inner.found.into_iter().map(|p| format!("initiated_by.{p}")));
            Some(json!({ "id": id, "email": admin_email, "name": name }))
        }
        None | Some(Value::Null) => check.problem("initiated_by is required".into()),
        Some(_) => check.problem("initiated_by must be an object with id, email and name".into()),
    };
    let correlation_id = check.uuid("correlation_id");
    let requested_at = check.string("requested_at", 64, true);
    if let Some(at) = &requested_at {
        if time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_err()
        {
            check
                .found
                .push("requested_at must be an ISO 8601 (RFC 3339) timestamp".into());
        }
    }
    let resend = match check.object.get("resend") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(resend)) => *resend,
        Some(_) => check
            .problem("resend must be a boolean".into())
            .unwrap_or(false),
    };
    if !check.found.is_empty() {
        return Err(ApiError::InvalidPayload(format!(
            "invalid fields: {}",
            check.found.join("; ")
        )));
    }
    let correlation_id = correlation_id.ok_or(ApiError::Internal)?;
    Ok(OnboardingRequest {
        payload: json!({
            "event_type": EVENT_TYPE,
            "tenant_id": tenant_id,
            "tenant_name": tenant_name,
            "user_id": user_id,
            "user_role": user_role,
            "email": email,
            "full_name": full_name,
            "employee_id": employee_id,
            "initiated_by": initiated_by,
            "correlation_id": correlation_id,
            "requested_at": requested_at,
        }),
        correlation_id,
        resend,
    })
}

/// What Make tells us through the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    Completed {
        correlation_id: Uuid,
        email: String,
        chat_id: i64,
        telegram_user_id: Option<i64>,
    },
    Failed {
        correlation_id: Uuid,
        error: String,
        reason: Option<String>,
    },
}

impl Callback {
    pub fn correlation_id(&self) -> Uuid {
        match self {
            Callback::Completed { correlation_id, .. }
            | Callback::Failed { correlation_id, .. } => *correlation_id,
        }
    }
}

/// Telegram ids are 64-bit integers; Make may send them as numbers or strings.
fn telegram_id(check: &mut Problems, field: &str, required: bool) -> Option<i64> {
    match check.object.get(field) {
        None | Some(Value::Null) if !required => None,
        None | Some(Value::Null) => check.problem(format!("{field} is required")),
        Some(Value::Number(number)) => number
            .as_i64()
            .or_else(|| check.problem(format!("{field} must be an integer"))),
        Some(Value::String(text)) => text
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| check.problem(format!("{field} must be an integer"))),
        Some(_) => check.problem(format!("{field} must be an integer")),
    }
}

pub fn parse_callback(body: &[u8]) -> Result<Callback, ApiError> {
    let mut check = Problems::new(parse_json_object(body)?);
    let correlation_id = check.uuid("correlation_id");
    let failed = match check.object.get("status") {
        None | Some(Value::Null) => false,
        Some(Value::String(status)) if status == "failed" => true,
        Some(Value::String(status)) if status == "completed" => false,
        Some(_) => check
            .problem("status must be \"failed\" or \"completed\"".into())
            .unwrap_or(false),
    };
    let callback = if failed {
        let error = check.string("error", 1000, true);
        let reason = check.string("reason", 100, false);
        error
            .map(|error| (error, reason))
            .and_then(|(error, reason)| {
                correlation_id.map(|correlation_id| Callback::Failed {
                    correlation_id,
                    error,
                    reason,
                })
            })
    } else {
        let email = check.email("email");
        let chat_id = telegram_id(&mut check, "chat_id", true);
        let telegram_user_id = telegram_id(&mut check, "telegram_user_id", false);
        match (correlation_id, email, chat_id) {
            (Some(correlation_id), Some(email), Some(chat_id)) => Some(Callback::Completed {
                correlation_id,
                email,
                chat_id,
                telegram_user_id,
            }),
            _ => None,
        }
    };
    match callback {
        Some(callback) if check.found.is_empty() => Ok(callback),
        _ => Err(ApiError::InvalidPayload(format!(
            "invalid fields: {}",
            check.found.join("; ")
        ))),
    }
}

/// Where and how patiently messages are delivered to Make.
#[derive(Debug, Clone)]
pub struct MakeConfig {
    pub webhook_url: String,
    pub timeout_ms: u64,
    pub backoff: Backoff,
}

impl MakeConfig {
    /// `MAKE_USER_ONBOARDING_WEBHOOK_URL` (the seed's name), and the delivery policy:
    /// by default 12 attempts, 2 s doubling to at most 5 min — over half an hour in all,
    /// so Make being down for ten minutes loses nothing.
    pub fn from_env(env: &crate::Env) -> Result<Self, crate::ConfigError> {
        Ok(MakeConfig {
            webhook_url: env.url("MAKE_USER_ONBOARDING_WEBHOOK_URL")?,
            timeout_ms: env.number("MAKE_TIMEOUT_MS", 10_000, 100..=60_000)?,
            backoff: Backoff {
                max_attempts: env.number("MAKE_MAX_ATTEMPTS", 12, 1..=50)? as u32,
                base_ms: env.number("MAKE_RETRY_BASE_MS", 2_000, 10..=600_000)?,
                max_delay_ms: env.number("MAKE_RETRY_MAX_MS", 300_000, 10..=3_600_000)?,
            },
        })
    }
}

/// A message claimed from the outbox: one attempt at delivering it.
#[derive(Debug, Clone, PartialEq)]
pub struct Leased {
    pub outbox_id: i64,
    pub correlation_id: String,
    pub attempt: u32,
    pub payload: Value,
}

impl Leased {
    pub fn from_json(value: &Value) -> Option<Leased> {
        Some(Leased {
            outbox_id: value.get("outbox_id")?.as_i64()?,
            correlation_id: value.get("correlation_id")?.as_str()?.to_owned(),
            attempt: u32::try_from(value.get("attempt")?.as_i64()?).ok()?,
            payload: value.get("payload")?.clone(),
        })
    }
}

/// What one attempt came to, as `report_onboarding_delivery` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Delivered { deep_link: Option<String> },
    Retry { error: String, retry_in_ms: u64 },
    Dead { error: String },
}

impl Delivery {
    pub fn report_args(&self, message: &Leased) -> Value {
        let (outcome, error, retry_in_ms, deep_link) = match self {
            Delivery::Delivered { deep_link } => ("delivered", None, None, deep_link.clone()),
            Delivery::Retry { error, retry_in_ms } => {
                ("retry", Some(error.clone()), Some(*retry_in_ms), None)
            }
            Delivery::Dead { error } => ("dead", Some(error.clone()), None, None),
        };
        json!({
            "p_outbox_id": message.outbox_id, "p_attempt": message.attempt, "p_outcome": outcome,
            "p_error": error, "p_retry_in_ms": retry_in_ms, "p_deep_link": deep_link,
        })
    }

    pub fn outcome(&self) -> &'static str {
        match self {
            Delivery::Delivered { .. } => "delivered",
            Delivery::Retry { .. } => "retry",
            Delivery::Dead { .. } => "dead",
        }
    }
}

/// Sends one leased message to Make and decides what happens next: 2xx delivered;
/// 429, 5xx, timeouts and network errors retried with backoff (honouring
/// `Retry-After`) until the last attempt; any other 4xx is permanent.
pub async fn deliver(
    outbound: &impl Outbound,
    config: &MakeConfig,
    message: &Leased,
    jitter: f64,
) -> Delivery {
    let request = OutboundRequest {
        url: config.webhook_url.clone(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-correlation-id".into(), message.correlation_id.clone()),
        ],
        body: message.payload.to_string(),
    };
    let (error, retry_after_ms) = match outbound.post(&request, config.timeout_ms).await {
        Ok(response) if (200..300).contains(&response.status) => {
            let deep_link = serde_json::from_str::<Value>(&response.body)
                .ok()
                .and_then(|body| body.get("deep_link")?.as_str().map(str::to_owned))
                .filter(|link| link.starts_with("https://t.me/"));
            return Delivery::Delivered { deep_link };
        }
        Ok(response) if response.status == 429 || response.status >= 500 => (
            format!("Make answered {}", response.status),
            response.retry_after.as_deref().and_then(parse_retry_after),
        ),
        Ok(response) => {
            return Delivery::Dead {
                error: format!(
                    "Make refused the message ({}): {}",
                    response.status,
                    response.body.chars().take(200).collect::<String>()
                ),
            }
        }
        Err(OutboundError::Timeout) => (
            format!("Make did not answer within {} ms", config.timeout_ms),
            None,
        ),
        Err(OutboundError::Unreachable(_)) => ("Make could not be reached".to_owned(), None),
    };
    if message.attempt >= config.backoff.max_attempts {
        return Delivery::Dead {
            error: format!("{error} (gave up after {} attempts)", message.attempt),
        };
    }
    Delivery::Retry {
        error,
        retry_in_ms: config
            .backoff
            .delay_ms(message.attempt, retry_after_ms, jitter),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::outbound::OutboundResponse;

    fn valid() -> Value {
        json!({
            "event_type": EVENT_TYPE,
            "tenant_id": "6f1c0a4e-1b7e-4a53-9d1e-2f1f6f0f2b11",
            "tenant_name": "Acme",
            "user_id": "0b6c3f5e-8a43-4a53-9d1e-2f1f6f0f2b11",
            "user_role": "executor",
            "email": "Exec@Example.com",
            "full_name": "Ex Ecutor",
            "initiated_by": {"id": "1b6c3f5e-8a43-4a53-9d1e-2f1f6f0f2b11", "email": "admin@example.com", "name": "Ad Min"},
            "correlation_id": "2b6c3f5e-8a43-4a53-9d1e-2f1f6f0f2b11",
            "requested_at": "2026-11-21T10:00:00.123+02:00",
        })
    }

    fn parse(value: &Value) -> Result<OnboardingRequest, ApiError> {
        parse_request(value.to_string().as_bytes())
    }

    #[test]
    fn a_valid_request_is_normalised_to_the_contract() {
        let mut value = valid();
        value["extra"] = json!("dropped");
        value["resend"] = json!(true);
        let request = parse(&value).unwrap();
        assert!(request.resend);
        assert_eq!(request.payload["email"], "exec@example.com");
        assert_eq!(request.payload["employee_id"], Value::Null);
        assert!(request.payload.get("extra").is_none() && request.payload.get("resend").is_none());
        assert_eq!(request.payload.as_object().unwrap().len(), 11);
    }

    #[test]
    fn every_offending_field_is_named() {
        let mut value = valid();
        value["tenant_id"] = json!("nope");
        value["user_role"] = json!("manager");
        value["email"] = json!(7);
        value["requested_at"] = json!("yesterday");
        value["initiated_by"] = json!({"id": "x", "email": "a@b.co"});
        value.as_object_mut().unwrap().remove("tenant_name");
        let Err(ApiError::InvalidPayload(message)) = parse(&value) else {
            panic!("expected a 400")
        };
        for field in [
            "tenant_id must be a UUID",
            "tenant_name is required",
            "user_role must be",
            "email must be a string",
            "requested_at must be",
            "initiated_by.id must be a UUID",
        ] {
            assert!(message.contains(field), "{field} missing from: {message}");
        }
    }

    #[test]
    fn wrong_event_type_and_shapes_are_refused() {
        let mut value = valid();
        value["event_type"] = json!("tenant.user.deleted");
        assert!(
            matches!(parse(&value), Err(ApiError::InvalidPayload(m)) if m.contains("event_type"))
        );
        assert!(matches!(
            parse_request(b"[]"),
            Err(ApiError::InvalidPayload(_))
        ));
        assert!(matches!(parse_request(b"{"), Err(ApiError::InvalidJson(_))));
        let mut value = valid();
        value["email"] = json!("not-an-email");
        assert!(
            matches!(parse(&value), Err(ApiError::InvalidPayload(m)) if m.contains("email must be an email"))
        );
    }

    #[test]
    fn callbacks_parse_both_shapes() {
        let id = "2b6c3f5e-8a43-4a53-9d1e-2f1f6f0f2b11";
        let ok = parse_callback(json!({"correlation_id": id, "email": "A@B.co", "chat_id": "-100123", "telegram_user_id": 42}).to_string().as_bytes()).unwrap();
        assert_eq!(
            ok,
            Callback::Completed {
                correlation_id: id.parse().unwrap(),
                email: "a@b.co".into(),
                chat_id: -100123,
                telegram_user_id: Some(42)
            }
        );
        let failed = parse_callback(json!({"correlation_id": id, "status": "failed", "error": "no start", "reason": "timeout"}).to_string().as_bytes()).unwrap();
        assert_eq!(
            failed,
            Callback::Failed {
                correlation_id: id.parse().unwrap(),
                error: "no start".into(),
                reason: Some("timeout".into())
            }
        );
        for bad in [
            json!({"email": "a@b.co", "chat_id": 1}),
            json!({"correlation_id": id, "email": "a@b.co", "chat_id": 1.5}),
            json!({"correlation_id": id, "status": "failed"}),
            json!({"correlation_id": id, "status": "weird"}),
            json!({"correlation_id": id, "chat_id": 1}),
        ] {
            assert!(
                matches!(
                    parse_callback(bad.to_string().as_bytes()),
                    Err(ApiError::InvalidPayload(_))
                ),
                "{bad}"
            );
        }
    }

    struct Answer(Result<OutboundResponse, OutboundError>);
    impl Outbound for Answer {
        async fn post(
            &self,
            _: &OutboundRequest,
            _: u64,
        ) -> Result<OutboundResponse, OutboundError> {
            self.0.clone()
        }
    }

    fn config() -> MakeConfig {
        MakeConfig {
            webhook_url: "http://make.test/hook".into(),
            timeout_ms: 50,
            backoff: Backoff {
                max_attempts: 3,
                base_ms: 100,
                max_delay_ms: 1_000,
            },
        }
    }

    fn leased(attempt: u32) -> Leased {
        Leased {
            outbox_id: 1,
            correlation_id: "c".into(),
            attempt,
            payload: json!({}),
        }
    }

    fn status(status: u16, retry_after: Option<&str>, body: &str) -> Answer {
        Answer(Ok(OutboundResponse {
            status,
            retry_after: retry_after.map(str::to_owned),
            body: body.into(),
        }))
    }

    #[tokio::test]
    async fn delivery_outcomes_follow_the_status() {
        let ok = deliver(
            &status(200, None, r#"{"deep_link":"https://t.me/bot?start=x"}"#),
            &config(),
            &leased(1),
            0.0,
        )
        .await;
        assert_eq!(
            ok,
            Delivery::Delivered {
                deep_link: Some("https://t.me/bot?start=x".into())
            }
        );
        assert_eq!(
            deliver(&status(200, None, "Accepted"), &config(), &leased(1), 0.0).await,
            Delivery::Delivered { deep_link: None }
        );
        assert_eq!(
            deliver(&status(500, None, ""), &config(), &leased(1), 1.0).await,
            Delivery::Retry {
                error: "Make answered 500".into(),
                retry_in_ms: 100
            }
        );
        assert_eq!(
            deliver(&status(429, Some("7"), ""), &config(), &leased(2), 0.0).await,
            Delivery::Retry {
                error: "Make answered 429".into(),
                retry_in_ms: 7_000
            }
        );
        assert!(matches!(
            deliver(
                &Answer(Err(OutboundError::Timeout)),
                &config(),
                &leased(1),
                0.0
            )
            .await,
            Delivery::Retry { .. }
        ));
        assert!(
            matches!(deliver(&status(400, None, "bad"), &config(), &leased(1), 0.0).await, Delivery::Dead { error } if error.contains("400"))
        );
        assert!(
            matches!(deliver(&status(503, None, ""), &config(), &leased(3), 0.0).await, Delivery::Dead { error } if error.contains("3 attempts"))
        );
    }
}
