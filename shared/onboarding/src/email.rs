//! Sending one email through Resend's API (`POST {RESEND_API_URL}/emails`).
//!
//! 429 `rate_limit_exceeded`, 5xx and network failures are retried with backoff,
//! honouring `Retry-After`, with the same `Idempotency-Key` so Resend sends at most one
//! email however many attempts reach it. Other 4xx — including 429
//! `daily_quota_exceeded` / `monthly_quota_exceeded`, which waiting does not cure —
//! are permanent and reported with Resend's own message.

use platform::config::Secret;
use platform::outbound::{Outbound, OutboundError, OutboundRequest};
use platform::retry::{parse_retry_after, Backoff, Disposition};
use platform::runtime;
use serde_json::{json, Value};

/// Resend's public API.
pub const DEFAULT_API_URL: &str = "https://api.resend.com";

/// Default sender: Resend's shared test address; set `INVITE_EMAIL_FROM` to an address
/// on a domain verified in Resend for real use.
pub const DEFAULT_FROM: &str = "Onboarding <onboarding@resend.dev>";

#[derive(Debug, Clone)]
pub struct ResendConfig {
    pub api_url: String,
    pub api_key: Secret,
    /// `email@example.com` or `Name <email@example.com>`, on a domain verified in Resend.
    pub from: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Same key for every attempt of one send; 1–256 characters.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Resend's id of the email.
    pub id: String,
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Resend refused the email; retrying will not help. `name` and `message` are Resend's
    /// own text: for the log (redacted), never for a caller or a table.
    #[error("Resend refused the email (HTTP {status})")]
    Rejected {
        status: u16,
        name: String,
        message: String,
    },
    /// Resend could not be reached or kept failing within the time allowed. `last` (the
    /// last failure, possibly an upstream's text) is for the log only.
    #[error("Resend could not be reached or kept failing ({attempts} attempts)")]
    Unavailable { attempts: u32, last: String },
}

impl SendError {
    /// What the log keeps of the failure: the upstream's own words, addresses and keys
    /// redacted. (Its `Display` is what callers and the invite's record may see.)
    pub fn log_detail(&self) -> String {
        match self {
            SendError::Rejected {
                status,
                name,
                message,
            } => platform::log::redacted(&format!("{status} {name}: {message}")),
            SendError::Unavailable { last, .. } => platform::log::redacted(last),
        }
    }
}

/// How long one attempt may take, and how long all attempts and waits together may:
/// `budget_ms` bounds the whole send, the last attempt's timeout included.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub backoff: Backoff,
    pub attempt_timeout_ms: u64,
    pub budget_ms: u64,
}

/// An attempt that would have less time than this is not started.
const MIN_ATTEMPT_MS: u64 = 500;

pub const DEFAULT_LIMITS: Limits = Limits {
    backoff: Backoff {
        max_attempts: 4,
        base_ms: 300,
        max_delay_ms: 3_000,
    },
    attempt_timeout_ms: 4_000,
    budget_ms: 10_000,
};

enum Outcome {
    Sent(String),
    Retry {
        reason: String,
        retry_after_ms: Option<u64>,
    },
    Permanent(SendError),
}

fn classify(status: u16, body: &str, retry_after: Option<&str>) -> Outcome {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let text = |key: &str| {
        parsed
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let disposition = Disposition::of(status);
    if disposition == Disposition::Success {
        let id = text("id");
        return if id.is_empty() {
            Outcome::Retry {
                reason: format!("{status} without an email id"),
                retry_after_ms: None,
            }
        } else {
            Outcome::Sent(id)
        };
    }
    let name = text("name");
    let quota = matches!(
        name.as_str(),
        "daily_quota_exceeded" | "monthly_quota_exceeded"
    );
    // Resend's refinement of the one rule: a quota 429 will not pass today.
    if disposition == Disposition::Transient && !quota {
        return Outcome::Retry {
            reason: format!("{status} {name}").trim().to_owned(),
            retry_after_ms: retry_after.and_then(parse_retry_after),
        };
    }
    Outcome::Permanent(SendError::Rejected {
        status,
        name,
        message: text("message").chars().take(300).collect(),
    })
}

/// Sends `email`, retrying what is worth retrying within `limits`.
pub async fn send_email(
    outbound: &impl Outbound,
    config: &ResendConfig,
    email: &Email,
    limits: Limits,
) -> Result<Sent, SendError> {
    let request = OutboundRequest {
        url: format!("{}/emails", config.api_url.trim_end_matches('/')),
        headers: vec![
            (
                "authorization".into(),
                format!("Bearer {}", config.api_key.expose()),
            ),
            ("content-type".into(), "application/json".into()),
            ("idempotency-key".into(), email.idempotency_key.clone()),
        ],
        body: json!({
            "from": config.from,
            "to": [email.to],
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
        })
        .to_string(),
    };
    let started = runtime::now_ms();
    let elapsed_ms = || (runtime::now_ms() - started).max(0.0) as u64;
    let mut attempt = 0;
    loop {
        attempt += 1;
        // Every attempt ends within the budget: its timeout is cut to what is left.
        let timeout_ms = limits
            .attempt_timeout_ms
            .min(limits.budget_ms.saturating_sub(elapsed_ms()));
        let (reason, retry_after_ms) = match outbound.post(&request, timeout_ms).await {
            Ok(response) => match classify(
                response.status,
                &response.body,
                response.retry_after.as_deref(),
            ) {
                Outcome::Sent(id) => {
                    return Ok(Sent {
                        id,
                        attempts: attempt,
                    })
                }
                Outcome::Permanent(error) => return Err(error),
                Outcome::Retry {
                    reason,
                    retry_after_ms,
                } => (reason, retry_after_ms),
            },
            Err(OutboundError::Timeout) => ("timed out".to_owned(), None),
            Err(OutboundError::Unreachable(_)) => ("unreachable".to_owned(), None),
        };
        let delay = limits
            .backoff
            .delay_ms(attempt, retry_after_ms, runtime::random_fraction());
        // Another attempt only when, after the wait, it still has a useful time to run.
        let next_starts_at = elapsed_ms() + delay;
        if attempt >= limits.backoff.max_attempts
            || next_starts_at + MIN_ATTEMPT_MS > limits.budget_ms
        {
            return Err(SendError::Unavailable {
                attempts: attempt,
                last: reason,
            });
        }
        runtime::sleep(delay).await;
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use platform::outbound::OutboundResponse;
    use std::cell::RefCell;

    /// Answers from a script, and records what was asked.
    struct Scripted {
        answers: RefCell<Vec<Result<OutboundResponse, OutboundError>>>,
        seen: RefCell<Vec<OutboundRequest>>,
        timeouts: RefCell<Vec<u64>>,
    }

    impl Scripted {
        fn new(answers: Vec<Result<OutboundResponse, OutboundError>>) -> Self {
            Scripted {
                answers: RefCell::new(answers),
                seen: RefCell::new(Vec::new()),
                timeouts: RefCell::new(Vec::new()),
            }
        }
    }

    impl Outbound for Scripted {
        async fn post(
            &self,
            request: &OutboundRequest,
            timeout_ms: u64,
        ) -> Result<OutboundResponse, OutboundError> {
            self.seen.borrow_mut().push(request.clone());
            self.timeouts.borrow_mut().push(timeout_ms);
            let answer = self.answers.borrow_mut().remove(0);
            if answer == Err(OutboundError::Timeout) {
                // A hanging server: the attempt lasts as long as it is allowed to.
                platform::runtime::sleep(timeout_ms).await;
            }
            answer
        }

        async fn get(
            &self,
            request: &OutboundRequest,
            timeout_ms: u64,
        ) -> Result<OutboundResponse, OutboundError> {
            self.post(request, timeout_ms).await
        }
    }

    fn answer(
        status: u16,
        body: Value,
        retry_after: Option<&str>,
    ) -> Result<OutboundResponse, OutboundError> {
        Ok(OutboundResponse {
            status,
            retry_after: retry_after.map(str::to_owned),
            body: body.to_string(),
        })
    }

    fn config() -> ResendConfig {
        ResendConfig {
            api_url: "http://resend.test/".into(),
            api_key: Secret::new("re_key"),
            from: "Acme <hi@acme.test>".into(),
        }
    }

    fn email() -> Email {
        Email {
            to: "owner@example.com".into(),
            subject: "s".into(),
            html: "<p>h</p>".into(),
            text: "t".into(),
            idempotency_key: "invite-1-1".into(),
        }
    }

    const FAST: Limits = Limits {
        backoff: Backoff {
            max_attempts: 4,
            base_ms: 1,
            max_delay_ms: 5,
        },
        attempt_timeout_ms: 1_000,
        budget_ms: 5_000,
    };

    #[tokio::test]
    async fn sends_with_the_documented_request() {
        let outbound = Scripted::new(vec![answer(200, json!({"id": "e1"}), None)]);
        let sent = send_email(&outbound, &config(), &email(), FAST)
            .await
            .unwrap();
        assert_eq!(
            sent,
            Sent {
                id: "e1".into(),
                attempts: 1
            }
        );
        let seen = outbound.seen.borrow();
        assert_eq!(seen[0].url, "http://resend.test/emails");
        assert!(seen[0]
            .headers
            .contains(&("authorization".into(), "Bearer re_key".into())));
        assert!(seen[0]
            .headers
            .contains(&("idempotency-key".into(), "invite-1-1".into())));
        let body: Value = serde_json::from_str(&seen[0].body).unwrap();
        assert_eq!(
            body,
            json!({"from": "Acme <hi@acme.test>", "to": ["owner@example.com"], "subject": "s", "html": "<p>h</p>", "text": "t"})
        );
    }

    #[tokio::test]
    async fn rate_limits_and_server_errors_are_retried_with_the_same_key() {
        let rate_limited =
            json!({"statusCode": 429, "name": "rate_limit_exceeded", "message": "slow down"});
        let outbound = Scripted::new(vec![
            answer(429, rate_limited.clone(), Some("0")),
            Err(OutboundError::Timeout),
            answer(503, json!({}), None),
            answer(200, json!({"id": "e2"}), None),
        ]);
        let sent = send_email(&outbound, &config(), &email(), FAST)
            .await
            .unwrap();
        assert_eq!(sent.attempts, 4);
        let keys: Vec<String> = outbound
            .seen
            .borrow()
            .iter()
            .map(|r| r.headers[2].1.clone())
            .collect();
        assert!(keys.iter().all(|key| key == "invite-1-1"));
    }

    #[tokio::test]
    async fn quota_and_validation_errors_are_not_retried() {
        for (status, name) in [
            (429, "daily_quota_exceeded"),
            (429, "monthly_quota_exceeded"),
            (422, "validation_error"),
            (403, "invalid_api_key"),
        ] {
            let outbound = Scripted::new(vec![answer(
                status,
                json!({"statusCode": status, "name": name, "message": "no"}),
                None,
            )]);
            let error = send_email(&outbound, &config(), &email(), FAST)
                .await
                .unwrap_err();
            assert_eq!(
                error,
                SendError::Rejected {
                    status,
                    name: name.into(),
                    message: "no".into()
                }
            );
            assert_eq!(outbound.seen.borrow().len(), 1);
        }
    }

    #[tokio::test]
    async fn gives_up_after_the_last_attempt_or_when_retry_after_does_not_fit() {
        let outbound = Scripted::new(
            (0..4)
                .map(|_| Err(OutboundError::Unreachable("refused".into())))
                .collect(),
        );
        let error = send_email(&outbound, &config(), &email(), FAST)
            .await
            .unwrap_err();
        assert_eq!(
            error,
            SendError::Unavailable {
                attempts: 4,
                last: "unreachable".into()
            }
        );

        let outbound = Scripted::new(vec![answer(
            429,
            json!({"name": "rate_limit_exceeded"}),
            Some("60"),
        )]);
        let error = send_email(&outbound, &config(), &email(), FAST)
            .await
            .unwrap_err();
        assert_eq!(
            error,
            SendError::Unavailable {
                attempts: 1,
                last: "429 rate_limit_exceeded".into()
            }
        );
    }

    /// Resend hanging: each attempt runs to its timeout. The attempts, their timeouts
    /// and the waits between them together end within the budget.
    #[tokio::test]
    async fn a_hanging_api_is_given_up_on_within_the_budget() {
        let limits = Limits {
            backoff: Backoff {
                max_attempts: 10,
                base_ms: 100,
                max_delay_ms: 200,
            },
            attempt_timeout_ms: 700,
            budget_ms: 1_800,
        };
        let outbound = Scripted::new((0..10).map(|_| Err(OutboundError::Timeout)).collect());
        let started = std::time::Instant::now();
        let error = send_email(&outbound, &config(), &email(), limits)
            .await
            .unwrap_err();
        let took = started.elapsed().as_millis() as u64;
        assert!(matches!(error, SendError::Unavailable { .. }));
        assert!(
            outbound.timeouts.borrow().len() >= 2,
            "{:?}",
            outbound.timeouts
        );
        assert!(
            took <= limits.budget_ms + 50,
            "gave up after {took} ms, past the {} ms budget",
            limits.budget_ms
        );
    }
}
