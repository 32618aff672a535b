//! Export: an organization's data through export-organization at the gateway (the WASM
//! function streaming it), every section there and no secret in it; a user's own data.

use super::*;

async fn export(stack: &Stack, who: &User, org: Uuid) -> reqwest::Response {
    stack
        .call_function(
            "export-organization",
            Some(&who.jwt),
            json!({"organization_id": org}),
        )
        .await
}

#[tokio::test]
async fn an_organization_exports_everything_it_holds_and_no_secret() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack
        .organization_on_plan(&db, "Exported", "enterprise")
        .await;
    let filled = fill_every_table(&stack, &db, &owner, org).await;
    let hashes: Vec<String> = first_column(
        &db,
        "select token_hash from onboarding_invites where organization_id = $1 and token_hash is not null
         union all select token_hash from invite_links where organization_id = $1",
        &[&org],
    )
    .await;
    assert!(!hashes.is_empty());

    let before: String = db
        .query_one("select to_json(now())::text", &[])
        .await
        .unwrap()
        .get(0);
    let response = export(&stack, &owner, org).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    // Every top-level field, each with what it must hold.
    let fields: Vec<&str> = document
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec!["format", "exported_at", "organization"];
    expected.extend(onboarding::export::SECTIONS);
    let (mut got, mut want) = (fields.clone(), expected.clone());
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "the document's top-level fields");
    assert_eq!(document["format"], "tenant-onboarding-export/1");
    // The time of the export: the database's, between before and after the call.
    let exported_at = document["exported_at"].as_str().unwrap();
    let after: String = db
        .query_one("select to_json(now())::text", &[])
        .await
        .unwrap()
        .get(0);
    let within: bool = db
        .query_one(
            "select $1::text::timestamptz between ($2::text::json #>> '{}')::timestamptz and ($3::text::json #>> '{}')::timestamptz",
            &[&exported_at, &before, &after],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        within,
        "exported_at {exported_at} is not the time of the export ({before} .. {after})"
    );
    assert_eq!(document["organization"]["id"], org.to_string());
    for section in onboarding::export::SECTIONS {
        let rows = document[section]
            .as_array()
            .unwrap_or_else(|| panic!("{section} missing"));
        if *section != "webhook_deliveries" {
            assert!(!rows.is_empty(), "{section} is empty");
        }
    }
    assert_eq!(document["members"].as_array().unwrap().len(), 2);
    for secret in [
        &filled.ats_api_key,
        &filled.webhook_secret,
        &filled.link_token,
    ]
    .into_iter()
    .chain(&hashes)
    {
        assert!(!text.contains(secret.as_str()), "the export holds a secret");
    }
    assert!(
        !text.contains("token_hash") && !text.contains("whsec_") && !text.contains("txt_value")
    );
}

#[tokio::test]
async fn only_who_reads_the_audit_log_and_manages_settings_exports() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = stack.organization_with_viewer(&db, "Guarded", "free").await;
    let (outsider, _) = stack.organization_on_plan(&db, "Outside", "free").await;
    assert_eq!(
        error_code(export(&stack, &viewer, org).await, 403).await,
        "not_org_admin"
    );
    assert_eq!(
        error_code(export(&stack, &outsider, org).await, 403).await,
        "not_member"
    );
    assert_eq!(
        error_code(
            stack
                .call_function("export-organization", None, json!({"organization_id": org}))
                .await,
            401
        )
        .await,
        "unauthorized"
    );
    assert_eq!(
        error_code(
            stack
                .call_function(
                    "export-organization",
                    Some(&owner.jwt),
                    json!({"organization_id": "nope"})
                )
                .await,
            400
        )
        .await,
        "invalid_payload"
    );
    let admin = member(&stack, &db, org, "admin").await;
    assert_eq!(export(&stack, &admin, org).await.status().as_u16(), 200);
}

#[tokio::test]
async fn ten_thousand_tenant_users_export_within_the_functions_limits() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Large", "free").await;
    db.execute(
        "insert into tenant_users (tenant_id, user_role, email, full_name)
         select $1, 'executor', 'worker-' || n || '@large.example.com', 'Worker ' || n from generate_series(1, 10000) n",
        &[&org],
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let text = export(&stack, &owner, org).await.text().await.unwrap();
    let elapsed = started.elapsed();
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["tenant_users"].as_array().unwrap().len(), 10_000);
    // What the function's isolate holds after streaming about 2 MB: its memory stays far
    // below the 256 MB a hosted function has.
    let stats = stack
        .get_json(&format!("{}/_stack/stats", stack.var("SUPABASE_URL")))
        .await;
    let function = &stats["functions"]["export-organization"];
    let rss = function["rss"].as_f64().unwrap();
    let wasm = function["wasm_memory_bytes"].as_f64().unwrap();
    eprintln!(
        "export of 10,000 tenant users: {} bytes in {} ms; isolate rss {:.1} MB, wasm memory {:.1} MB",
        text.len(),
        elapsed.as_millis(),
        rss / 1e6,
        wasm / 1e6
    );
    assert!(rss < 200e6 && wasm < 32e6, "rss {rss}, wasm {wasm}");
}

#[tokio::test]
async fn a_user_exports_their_own_data() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Mine", "free").await;
    let data = ok(rpc(&stack, &owner, "export_my_data", json!({})).await).await;
    assert_eq!(data["user"]["email"], owner.email);
    assert!(data["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["organization_id"] == org.to_string()));
    for key in ["profile", "invitations", "join_requests"] {
        assert!(data.get(key).is_some(), "{key}");
    }
    assert!(!data.to_string().contains("encrypted_password"));
}
