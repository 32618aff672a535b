//! Bad input is refused with a code naming the field, and nothing is written.

use super::*;

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
