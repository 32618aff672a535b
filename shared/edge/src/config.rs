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

/// What every function needs to reach the database as the service role.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL of PostgREST: `POSTGREST_URL` when set (the local stack points it
    /// straight at PostgREST to skip a hop), else `{SUPABASE_URL}/rest/v1`.
    pub rest_url: String,
    pub service_role_key: Secret,
    /// Deadline for one PostgREST call; a hung database must not hang the function.
    pub db_timeout_ms: u64,
}

/// Default deadline for one database call.
pub const DEFAULT_DB_TIMEOUT_MS: u64 = 5_000;

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let rest_url = match env.optional("POSTGREST_URL") {
            Some(_) => env.url("POSTGREST_URL")?,
            None => format!("{}/rest/v1", env.url("SUPABASE_URL")?),
        };
        let service_role_key = Secret::new(env.required("SUPABASE_SERVICE_ROLE_KEY")?);
        let db_timeout_ms = env.number("DB_TIMEOUT_MS", DEFAULT_DB_TIMEOUT_MS, 1..=60_000)?;
        Ok(Config {
            rest_url,
            service_role_key,
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

    #[test]
    fn names_the_missing_variable() {
        let err = Config::from_env(&env(&[("SUPABASE_URL", "http://x")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing environment variable SUPABASE_SERVICE_ROLE_KEY"
        );
        let err = Config::from_env(&env(&[("SUPABASE_SERVICE_ROLE_KEY", "k")])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("SUPABASE_URL"));
    }

    #[test]
    fn rest_url_defaults_to_supabase_layout_and_can_be_overridden() {
        let base = [
            ("SUPABASE_URL", "https://abc.supabase.co/"),
            ("SUPABASE_SERVICE_ROLE_KEY", "k"),
        ];
        assert_eq!(
            Config::from_env(&env(&base)).unwrap().rest_url,
            "https://abc.supabase.co/rest/v1"
        );
        let mut overridden = env(&base);
        overridden.set("POSTGREST_URL", "http://127.0.0.1:3000/");
        assert_eq!(
            Config::from_env(&overridden).unwrap().rest_url,
            "http://127.0.0.1:3000"
        );
    }

    #[test]
    fn rejects_a_bad_timeout_and_a_bad_url() {
        let err = Config::from_env(&env(&[
            ("SUPABASE_URL", "http://x"),
            ("SUPABASE_SERVICE_ROLE_KEY", "k"),
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
        let err = Config::from_env(&env(&[
            ("SUPABASE_URL", "abc"),
            ("SUPABASE_SERVICE_ROLE_KEY", "k"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "SUPABASE_URL",
                ..
            }
        ));
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }
}
