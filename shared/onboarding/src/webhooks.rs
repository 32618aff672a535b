//! Organizations' webhooks out: one batch of an endpoint's due messages, delivered as
//! Standard Webhooks specifies — `webhook-id` (the message's, the same on every retry),
//! `webhook-timestamp`, `webhook-signature` with every secret that signs (two during a
//! rotation) — in order, stopping at the first that does not succeed, so a receiver sees
//! an endpoint's messages in the order they were created. What comes next for each attempt
//! (retry on Svix's schedule, fail, disable) is decided by `report_webhook_deliveries`.

use platform::outbound::{Outbound, OutboundError, OutboundRequest};
use platform::retry::{parse_retry_after, Disposition};
use platform::signing::{self, WebhookSecret};
use serde_json::{json, Value};
use std::net::IpAddr;

/// Where endpoints may be. Unless private destinations are allowed (the local stack), a
/// host is resolved through DNS-over-HTTPS before its batch is sent, and one that resolves
/// to a loopback, private, CGNAT, link-local or unspecified address is not sent to: the
/// URL was checked as written when the endpoint was made, this checks what it points at now.
#[derive(Debug, Clone)]
pub struct DestinationPolicy {
    /// `WEBHOOK_ALLOW_PRIVATE_URLS`.
    pub allow_private: bool,
    /// `DOH_URL`: a resolver's DNS JSON API.
    pub doh_url: String,
}

/// Whether an endpoint must not be at `address`.
pub fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// The host of an http(s) URL (without user info, port or IPv6 brackets).
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

/// Checks where `url` points now: `Err` with the reason when it must not be sent to.
pub async fn check_destination(
    outbound: &impl Outbound,
    policy: &DestinationPolicy,
    url: &str,
    timeout_ms: u64,
) -> Result<(), String> {
    if policy.allow_private {
        return Ok(());
    }
    let host = url_host(url).ok_or_else(|| "the endpoint URL has no host".to_owned())?;
    if let Ok(address) = host.parse::<IpAddr>() {
        return if is_private(address) {
            Err(format!("the endpoint is at a private address ({address})"))
        } else {
            Ok(())
        };
    }
    let mut found = 0;
    for record_type in ["A", "AAAA"] {
        let request = OutboundRequest {
            url: format!("{}?name={host}&type={record_type}", policy.doh_url),
            headers: vec![("accept".into(), "application/dns-json".into())],
            body: String::new(),
        };
        let answer = outbound
            .get(&request, timeout_ms)
            .await
            .map_err(|err| format!("the endpoint's host could not be resolved: {err}"))?;
        if Disposition::of(answer.status) != Disposition::Success {
            return Err(format!(
                "the endpoint's host could not be resolved (resolver answered {})",
                answer.status
            ));
        }
        let parsed: Value = serde_json::from_str(&answer.body)
            .map_err(|_| "the resolver's answer is not DNS JSON".to_owned())?;
        for record in parsed["Answer"].as_array().into_iter().flatten() {
            let Some(address) = record["data"]
                .as_str()
                .and_then(|d| d.parse::<IpAddr>().ok())
            else {
                continue; // a CNAME on the way
            };
            if is_private(address) {
                return Err(format!(
                    "the endpoint's host {host} resolves to a private address ({address})"
                ));
            }
            found += 1;
        }
    }
    if found == 0 {
        return Err(format!("the endpoint's host {host} does not resolve"));
    }
    Ok(())
}

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
/// that does not succeed; `now_ms` is the clock (signing timestamps, durations). A
/// destination the policy refuses gets nothing: its first message's attempt fails (and is
/// retried on the schedule, as any failure).
pub async fn deliver_batch(
    outbound: &impl Outbound,
    batch: &Batch,
    policy: &DestinationPolicy,
    timeout_ms: u64,
    now_ms: impl Fn() -> u64,
) -> Vec<Attempt> {
    let secrets: Vec<&WebhookSecret> = batch.secrets.iter().collect();
    let mut attempts = Vec::with_capacity(batch.messages.len());
    if let Err(reason) = check_destination(outbound, policy, &batch.url, timeout_ms).await {
        if let Some(first) = batch.messages.first() {
            attempts.push(Attempt {
                message_id: first.id.clone(),
                attempt: first.attempt,
                status_code: None,
                duration_ms: 0,
                error: Some(reason),
                retry_after_ms: None,
            });
        }
        return attempts;
    }
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
    use platform::outbound::OutboundResponse;
    use platform::testing::{Journal, ScriptedOutbound};

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

    fn allowed() -> DestinationPolicy {
        DestinationPolicy {
            allow_private: true,
            doh_url: "https://doh.test/dns-query".into(),
        }
    }

    fn checked() -> DestinationPolicy {
        DestinationPolicy {
            allow_private: false,
            ..allowed()
        }
    }

    fn dns(records: &[(u16, &str)]) -> String {
        let answer: Vec<Value> = records
            .iter()
            .map(|(kind, data)| json!({"name": "hooks.example.", "type": kind, "TTL": 60, "data": data}))
            .collect();
        json!({"Status": 0, "Answer": answer}).to_string()
    }

    #[tokio::test]
    async fn a_host_resolving_to_a_private_address_gets_nothing() {
        let outbound = ScriptedOutbound::new(&Journal::default())
            .status(200, &dns(&[(5, "internal.example."), (1, "10.1.2.3")]))
            .status(200, &dns(&[]));
        let attempts =
            deliver_batch(&outbound, &batch(vec![SECRET]), &checked(), 10_000, || 0).await;
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].status_code, None);
        assert!(attempts[0].error.as_deref().unwrap().contains("10.1.2.3"));
        let asked: Vec<String> = outbound
            .requests()
            .iter()
            .map(|(r, _)| r.url.clone())
            .collect();
        assert_eq!(
            asked,
            ["https://doh.test/dns-query?name=hooks.example&type=A"],
            "nothing was posted"
        );
    }

    #[tokio::test]
    async fn a_public_host_is_sent_to_after_both_lookups() {
        let outbound = ScriptedOutbound::new(&Journal::default())
            .status(200, &dns(&[(1, "93.184.215.14")]))
            .status(200, &dns(&[(28, "2606:2800:21f:cb07:6820:80da:af6b:8b2c")]))
            .status(200, "")
            .status(200, "")
            .status(200, "");
        let attempts =
            deliver_batch(&outbound, &batch(vec![SECRET]), &checked(), 10_000, || 0).await;
        assert_eq!(attempts.len(), 3);
        assert!(attempts.iter().all(Attempt::succeeded));
    }

    #[test]
    fn private_ranges_and_hosts_are_recognised() {
        for private in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.215.14", "100.128.0.1", "2606:4700::1111"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
        assert_eq!(
            url_host("https://user@hooks.example:8443/x?y"),
            Some("hooks.example")
        );
        assert_eq!(url_host("https://[::1]:8443/x"), Some("::1"));
        assert_eq!(url_host("ftp://x"), None);
    }

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
        let attempts =
            deliver_batch(&outbound, &batch, &allowed(), 10_000, || 1_700_000_000_000).await;
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
