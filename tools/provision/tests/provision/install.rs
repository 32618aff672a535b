//! A whole run installs a working project: schema, functions, secrets, organization; on the new keys too; nothing applied when the schema is refused.

use super::*;

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
