//! Client provisioning: one command per new client creates its own Supabase project
//! through the Management API, installs this product's schema (and optionally an
//! application template) with row-level security verified before anything is committed,
//! deploys the functions, sets their secrets, and creates the client's first organization
//! with its owner's invite: a working project handed over.
//!
//! Every step is idempotent and the run is resumable: the project is found by name
//! before it is created, migrations are recorded where the Supabase CLI records them,
//! and function secrets already set are left alone.

pub mod api;
pub mod database;
pub mod functions;
pub mod organization;
pub mod output;

use api::{ApiError, ManagementApi, Project};
use output::Reporter;
use platform::config::Secret;
use platform::retry::Backoff;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How a run can end; each has its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("configuration: {0}")]
    Config(String),
    #[error("Management API: {0}")]
    Api(String),
    #[error("verification: {0}")]
    Verification(String),
    #[error("database: {0}")]
    Database(String),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Config(_) => 2,
            Failure::Api(_) => 3,
            Failure::Verification(_) => 4,
            Failure::Database(_) => 5,
        }
    }
}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Self {
        Failure::Api(err.to_string())
    }
}

impl From<database::DbStepError> for Failure {
    fn from(err: database::DbStepError) -> Self {
        match err {
            database::DbStepError::RlsMissing(_) => Failure::Verification(err.to_string()),
            other => Failure::Database(other.to_string()),
        }
    }
}

/// Statuses a new project passes through on its way to `ACTIVE_HEALTHY`; any other
/// status not in [`FAILED_STATUSES`] is waited through too.
pub const FAILED_STATUSES: [&str; 6] = [
    "INIT_FAILED",
    "REMOVED",
    "GOING_DOWN",
    "INACTIVE",
    "PAUSE_FAILED",
    "RESTORE_FAILED",
];

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

/// The region codes of the Management API's `region_selection` (Supabase API v1). The
/// API says codes are not a stable API: `GET /v1/projects/available-regions` is the
/// source of truth, and the default asks it.
pub const REGIONS: [&str; 18] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-east-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-central-1",
    "eu-central-2",
    "ca-central-1",
    "ap-south-1",
    "sa-east-1",
];
/// Smart region groups: Supabase picks a region within the group.
pub const REGION_GROUPS: [&str; 3] = ["americas", "emea", "apac"];
/// The group used when the recommendation cannot be had.
pub const FALLBACK_REGION_GROUP: &str = "emea";
/// Where the clients are, for the recommendation (the seed's clients are African).
pub const CLIENT_CONTINENT: &str = "AF";

/// Where the project goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionChoice {
    /// `--region <code>`.
    Specific(String),
    /// `--region-group americas|emea|apac`.
    Group(String),
    /// Neither: what `available-regions` recommends for [`CLIENT_CONTINENT`], else the
    /// [`FALLBACK_REGION_GROUP`].
    Recommended,
}

impl RegionChoice {
    pub fn from_args(region: Option<&str>, group: Option<&str>) -> Result<Self, Failure> {
        match (region, group) {
            (Some(_), Some(_)) => Err(Failure::Config(
                "give --region or --region-group, not both".into(),
            )),
            (Some(code), None) if REGIONS.contains(&code) => {
                Ok(RegionChoice::Specific(code.into()))
            }
            (Some(code), None) => Err(Failure::Config(format!(
                "unknown region {code}; the Management API accepts: {}",
                REGIONS.join(", ")
            ))),
            (None, Some(code)) if REGION_GROUPS.contains(&code) => {
                Ok(RegionChoice::Group(code.into()))
            }
            (None, Some(code)) => Err(Failure::Config(format!(
                "unknown region group {code}; the Management API accepts: {}",
                REGION_GROUPS.join(", ")
            ))),
            (None, None) => Ok(RegionChoice::Recommended),
        }
    }
}

/// The most one `Retry-After` on the create call is waited for (longer asks are cut to
/// this, and the next 429 asks again).
pub const MAX_RETRY_AFTER_MS: u64 = 60_000;
/// How many 429s on the create call are waited out before giving up (exit 3).
pub const MAX_CREATE_RATE_LIMITED: u32 = 5;
/// How many creates whose answer was lost (5xx, no answer) are followed by a lookup and,
/// when nothing was made, another create.
pub const MAX_CREATE_AMBIGUOUS: u32 = 3;

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
        let email = self.org_email.trim();
        let email_ok = email.len() <= 320
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !email.chars().any(char::is_whitespace);
        if !email_ok {
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

/// A password of `len` characters from `[A-Za-z0-9]`, from the CSPRNG, without bias.
pub fn generate_password(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut password = String::with_capacity(len);
    while password.len() < len {
        for byte in platform::runtime::random_bytes::<64>() {
            // 248 = 4 × 62: bytes above it would favour the first characters.
            if byte < 248 && password.len() < len {
                password.push(ALPHABET[(byte % 62) as usize] as char);
            }
        }
    }
    password
}

/// The secrets file: JSON, mode 0600, kept across runs so an interrupted run can resume.
struct SecretsFile {
    path: Option<PathBuf>,
    values: Map<String, Value>,
}

impl SecretsFile {
    fn open(path: Option<PathBuf>) -> Result<Self, Failure> {
        let values = match &path {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path)
                    .map_err(|err| Failure::Config(format!("{}: {err}", path.display())))?;
                serde_json::from_str(&text).map_err(|_| {
                    Failure::Config(format!(
                        "{} is not a secrets file of this tool",
                        path.display()
                    ))
                })?
            }
            _ => Map::new(),
        };
        Ok(SecretsFile { path, values })
    }

    fn get(&self, key: &str) -> Option<Secret> {
        self.values
            .get(key)
            .and_then(Value::as_str)
            .map(Secret::new)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), Failure> {
        self.values.insert(key.to_owned(), json!(value));
        let Some(path) = &self.path else {
            return Ok(());
        };
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)?;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(
                serde_json::to_string_pretty(&self.values)
                    .unwrap_or_default()
                    .as_bytes(),
            )?;
            file.sync_all()
        };
        write().map_err(|err| {
            Failure::Config(format!(
                "could not write the secrets file {}: {err}",
                path.display()
            ))
        })
    }
}

pub struct Provisioner<'a> {
    pub api: ManagementApi,
    pub settings: &'a Settings,
    pub job: &'a Job,
    pub out: &'a mut Reporter,
}

impl<'a> Provisioner<'a> {
    pub fn new(settings: &'a Settings, job: &'a Job, out: &'a mut Reporter) -> Self {
        let backoff = Backoff {
            max_attempts: 6,
            base_ms: 500,
            max_delay_ms: 8_000,
        };
        Provisioner {
            api: ManagementApi::new(
                &settings.api_url,
                settings.token.clone(),
                settings.requests_per_minute,
                backoff,
            ),
            settings,
            job,
            out,
        }
    }

    pub async fn run(&mut self) -> Result<Outcome, Failure> {
        self.job.validate()?;
        // Read (and checked: built, complete) before any call, as the CLI would upload them.
        let uploads = if self.job.until >= Step::Functions {
            functions::read_functions(&self.job.project_dir)
                .map_err(|err| Failure::Config(format!("functions: {err}")))?
        } else {
            Vec::new()
        };
        let app_url = self.settings.passthrough_value("APP_URL").cloned();
        if self.job.until >= Step::Organization && app_url.is_none() {
            return Err(Failure::Config(
                "missing environment variable APP_URL (the invite link's base, also a function secret)".into(),
            ));
        }
        let mut secrets = SecretsFile::open(self.job.secrets_file.clone())?;
        let mut outcome = Outcome {
            client_name: self.job.client_name.clone(),
            tier: self.job.tier.clone(),
            region: String::new(),
            region_selection: None,
            organization_slug: String::new(),
            project_ref: String::new(),
            project_name: self.job.project_name(),
            url: String::new(),
            anon_key: None,
            created: false,
            migrations_applied: Vec::new(),
            template: self.job.template.as_ref().map(|(name, _)| name.clone()),
            secrets_set: Vec::new(),
            secrets_file: self
                .job
                .secrets_file
                .as_ref()
                .map(|p| p.display().to_string()),
            database_pooler_url: None,
            functions_deployed: Vec::new(),
            plan: organization::plan_for_tier(&self.job.tier)
                .unwrap_or_default()
                .to_owned(),
            organization_id: None,
            invite_link: None,
            invite_status: None,
            invite_email: None,
            completed_steps: Vec::new(),
        };

        // 1. Project ----------------------------------------------------------------------
        self.out
            .start("project", &format!("looking for {}", outcome.project_name));
        let slug = self.organization_slug().await?;
        outcome.organization_slug = slug.clone();
        let (project, created, selection) = self.find_or_create(&slug, &mut secrets).await?;
        outcome.region_selection = selection;
        outcome.region = project.region.clone();
        outcome.project_ref = project.project_ref().to_owned();
        outcome.url = format!("https://{}.supabase.co", outcome.project_ref);
        outcome.created = created;
        self.out.progress(
            "project",
            &format!(
                "{} ({}), waiting until ACTIVE_HEALTHY",
                outcome.project_ref,
                if created { "created" } else { "exists" }
            ),
        );
        self.wait_until_healthy(&outcome.project_ref).await?;
        let keys = api::ProjectKeys::from_list(&self.api.api_keys(&outcome.project_ref).await?);
        outcome.anon_key = keys.browser_key().map(str::to_owned);
        // The new keys first; a project whose legacy keys are off lists none of those.
        let server_key = keys.server_key().map(Secret::new);
        if let Some(secret) = &keys.secret {
            secrets.set("secret_key", secret)?;
        }
        if let Some(service) = &keys.legacy_service_role {
            secrets.set("service_role_key", service)?;
        }
        outcome.database_pooler_url = self
            .api
            .pooler_connection_string(&outcome.project_ref)
            .await?;
        self.out.done(
            "project",
            &format!("{} is ACTIVE_HEALTHY", outcome.project_ref),
        );
        outcome.completed_steps.push("project");
        if self.job.until == Step::Project {
            return Ok(outcome);
        }

        // 2. Database ---------------------------------------------------------------------
        self.out.start(
            "database",
            "applying migrations and template in one transaction",
        );
        let database_url = self.database_url(&outcome.project_ref, &secrets)?;
        let mut client = database::connect(&database_url).await?;
        let mut files = database::migration_files(&self.job.migrations_dir)?;
        if let Some((name, path)) = &self.job.template {
            files.push(database::SqlFile {
                version: format!("template-{name}"),
                name: format!("template {name}"),
                path: path.clone(),
            });
        }
        outcome.migrations_applied = database::apply(&mut client, &files).await?;
        // Without a server key the schedulers cannot be installed: the run fails, naming it.
        let Some(service) = &server_key else {
            return Err(Failure::Api(format!(
                "no secret key (sb_secret_…) or legacy service_role key is visible in \
                 GET /v1/projects/{}/api-keys?reveal=true: the dispatchers need one (create \
                 a secret key under Project Settings → API Keys, or use a token that may reveal it)",
                outcome.project_ref
            )));
        };
        // The two dispatchers pg_cron calls: Make's outbox, and organizations' webhooks.
        for installer in [
            "select private.install_onboarding_dispatcher($1, $2)",
            "select private.install_webhook_dispatcher($1, $2)",
        ] {
            self.install(
                &client,
                installer,
                &[&self.functions_url(&outcome.project_ref), &service.expose()],
            )
            .await?;
        }
        self.out.done(
            "database",
            &format!(
                "{} applied, RLS enabled on every public table",
                outcome.migrations_applied.len()
            ),
        );
        outcome.completed_steps.push("database");
        if self.job.until == Step::Database {
            return Ok(outcome);
        }

        // 3. Functions --------------------------------------------------------------------
        // An upsert by slug: a rerun deploys the same files again, never a second function.
        self.out.start(
            "functions",
            &format!("deploying {} functions", uploads.len()),
        );
        for upload in &uploads {
            self.api
                .deploy_function(&outcome.project_ref, upload)
                .await?;
            self.out.progress(
                "functions",
                &format!("{} ({} files)", upload.slug, upload.files.len()),
            );
            outcome.functions_deployed.push(upload.slug.clone());
        }
        self.out.done(
            "functions",
            &format!("{} deployed", outcome.functions_deployed.len()),
        );
        outcome.completed_steps.push("functions");
        if self.job.until == Step::Functions {
            return Ok(outcome);
        }

        // 3. Function secrets -------------------------------------------------------------
        self.out.start("secrets", "setting function secrets");
        let existing = self.api.secret_names(&outcome.project_ref).await?;
        let mut to_set: Vec<(String, Secret)> = self.settings.passthrough.clone();
        for name in GENERATED_SECRETS {
            if existing.iter().any(|e| e == name) {
                continue;
            }
            // The signing secret in Standard Webhooks' `whsec_` form; the others are tokens.
            let value = Secret::new(if name == "MAKE_SIGNING_SECRET" {
                platform::signing::WebhookSecret::generate()
            } else {
                platform::secrets::new_token()
            });
            secrets.set(&name.to_ascii_lowercase(), value.expose())?;
            if name == "ONBOARDING_WEBHOOK_SECRET" {
                // Installed before the secret is set: an interruption in between leaves
                // no secret, so the next run generates and installs a fresh one.
                self.install(
                    &client,
                    "select private.install_signup_webhook($1, $2)",
                    &[&self.functions_url(&outcome.project_ref), &value.expose()],
                )
                .await?;
            }
            to_set.push((name.to_owned(), value));
        }
        if !to_set.is_empty() {
            self.api.set_secrets(&outcome.project_ref, &to_set).await?;
        }
        outcome.secrets_set = to_set.into_iter().map(|(name, _)| name).collect();
        self.out
            .done("secrets", &format!("{} set", outcome.secrets_set.len()));
        outcome.completed_steps.push("secrets");
        if self.job.until == Step::Secrets {
            return Ok(outcome);
        }

        // 5. The first organization -------------------------------------------------------
        self.out.start(
            "organization",
            &format!(
                "the client's organization, owner {} invited",
                self.job.org_email
            ),
        );
        let app_url = app_url.ok_or_else(|| Failure::Config("missing APP_URL".into()))?;
        self.first_organization(&mut client, &mut secrets, app_url.expose(), &mut outcome)
            .await?;
        self.out.done(
            "organization",
            &format!(
                "{} on plan {}; invite {}, email {}",
                outcome.organization_id.as_deref().unwrap_or_default(),
                outcome.plan,
                outcome.invite_status.as_deref().unwrap_or_default(),
                outcome.invite_email.as_deref().unwrap_or_default()
            ),
        );
        outcome.completed_steps.push("organization");
        Ok(outcome)
    }

    /// Creates (or finds) the organization and its owner invite, gives the invite a token
    /// (kept in the secrets file, so a rerun hands over the same link while it is valid),
    /// and sends it through Resend when the operator configured Resend.
    async fn first_organization(
        &mut self,
        client: &mut tokio_postgres::Client,
        secrets: &mut SecretsFile,
        app_url: &str,
        outcome: &mut Outcome,
    ) -> Result<(), Failure> {
        let refused = |err: organization::Refused| Failure::Database(err.to_string());
        let email = self.job.org_email.trim().to_lowercase();
        let found = organization::ensure(
            client,
            self.job.client_name.trim(),
            &self.job.client_id,
            &email,
            &outcome.plan,
        )
        .await
        .map_err(refused)?;
        if found.invite_email != email {
            return Err(Failure::Config(format!(
                "organization {} already invites {} as its owner, not {email}; change it in the project, not by provisioning again",
                self.job.client_id, found.invite_email
            )));
        }
        outcome.organization_id = Some(found.organization_id.clone());
        outcome.plan = found.plan.clone();
        outcome.invite_status = Some(found.invite_status.clone());
        if !matches!(found.invite_status.as_str(), "pending" | "expired") {
            // Accepted (the owner is in) or revoked (an admin decided): nothing to hand over.
            outcome.invite_email = Some("not_needed".into());
            return Ok(());
        }
        let resend = match (
            self.settings.passthrough_value("RESEND_API_KEY"),
            self.settings.passthrough_value("INVITE_EMAIL_FROM"),
        ) {
            (Some(key), Some(from)) => Some(onboarding::email::ResendConfig {
                api_url: self.settings.resend_api_url.clone(),
                api_key: key.clone(),
                from: from.expose().to_owned(),
            }),
            _ => None,
        };
        // The token of an earlier run is handed over again while it is the invite's, unless
        // it still has to be sent (a send needs a fresh issue: its attempt number).
        let kept = secrets.get("invite_token").filter(|token| {
            found.invite_status == "pending"
                && found.token_hash.as_deref()
                    == Some(platform::secrets::sha256_hex(token.expose()).as_str())
                && (resend.is_none() || found.sent)
        });
        let (token, issued) = match kept {
            Some(token) => (token, None),
            None => {
                let token = Secret::new(platform::secrets::new_token());
                // Kept before the token is issued: an interruption leaves a usable link.
                secrets.set("invite_token", token.expose())?;
                let issued = organization::issue_token(
                    client,
                    &found.invite_id,
                    &platform::secrets::sha256_hex(token.expose()),
                )
                .await
                .map_err(refused)?;
                (token, Some(issued))
            }
        };
        let link = onboarding::invites::invite_link(app_url, token.expose());
        outcome.invite_link = Some(link.clone());
        outcome.invite_status = Some("pending".into());
        let (resend, issued) = match (resend, issued) {
            (None, _) => {
                outcome.invite_email = Some("not_configured".into());
                return Ok(());
            }
            (Some(_), None) => {
                outcome.invite_email = Some("already_sent".into());
                return Ok(());
            }
            (Some(resend), Some(issued)) => (resend, issued),
        };
        let onboarding::invites::IssuedSend {
            email,
            send_attempt,
        } = onboarding::invites::issued_invite_email(&found.invite_id, &issued, &link).ok_or_else(
            || {
                Failure::Database(format!(
                    "issue_invite_token answered without a send: {issued}"
                ))
            },
        )?;
        let sent = onboarding::email::send_email(
            &platform::outbound::HttpOutbound::default(),
            &resend,
            &email,
            onboarding::email::DEFAULT_LIMITS,
        )
        .await;
        let error = sent.as_ref().err().map(ToString::to_string);
        organization::record_send(
            client,
            &found.invite_id,
            i32::try_from(send_attempt).unwrap_or_default(),
            error.as_deref(),
        )
        .await
        .map_err(refused)?;
        outcome.invite_email = Some(match error {
            None => "sent".into(),
            // Not fatal: the link is in the result, for the operator to hand over.
            Some(why) => format!("failed: {why}"),
        });
        Ok(())
    }

    /// The organization's slug: as given, or looked up once from the deprecated id.
    async fn organization_slug(&mut self) -> Result<String, Failure> {
        match &self.settings.organization {
            OrganizationRef::Slug(slug) => Ok(slug.clone()),
            OrganizationRef::Id(id) => {
                let organizations = self.api.organizations().await?;
                organizations
                    .iter()
                    .find(|organization| &organization.id == id)
                    .map(|organization| organization.slug.clone())
                    .ok_or_else(|| {
                        Failure::Config(format!(
                            "SUPABASE_ORG_ID {id} is not an organization of this token (it has: {}); set SUPABASE_ORG_SLUG",
                            organizations.iter().map(|o| o.slug.as_str()).collect::<Vec<_>>().join(", ")
                        ))
                    })
            }
        }
    }

    /// `region_selection` for the create call.
    async fn region_selection(&mut self, slug: &str) -> Value {
        let smart_group = |code: &str| json!({ "type": "smartGroup", "code": code });
        match &self.job.region {
            RegionChoice::Specific(code) => json!({ "type": "specific", "code": code }),
            RegionChoice::Group(code) => smart_group(code),
            RegionChoice::Recommended => {
                let recommended = self
                    .api
                    .available_regions(slug, CLIENT_CONTINENT)
                    .await
                    .ok()
                    .and_then(|info| {
                        let picks = &info["recommendations"];
                        let specific = picks["specific"][0]["code"]
                            .as_str()
                            .filter(|c| REGIONS.contains(c));
                        let group = picks["smartGroup"]["code"]
                            .as_str()
                            .filter(|c| REGION_GROUPS.contains(c));
                        specific
                            .map(|code| json!({ "type": "specific", "code": code }))
                            .or_else(|| group.map(smart_group))
                    });
                match recommended {
                    Some(selection) => {
                        self.out.progress(
                            "project",
                            &format!("region recommended for {CLIENT_CONTINENT}: {selection}"),
                        );
                        selection
                    }
                    None => {
                        self.out.progress(
                            "project",
                            &format!(
                                "no region recommendation; using the {FALLBACK_REGION_GROUP} group"
                            ),
                        );
                        smart_group(FALLBACK_REGION_GROUP)
                    }
                }
            }
        }
    }

    /// The client's project in `slug`: found by name and organization, or created. A
    /// project of that name in another organization is never adopted: the run stops
    /// (exit 2) before anything is written.
    async fn find_or_create(
        &mut self,
        slug: &str,
        secrets: &mut SecretsFile,
    ) -> Result<(Project, bool, Option<Value>), Failure> {
        let name = self.job.project_name();
        if let Some(project) = self.api.find_in_organization(slug, &name).await? {
            return Ok((project, false, None));
        }
        if let Some(other) = self
            .api
            .list_projects()
            .await?
            .into_iter()
            .find(|project| project.name == name)
        {
            let elsewhere = other
                .organization_slug
                .or(other.organization_id)
                .unwrap_or_else(|| "another organization".into());
            return Err(Failure::Config(format!(
                "a project named {name} ({}) belongs to organization {elsewhere}, not {slug}: it is not adopted; \
                 use another client id, or provision into {elsewhere}",
                other.reference.unwrap_or(other.id)
            )));
        }
        let selection = self.region_selection(slug).await;
        let password = generate_password(32);
        // Kept before the call: if the answer is lost, the next run still knows it.
        secrets.set("db_password", &password)?;
        let body = json!({
            "name": name, "db_pass": password, "organization_slug": slug, "region_selection": selection,
        });
        let (mut rate_limited, mut ambiguous) = (0, 0);
        loop {
            match self.api.create_project(&body).await {
                Ok(project) => return Ok((project, true, Some(selection))),
                // Nothing was done: wait as asked (capped), then ask again.
                Err(ApiError::Http {
                    status: 429,
                    retry_after_ms,
                    ..
                }) if rate_limited < MAX_CREATE_RATE_LIMITED => {
                    rate_limited += 1;
                    let wait = retry_after_ms
                        .unwrap_or_else(|| {
                            self.api.backoff().delay_ms(
                                rate_limited,
                                None,
                                platform::runtime::random_fraction(),
                            )
                        })
                        .min(MAX_RETRY_AFTER_MS);
                    self.out.progress(
                        "project",
                        &format!("rate limited on create; retrying in {wait} ms"),
                    );
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                // The project may exist although the answer was lost: look before creating again.
                Err(err) if err.is_ambiguous() && ambiguous < MAX_CREATE_AMBIGUOUS => {
                    ambiguous += 1;
                    self.out.progress(
                        "project",
                        "the create call's answer was lost; looking the project up",
                    );
                    if let Some(project) = self.api.find_in_organization(slug, &name).await? {
                        return Ok((project, true, Some(selection)));
                    }
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    async fn wait_until_healthy(&mut self, project_ref: &str) -> Result<(), Failure> {
        let started = Instant::now();
        loop {
            let project = self.api.get_project(project_ref).await?;
            match project.status.as_str() {
                "ACTIVE_HEALTHY" => return Ok(()),
                failed if FAILED_STATUSES.contains(&failed) => {
                    return Err(Failure::Api(format!(
                        "project {project_ref} is {failed}; it will not become healthy"
                    )))
                }
                status => self
                    .out
                    .progress("project", &format!("{project_ref} is {status}")),
            }
            if started.elapsed() >= self.job.timeout {
                return Err(Failure::Api(format!(
                    "project {project_ref} was not ACTIVE_HEALTHY after {} s (last status {})",
                    self.job.timeout.as_secs(),
                    project.status
                )));
            }
            tokio::time::sleep(self.job.poll_interval).await;
        }
    }

    fn database_url(&self, project_ref: &str, secrets: &SecretsFile) -> Result<String, Failure> {
        let template = &self.settings.database_url;
        let mut url = template.replace("{ref}", project_ref);
        if template.contains("{password}") {
            let password = self.settings.db_password.clone().or_else(|| secrets.get("db_password")).ok_or_else(|| {
                Failure::Config(
                    "the project exists but its database password is unknown: pass the --secrets-file of the run that created it, or set PROVISION_DB_PASSWORD"
                        .into(),
                )
            })?;
            url = url.replace("{password}", password.expose());
        }
        Ok(url)
    }

    fn functions_url(&self, project_ref: &str) -> String {
        self.settings.functions_url.replace("{ref}", project_ref)
    }

    /// Runs an installer from the migrations when the project has what it needs
    /// (pg_cron, database webhooks); otherwise says what to enable.
    async fn install(
        &mut self,
        client: &tokio_postgres::Client,
        sql: &str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<(), Failure> {
        match client.execute(sql, args).await {
            Ok(_) => Ok(()),
            Err(err) => {
                let message = err
                    .as_db_error()
                    .map_or_else(|| err.to_string(), |db| db.message().to_owned());
                if message.contains("cron") || message.contains("supabase_functions") {
                    self.out.progress("database", &format!("skipped an installer: {message}; enable pg_cron and database webhooks, then run it again"));
                    Ok(())
                } else {
                    Err(Failure::Database(message))
                }
            }
        }
    }
}

/// Where the shipped templates live.
pub fn template_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join(format!("{name}.sql"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_checked_against_the_apis_codes() {
        assert_eq!(
            RegionChoice::from_args(None, None).unwrap(),
            RegionChoice::Recommended
        );
        assert_eq!(
            RegionChoice::from_args(Some("eu-west-2"), None).unwrap(),
            RegionChoice::Specific("eu-west-2".into())
        );
        assert_eq!(
            RegionChoice::from_args(None, Some("emea")).unwrap(),
            RegionChoice::Group("emea".into())
        );
        let unknown = RegionChoice::from_args(Some("af-south-1"), None).unwrap_err();
        assert_eq!(unknown.exit_code(), 2);
        assert!(unknown.to_string().contains("eu-west-1"), "{unknown}");
        assert!(RegionChoice::from_args(None, Some("africa"))
            .unwrap_err()
            .to_string()
            .contains("americas, emea, apac"));
    }

    #[test]
    fn passwords_are_32_alphanumerics_and_differ() {
        let password = generate_password(32);
        assert_eq!(password.len(), 32);
        assert!(password.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(password, generate_password(32));
    }

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
