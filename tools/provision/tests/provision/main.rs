//! The provision command, run as a binary against the local fake of the Supabase
//! Management API (local/fakes/management-api.ts, the one the deploy check uses too) and, standing in for
//! each new project's database, a fresh database in the test stack's PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use serde_json::{json, Value};
use std::path::PathBuf;
use tokio_postgres::{Client, NoTls};

mod install;
mod owner_invite;
mod project;
mod refusals;
mod regions;
mod template;

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
