//! The Supabase Management API (`SUPABASE_API_URL`, default `https://api.supabase.com`),
//! the few endpoints provisioning needs, with the documented manners: requests paced
//! under the rate limit (120 per minute), 429 and 5xx retried with exponential backoff
//! and jitter honouring `Retry-After`, other 4xx reported with the API's message. The
//! create call is never retried here: its caller looks the project up instead.

use crate::functions::FunctionUpload;
use platform::config::Secret;
use platform::retry::{parse_retry_after, Backoff, Disposition};
use platform::runtime::random_fraction;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub const DEFAULT_API_URL: &str = "https://api.supabase.com";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the Management API answered {status}: {message}")]
    Http {
        status: u16,
        message: String,
        /// What `Retry-After` asked for, in ms (either of its forms).
        retry_after_ms: Option<u64>,
    },
    #[error("the Management API could not be reached: {0}")]
    Unreachable(String),
    #[error("the Management API answered something unexpected: {0}")]
    Unexpected(String),
}

impl ApiError {
    /// Whether a create call that failed this way may still have created the project:
    /// a 5xx or a lost answer may hide one; a 429 says nothing was done.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            ApiError::Http { status, .. } => *status >= 500,
            ApiError::Unreachable(_) | ApiError::Unexpected(_) => true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Project {
    pub id: String,
    #[serde(rename = "ref", default)]
    pub reference: Option<String>,
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub organization_slug: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
}

/// An organization the token belongs to (`GET /v1/organizations`).
#[derive(Debug, Clone, Deserialize)]
pub struct Organization {
    pub id: String,
    pub slug: String,
    #[serde(default)]
    pub name: String,
}

/// One page of `GET /v1/organizations/{slug}/projects`.
#[derive(Debug, Clone, Deserialize)]
struct OrganizationProjects {
    projects: Vec<OrganizationProject>,
    pagination: Pagination,
}

#[derive(Debug, Clone, Deserialize)]
struct OrganizationProject {
    #[serde(rename = "ref")]
    reference: String,
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    region: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Pagination {
    count: f64,
}

impl Project {
    /// The project ref (`id` in the API's older shape, `ref` in the newer one).
    pub fn project_ref(&self) -> &str {
        self.reference.as_deref().unwrap_or(&self.id)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiKey {
    pub name: String,
    #[serde(default)]
    pub api_key: Option<String>,
    /// `publishable`, `secret` or `legacy` (older answers have none: legacy keys only).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// A project's keys, picked by type as Supabase lists them today.
#[derive(Debug, Clone, Default)]
pub struct ProjectKeys {
    pub publishable: Option<String>,
    pub secret: Option<String>,
    pub legacy_anon: Option<String>,
    pub legacy_service_role: Option<String>,
}

impl ProjectKeys {
    pub fn from_list(keys: &[ApiKey]) -> Self {
        let first = |kind: &str, name: Option<&str>| {
            keys.iter()
                .filter(|key| key.kind.as_deref().unwrap_or("legacy") == kind)
                .filter(|key| name.is_none_or(|name| key.name == name))
                .find_map(|key| key.api_key.clone().filter(|value| !value.is_empty()))
        };
        ProjectKeys {
            publishable: first("publishable", None),
            secret: first("secret", None),
            legacy_anon: first("legacy", Some("anon")),
            legacy_service_role: first("legacy", Some("service_role")),
        }
    }

    /// The key the database's schedulers present: the secret key, else (legacy keys on)
    /// the legacy service-role key.
    pub fn server_key(&self) -> Option<&str> {
        self.secret
            .as_deref()
            .or(self.legacy_service_role.as_deref())
    }

    /// The key a browser holds: the publishable key, else the legacy anon key.
    pub fn browser_key(&self) -> Option<&str> {
        self.publishable.as_deref().or(self.legacy_anon.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecretName {
    pub name: String,
}

/// A request body; a multipart form is built anew for each attempt (it is consumed).
enum Payload<'a> {
    None,
    Json(&'a Value),
    Form(&'a (dyn Fn() -> reqwest::multipart::Form + Sync)),
}

pub struct ManagementApi {
    http: reqwest::Client,
    base_url: String,
    token: Secret,
    min_interval: Duration,
    last_call: Mutex<Option<Instant>>,
    backoff: Backoff,
}

impl ManagementApi {
    pub fn new(base_url: &str, token: Secret, requests_per_minute: u64, backoff: Backoff) -> Self {
        ManagementApi {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            token,
            min_interval: Duration::from_millis(60_000 / requests_per_minute.max(1)),
            last_call: Mutex::new(None),
            backoff,
        }
    }

    /// Waits so that calls stay under the rate limit.
    async fn pace(&self) {
        let mut last = self.last_call.lock().await;
        if let Some(previous) = *last {
            let next = previous + self.min_interval;
            let now = Instant::now();
            if next > now {
                tokio::time::sleep(next - now).await;
            }
        }
        *last = Some(Instant::now());
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        retry: bool,
    ) -> Result<Value, ApiError> {
        let payload = body.map_or(Payload::None, Payload::Json);
        self.send(method, path, &payload, retry).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        payload: &Payload<'_>,
        retry: bool,
    ) -> Result<Value, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pace().await;
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.base_url))
                .bearer_auth(self.token.expose());
            request = match payload {
                Payload::None => request,
                Payload::Json(body) => request.json(body),
                Payload::Form(form) => request.multipart(form()),
            };
            let (error, retry_after) = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    let text = response.text().await.unwrap_or_default();
                    let disposition = Disposition::of(status);
                    if disposition == Disposition::Success {
                        return if text.trim().is_empty() {
                            Ok(Value::Null)
                        } else {
                            serde_json::from_str(&text)
                                .map_err(|err| ApiError::Unexpected(err.to_string()))
                        };
                    }
                    let message = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|body| {
                            body.get("message")
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        })
                        .unwrap_or_else(|| text.chars().take(200).collect());
                    let error = ApiError::Http {
                        status,
                        message,
                        retry_after_ms: retry_after,
                    };
                    if disposition == Disposition::Permanent {
                        return Err(error);
                    }
                    (error, retry_after)
                }
                Err(err) => (ApiError::Unreachable(err.without_url().to_string()), None),
            };
            if !retry || attempt >= self.backoff.max_attempts {
                return Err(error);
            }
            let delay = self
                .backoff
                .delay_ms(attempt, retry_after, random_fraction());
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
    }

    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// `GET /v1/projects`: every project the token can see, in any organization.
    pub async fn list_projects(&self) -> Result<Vec<Project>, ApiError> {
        let value = self
            .call(reqwest::Method::GET, "/v1/projects", None, true)
            .await?;
        serde_json::from_value(value).map_err(|err| ApiError::Unexpected(err.to_string()))
    }

    /// `GET /v1/organizations`: the organizations the token belongs to.
    pub async fn organizations(&self) -> Result<Vec<Organization>, ApiError> {
        let value = self
            .call(reqwest::Method::GET, "/v1/organizations", None, true)
            .await?;
        serde_json::from_value(value).map_err(|err| ApiError::Unexpected(err.to_string()))
    }

    /// The project named `name` in organization `slug` (`GET
    /// /v1/organizations/{slug}/projects`, every page): exactly that organization's.
    pub async fn find_in_organization(
        &self,
        slug: &str,
        name: &str,
    ) -> Result<Option<Project>, ApiError> {
        const PAGE: usize = 100;
        let mut offset = 0;
        loop {
            let value = self
                .call(
                    reqwest::Method::GET,
                    &format!("/v1/organizations/{slug}/projects?limit={PAGE}&offset={offset}"),
                    None,
                    true,
                )
                .await?;
            let page: OrganizationProjects = serde_json::from_value(value)
                .map_err(|err| ApiError::Unexpected(err.to_string()))?;
            let seen = page.projects.len();
            if let Some(found) = page.projects.into_iter().find(|p| p.name == name) {
                return Ok(Some(Project {
                    id: found.reference.clone(),
                    reference: Some(found.reference),
                    name: found.name,
                    status: found.status,
                    region: found.region,
                    organization_slug: Some(slug.to_owned()),
                    organization_id: None,
                }));
            }
            offset += seen;
            if seen == 0 || offset as f64 >= page.pagination.count {
                return Ok(None);
            }
        }
    }

    /// `GET /v1/projects/available-regions`: Supabase's recommendations (`RegionsInfo`).
    pub async fn available_regions(&self, slug: &str, continent: &str) -> Result<Value, ApiError> {
        self.call(
            reqwest::Method::GET,
            &format!(
                "/v1/projects/available-regions?organization_slug={slug}&continent={continent}"
            ),
            None,
            true,
        )
        .await
    }

    /// `POST /v1/projects`, once: a failure may hide a created project.
    pub async fn create_project(&self, body: &Value) -> Result<Project, ApiError> {
        let value = self
            .call(reqwest::Method::POST, "/v1/projects", Some(body), false)
            .await?;
        serde_json::from_value(value).map_err(|err| ApiError::Unexpected(err.to_string()))
    }

    pub async fn get_project(&self, project_ref: &str) -> Result<Project, ApiError> {
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/v1/projects/{project_ref}"),
                None,
                true,
            )
            .await?;
        serde_json::from_value(value).map_err(|err| ApiError::Unexpected(err.to_string()))
    }

    pub async fn api_keys(&self, project_ref: &str) -> Result<Vec<ApiKey>, ApiError> {
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/v1/projects/{project_ref}/api-keys?reveal=true"),
                None,
                true,
            )
            .await?;
        serde_json::from_value(value).map_err(|err| ApiError::Unexpected(err.to_string()))
    }

    pub async fn secret_names(&self, project_ref: &str) -> Result<Vec<String>, ApiError> {
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/v1/projects/{project_ref}/secrets"),
                None,
                true,
            )
            .await?;
        let names: Vec<SecretName> =
            serde_json::from_value(value).map_err(|err| ApiError::Unexpected(err.to_string()))?;
        Ok(names.into_iter().map(|secret| secret.name).collect())
    }

    /// `POST /v1/projects/{ref}/secrets`: creates or replaces, so a retry is harmless.
    pub async fn set_secrets(
        &self,
        project_ref: &str,
        secrets: &[(String, Secret)],
    ) -> Result<(), ApiError> {
        let body: Vec<Value> = secrets
            .iter()
            .map(|(name, value)| json!({ "name": name, "value": value.expose() }))
            .collect();
        self.call(
            reqwest::Method::POST,
            &format!("/v1/projects/{project_ref}/secrets"),
            Some(&json!(body)),
            true,
        )
        .await
        .map(|_| ())
    }

    /// `POST /v1/projects/{ref}/functions/deploy?slug=…`: multipart, one `metadata` part
    /// (JSON) and one `file` part per file named by its path, as the Supabase CLI sends
    /// it. Creates or replaces the function of that slug, so a retry is harmless.
    pub async fn deploy_function(
        &self,
        project_ref: &str,
        upload: &FunctionUpload,
    ) -> Result<Value, ApiError> {
        let metadata = upload.metadata().to_string();
        let form = || {
            let mut form = reqwest::multipart::Form::new().text("metadata", metadata.clone());
            for (path, bytes) in &upload.files {
                form = form.part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes.clone()).file_name(path.clone()),
                );
            }
            form
        };
        self.send(
            reqwest::Method::POST,
            &format!(
                "/v1/projects/{project_ref}/functions/deploy?slug={}",
                upload.slug
            ),
            &Payload::Form(&form),
            true,
        )
        .await
    }

    /// The primary database's pooler (`GET /v1/projects/{ref}/config/database/pooler`),
    /// as a connection string without a password.
    pub async fn pooler_connection_string(
        &self,
        project_ref: &str,
    ) -> Result<Option<String>, ApiError> {
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/v1/projects/{project_ref}/config/database/pooler"),
                None,
                true,
            )
            .await?;
        let configs: Vec<PoolerConfig> =
            serde_json::from_value(value).map_err(|err| ApiError::Unexpected(err.to_string()))?;
        Ok(configs
            .into_iter()
            .find(|config| config.database_type == "PRIMARY")
            .map(|config| {
                format!(
                    "postgresql://{}@{}:{}/{}",
                    config.db_user, config.db_host, config.db_port, config.db_name
                )
            }))
    }
}

/// `SupavisorConfigResponse`, the fields a connection string needs.
#[derive(Debug, Clone, Deserialize)]
struct PoolerConfig {
    database_type: String,
    db_user: String,
    db_host: String,
    db_port: u16,
    db_name: String,
}
