//! One provisioning run, step by step; each step idempotent, the run resumable.

mod first_organization;
pub(crate) mod project;

use crate::api::ManagementApi;
use crate::output::Reporter;
use crate::secrets_file::SecretsFile;
use crate::*;
use platform::config::Secret;
use platform::retry::Backoff;

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
}

impl<'a> Provisioner<'a> {
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
