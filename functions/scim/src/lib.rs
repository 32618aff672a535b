//! scim: an organization's directory, as its identity provider speaks to it (SCIM 2.0,
//! RFC 7643 and RFC 7644), at `/functions/v1/scim/v2/…`.
//!
//! The bearer token says which organization's directory a call is for: the function
//! checks its shape, hashes it and hands the hash to every `scim_*` RPC, which finds the
//! token (not revoked, the organization's plan including directory-sync) and works in that
//! directory only. The function speaks the protocol — routes, filters, PATCH, rendering,
//! errors in RFC 7644's shape (`onboarding::directory`); the database decides what a
//! user or group change does to memberships.

mod answer;
mod groups;
mod query;
mod users;

use onboarding::directory::error::scim_json;
use onboarding::directory::invitation::invitation_email;
use onboarding::directory::schema::{self, ResourceKind, LIST_SCHEMA};
use onboarding::directory::{directory_token, ScimError};
use onboarding::email::{self, send_email, ResendConfig};
use platform::config::Secret;
use platform::log::emit;
use platform::outbound::{HttpOutbound, Outbound};
use platform::secrets::sha256_hex;
use platform::{
    ApiError, Caller, Config, ConfigError, Db, EdgeFunction, Env, HttpRequest, HttpResponse,
    PostgrestDb,
};
use query::Query;
use serde_json::{json, Value};
use uuid::Uuid;

/// What a path under `/scim/v2/` names.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    ServiceProviderConfig,
    ResourceTypes(Option<String>),
    Schemas(Option<String>),
    Users(Option<Uuid>),
    Groups(Option<Uuid>),
    /// `POST /Users/.search`, `POST /Groups/.search`.
    Search(ResourceKind),
}

impl Route {
    fn parse(path: &str) -> Result<Route, ScimError> {
        let not_found = || ScimError::not_found("no such endpoint");
        let after = path
            .split_once("/v2/")
            .map(|(_, rest)| rest)
            .ok_or_else(not_found)?;
        let segments: Vec<&str> = after.trim_end_matches('/').split('/').collect();
        let id = |raw: Option<&&str>| -> Result<Option<Uuid>, ScimError> {
            match raw {
                None => Ok(None),
                // Not an id this directory gives: no such resource.
                Some(raw) => Uuid::parse_str(raw)
                    .map(Some)
                    .map_err(|_| ScimError::not_found("no such resource")),
            }
        };
        match (segments.first().copied(), segments.len()) {
            (Some(".search"), 1) => Err(ScimError::new(
                501,
                None,
                "search one resource type at a time: POST /Users/.search or /Groups/.search",
            )),
            (Some("ServiceProviderConfig"), 1) => Ok(Route::ServiceProviderConfig),
            (Some("ResourceTypes"), 1 | 2) => {
                Ok(Route::ResourceTypes(segments.get(1).map(|s| s.to_string())))
            }
            (Some("Schemas"), 1 | 2) => Ok(Route::Schemas(segments.get(1).map(|s| s.to_string()))),
            (Some("Users"), 2) if segments[1] == ".search" => Ok(Route::Search(ResourceKind::User)),
            (Some("Groups"), 2) if segments[1] == ".search" => {
                Ok(Route::Search(ResourceKind::Group))
            }
            (Some("Users"), 1 | 2) => Ok(Route::Users(id(segments.get(1))?)),
            (Some("Groups"), 1 | 2) => Ok(Route::Groups(id(segments.get(1))?)),
            _ => Err(not_found()),
        }
    }
}

/// Where the invitation emails of organizations that want them go out: Resend, and the
/// app whose signup page they point to. Without RESEND_API_KEY, none is sent.
pub struct Invitations {
    pub resend: ResendConfig,
    pub app_url: String,
}

pub struct Scim<D, O> {
    db: D,
    outbound: O,
    invitations: Option<Invitations>,
    /// `{SUPABASE_URL}/functions/v1/scim/v2`: where `Location` and `meta.location` point.
    base: String,
}

/// The token's hash, the database and the mail, for one call.
pub(crate) struct Directory<'a, D, O> {
    db: &'a D,
    outbound: &'a O,
    invitations: Option<&'a Invitations>,
    token_hash: String,
    pub(crate) base: &'a str,
}

impl<D: Db, O: Outbound> Directory<'_, D, O> {
    pub(crate) async fn call(&self, function: &str, mut args: Value) -> Result<Value, ScimError> {
        args["p_token_hash"] = json!(self.token_hash);
        self.db
            .rpc(Caller::ServiceRole, function, &args)
            .await
            .map_err(ScimError::from_db)
    }

    /// Emails a person the directory just added, when their organization asked for it
    /// (`send_invitation` in the saved row). The person is provisioned either way: a
    /// failed email is logged, never the provider's error.
    pub(crate) async fn invite_if_asked(&self, saved: &Value) {
        let (Some(invitations), true) = (self.invitations, saved["send_invitation"] == json!(true))
        else {
            return;
        };
        let (Some(to), Some(id)) = (saved["email"].as_str(), saved["id"].as_str()) else {
            return;
        };
        let organization = saved["organization_name"]
            .as_str()
            .unwrap_or("your organization");
        let email = invitation_email(organization, &invitations.app_url, to, id);
        if let Err(error) = send_email(
            self.outbound,
            &invitations.resend,
            &email,
            email::DEFAULT_LIMITS,
        )
        .await
        {
            emit(&json!({ "function": "scim", "event": "invitation_not_sent", "directory_user_id": id,
                          "error": error.to_string(), "upstream": error.log_detail() }).to_string());
        }
    }
}

impl<D: Db, O: Outbound> Scim<D, O> {
    pub fn new(db: D, outbound: O, invitations: Option<Invitations>, supabase_url: &str) -> Self {
        Scim {
            db,
            outbound,
            invitations,
            base: format!(
                "{}/functions/v1/scim/v2",
                supabase_url.trim_end_matches('/')
            ),
        }
    }

    async fn serve(&self, request: &HttpRequest) -> Result<HttpResponse, ScimError> {
        let route = Route::parse(&request.path)?;
        let token = directory_token(request.bearer_token()).ok_or_else(ScimError::unauthorized)?;
        let directory = Directory {
            db: &self.db,
            outbound: &self.outbound,
            invitations: self.invitations.as_ref(),
            token_hash: sha256_hex(token),
            base: &self.base,
        };
        match route {
            Route::Users(id) => users::serve(&directory, request, id).await,
            Route::Groups(id) => groups::serve(&directory, request, id).await,
            Route::Search(kind) => {
                only(request, "POST")?;
                let query = Query::from_search(&answer::body(request)?)?;
                answer::list(&directory, &query, kind).await
            }
            discovery => {
                only(request, "GET")?;
                // The token is checked here too, so a provider's "test connection" on a
                // discovery URL learns whether its token works.
                directory.call("scim_check_token", json!({})).await?;
                Ok(scim_json(200, &self.discovery(discovery)?))
            }
        }
    }

    fn discovery(&self, route: Route) -> Result<Value, ScimError> {
        let (all, id) = match route {
            Route::ServiceProviderConfig => return Ok(schema::service_provider_config(&self.base)),
            Route::ResourceTypes(id) => (schema::resource_types(&self.base), id),
            Route::Schemas(id) => (schema::schemas(&self.base), id),
            _ => return Err(ScimError::not_found("no such endpoint")),
        };
        match id {
            Some(id) => all
                .into_iter()
                .find(|r| r["id"] == id.as_str())
                .ok_or_else(|| ScimError::not_found("no such resource")),
            None => Ok(list_response(all.len() as u64, 1, all)),
        }
    }
}

pub(crate) fn only(request: &HttpRequest, method: &str) -> Result<(), ScimError> {
    if request.method == method {
        Ok(())
    } else {
        Err(answer::not_allowed(&request.method))
    }
}

pub(crate) fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

impl EdgeFunction for Scim<PostgrestDb, HttpOutbound> {
    const NAME: &'static str = "scim";

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let config = Config::from_env(env)?;
        let invitations = match env.optional("RESEND_API_KEY") {
            None => None,
            Some(key) => Some(Invitations {
                resend: ResendConfig {
                    api_url: match env.optional("RESEND_API_URL") {
                        Some(_) => env.url("RESEND_API_URL")?,
                        None => email::DEFAULT_API_URL.to_owned(),
                    },
                    api_key: Secret::new(key),
                    from: env
                        .optional("INVITE_EMAIL_FROM")
                        .unwrap_or_else(|| email::DEFAULT_FROM.to_owned()),
                },
                app_url: env.url("APP_URL")?,
            }),
        };
        Ok(Scim::new(
            PostgrestDb::new(&config),
            HttpOutbound::default(),
            invitations,
            &env.url("SUPABASE_URL")?,
        ))
    }

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        Ok(match self.serve(request).await {
            Ok(response) => response,
            Err(error) => error.response(),
        })
    }
}

#[cfg(target_arch = "wasm32")]
platform::export_to_deno!(crate::Scim<platform::PostgrestDb, platform::outbound::HttpOutbound>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_read_after_v2() {
        let id = Uuid::new_v4();
        assert_eq!(
            Route::parse("/functions/v1/scim/v2/Users").unwrap(),
            Route::Users(None)
        );
        assert_eq!(
            Route::parse(&format!("/scim/v2/Groups/{id}")).unwrap(),
            Route::Groups(Some(id))
        );
        assert_eq!(
            Route::parse("/scim/v2/Schemas/urn:x").unwrap(),
            Route::Schemas(Some("urn:x".into()))
        );
        assert_eq!(
            Route::parse("/scim/v2/Users/not-an-id").unwrap_err().status,
            404
        );
        assert_eq!(Route::parse("/scim/v2/Bulk").unwrap_err().status, 404);
        assert_eq!(
            Route::parse("/scim/v2/Users/.search").unwrap(),
            Route::Search(ResourceKind::User)
        );
        assert_eq!(Route::parse("/scim/Users").unwrap_err().status, 404);
    }
}
