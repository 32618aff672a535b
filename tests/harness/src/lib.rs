//! The one test harness: a running stack (its addresses, keys and database, from
//! `STACK_ENV_FILE`), JWTs as Supabase Auth would mint them, users inserted as Auth would
//! insert them. Used by every integration test (`tests/tests/`) and by the benchmark.
//! Helpers panic on failure: they are for tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

pub struct Stack {
    pub vars: HashMap<String, String>,
    pub http: reqwest::Client,
    /// The project's signing key and its `kid`, read once.
    signing_key: std::sync::OnceLock<(jsonwebtoken::EncodingKey, String)>,
}

impl Stack {
    pub fn load() -> Stack {
        let path = std::env::var("STACK_ENV_FILE")
            .expect("STACK_ENV_FILE is not set: run these tests with `make test`");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // The stack's variables, then the functions' secrets (where the functions reach the
        // fakes), then the fakes' own addresses (`fakes.env` beside stack.env, when the
        // fakes run).
        let functions_env = std::env::var("FUNCTIONS_ENV_FILE")
            .ok()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        let fakes_env = std::path::Path::new(&path)
            .parent()
            .and_then(|dir| std::fs::read_to_string(dir.join("fakes.env")).ok())
            .unwrap_or_default();
        let vars = text
            .lines()
            .chain(functions_env.lines())
            .chain(fakes_env.lines())
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Stack {
            vars,
            http: reqwest::Client::new(),
            signing_key: std::sync::OnceLock::new(),
        }
    }

    pub fn var(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing from stack.env"))
    }

    /// The environment a function would see, for building handlers natively: the
    /// stack's variables and the functions' secrets, with the keys in Supabase's shapes
    /// (`SUPABASE_SECRET_KEYS` as JSON; the legacy keys only while they are on).
    pub fn function_env(&self) -> platform::Env {
        let mut vars = self.vars.clone();
        if !self.legacy_keys_on() {
            vars.remove("SUPABASE_ANON_KEY");
            vars.remove("SUPABASE_SERVICE_ROLE_KEY");
        }
        vars.insert(
            "SUPABASE_SECRET_KEYS".into(),
            json!({ "default": self.secret_key() }).to_string(),
        );
        vars.insert(
            "SUPABASE_PUBLISHABLE_KEYS".into(),
            json!({ "default": self.publishable_key() }).to_string(),
        );
        platform::Env::new(vars)
    }

    pub fn function_url(&self, name: &str) -> String {
        format!("{}/functions/v1/{name}", self.var("SUPABASE_URL"))
    }

    pub fn rest_url(&self, path: &str) -> String {
        format!("{}/rest/v1/{path}", self.var("SUPABASE_URL"))
    }

    /// The database as `postgres`, which on Supabase is not a superuser.
    pub async fn db(&self) -> Client {
        connect(self.var("DATABASE_URL")).await
    }

    /// The database as its superuser: only for simulating a fault the platform would
    /// cause (a webhook never delivered), never for what a project's owner could do.
    pub async fn admin_db(&self) -> Client {
        connect(self.var("ADMIN_DATABASE_URL")).await
    }

    /// A JWT for `user_id` as Supabase Auth issues it today (ES256, the project's
    /// current signing key).
    pub fn user_jwt(&self, user_id: Uuid, email: &str) -> String {
        self.jwt(user_claims(user_id, email))
    }

    /// [`Stack::user_jwt`] at an assurance level: `aal2` is what Supabase Auth issues once
    /// the user has verified a second factor (`amr` then names it).
    pub fn user_jwt_at(&self, user_id: Uuid, email: &str, aal: &str) -> String {
        let mut claims = user_claims(user_id, email);
        claims["aal"] = json!(aal);
        claims["amr"] = if aal == "aal2" {
            json!([{"method": "totp", "timestamp": chrono_like_now()}, {"method": "password", "timestamp": chrono_like_now()}])
        } else {
            json!([{"method": "password", "timestamp": chrono_like_now()}])
        };
        self.jwt(claims)
    }

    /// A JWT for `user_id` as Supabase Auth issued it before asymmetric keys (HS256, the
    /// legacy secret, which a project keeps as a verifying key).
    pub fn legacy_user_jwt(&self, user_id: Uuid, email: &str) -> String {
        self.legacy_jwt(user_claims(user_id, email))
    }

    /// Any claims, signed with the project's current key (ES256, with its `kid`).
    pub fn jwt(&self, claims: Value) -> String {
        let (key, kid) = self.signing_key.get_or_init(|| {
            let file = self.var("SUPABASE_JWT_SIGNING_KEY_FILE");
            let jwk: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            let pem = std::fs::read(file.replace(".json", ".pem")).unwrap();
            (
                jsonwebtoken::EncodingKey::from_ec_pem(&pem).unwrap(),
                jwk["kid"].as_str().unwrap().to_owned(),
            )
        });
        sign_es256(&claims, key, kid)
    }

    /// The `kid` of the project's current signing key.
    pub fn signing_kid(&self) -> String {
        let token = self.jwt(json!({}));
        jsonwebtoken::decode_header(&token).unwrap().kid.unwrap()
    }

    /// Any claims, signed with the project's legacy HS256 secret.
    pub fn legacy_jwt(&self, claims: Value) -> String {
        sign(&claims, self.var("SUPABASE_JWT_SECRET"))
    }

    /// The publishable key (`sb_publishable_…`), what browsers send as `apikey`.
    pub fn publishable_key(&self) -> &str {
        self.var("SUPABASE_PUBLISHABLE_KEY")
    }

    /// The secret key (`sb_secret_…`), what servers send as `apikey`.
    pub fn secret_key(&self) -> &str {
        self.var("SUPABASE_SECRET_KEY")
    }

    /// Whether this stack runs with its legacy API keys on (`LEGACY_API_KEYS`).
    pub fn legacy_keys_on(&self) -> bool {
        self.var("LEGACY_API_KEYS") == "on"
    }

    /// PostgREST's own URL for an RPC, bypassing the gateway.
    pub fn postgrest_rpc_url(&self, name: &str) -> String {
        format!("{}/rpc/{name}", self.var("POSTGREST_URL"))
    }
}

impl Stack {
    /// A service-role JWT minted now, signed with `secret`, expiring at `exp`: the same
    /// role as the stack's key but a different string.
    pub fn service_role_jwt(&self, secret: &str, exp: u64) -> String {
        let claims = json!({ "role": "service_role", "iss": "supabase", "iat": chrono_like_now(), "exp": exp });
        sign(&claims, secret)
    }

    /// The stack's directory (its logs, its bundles).
    pub fn dir(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(std::env::var("STACK_ENV_FILE").expect("STACK_ENV_FILE"))
            .parent()
            .expect("the stack env file is in the stack directory")
            .to_path_buf()
    }

    pub fn now_seconds(&self) -> u64 {
        chrono_like_now()
    }
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("connect to the stack's PostgreSQL");
    tokio::spawn(connection);
    client
}

fn user_claims(user_id: Uuid, email: &str) -> Value {
    json!({
        "sub": user_id, "role": "authenticated", "aud": "authenticated", "email": email,
        "exp": chrono_like_now() + 3600,
    })
}

/// Claims signed ES256 with `key`, naming `kid` (a foreign key may claim the project's).
pub fn sign_es256(claims: &Value, key: &jsonwebtoken::EncodingKey, kid: &str) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

/// HS256, as Supabase signs with a project's JWT secret.
fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn chrono_like_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The first column of every row `sql` returns, in order.
pub async fn first_column<T>(
    db: &Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Vec<T>
where
    T: for<'a> tokio_postgres::types::FromSql<'a>,
{
    db.query(sql, params)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", Uuid::new_v4().simple())
}

/// Inserts a user the way Supabase Auth does; the signup webhook fires on commit.
pub async fn insert_user(db: &Client, email: &str, meta: Value) -> Uuid {
    let row = db
        .query_one(
            "insert into auth.users (email, raw_user_meta_data) values ($1, $2) returning id",
            &[&email, &meta],
        )
        .await
        .unwrap();
    row.get(0)
}

/// Inserts a user without firing triggers: a signup whose webhook was never delivered.
/// Turning triggers off takes the superuser, as the lost delivery is the platform's fault.
/// The user is noted for the reconcile job all the same, as the trigger that does so is
/// not the webhook's.
pub async fn insert_user_without_webhook(stack: &Stack, email: &str, meta: Value) -> Uuid {
    let admin = stack.admin_db().await;
    admin
        .batch_execute("set session_replication_role = replica")
        .await
        .unwrap();
    let id = insert_user(&admin, email, meta).await;
    admin
        .execute(
            "insert into private.signups_awaiting_workspace (user_id) values ($1)",
            &[&id],
        )
        .await
        .unwrap();
    id
}

/// (profiles, organizations created by the user's signup, owner memberships) counts.
pub async fn signup_counts(db: &Client, user_id: Uuid) -> (i64, i64, i64) {
    let row = db
        .query_one(
            "select (select count(*) from public.profiles where id = $1),
                    (select count(*) from public.organizations where signup_user_id = $1),
                    (select count(*) from public.organization_members where user_id = $1 and role = 'owner')",
            &[&user_id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// Waits until the user's signup has created profile, organization and membership.
pub async fn wait_for_signup(db: &Client, user_id: Uuid) -> (i64, i64, i64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let counts = signup_counts(db, user_id).await;
        if counts == (1, 1, 1) || Instant::now() > deadline {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The payload Supabase's database webhook sends for an auth.users INSERT.
pub fn webhook_payload(user_id: Uuid, email: &str, meta: Value) -> Value {
    json!({
        "type": "INSERT", "table": "users", "schema": "auth", "old_record": null,
        "record": { "id": user_id, "email": email, "raw_user_meta_data": meta,
                    "aud": "authenticated", "role": "authenticated" }
    })
}

/// A response's status and JSON body (`null` when it has none).
pub async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// PostgREST's error for a refused RPC: the status and the stable code (the message).
pub async fn refused(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    (
        status,
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}

/// The JSON body of a response that must be a 200.
pub async fn ok(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(status, 200, "{body}");
    body
}

/// Asserts the documented error shape and returns the code.
pub async fn error_code(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "error without a message: {body}");
    body["error"]["code"].as_str().unwrap().to_owned()
}

/// `times` role changes of `user_id` in `org` (viewer ⇄ recruiter), in one transaction:
/// as many `member.role_changed` events, for the webhooks' tests and benchmark.
pub async fn flip_role(db: &Client, org: Uuid, user_id: Uuid, times: usize) {
    db.batch_execute(&format!(
        "do $$ begin for i in 1..{times} loop
           update organization_members set role = case when role = 'viewer' then 'recruiter' else 'viewer' end
           where organization_id = '{org}' and user_id = '{user_id}';
         end loop; end $$"
    ))
    .await
    .unwrap();
}

/// A user who has confirmed their email, as Supabase Auth leaves them after the link.
pub async fn insert_confirmed_user(db: &Client, email: &str, meta: Value) -> Uuid {
    let id = insert_user(db, email, meta).await;
    db.execute(
        "update auth.users set email_confirmed_at = now() where id = $1",
        &[&id],
    )
    .await
    .unwrap();
    id
}

/// The token at the end of an invitation's or an invite link's URL.
pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap_or_default().to_owned()
}

/// A signed-in user: id, email, JWT.
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub jwt: String,
}

impl Stack {
    /// A platform admin, signed in with a second factor (`aal2`): platform admins act on
    /// tenants only so ([`Stack::session_at`] gives the same person after a password alone).
    pub async fn platform_admin(&self, db: &Client) -> User {
        let email = unique_email("admin");
        let id = insert_confirmed_user(db, &email, json!({"full_name": "Platform Admin"})).await;
        db.execute(
            "select private.set_platform_role($1, 'platform_admin')",
            &[&email],
        )
        .await
        .unwrap();
        User {
            jwt: self.user_jwt_at(id, &email, "aal2"),
            id,
            email,
        }
    }

    /// The same user in a session at assurance level `aal` (`aal1` after a password,
    /// `aal2` after a second factor).
    pub fn session_at(&self, who: &User, aal: &str) -> User {
        User {
            jwt: self.user_jwt_at(who.id, &who.email, aal),
            id: who.id,
            email: who.email.clone(),
        }
    }

    pub async fn confirmed_user(&self, db: &Client, email: &str) -> User {
        let id = insert_confirmed_user(db, email, json!({"full_name": "Some One"})).await;
        User {
            jwt: self.user_jwt(id, email),
            id,
            email: email.to_owned(),
        }
    }

    /// A new user's self-serve organization (`create_organization`, through PostgREST),
    /// then put on `plan` as a platform admin's upgrade would.
    pub async fn organization_on_plan(&self, db: &Client, name: &str, plan: &str) -> (User, Uuid) {
        let owner = self.confirmed_user(db, &unique_email("owner")).await;
        let (status, body) = self
            .rpc_answer("create_organization", &owner.jwt, json!({"p_name": name}))
            .await;
        assert_eq!(status, 200, "{body}");
        let id: Uuid = body["organization_id"].as_str().unwrap().parse().unwrap();
        db.execute(
            "update organizations set plan_id = $2 where id = $1",
            &[&id, &plan],
        )
        .await
        .unwrap();
        (owner, id)
    }

    /// [`Stack::organization_on_plan`] with a viewer besides its owner: (owner, id, viewer).
    pub async fn organization_with_viewer(
        &self,
        db: &Client,
        name: &str,
        plan: &str,
    ) -> (User, Uuid, User) {
        let (owner, org) = self.organization_on_plan(db, name, plan).await;
        let viewer = self.confirmed_user(db, &unique_email("viewer")).await;
        db.execute(
            "insert into organization_members (organization_id, user_id, role) values ($1, $2, 'viewer')",
            &[&org, &viewer.id],
        )
        .await
        .unwrap();
        (owner, org, viewer)
    }

    /// POST to a PostgREST RPC through the gateway, as the holder of `jwt`.
    pub async fn rpc(&self, function: &str, jwt: &str, args: Value) -> reqwest::Response {
        self.http
            .post(self.rest_url(&format!("rpc/{function}")))
            .header("apikey", self.publishable_key())
            .bearer_auth(jwt)
            .json(&args)
            .send()
            .await
            .unwrap()
    }

    /// [`Stack::rpc`], answered: its status and JSON body.
    pub async fn rpc_answer(&self, function: &str, jwt: &str, args: Value) -> (u16, Value) {
        answer(self.rpc(function, jwt, args).await).await
    }

    /// GET `url` (a fake's control route, the stack's stats) and its JSON body.
    pub async fn get_json(&self, url: &str) -> Value {
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// GET a PostgREST path through the gateway; `None` as the JWT means anonymous.
    pub async fn select(&self, path: &str, jwt: Option<&str>) -> reqwest::Response {
        let request = self
            .http
            .get(self.rest_url(path))
            .header("apikey", self.publishable_key());
        match jwt {
            Some(jwt) => request.bearer_auth(jwt),
            None => request,
        }
        .send()
        .await
        .unwrap()
    }

    /// POST to a function as a server calls it: an API key in `apikey`, no bearer (the
    /// gateway supplies the JWT the key stands for).
    pub async fn call_function_with_key(
        &self,
        name: &str,
        apikey: &str,
        body: Value,
    ) -> reqwest::Response {
        self.http
            .post(self.function_url(name))
            .header("apikey", apikey)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn call_function(
        &self,
        name: &str,
        jwt: Option<&str>,
        body: Value,
    ) -> reqwest::Response {
        let request = self.http.post(self.function_url(name)).json(&body);
        match jwt {
            Some(jwt) => request.bearer_auth(jwt),
            None => request,
        }
        .send()
        .await
        .unwrap()
    }
}
