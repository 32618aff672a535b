//! The operator's environment, read and checked before any call is made.

use crate::{api, Failure};
use platform::config::Secret;

/// The operator's environment, read and checked before any call is made.
#[derive(Debug, Clone)]
pub struct Settings {
    pub token: Secret,
    /// `SUPABASE_ORG_SLUG`, or else `SUPABASE_ORG_ID` (its slug is looked up once).
    pub organization: OrganizationRef,
    pub api_url: String,
    pub requests_per_minute: u64,
    /// With `{ref}` and `{password}` placeholders.
    pub database_url: String,
    /// With a `{ref}` placeholder.
    pub functions_url: String,
    pub db_password: Option<Secret>,
    /// Function secrets passed through from the operator's environment when set.
    pub passthrough: Vec<(String, Secret)>,
    /// `RESEND_API_URL`, where the owner's invite is sent (with `RESEND_API_KEY`).
    pub resend_api_url: String,
}

impl Settings {
    /// A passed-through secret's value, when the operator set it.
    pub fn passthrough_value(&self, name: &str) -> Option<&Secret> {
        self.passthrough
            .iter()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, value)| value)
    }
}

/// Function secrets copied from the operator's environment to the project when set.
pub const PASSTHROUGH_SECRETS: [&str; 4] = [
    "RESEND_API_KEY",
    "APP_URL",
    "INVITE_EMAIL_FROM",
    "MAKE_USER_ONBOARDING_WEBHOOK_URL",
];
/// Function secrets generated for the project when it does not have them yet.
pub const GENERATED_SECRETS: [&str; 3] = [
    "ONBOARDING_WEBHOOK_SECRET",
    "MAKE_ONBOARDING_CALLBACK_TOKEN",
    "MAKE_SIGNING_SECRET",
];

impl Settings {
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, Failure> {
        let get = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let token = get("SUPABASE_MANAGEMENT_TOKEN").ok_or_else(|| {
            Failure::Config("missing environment variable SUPABASE_MANAGEMENT_TOKEN".into())
        })?;
        let organization = match (get("SUPABASE_ORG_SLUG"), get("SUPABASE_ORG_ID")) {
            (Some(slug), _) => OrganizationRef::Slug(slug),
            (None, Some(id)) => OrganizationRef::Id(id),
            (None, None) => {
                return Err(Failure::Config(
                    "missing environment variable SUPABASE_ORG_SLUG (or SUPABASE_ORG_ID)".into(),
                ))
            }
        };
        let requests_per_minute = match get("PROVISION_API_RATE_PER_MINUTE") {
            None => 120,
            Some(raw) => raw.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                Failure::Config("PROVISION_API_RATE_PER_MINUTE must be a positive number".into())
            })?,
        };
        Ok(Settings {
            token: Secret::new(token),
            organization,
            api_url: get("SUPABASE_API_URL").unwrap_or_else(|| api::DEFAULT_API_URL.to_owned()),
            requests_per_minute,
            database_url: get("PROVISION_DATABASE_URL")
                .unwrap_or_else(|| "postgresql://postgres:{password}@db.{ref}.supabase.co:5432/postgres?sslmode=require".into()),
            functions_url: get("PROVISION_FUNCTIONS_URL").unwrap_or_else(|| "https://{ref}.supabase.co/functions/v1".into()),
            db_password: get("PROVISION_DB_PASSWORD").map(Secret::new),
            passthrough: PASSTHROUGH_SECRETS
                .iter()
                .filter_map(|name| get(name).map(|value| ((*name).to_owned(), Secret::new(value))))
                .collect(),
            resend_api_url: get("RESEND_API_URL")
                .unwrap_or_else(|| onboarding::email::DEFAULT_API_URL.to_owned()),
        })
    }
}

/// The Supabase organization the project belongs to, as the operator named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrganizationRef {
    Slug(String),
    /// The deprecated id: the API wants the slug, which is looked up once.
    Id(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_the_missing_variable() {
        let none = |_: &str| None;
        assert_eq!(
            Settings::from_env(&none).unwrap_err().to_string(),
            "configuration: missing environment variable SUPABASE_MANAGEMENT_TOKEN"
        );
        let token_only =
            |name: &str| (name == "SUPABASE_MANAGEMENT_TOKEN").then(|| "sbp_x".to_owned());
        assert!(Settings::from_env(&token_only)
            .unwrap_err()
            .to_string()
            .contains("SUPABASE_ORG_ID"));
        let slug = |name: &str| match name {
            "SUPABASE_MANAGEMENT_TOKEN" => Some("sbp_x".to_owned()),
            "SUPABASE_ORG_SLUG" => Some("acme".to_owned()),
            _ => None,
        };
        let settings = Settings::from_env(&slug).unwrap();
        assert_eq!(settings.organization, OrganizationRef::Slug("acme".into()));
        let both = |name: &str| match name {
            "SUPABASE_ORG_ID" => Some("org-id".to_owned()),
            other => slug(other),
        };
        assert_eq!(
            Settings::from_env(&both).unwrap().organization,
            OrganizationRef::Slug("acme".into()),
            "the slug wins: the id is deprecated"
        );
        assert_eq!(settings.requests_per_minute, 120);
        assert_eq!(settings.api_url, "https://api.supabase.com");
    }
}
