//! Onboarding phases end to end with real JWTs through PostgREST: every phase saved and
//! read back, a custom domain verified through the stack's pg_net and the DoH fake, the
//! organization activated only when every shown phase is done, bad input refused with a
//! code naming the field and nothing written, and who may read and write what.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

/// An organization on `plan`, waiting for its onboarding, owned by a new user.
async fn organization_on(stack: &Stack, db: &Client, plan: &str) -> (User, Uuid) {
    let (owner, id) = stack.organization_on_plan(db, "Phases Test", plan).await;
    // Onboarding still to do.
    db.execute(
        "update organizations set status = 'pending-activation' where id = $1",
        &[&id],
    )
    .await
    .unwrap();
    (owner, id)
}

async fn save(stack: &Stack, who: &User, org: Uuid, phase: &str, data: Value) -> (u16, Value) {
    stack
        .rpc_answer(
            "save_onboarding_phase",
            &who.jwt,
            json!({"p_organization_id": org, "p_phase": phase, "p_data": data}),
        )
        .await
}

async fn onboarding(stack: &Stack, who: &User, org: Uuid) -> (u16, Value) {
    stack
        .rpc_answer(
            "organization_onboarding",
            &who.jwt,
            json!({"p_organization_id": org}),
        )
        .await
}

fn phase<'a>(onboarding: &'a Value, key: &str) -> &'a Value {
    onboarding["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == key)
        .unwrap_or_else(|| panic!("no phase {key} in {onboarding}"))
}

fn doh_fake(stack: &Stack) -> String {
    stack
        .var("DOH_URL")
        .trim_end_matches("/dns-query")
        .to_owned()
}

/// Calls verify_domain until the lookup it queued has an answer (pg_net delivers after commit).
async fn verify_until_answered(stack: &Stack, who: &User, org: Uuid) -> Value {
    for _ in 0..100 {
        let (status, body) = stack
            .rpc_answer("verify_domain", &who.jwt, json!({"p_organization_id": org}))
            .await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "checking" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the DoH lookup never came back");
}

fn setup() -> Value {
    json!({"name": "Acme Recruiting", "industry": "Staffing", "size_band": "51-200",
           "time_zone": "Africa/Nairobi", "logo_url": "https://cdn.acme.example/logo.png"})
}

fn billing() -> Value {
    json!({"billing_email": "Finance@Acme.example", "legal_name": "Acme Recruiting Ltd",
           "tax_id": "KE-P051234567X",
           "address": {"line1": "1 Kenyatta Ave", "city": "Nairobi", "postal_code": "00100", "country": "KE"}})
}

#[tokio::test]
async fn every_phase_saves_the_domain_verifies_and_the_organization_activates() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = organization_on(&stack, &db, "enterprise").await;

    let (status, body) = onboarding(&stack, &owner, org).await;
    assert_eq!(status, 200);
    assert!(body["phases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["done"] == false && p["data"].is_null()));

    // Completing before anything is saved lists every phase not done.
    let (status, body) = stack
        .rpc_answer(
            "complete_onboarding",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (409, Some("onboarding_incomplete"))
    );
    let missing: Vec<String> = serde_json::from_str(body["hint"].as_str().unwrap()).unwrap();
    assert_eq!(missing.len(), 7, "{body}");

    let (status, saved) = save(&stack, &owner, org, "organization-setup", setup()).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (saved["done"].as_bool(), saved["saved_by"].as_str()),
        (Some(true), Some(owner.id.to_string().as_str()))
    );
    let name: String = db
        .query_one("select name from organizations where id = $1", &[&org])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Acme Recruiting");

    let (status, saved) = save(&stack, &owner, org, "billing", billing()).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["data"]["billing_email"], "finance@acme.example");
    let row = db
        .query_one(
            "select billing_email, legal_name, tax_id, city, country from organization_billing where organization_id = $1",
            &[&org],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, String>(0),
            row.get::<_, String>(1),
            row.get::<_, String>(2),
            row.get::<_, String>(3),
            row.get::<_, String>(4)
        ),
        (
            "finance@acme.example".into(),
            "Acme Recruiting Ltd".into(),
            "KE-P051234567X".into(),
            "Nairobi".into(),
            "KE".into()
        )
    );

    // Team: saved unmarked is not done; marked, it is.
    let (_, saved) = save(&stack, &owner, org, "team", json!({"completed": false})).await;
    assert_eq!(saved["done"], false);
    let (_, saved) = save(&stack, &owner, org, "team", json!({"completed": true})).await;
    assert_eq!(saved["done"], true);

    let (status, saved) = save(
        &stack,
        &owner,
        org,
        "privacy",
        json!({"dpa_version": "2026-01", "data_region": "af"}),
    )
    .await;
    assert_eq!(
        (status, saved["done"].as_bool()),
        (200, Some(true)),
        "{saved}"
    );

    let (status, saved) = save(
        &stack,
        &owner,
        org,
        "brand-identity",
        json!({"primary_color": "#1A2B3C", "accent_color": "#ffcc00", "sender_name": "Acme Hiring"}),
    )
    .await;
    assert_eq!(
        (status, saved["data"]["primary_color"].as_str()),
        (200, Some("#1a2b3c"))
    );

    // Integrations: the ATS key is kept and never echoed.
    let api_key = format!("gh_live_{}", Uuid::new_v4().simple());
    let (status, saved) = save(
        &stack,
        &owner,
        org,
        "integrations",
        json!({"ats_provider": "Greenhouse", "ats_api_key": api_key,
               "webhook_urls": ["https://hooks.acme.example/onboarding"]}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["data"]["ats_api_key_set"], true);
    let (_, everything) = onboarding(&stack, &owner, org).await;
    assert!(!everything.to_string().contains(&api_key));

    // The domain: a challenge to publish; not found until it is published; then verified.
    let hostname = format!(
        "jobs-{}.acme.example",
        &Uuid::new_v4().simple().to_string()[..8]
    );
    let (status, saved) = save(
        &stack,
        &owner,
        org,
        "domain-verification",
        json!({"hostname": hostname.to_uppercase()}),
    )
    .await;
    assert_eq!(
        (status, saved["done"].as_bool()),
        (200, Some(false)),
        "{saved}"
    );
    let record = saved["data"]["txt_record"].clone();
    assert_eq!(
        record["name"],
        format!("_onboarding-verification.{hostname}")
    );
    let value = record["value"].as_str().unwrap().to_owned();
    assert!(value.starts_with("onboarding-verification=") && value.len() == 24 + 32);

    let checked = verify_until_answered(&stack, &owner, org).await;
    assert_eq!(
        (checked["status"].as_str(), checked["verified"].as_bool()),
        (Some("not_found"), Some(false))
    );
    let published = stack
        .http
        .put(format!("{}/_fake/txt", doh_fake(&stack)))
        .json(&json!({"name": record["name"], "values": ["google-site-verification=x", value]}))
        .send()
        .await
        .unwrap();
    assert!(published.status().is_success());
    let checked = verify_until_answered(&stack, &owner, org).await;
    assert_eq!(
        (checked["status"].as_str(), checked["verified"].as_bool()),
        (Some("verified"), Some(true))
    );

    let (_, everything) = onboarding(&stack, &owner, org).await;
    assert!(
        everything["phases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["done"] == true),
        "{everything}"
    );
    assert_eq!(
        phase(&everything, "domain-verification")["data"]["verified"],
        true
    );
    assert_eq!(phase(&everything, "privacy")["data"]["data_region"], "af");

    let (status, body) = stack
        .rpc_answer(
            "complete_onboarding",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("active")),
        "{body}"
    );
    let actions: Vec<String> = db
        .query(
            "select action from organization_audit_log where organization_id = $1 order by id",
            &[&org],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(actions.contains(&"domain.verified".to_owned()));
    assert!(actions.contains(&"organization.activated".to_owned()));
}

#[tokio::test]
async fn bad_input_is_refused_with_a_code_naming_the_field_and_nothing_is_written() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = organization_on(&stack, &db, "enterprise").await;
    let long_url = format!("https://cdn.acme.example/{}", "a".repeat(2048));
    let with = |base: Value, key: &str, value: Value| {
        let mut data = base;
        data[key] = value;
        data
    };
    let mut address = billing();
    address["address"]["country"] = json!("Kenya");
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "organization-setup",
            with(setup(), "name", json!(42)),
            "invalid_name",
        ),
        (
            "organization-setup",
            with(setup(), "name", json!("n".repeat(201))),
            "invalid_name",
        ),
        (
            "organization-setup",
            with(setup(), "logo_url", json!(long_url)),
            "invalid_logo_url",
        ),
        (
            "organization-setup",
            with(setup(), "logo_url", json!("javascript:alert(1)")),
            "invalid_logo_url",
        ),
        (
            "organization-setup",
            with(setup(), "time_zone", json!("Europe/Atlantis")),
            "invalid_time_zone",
        ),
        (
            "organization-setup",
            with(setup(), "size_band", json!("huge")),
            "invalid_size_band",
        ),
        (
            "organization-setup",
            with(setup(), "ceo", json!("Ann")),
            "unknown_field",
        ),
        (
            "billing",
            with(billing(), "billing_email", json!("not-an-email")),
            "invalid_billing_email",
        ),
        ("billing", address, "invalid_country"),
        (
            "billing",
            with(billing(), "address", json!("Nairobi")),
            "invalid_address",
        ),
        (
            "brand-identity",
            json!({"primary_color": "red", "accent_color": "#ffffff", "sender_name": "A"}),
            "invalid_primary_color",
        ),
        (
            "brand-identity",
            json!({"primary_color": "#000000", "accent_color": "#fff", "sender_name": "A"}),
            "invalid_accent_color",
        ),
        (
            "domain-verification",
            json!({"hostname": "localhost"}),
            "invalid_hostname",
        ),
        (
            "domain-verification",
            json!({"hostname": "10.0.0.1"}),
            "invalid_hostname",
        ),
        (
            "domain-verification",
            json!({"hostname": format!("{}.example.com", "a".repeat(64))}),
            "invalid_hostname",
        ),
        (
            "integrations",
            json!({"webhook_urls": ["http://hooks.acme.example/x"]}),
            "invalid_webhook_urls",
        ),
        ("integrations", json!({}), "invalid_integrations"),
        (
            "privacy",
            json!({"dpa_version": "2026-01", "data_region": "moon"}),
            "invalid_data_region",
        ),
        ("team", json!({"completed": "yes"}), "invalid_completed"),
        ("nonsense", json!({}), "invalid_phase"),
    ];
    for (phase_key, data, code) in cases {
        let (status, body) = save(&stack, &owner, org, phase_key, data.clone()).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (400, Some(code)),
            "{phase_key} {data}: {body}"
        );
    }
    let (status, body) = stack
        .rpc_answer(
            "save_onboarding_phase",
            &owner.jwt,
            json!({"p_organization_id": org, "p_phase": "team", "p_data": "completed"}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("invalid_phase_data"))
    );
    let written: i64 = db
        .query_one(
            "select (select count(*) from organization_onboarding_phases where organization_id = $1)
                  + (select count(*) from organization_domains where organization_id = $1)
                  + (select count(*) from organization_billing where organization_id = $1 and legal_name is not null)",
            &[&org],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(written, 0, "a refused save wrote something");
    let name: String = db
        .query_one("select name from organizations where id = $1", &[&org])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Phases Test");
}

#[tokio::test]
async fn members_read_owners_and_admins_write_other_organizations_see_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = organization_on(&stack, &db, "starter").await;
    let viewer = stack.confirmed_user(&db, &unique_email("viewer")).await;
    let admin = stack.confirmed_user(&db, &unique_email("admin")).await;
    let (outsider, other_org) = organization_on(&stack, &db, "starter").await;
    for (who, role) in [(&viewer, "viewer"), (&admin, "admin")] {
        db.execute(
            "insert into organization_members (organization_id, user_id, role) values ($1, $2, $3)",
            &[&org, &who.id, &role],
        )
        .await
        .unwrap();
    }
    let (status, _) = save(&stack, &admin, org, "billing", billing()).await;
    assert_eq!(status, 200, "an admin saves");
    let (status, body) = save(&stack, &viewer, org, "team", json!({"completed": true})).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("not_org_admin"))
    );
    let (status, body) = save(&stack, &outsider, org, "team", json!({"completed": true})).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("not_member"))
    );

    // Starter has neither custom-domain nor white-label nor integrations.
    for (phase_key, data) in [
        (
            "brand-identity",
            json!({"primary_color": "#000000", "accent_color": "#ffffff", "sender_name": "A"}),
        ),
        (
            "domain-verification",
            json!({"hostname": "jobs.acme.example"}),
        ),
        ("integrations", json!({"ats_provider": "Lever"})),
    ] {
        let (status, body) = save(&stack, &owner, org, phase_key, data).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (403, Some("phase_not_available")),
            "{phase_key}"
        );
    }
    let (status, body) = stack
        .rpc_answer(
            "verify_domain",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("phase_not_available"))
    );

    // The viewer reads the saved phase and the billing details; the outsider reads nothing.
    let (status, body) = onboarding(&stack, &viewer, org).await;
    assert_eq!(status, 200);
    assert_eq!(phase(&body, "billing")["saved_by"], admin.id.to_string());
    let rows: Value = stack
        .select(
            &format!("organization_onboarding_phases?organization_id=eq.{org}"),
            Some(&viewer.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    for path in [
        format!("organization_onboarding_phases?organization_id=eq.{org}"),
        format!("organization_billing?organization_id=eq.{org}"),
    ] {
        let rows: Value = stack
            .select(&path, Some(&outsider.jwt))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rows, json!([]), "{path}");
    }
    let (status, _) = onboarding(&stack, &outsider, org).await;
    assert_eq!(status, 404);
    let (status, _) = onboarding(&stack, &outsider, other_org).await;
    assert_eq!(status, 200);
    let anonymous = stack
        .select("organization_onboarding_phases", None)
        .await
        .status()
        .as_u16();
    assert_eq!(anonymous, 401);
}
