//! Secrets: the one check of a shared bearer secret, the one check of a server-to-server
//! caller's key, comparison that does not leak through timing how much of a guess was
//! right, fresh tokens, and the hashed form in which tokens are stored.

use crate::config::{Secret, ServerKeys};
use crate::db::Caller;
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

/// Whether the caller presents one of the project's server keys, as Supabase's callers
/// do: a secret key in `apikey` (compared in constant time with every value of
/// `SUPABASE_SECRET_KEYS`), or, while legacy keys are on, the legacy service-role key as
/// `Authorization: Bearer`. A publishable key, or a legacy key once they are off, is not.
pub fn presents_server_key(request: &HttpRequest, keys: &ServerKeys) -> bool {
    // Every candidate is compared (no early exit), so timing does not tell which matched.
    let matches_any = |presented: &str, candidates: &[Secret]| {
        !presented.is_empty()
            && candidates.iter().fold(false, |found, key| {
                found | secrets_match(presented, key.expose())
            })
    };
    let apikey = request.header("apikey").unwrap_or_default().trim();
    let bearer = request.bearer_token().unwrap_or_default();
    matches_any(apikey, &keys.secret_keys)
        || matches_any(bearer, keys.legacy_service_role.as_slice())
}

/// What a caller that is not a user (a database webhook, Make) must present: a shared
/// secret of its own as `Authorization: Bearer`, or, where the deployment set none, one of
/// the project's server keys ([`presents_server_key`]).
#[derive(Debug, Clone)]
pub enum CallerSecret {
    Bearer(Secret),
    ServerKey(ServerKeys),
}

impl CallerSecret {
    /// The shared secret in `variable` when it is set, else the project's server keys.
    pub fn from_env(
        env: &crate::config::Env,
        variable: &str,
        server_keys: &ServerKeys,
    ) -> CallerSecret {
        match env.optional(variable) {
            Some(secret) => CallerSecret::Bearer(Secret::new(secret)),
            None => CallerSecret::ServerKey(server_keys.clone()),
        }
    }

    /// `401 unauthorized` unless the caller presents it.
    pub fn require(&self, request: &HttpRequest) -> Result<(), ApiError> {
        match self {
            CallerSecret::Bearer(secret) => require_bearer_secret(request, secret),
            CallerSecret::ServerKey(keys) if presents_server_key(request, keys) => Ok(()),
            CallerSecret::ServerKey(_) => Err(ApiError::Unauthorized),
        }
    }
}

/// Who calls a server-to-server route (a dispatcher run by pg_cron, an operator): the
/// service role when a server key is presented ([`presents_server_key`]); otherwise the
/// bearer JWT, for the database to decide (only the service role may execute what these
/// routes call, so any other role is refused there); `401` without either.
pub fn server_caller<'a>(
    request: &'a HttpRequest,
    keys: &ServerKeys,
) -> Result<Caller<'a>, ApiError> {
    if presents_server_key(request, keys) {
        return Ok(Caller::ServiceRole);
    }
    request
        .bearer_jwt()
        .map(Caller::User)
        .ok_or(ApiError::Unauthorized)
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
    fn server_keys_are_secret_keys_in_apikey_or_the_legacy_key_as_bearer() {
        let keys = ServerKeys {
            secret_keys: vec![Secret::new("sb_secret_a"), Secret::new("sb_secret_b")],
            legacy_service_role: Some(Secret::new("legacy.service.jwt")),
        };
        let post = || HttpRequest::new("POST");
        assert!(presents_server_key(
            &post().with_header("apikey", "sb_secret_b"),
            &keys
        ));
        assert!(presents_server_key(
            &post().with_header("authorization", "Bearer legacy.service.jwt"),
            &keys
        ));
        for refused in [
            post().with_header("apikey", "sb_publishable_a"),
            post().with_header("apikey", "sb_secret_"),
            post().with_header("authorization", "Bearer sb_secret_a"),
            post().with_header("apikey", "legacy.service.jwt"),
            post(),
        ] {
            assert!(!presents_server_key(&refused, &keys), "{refused:?}");
        }
        let legacy_off = ServerKeys {
            legacy_service_role: None,
            ..keys.clone()
        };
        assert!(!presents_server_key(
            &post().with_header("authorization", "Bearer legacy.service.jwt"),
            &legacy_off
        ));
        assert_eq!(
            server_caller(&post().with_header("apikey", "sb_secret_a"), &keys),
            Ok(Caller::ServiceRole)
        );
        let user = post().with_header("authorization", "Bearer aaa.bbb.ccc");
        assert_eq!(server_caller(&user, &keys), Ok(Caller::User("aaa.bbb.ccc")));
        assert_eq!(
            server_caller(&post().with_header("apikey", "sb_publishable_a"), &keys),
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
