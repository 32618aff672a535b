//! The seed's job (what to provision, where and how), and what the operator gets back.

use crate::{organization, Failure, RegionChoice};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The seed's job, plus where and how.
#[derive(Debug, Clone)]
pub struct Job {
    pub client_id: String,
    pub client_name: String,
    pub org_email: String,
    pub tier: String,
    pub region: RegionChoice,
    /// `None` for no template.
    pub template: Option<(String, PathBuf)>,
    pub migrations_dir: PathBuf,
    /// The directory holding `supabase/config.toml` and the functions (built).
    pub project_dir: PathBuf,
    pub secrets_file: Option<PathBuf>,
    pub timeout: Duration,
    pub poll_interval: Duration,
    pub until: Step,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Step {
    Project,
    Database,
    Functions,
    Secrets,
    Organization,
}

impl Job {
    pub fn project_name(&self) -> String {
        format!("client-{}-prod", self.client_id)
    }

    pub fn validate(&self) -> Result<(), Failure> {
        // Also the first organization's slug: words of a-z and 0-9 joined by single dashes.
        let id_ok = !self.client_id.is_empty()
            && self.client_id.len() <= 40
            && self.client_id.split('-').all(|word| {
                !word.is_empty()
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if !id_ok {
            return Err(Failure::Config(
                "client id must be 1-40 characters: words of a-z and 0-9 joined by single dashes"
                    .into(),
            ));
        }
        if organization::plan_for_tier(&self.tier).is_none() {
            return Err(Failure::Config(format!(
                "unknown tier {}; tiers: {}",
                self.tier,
                organization::TIER_PLANS
                    .iter()
                    .map(|(tier, plan)| format!("{tier} (plan {plan})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if self.client_name.trim().is_empty() {
            return Err(Failure::Config("client name must not be empty".into()));
        }
        if platform::values::EmailAddress::parse(&self.org_email).is_none() {
            return Err(Failure::Config("org email is not an email address".into()));
        }
        Ok(())
    }
}

/// What the operator gets back (no secrets in it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    /// The job, as the operator gave it, so the result is a complete record.
    pub client_name: String,
    pub tier: String,
    /// The project's region, as the API reports it.
    pub region: String,
    /// What was asked for at creation (`region_selection`), when this run created it.
    pub region_selection: Option<Value>,
    pub organization_slug: String,
    pub project_ref: String,
    pub project_name: String,
    pub url: String,
    pub anon_key: Option<String>,
    pub created: bool,
    pub migrations_applied: Vec<String>,
    pub template: Option<String>,
    pub secrets_set: Vec<String>,
    pub secrets_file: Option<String>,
    /// The database through Supavisor, without its password (it is in the secrets file).
    pub database_pooler_url: Option<String>,
    pub functions_deployed: Vec<String>,
    /// The plan the tier maps to (`organization::TIER_PLANS`).
    pub plan: String,
    pub organization_id: Option<String>,
    /// `{APP_URL}/onboarding/join/<token>`: the owner's invite, for the operator to hand
    /// over when the email is not sent.
    pub invite_link: Option<String>,
    /// `pending`, `accepted`, …: the owner invite's status.
    pub invite_status: Option<String>,
    /// `sent`, `already_sent`, `not_configured` (no RESEND_API_KEY / INVITE_EMAIL_FROM) or
    /// `failed: <why>`.
    pub invite_email: Option<String>,
    pub completed_steps: Vec<&'static str>,
}

/// Where the shipped templates live.
pub fn template_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join(format!("{name}.sql"))
}
