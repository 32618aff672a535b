//! Tenant user onboarding over Telegram (seed 003): the request payload contract Make
//! scenarios expect ([`request`]), the callback shapes ([`callback`]), and what one
//! delivery attempt to Make means ([`delivery`]). The state lives in the database
//! (`request_user_onboarding`, `report_onboarding_delivery`, …); the I/O goes through
//! the platform's seams, driven by the function crate.

use platform::error::{ApiError, RaisedError};

mod callback;
mod delivery;
mod request;

pub use callback::{parse_callback, Callback};
pub use delivery::{deliver, Delivery, Leased, MakeConfig};
pub use request::{parse_request, OnboardingRequest, TenantUserRole};

pub const EVENT_TYPE: &str = "tenant.user.onboarding_requested";

/// The errors the onboarding SQL functions raise.
pub const RAISED: &[RaisedError] = crate::raised::TENANT_USERS;

pub fn from_db(error: platform::db::DbError) -> ApiError {
    ApiError::from_db(error, RAISED)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use platform::outbound::OutboundResponse;
    use platform::outbound::{Outbound, OutboundError, OutboundRequest};
    use platform::retry::Backoff;
    use serde_json::{json, Value};

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
    fn callbacks_parse_every_shape() {
        let id = "2b6c3f5e-8a43-4a53-9d1e-2f1f6f0f2b11";
        let token = "tok_0123456789abcdefXYZ";
        let ok = parse_callback(json!({"correlation_id": id, "email": "A@B.co", "chat_id": "-100123", "telegram_user_id": 42, "start_token": token}).to_string().as_bytes()).unwrap();
        assert_eq!(
            ok,
            Callback::Completed {
                correlation_id: id.parse().unwrap(),
                email: platform::values::EmailAddress::parse("a@b.co").unwrap(),
                chat_id: -100123,
                telegram_user_id: Some(42),
                start_token: token.into(),
            }
        );
        let awaiting = parse_callback(
            json!({"correlation_id": id, "status": "awaiting_chat"})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            awaiting,
            Callback::AwaitingChat {
                correlation_id: id.parse().unwrap()
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
            // A success must carry the link's start token, well formed.
            json!({"correlation_id": id, "email": "a@b.co", "chat_id": 1}),
            json!({"correlation_id": id, "email": "a@b.co", "chat_id": 1, "start_token": "short"}),
            json!({"correlation_id": id, "email": "a@b.co", "chat_id": 1, "start_token": "has spaces in it, sixteen+"}),
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

        async fn get(
            &self,
            _: &OutboundRequest,
            _: u64,
        ) -> Result<OutboundResponse, OutboundError> {
            self.0.clone()
        }
    }

    #[allow(clippy::unwrap_used)] // a helper of the tests: the spec's example secret
    fn config() -> MakeConfig {
        MakeConfig {
            webhook_url: "http://make.test/hook".into(),
            signing_secret: platform::signing::WebhookSecret::parse(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            )
            .unwrap(),
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
