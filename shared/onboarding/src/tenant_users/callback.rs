//! What Make reports back through the callback: a chat bound (with the start token
//! Telegram's /start gave the bot, which proves it is the invited user's link), the link
//! opened with no chat yet, or a failure.

use platform::error::ApiError;
use platform::request::Fields;
use platform::values::EmailAddress;
use serde_json::Value;
use uuid::Uuid;

/// What Make tells us through the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    Completed {
        correlation_id: Uuid,
        email: EmailAddress,
        chat_id: i64,
        telegram_user_id: Option<i64>,
        /// The token from the deep link's `start` parameter; only its hash goes further.
        start_token: String,
    },
    AwaitingChat {
        correlation_id: Uuid,
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
            | Callback::AwaitingChat { correlation_id }
            | Callback::Failed { correlation_id, .. } => *correlation_id,
        }
    }
}

/// Telegram ids are 64-bit integers; Make may send them as numbers or strings.
fn telegram_id(check: &mut Fields, field: &str, required: bool) -> Option<i64> {
    match check.get(field).cloned() {
        None if !required => None,
        None => check.problem(field, "is required"),
        Some(Value::Number(number)) => number
            .as_i64()
            .or_else(|| check.problem(field, "must be an integer")),
        Some(Value::String(text)) => text
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| check.problem(field, "must be an integer")),
        Some(_) => check.problem(field, "must be an integer"),
    }
}

pub fn parse_callback(body: &[u8]) -> Result<Callback, ApiError> {
    let mut check = Fields::from_body(body)?;
    let correlation_id = check.uuid("correlation_id");
    let status = match check.get("status").cloned() {
        None => Some("completed".to_owned()),
        Some(Value::String(status))
            if ["completed", "failed", "awaiting_chat"].contains(&status.as_str()) =>
        {
            Some(status)
        }
        Some(_) => check.problem(
            "status",
            "must be \"completed\", \"awaiting_chat\" or \"failed\"",
        ),
    };
    let callback = match status.as_deref() {
        Some("failed") => {
            let error = check.string("error", 1000, true);
            let reason = check.string("reason", 100, false);
            match (correlation_id, error) {
                (Some(correlation_id), Some(error)) => Some(Callback::Failed {
                    correlation_id,
                    error,
                    reason,
                }),
                _ => None,
            }
        }
        Some("awaiting_chat") => {
            correlation_id.map(|correlation_id| Callback::AwaitingChat { correlation_id })
        }
        _ => {
            let email = check.email("email");
            let chat_id = telegram_id(&mut check, "chat_id", true);
            let telegram_user_id = telegram_id(&mut check, "telegram_user_id", false);
            let start_token = check.string("start_token", 64, true);
            if start_token.as_deref().is_some_and(|token| {
                token.len() < 16
                    || !token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }) {
                check.problem::<()>(
                    "start_token",
                    "must be the 16-64 characters of [A-Za-z0-9_-] from the link",
                );
            }
            match (correlation_id, email, chat_id, start_token) {
                (Some(correlation_id), Some(email), Some(chat_id), Some(start_token)) => {
                    Some(Callback::Completed {
                        correlation_id,
                        email,
                        chat_id,
                        telegram_user_id,
                        start_token,
                    })
                }
                _ => None,
            }
        }
    };
    check.finish()?;
    callback.ok_or(ApiError::Internal)
}
