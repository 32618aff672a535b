//! on-signup-create-org: the database webhook on `auth.users` INSERT.
//!
//! Gives every new user a profile, an organization of their own and the owner
//! membership of it, through one RPC (`public.create_signup_workspace`, which names them
//! by the rules the reconcile job uses too) that does all three
//! in one transaction and is idempotent by unique keys: Supabase may deliver the
//! webhook twice, or two deliveries may race, and there is still exactly one of each.

use onboarding::signup::{self, parse_signup_event};
use platform::request::{check_json_body, require_method};
use platform::secrets::CallerSecret;
use platform::{
    ApiError, Caller, Config, ConfigError, Db, EdgeFunction, Env, HttpRequest, HttpResponse,
    PostgrestDb,
};
use serde_json::json;

/// The SQL function that does the work; see the migrations.
pub const RPC: &str = "create_signup_workspace";

pub struct OnSignupCreateOrg<D> {
    db: D,
    /// What the webhook must present.
    webhook_secret: CallerSecret,
}

impl<D: Db> OnSignupCreateOrg<D> {
    pub fn new(db: D, webhook_secret: CallerSecret) -> Self {
        OnSignupCreateOrg { db, webhook_secret }
    }

    async fn create(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        require_method(request, "POST")?;
        self.webhook_secret.require(request)?;
        check_json_body(request)?;
        let signup = parse_signup_event(&request.body)?;
        let args = json!({
            "p_user_id": signup.user_id,
            "p_email": signup.email,
            "p_metadata": signup.metadata,
        });
        let result = self
            .db
            .rpc(Caller::ServiceRole, RPC, &args)
            .await
            .map_err(signup::from_db)?;
        Ok(HttpResponse::json(200, &result))
    }
}

impl EdgeFunction for OnSignupCreateOrg<PostgrestDb> {
    const NAME: &'static str = "on-signup-create-org";

    /// `ONBOARDING_WEBHOOK_SECRET` (as `Authorization: Bearer`) authenticates the webhook;
    /// when it is unset, a server key is expected instead: the secret key in `apikey` (as
    /// the dashboard installs webhooks today) or, while legacy keys are on, the legacy
    /// service role key as the seed configured it.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let config = Config::from_env(env)?;
        let webhook_secret =
            CallerSecret::from_env(env, "ONBOARDING_WEBHOOK_SECRET", &config.server_keys);
        Ok(OnSignupCreateOrg::new(
            PostgrestDb::new(&config),
            webhook_secret,
        ))
    }

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        self.create(request).await
    }
}

#[cfg(target_arch = "wasm32")]
platform::export_to_deno!(crate::OnSignupCreateOrg<platform::PostgrestDb>);
