//! Secrets: the one check of a shared bearer secret, comparison that does not leak
//! through timing how much of a guess was right, fresh tokens, and the hashed form in
//! which tokens are stored.

use crate::config::Secret;
use crate::error::ApiError;
use crate::http::HttpRequest;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The caller must present `Authorization: Bearer <secret>` (a webhook's or Make's shared
/// secret, not a JWT): compared in constant time; `401 unauthorized` otherwise.
pub fn require_bearer_secret(request: &HttpRequest, secret: &Secret) -> Result<(), ApiError> {
    let presented = request.bearer_token().unwrap_or_default();
    if !presented.is_empty() && secrets_match(presented, secret.expose()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Compares a presented secret with the expected one in constant time. Both sides are
/// hashed first so that the comparison does not even reveal the expected length.
pub fn secrets_match(presented: &str, expected: &str) -> bool {
    let presented = Sha256::digest(presented.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    presented.ct_eq(&expected).into()
}

/// A fresh random token: 32 bytes from the CSPRNG in unpadded base64url (43
/// characters of `[A-Za-z0-9_-]`, so it fits a URL path and a Telegram start parameter).
pub fn new_token() -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    URL_SAFE_NO_PAD.encode(crate::runtime::random_bytes::<32>())
}

/// Lower-case hex SHA-256, the form in which tokens are stored.
pub fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_secrets_match_and_others_do_not() {
        assert!(secrets_match("s3cret-value", "s3cret-value"));
        assert!(!secrets_match("s3cret-valuf", "s3cret-value"));
        assert!(!secrets_match("s3cret", "s3cret-value"));
        assert!(!secrets_match("", "s3cret-value"));
    }

    #[test]
    fn bearer_secrets_are_checked_whole() {
        let secret = Secret::new("s3cret-value");
        let with = |value: &str| HttpRequest::new("POST").with_header("authorization", value);
        assert_eq!(
            require_bearer_secret(&with("Bearer s3cret-value"), &secret),
            Ok(())
        );
        for wrong in [
            "Bearer s3cret",
            "Bearer ",
            "s3cret-value",
            "Basic s3cret-value",
        ] {
            assert_eq!(
                require_bearer_secret(&with(wrong), &secret),
                Err(ApiError::Unauthorized),
                "{wrong}"
            );
        }
        assert_eq!(
            require_bearer_secret(&HttpRequest::new("POST"), &secret),
            Err(ApiError::Unauthorized)
        );
    }

    #[test]
    fn sha256_hex_is_the_standard_digest() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
