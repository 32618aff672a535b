//! Members read, owners and admins write, other organizations see nothing.

use super::*;

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
