//! The Supabase project: found by name or created (rate limits and lost answers waited
//! out), in the chosen region, healthy; and its URLs.

use super::Provisioner;
use crate::api::{ApiError, Project};
use crate::secrets_file::SecretsFile;
use crate::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

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

/// The most one `Retry-After` on the create call is waited for (longer asks are cut to
/// this, and the next 429 asks again).
pub const MAX_RETRY_AFTER_MS: u64 = 60_000;
/// How many 429s on the create call are waited out before giving up (exit 3).
pub const MAX_CREATE_RATE_LIMITED: u32 = 5;
/// How many creates whose answer was lost (5xx, no answer) are followed by a lookup and,
/// when nothing was made, another create.
pub const MAX_CREATE_AMBIGUOUS: u32 = 3;

impl<'a> Provisioner<'a> {
    /// The organization's slug: as given, or looked up once from the deprecated id.
    pub(super) async fn organization_slug(&mut self) -> Result<String, Failure> {
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
    pub(super) async fn region_selection(&mut self, slug: &str) -> Value {
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
    pub(super) async fn find_or_create(
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

    pub(super) async fn wait_until_healthy(&mut self, project_ref: &str) -> Result<(), Failure> {
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

    pub(super) fn database_url(
        &self,
        project_ref: &str,
        secrets: &SecretsFile,
    ) -> Result<String, Failure> {
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

    pub(super) fn functions_url(&self, project_ref: &str) -> String {
        self.settings.functions_url.replace("{ref}", project_ref)
    }
}
