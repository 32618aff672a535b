//! Webhook signatures as [Standard Webhooks](https://www.standardwebhooks.com/) defines
//! them, the one signer for every request we send that a receiver must be able to trust:
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`,
//! keyed with the bytes of a `whsec_<base64>` secret. During a rotation the header holds
//! one signature per secret, space-separated, as the specification allows.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A signing secret: `whsec_` followed by the base64 of its key bytes.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a webhook secret must start with whsec_")]
    Prefix,
    #[error("a webhook secret must be whsec_ followed by base64 of 24 to 64 bytes")]
    Key,
}

impl WebhookSecret {
    pub fn parse(text: &str) -> Result<WebhookSecret, SecretError> {
        let encoded = text
            .trim()
            .strip_prefix("whsec_")
            .ok_or(SecretError::Prefix)?;
        let key = STANDARD.decode(encoded).map_err(|_| SecretError::Key)?;
        if !(24..=64).contains(&key.len()) {
            return Err(SecretError::Key);
        }
        Ok(WebhookSecret { key })
    }

    /// A new secret of 32 bytes from the platform's CSPRNG, in its `whsec_` form.
    pub fn generate() -> String {
        format!(
            "whsec_{}",
            STANDARD.encode(crate::runtime::random_bytes::<32>())
        )
    }

    /// `v1,<signature>` for one message.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &str) -> String {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(message_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// The three Standard Webhooks headers for one message, signed with every secret given
/// (the current one, and during a rotation the previous one too).
pub fn headers(
    secrets: &[&WebhookSecret],
    message_id: &str,
    timestamp: i64,
    body: &str,
) -> Vec<(String, String)> {
    let signatures: Vec<String> = secrets
        .iter()
        .map(|secret| secret.sign(message_id, timestamp, body))
        .collect();
    vec![
        ("webhook-id".into(), message_id.to_owned()),
        ("webhook-timestamp".into(), timestamp.to_string()),
        ("webhook-signature".into(), signatures.join(" ")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_the_specifications_example() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            secret.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn rotation_signs_with_both_secrets() {
        let old = WebhookSecret::parse(&WebhookSecret::generate()).unwrap();
        let new = WebhookSecret::parse(&WebhookSecret::generate()).unwrap();
        let headers = headers(&[&new, &old], "msg_1", 1_700_000_000, "{}");
        let signature = &headers[2].1;
        let parts: Vec<&str> = signature.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], new.sign("msg_1", 1_700_000_000, "{}"));
        assert_eq!(parts[1], old.sign("msg_1", 1_700_000_000, "{}"));
        assert_ne!(parts[0], parts[1]);
        assert_eq!(headers[0], ("webhook-id".into(), "msg_1".into()));
    }

    #[test]
    fn secrets_must_be_whsec_base64() {
        assert_eq!(
            WebhookSecret::parse("abc").unwrap_err(),
            SecretError::Prefix
        );
        assert_eq!(
            WebhookSecret::parse("whsec_!!").unwrap_err(),
            SecretError::Key
        );
        assert_eq!(
            WebhookSecret::parse("whsec_YWJj").unwrap_err(),
            SecretError::Key
        );
        assert!(WebhookSecret::generate().starts_with("whsec_"));
    }
}
