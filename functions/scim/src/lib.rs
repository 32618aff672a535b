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
use platform::log::{emit, redacted};
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
            .map_err(|error| {
                let answered = ScimError::from_db(error.clone());
                if answered.status >= 500 {
                    // A fault, not a refusal: the operator gets the database's words, redacted.
                    emit(
                        &json!({ "function": "scim", "event": "database_fault", "rpc": function,
                                  "error": redacted(&error.to_string()) })
                        .to_string(),
                    );
                }
                answered
            })
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

    /// Every answer, a refusal too, in SCIM's shape.
    pub async fn answer(&self, request: &HttpRequest) -> HttpResponse {
        self.serve(request)
            .await
            .unwrap_or_else(|error| error.response())
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
        Ok(self.answer(request).await)
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

/// The handler as the bridge drives it, natively, with the database scripted.
#[cfg(test)]
mod handler_tests {
    use super::*;
    use platform::testing::{Journal, ScriptedDb, ScriptedOutbound};
    use platform::DbError;

    const TOKEN: &str = "scim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn scim(db: ScriptedDb) -> Scim<ScriptedDb, ScriptedOutbound> {
        Scim::new(
            db,
            ScriptedOutbound::new(&Journal::default()),
            None,
            "https://ref.supabase.co",
        )
    }

    fn request(method: &str, path: &str, body: Value) -> HttpRequest {
        HttpRequest::new(method)
            .with_path(format!("/scim/v2{path}"))
            .with_header("authorization", format!("Bearer {TOKEN}"))
            .with_header("content-type", "application/scim+json")
            .with_body(body.to_string())
    }

    fn stored(version: i64, title: &str) -> Result<Value, DbError> {
        Ok(
            json!({"id": "7f3b6c2e-1111-4111-8111-111111111111", "version": version, "active": true,
                  "resource": {"userName": "a@b.c", "title": title}, "groups": []}),
        )
    }

    #[tokio::test]
    async fn a_patch_is_applied_again_to_a_user_changed_in_between() {
        let changed = DbError::Rejected {
            status: 412,
            code: "PT412".into(),
            message: "directory_user_changed".into(),
            details: None,
        };
        let db = ScriptedDb::new(&Journal::default())
            .answer("scim_get_user", stored(1, "first"))
            .answer("scim_get_user", stored(2, "second"))
            .answer("scim_save_user", Err(changed))
            .answer("scim_save_user", stored(3, "patched"));
        let function = scim(db);
        let path = "/Users/7f3b6c2e-1111-4111-8111-111111111111";
        let response = function
            .answer(&request(
                "PATCH",
                path,
                json!({"Operations": [{"op": "add", "path": "nickName", "value": "Bee"}]}),
            ))
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        let saves: Vec<Value> = function
            .db
            .calls()
            .into_iter()
            .filter(|c| c.function == "scim_save_user")
            .map(|c| c.args)
            .collect();
        assert_eq!(saves.len(), 2);
        assert_eq!(
            saves[1]["p_expected_version"], 2,
            "written on the version read the second time"
        );
        assert_eq!(saves[1]["p_resource"]["title"], "second");
        assert_eq!(saves[1]["p_resource"]["nickName"], "Bee");
    }

    #[tokio::test]
    async fn the_database_sees_the_tokens_hash_and_a_fault_says_nothing_of_it() {
        let fault = DbError::Rejected {
            status: 500,
            code: "XX000".into(),
            message: "relation private.hidden does not exist".into(),
            details: None,
        };
        let db = ScriptedDb::new(&Journal::default()).answer("scim_list_users", Err(fault));
        let function = scim(db);
        let response = function
            .answer(&request("GET", "/Users", Value::Null).with_body(Vec::new()))
            .await;
        assert_eq!(response.status, 500);
        assert!(!response.body.contains("hidden"), "{}", response.body);
        assert_eq!(
            response.header("content-type"),
            Some("application/scim+json")
        );
        let calls = function.db.calls();
        assert_eq!(calls[0].args["p_token_hash"], sha256_hex(TOKEN));
        assert!(!calls[0].args.to_string().contains(TOKEN));
        assert_eq!(
            calls[0].jwt, None,
            "the service role, never the token, reaches PostgREST"
        );
    }
}
