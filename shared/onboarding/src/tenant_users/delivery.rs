//! Delivery of outbox messages to Make: what one attempt means, and what comes next.

use platform::outbound::{Outbound, OutboundError, OutboundRequest};
use platform::retry::{parse_retry_after, Backoff, Disposition};
use platform::signing::{self, WebhookSecret};
use serde_json::{json, Value};

/// Where and how patiently messages are delivered to Make.
#[derive(Debug, Clone)]
pub struct MakeConfig {
    pub webhook_url: String,
    pub timeout_ms: u64,
    pub backoff: Backoff,
    /// `MAKE_SIGNING_SECRET` (`whsec_…`): every request is signed as Standard Webhooks
    /// specifies, so the scenario can check it came from us.
    pub signing_secret: WebhookSecret,
}

impl MakeConfig {
    /// `MAKE_USER_ONBOARDING_WEBHOOK_URL` (the seed's name), and the delivery policy:
    /// by default 12 attempts, 2 s doubling to at most 5 min — over half an hour in all,
    /// so Make being down for ten minutes loses nothing.
    ///
    /// `None` while the URL is not set: a project may start onboarding before its Make
    /// scenario exists, and then only delivery waits (requests are still queued). A URL
    /// without `MAKE_SIGNING_SECRET`, or an invalid value, is still an error naming it.
    pub fn from_env(env: &platform::Env) -> Result<Option<Self>, platform::ConfigError> {
        if env.optional("MAKE_USER_ONBOARDING_WEBHOOK_URL").is_none() {
            return Ok(None);
        }
        Ok(Some(MakeConfig {
            webhook_url: env.url("MAKE_USER_ONBOARDING_WEBHOOK_URL")?,
            signing_secret: WebhookSecret::parse(&env.required("MAKE_SIGNING_SECRET")?).map_err(
                |err| platform::ConfigError::Invalid {
                    name: "MAKE_SIGNING_SECRET",
                    reason: err.to_string(),
                },
            )?,
            timeout_ms: env.number("MAKE_TIMEOUT_MS", 10_000, 100..=60_000)?,
            backoff: Backoff {
                max_attempts: env.number("MAKE_MAX_ATTEMPTS", 12, 1..=50)? as u32,
                base_ms: env.number("MAKE_RETRY_BASE_MS", 2_000, 10..=600_000)?,
                max_delay_ms: env.number("MAKE_RETRY_MAX_MS", 300_000, 10..=3_600_000)?,
            },
        }))
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
    let body = message.payload.to_string();
    // The message's id (its correlation id) is the same on every retry: the scenario's
    // idempotency key, and part of what is signed.
    let mut headers = vec![
        ("content-type".into(), "application/json".into()),
        ("x-correlation-id".into(), message.correlation_id.clone()),
    ];
    headers.extend(signing::headers(
        &[&config.signing_secret],
        &message.correlation_id,
        (platform::runtime::unix_time_ms() / 1000) as i64,
        &body,
    ));
    let request = OutboundRequest {
        url: config.webhook_url.clone(),
        headers,
        body,
    };
    let (error, retry_after_ms) = match outbound.post(&request, config.timeout_ms).await {
        Ok(response) if Disposition::of(response.status) == Disposition::Success => {
            let deep_link = serde_json::from_str::<Value>(&response.body)
                .ok()
                .and_then(|body| body.get("deep_link")?.as_str().map(str::to_owned))
                .filter(|link| link.starts_with("https://t.me/"));
            return Delivery::Delivered { deep_link };
        }
        Ok(response) if Disposition::of(response.status) == Disposition::Transient => (
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
