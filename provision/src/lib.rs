//! Client provisioning: one command per new client creates its own Supabase project
//! through the Management API and installs this product's schema (and optionally an
//! application template) with row-level security verified before anything is committed.
//!
//! Every step is idempotent and the run is resumable: the project is found by name
//! before it is created, migrations are recorded where the Supabase CLI records them,
//! and function secrets already set are left alone.

pub mod api;
pub mod database;
pub mod output;

use api::{ApiError, ManagementApi, Project};
use edge::config::Secret;
use edge::retry::Backoff;
use output::Reporter;
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
    /// `("organization_id", id)` or `("organization_slug", slug)`.
    pub organization: (&'static str, String),
    pub api_url: String,
    pub requests_per_minute: u64,
    /// With `{ref}` and `{password}` placeholders.
    pub database_url: String,
    /// With a `{ref}` placeholder.
    pub functions_url: String,
    pub db_password: Option<Secret>,
    /// Function secrets passed through from the operator's environment when set.
    pub passthrough: Vec<(String, Secret)>,
}

/// Function secrets copied from the operator's environment to the project when set.
pub const PASSTHROUGH_SECRETS: [&str; 4] = [
    "RESEND_API_KEY",
    "APP_URL",
    "INVITE_EMAIL_FROM",
    "MAKE_USER_ONBOARDING_WEBHOOK_URL",
];
/// Function secrets generated for the project when it does not have them yet.
pub const GENERATED_SECRETS: [&str; 2] = [
    "ONBOARDING_WEBHOOK_SECRET",
    "MAKE_ONBOARDING_CALLBACK_TOKEN",
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
        let organization = match (get("SUPABASE_ORG_ID"), get("SUPABASE_ORG_SLUG")) {
            (Some(id), _) => ("organization_id", id),
            (None, Some(slug)) => ("organization_slug", slug),
            (None, None) => {
                return Err(Failure::Config(
                    "missing environment variable SUPABASE_ORG_ID (or SUPABASE_ORG_SLUG)".into(),
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
        })
    }
}

/// The seed's job, plus where and how.
#[derive(Debug, Clone)]
pub struct Job {
    pub client_id: String,
    pub client_name: String,
    pub org_email: String,
    pub tier: String,
    pub region: String,
    pub plan: String,
    /// `None` for no template.
    pub template: Option<(String, PathBuf)>,
    pub migrations_dir: PathBuf,
    pub secrets_file: Option<PathBuf>,
    pub timeout: Duration,
    pub poll_interval: Duration,
    pub until: Step,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Step {
    Project,
    Database,
    Secrets,
}

impl Job {
    pub fn project_name(&self) -> String {
        format!("client-{}-prod", self.client_id)
    }

    pub fn validate(&self) -> Result<(), Failure> {
        let id_ok = !self.client_id.is_empty()
            && self.client_id.len() <= 40
            && self
                .client_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(Failure::Config(
                "client id must be 1-40 characters of a-z, 0-9 and -".into(),
            ));
        }
        if self.client_name.trim().is_empty() {
            return Err(Failure::Config("client name must not be empty".into()));
        }
        if !self.org_email.contains('@') {
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
    pub region: String,
    pub project_ref: String,
    pub project_name: String,
    pub url: String,
    pub anon_key: Option<String>,
    pub created: bool,
    pub migrations_applied: Vec<String>,
    pub template: Option<String>,
    pub secrets_set: Vec<String>,
    pub secrets_file: Option<String>,
    pub completed_steps: Vec<&'static str>,
}

/// A password of `len` characters from `[A-Za-z0-9]`, from the CSPRNG, without bias.
pub fn generate_password(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut password = String::with_capacity(len);
    while password.len() < len {
        for byte in edge::runtime::random_bytes::<64>() {
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
        let mut secrets = SecretsFile::open(self.job.secrets_file.clone())?;
        let mut outcome = Outcome {
            client_name: self.job.client_name.clone(),
            tier: self.job.tier.clone(),
            region: self.job.region.clone(),
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
            completed_steps: Vec::new(),
        };

        // 1. Project ----------------------------------------------------------------------
        self.out
            .start("project", &format!("looking for {}", outcome.project_name));
        let (project, created) = self.find_or_create(&mut secrets).await?;
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
        let keys = self.api.api_keys(&outcome.project_ref).await?;
        let key = |name: &str| {
            keys.iter()
                .find(|k| k.name == name)
                .and_then(|k| k.api_key.clone())
        };
        outcome.anon_key = key("anon");
        let service_role_key = key("service_role").map(Secret::new);
        if let Some(service) = &service_role_key {
            secrets.set("service_role_key", service.expose())?;
        }
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
        if let Some(service) = &service_role_key {
            self.install(
                &client,
                "select private.install_onboarding_dispatcher($1, $2)",
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

        // 3. Function secrets -------------------------------------------------------------
        self.out.start("secrets", "setting function secrets");
        let existing = self.api.secret_names(&outcome.project_ref).await?;
        let mut to_set: Vec<(String, Secret)> = self.settings.passthrough.clone();
        for name in GENERATED_SECRETS {
            if existing.iter().any(|e| e == name) {
                continue;
            }
            let value = Secret::new(edge::secrets::new_token());
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
        Ok(outcome)
    }

    async fn find_or_create(
        &mut self,
        secrets: &mut SecretsFile,
    ) -> Result<(Project, bool), Failure> {
        let name = self.job.project_name();
        if let Some(project) = self.api.find_project(&name).await? {
            return Ok((project, false));
        }
        let password = generate_password(32);
        // Kept before the call: if the answer is lost, the next run still knows it.
        secrets.set("db_password", &password)?;
        let (org_field, org_value) = &self.settings.organization;
        let body = json!({
            "name": name, "db_pass": password, "region": self.job.region, "plan": self.job.plan,
            *org_field: org_value,
        });
        match self.api.create_project(&body).await {
            Ok(project) => Ok((project, true)),
            Err(err) if err.is_ambiguous() => {
                // Never created twice: the project may exist although the answer was lost.
                self.out.progress(
                    "project",
                    "the create call's answer was lost; looking the project up again",
                );
                match self.api.find_project(&name).await? {
                    Some(project) => Ok((project, true)),
                    None => Err(err.into()),
                }
            }
            Err(err) => Err(err.into()),
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
        assert_eq!(
            settings.organization,
            ("organization_slug", "acme".to_owned())
        );
        assert_eq!(settings.requests_per_minute, 120);
        assert_eq!(settings.api_url, "https://api.supabase.com");
    }
}
