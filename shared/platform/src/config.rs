//! Typed configuration, read once when a function starts.
//!
//! A function that is missing a variable must refuse to start with a message that
//! names it, rather than fail on the first request with something vague.

use std::collections::HashMap;
use std::fmt;

/// The process environment as a plain map, so configuration can be built the same way
/// from `std::env` natively and from `Deno.env.toObject()` in WebAssembly.
#[derive(Clone, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn new(vars: HashMap<String, String>) -> Self {
        Env(vars)
    }

    /// Unset and empty are the same thing: an empty secret is never what someone meant.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing(name))
    }

    /// A whole number within `range`, or `default` when unset.
    pub fn number(
        &self,
        name: &'static str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    name,
                    reason: format!(
                        "must be a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                }),
        }
    }

    /// A required http(s) URL, without a trailing slash.
    pub fn url(&self, name: &'static str) -> Result<String, ConfigError> {
        let url = self.required(name)?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                name,
                reason: "must start with http:// or https://".into(),
            });
        }
        Ok(url.trim_end_matches('/').to_owned())
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_owned(), value.to_owned());
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A value that must never reach a log line or a response: `Debug` and `Display` hide it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The key a function presents to the project's API (PostgREST behind Supabase's
/// gateway) for work it does itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerKey {
    /// A secret key (`sb_secret_…`): not a JWT, it travels in `apikey` only, and the
    /// gateway turns it into a short-lived `service_role` JWT upstream.
    Secret(Secret),
    /// The legacy `service_role` JWT, while the project's legacy keys are on: in `apikey`
    /// and as `Authorization: Bearer`.
    LegacyServiceRole(Secret),
}

impl ServerKey {
    /// The `apikey` header's value.
    pub fn apikey(&self) -> &str {
        match self {
            ServerKey::Secret(key) | ServerKey::LegacyServiceRole(key) => key.expose(),
        }
    }

    /// The bearer token for the function's own calls (none for a secret key: the
    /// gateway supplies the JWT).
    pub fn bearer(&self) -> Option<&str> {
        match self {
            ServerKey::Secret(_) => None,
            ServerKey::LegacyServiceRole(key) => Some(key.expose()),
        }
    }
}

/// The project's server-side keys as Supabase gives them to a function: every value of
/// `SUPABASE_SECRET_KEYS` (a JSON object, `{"default": "sb_secret_…", …}`), and the legacy
/// `SUPABASE_SERVICE_ROLE_KEY` only while legacy keys are on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerKeys {
    pub secret_keys: Vec<Secret>,
    pub legacy_service_role: Option<Secret>,
}

impl ServerKeys {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let secret_keys = match env.optional("SUPABASE_SECRET_KEYS") {
            None => Vec::new(),
            Some(raw) => named_keys(&raw).ok_or_else(|| ConfigError::Invalid {
                name: "SUPABASE_SECRET_KEYS",
                reason: "must be a JSON object of key names to keys, e.g. {\"default\": \"sb_secret_…\"}"
                    .into(),
            })?,
        };
        let legacy_service_role = env.optional("SUPABASE_SERVICE_ROLE_KEY").map(Secret::new);
        Ok(ServerKeys {
            secret_keys,
            legacy_service_role,
        })
    }

    /// The key the function uses itself: the new kind when there is one (the `default`
    /// secret key first), else the legacy service-role key; `None` with neither.
    pub fn own_key(&self) -> Option<ServerKey> {
        match (self.secret_keys.first(), &self.legacy_service_role) {
            (Some(secret), _) => Some(ServerKey::Secret(secret.clone())),
            (None, Some(legacy)) => Some(ServerKey::LegacyServiceRole(legacy.clone())),
            (None, None) => None,
        }
    }
}

/// The values of a JSON object of names to keys, the `default` one first, then by name;
/// `None` when it is not such an object.
fn named_keys(raw: &str) -> Option<Vec<Secret>> {
    let object: std::collections::BTreeMap<String, String> = serde_json::from_str(raw).ok()?;
    let (default, others): (Vec<_>, Vec<_>) =
        object.into_iter().partition(|(name, _)| name == "default");
    Some(
        default
            .into_iter()
            .chain(others)
            .map(|(_, key)| key.trim().to_owned())
            .filter(|key| !key.is_empty())
            .map(Secret::new)
            .collect(),
    )
}

/// What every function needs to reach the database.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL of PostgREST as Supabase serves it: `{SUPABASE_URL}/rest/v1`, through the
    /// project's gateway (which is what turns a secret key into a JWT).
    pub rest_url: String,
    /// The keys server-to-server callers may present.
    pub server_keys: ServerKeys,
    /// The key the function presents for its own calls.
    pub server_key: ServerKey,
    /// Deadline for one PostgREST call; a hung database must not hang the function.
    pub db_timeout_ms: u64,
}

/// Default deadline for one database call.
pub const DEFAULT_DB_TIMEOUT_MS: u64 = 5_000;

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let rest_url = format!("{}/rest/v1", env.url("SUPABASE_URL")?);
        let server_keys = ServerKeys::from_env(env)?;
        let server_key = server_keys.own_key().ok_or(ConfigError::Missing(
            "SUPABASE_SECRET_KEYS (or, with legacy keys on, SUPABASE_SERVICE_ROLE_KEY)",
        ))?;
        let db_timeout_ms = env.number("DB_TIMEOUT_MS", DEFAULT_DB_TIMEOUT_MS, 1..=60_000)?;
        Ok(Config {
            rest_url,
            server_key,
            server_keys,
            db_timeout_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    const SECRET_KEYS: (&str, &str) = (
        "SUPABASE_SECRET_KEYS",
        r#"{"other": "sb_secret_other", "default": "sb_secret_default"}"#,
    );

    #[test]
    fn names_the_missing_variable() {
        let err = Config::from_env(&env(&[("SUPABASE_URL", "http://x")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing environment variable SUPABASE_SECRET_KEYS (or, with legacy keys on, SUPABASE_SERVICE_ROLE_KEY)"
        );
        let err = Config::from_env(&env(&[SECRET_KEYS])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("SUPABASE_URL"));
    }

    #[test]
    fn new_keys_are_preferred_and_legacy_keys_still_work() {
        let both = Config::from_env(&env(&[
            ("SUPABASE_URL", "https://abc.supabase.co/"),
            SECRET_KEYS,
            ("SUPABASE_SERVICE_ROLE_KEY", "legacy.jwt.key"),
        ]))
        .unwrap();
        assert_eq!(both.rest_url, "https://abc.supabase.co/rest/v1");
        assert_eq!(
            both.server_key,
            ServerKey::Secret(Secret::new("sb_secret_default"))
        );
        assert_eq!(both.server_key.bearer(), None);
        assert_eq!(
            both.server_keys.secret_keys,
            vec![
                Secret::new("sb_secret_default"),
                Secret::new("sb_secret_other")
            ]
        );
        let legacy_only = Config::from_env(&env(&[
            ("SUPABASE_URL", "http://x"),
            ("SUPABASE_SERVICE_ROLE_KEY", "legacy.jwt.key"),
        ]))
        .unwrap();
        assert_eq!(legacy_only.server_key.apikey(), "legacy.jwt.key");
        assert_eq!(legacy_only.server_key.bearer(), Some("legacy.jwt.key"));
        let new_only =
            Config::from_env(&env(&[("SUPABASE_URL", "http://x"), SECRET_KEYS])).unwrap();
        assert_eq!(new_only.server_keys.legacy_service_role, None);
    }

    #[test]
    fn rejects_a_bad_timeout_a_bad_url_and_bad_key_json() {
        let err = Config::from_env(&env(&[
            ("SUPABASE_URL", "http://x"),
            SECRET_KEYS,
            ("DB_TIMEOUT_MS", "soon"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "DB_TIMEOUT_MS",
                ..
            }
        ));
        let err = Config::from_env(&env(&[("SUPABASE_URL", "abc"), SECRET_KEYS])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "SUPABASE_URL",
                ..
            }
        ));
        let err = Config::from_env(&env(&[
            ("SUPABASE_URL", "http://x"),
            ("SUPABASE_SECRET_KEYS", "sb_secret_not_json"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "SUPABASE_SECRET_KEYS",
                ..
            }
        ));
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }
}
