//! Every phase saves, the domain verifies over DNS-over-HTTPS, and the organization activates.

use super::*;

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
    let actions: Vec<String> = first_column(
        &db,
        "select action from organization_audit_log where organization_id = $1 order by id",
        &[&org],
    )
    .await;
    assert!(actions.contains(&"domain.verified".to_owned()));
    assert!(actions.contains(&"organization.activated".to_owned()));
}
