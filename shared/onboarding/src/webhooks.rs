//! Organizations' webhooks out: one batch of an endpoint's due messages, delivered as
//! Standard Webhooks specifies — `webhook-id` (the message's, the same on every retry),
//! `webhook-timestamp`, `webhook-signature` with every secret that signs (two during a
//! rotation) — in order, stopping at the first that does not succeed, so a receiver sees
//! an endpoint's messages in the order they were created. What comes next for each attempt
//! (retry on Svix's schedule, fail, disable) is decided by `report_webhook_deliveries`.

use edge::outbound::{Outbound, OutboundError, OutboundRequest};
use edge::retry::{parse_retry_after, Disposition};
use edge::signing::{self, WebhookSecret};
use serde_json::{json, Value};

/// An endpoint leased by `claim_webhook_batches`, with its due messages.
#[derive(Debug, Clone)]
pub struct Batch {
    pub endpoint_id: String,
    pub lease_id: String,
    pub url: String,
    /// The current secret first, then one still signing after a rotation.
    pub secrets: Vec<WebhookSecret>,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub attempt: u32,
    /// The payload exactly as signed and sent.
    pub body: String,
}

/// One attempt, as `report_webhook_deliveries` records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub message_id: String,
    pub attempt: u32,
    /// `None`: no answer (timeout, connection refused).
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub retry_after_ms: Option<u64>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status_code
            .is_some_and(|status| Disposition::of(status) == Disposition::Success)
    }
}

impl Batch {
    /// A batch from the claim's answer; `None` when it is not one (or a secret does not
    /// parse: nothing is sent unsigned).
    pub fn from_json(value: &Value) -> Option<Batch> {
        let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
        let secrets = value
            .get("secrets")?
            .as_array()?
            .iter()
            .map(|secret| WebhookSecret::parse(secret.as_str()?).ok())
            .collect::<Option<Vec<_>>>()
            .filter(|secrets| !secrets.is_empty())?;
        let messages = value
            .get("messages")?
            .as_array()?
            .iter()
            .map(|message| {
                Some(Message {
                    id: message.get("id")?.as_str()?.to_owned(),
                    attempt: u32::try_from(message.get("attempt")?.as_i64()?).ok()?,
                    body: message.get("body")?.as_str()?.to_owned(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Batch {
            endpoint_id: text("endpoint_id")?,
            lease_id: text("lease_id")?,
            url: text("url")?,
            secrets,
            messages,
        })
    }

    /// The arguments of `report_webhook_deliveries` for these attempts.
    pub fn report_args(&self, attempts: &[Attempt]) -> Value {
        let results: Vec<Value> = attempts
            .iter()
            .map(|attempt| {
                json!({
                    "message_id": attempt.message_id, "attempt": attempt.attempt,
                    "status_code": attempt.status_code, "duration_ms": attempt.duration_ms,
                    "error": attempt.error, "retry_after_ms": attempt.retry_after_ms,
                })
            })
            .collect();
        json!({ "p_endpoint_id": self.endpoint_id, "p_lease_id": self.lease_id, "p_results": results })
    }
}

/// Delivers the batch's messages one after another, stopping after the first attempt
/// that does not succeed; `now_ms` is the clock (signing timestamps, durations).
pub async fn deliver_batch(
    outbound: &impl Outbound,
    batch: &Batch,
    timeout_ms: u64,
    now_ms: impl Fn() -> u64,
) -> Vec<Attempt> {
    let secrets: Vec<&WebhookSecret> = batch.secrets.iter().collect();
    let mut attempts = Vec::with_capacity(batch.messages.len());
    for message in &batch.messages {
        let started = now_ms();
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        headers.extend(signing::headers(
            &secrets,
            &message.id,
            (started / 1000) as i64,
            &message.body,
        ));
        let request = OutboundRequest {
            url: batch.url.clone(),
            headers,
            body: message.body.clone(),
        };
        let answer = outbound.post(&request, timeout_ms).await;
        let duration_ms = now_ms().saturating_sub(started);
        let attempt = match answer {
            Ok(response) => Attempt {
                message_id: message.id.clone(),
                attempt: message.attempt,
                status_code: Some(response.status),
                duration_ms,
                error: (Disposition::of(response.status) != Disposition::Success).then(|| {
                    format!(
                        "the endpoint answered {}: {}",
                        response.status,
                        response.body.chars().take(200).collect::<String>()
                    )
                }),
                retry_after_ms: response.retry_after.as_deref().and_then(parse_retry_after),
            },
            Err(error) => Attempt {
                message_id: message.id.clone(),
                attempt: message.attempt,
                status_code: None,
                duration_ms,
                error: Some(match error {
                    OutboundError::Timeout => format!("no answer within {timeout_ms} ms"),
                    OutboundError::Unreachable(_) => "the endpoint could not be reached".into(),
                }),
                retry_after_ms: None,
            },
        };
        let succeeded = attempt.succeeded();
        attempts.push(attempt);
        if !succeeded {
            break;
        }
    }
    attempts
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use edge::outbound::OutboundResponse;
    use edge::testing::{Journal, ScriptedOutbound};

    fn batch(secrets: Vec<&str>) -> Batch {
        Batch::from_json(&json!({
            "endpoint_id": "e1", "lease_id": "l1", "url": "https://hooks.example/x",
            "secrets": secrets,
            "messages": [
                {"id": "msg_1", "attempt": 1, "body": "{\"type\":\"a\"}"},
                {"id": "msg_2", "attempt": 3, "body": "{\"type\":\"b\"}"},
                {"id": "msg_3", "attempt": 1, "body": "{\"type\":\"c\"}"},
            ],
        }))
        .unwrap()
    }

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[tokio::test]
    async fn messages_go_in_order_signed_and_stop_at_the_first_failure() {
        let outbound = ScriptedOutbound::new(&Journal::default())
            .status(204, "")
            .answer(Ok(OutboundResponse {
                status: 503,
                body: "down".into(),
                retry_after: Some("7".into()),
            }));
        let batch = batch(vec![SECRET, SECRET]);
        let attempts = deliver_batch(&outbound, &batch, 10_000, || 1_700_000_000_000).await;
        assert_eq!(attempts.len(), 2, "the third waits behind the second");
        assert!(attempts[0].succeeded());
        assert_eq!(
            (
                attempts[1].status_code,
                attempts[1].retry_after_ms,
                attempts[1].attempt
            ),
            (Some(503), Some(7_000), 3)
        );
        let sent = outbound.requests();
        let header = |i: usize, name: &str| {
            sent[i]
                .0
                .headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .unwrap()
        };
        assert_eq!(header(0, "webhook-id"), "msg_1");
        assert_eq!(header(1, "webhook-id"), "msg_2");
        assert_eq!(header(0, "webhook-timestamp"), "1700000000");
        let expected =
            WebhookSecret::parse(SECRET)
                .unwrap()
                .sign("msg_1", 1_700_000_000, "{\"type\":\"a\"}");
        assert_eq!(
            header(0, "webhook-signature"),
            format!("{expected} {expected}")
        );
        let report = batch.report_args(&attempts);
        assert_eq!(report["p_results"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_batch_without_a_usable_secret_is_not_sent() {
        assert!(Batch::from_json(&json!({
            "endpoint_id": "e1", "lease_id": "l1", "url": "https://x", "secrets": ["nope"], "messages": []
        }))
        .is_none());
    }
}
