//! The whole invite story, from the platform admin to an active organization, and the phases its features call for.

use super::*;

#[tokio::test]
async fn the_full_story_from_admin_to_active_organization() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited =
        create_organization(&stack, &admin, "growth", json!({"custom-domain": true})).await;

    // The email, through Resend's contract.
    let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
    assert_eq!(response.status().as_u16(), 200);
    let sent: Value = response.json().await.unwrap();
    let link = sent["link"].as_str().unwrap();
    assert!(
        link.starts_with("https://app.example.test/onboarding/join/"),
        "{link}"
    );
    let (emails, attempts) = mailbox(&stack, &invited.email).await;
    assert_eq!((emails.len(), attempts), (1, 1));
    let email = &emails[0];
    assert_eq!(email["from"], "Acme Onboarding <onboarding@acme.test>");
    assert_eq!(email["to"], json!([invited.email]));
    assert!(email["html"].as_str().unwrap().contains("Acme &amp; Co"));
    assert!(email["text"].as_str().unwrap().contains(link));
    assert!(email["idempotency_key"]
        .as_str()
        .unwrap()
        .starts_with("invite-"));
    assert_eq!(sent["email_id"], email["id"]);
    let token = token_of(link);
    let row = invite_row(&db, invited.invite_id).await;
    assert_eq!(
        row.get::<_, Option<String>>(2).unwrap(),
        platform::secrets::sha256_hex(&token)
    );
    assert!(
        row.get::<_, Option<std::time::SystemTime>>(5).is_some(),
        "sent_at recorded"
    );

    // The preview, with no side effects.
    let before = invite_row(&db, invited.invite_id)
        .await
        .get::<_, std::time::SystemTime>(6);
    let preview: Value = validate(&stack, &token).await.json().await.unwrap();
    assert_eq!(preview["organization"]["name"], "Acme & Co");
    assert_eq!(preview["plan"], json!({"id": "growth", "name": "Growth"}));
    assert_eq!(preview["email"], invited.email);
    assert_eq!(preview["feature_count"], 3);
    let keys: Vec<&str> = preview["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["ats-api-sync", "custom-domain", "webhooks"]);
    let get = stack
        .http
        .get(format!(
            "{}?token={token}",
            stack.function_url("validate-invite")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 200);
    assert_eq!(
        invite_row(&db, invited.invite_id)
            .await
            .get::<_, std::time::SystemTime>(6),
        before
    );

    // Signup (the webhook creates the profile but no personal workspace), then accept.
    let owner_id = insert_user(&db, &invited.email, json!({"full_name": "Olive Owner"})).await;
    assert_eq!(wait_for_profile(&db, owner_id).await, 1);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        signup_counts(&db, owner_id).await,
        (1, 0, 0),
        "an invited user gets no workspace of their own"
    );
    db.execute(
        "update auth.users set email_confirmed_at = now() where id = $1",
        &[&owner_id],
    )
    .await
    .unwrap();
    let owner_jwt = stack.user_jwt(owner_id, &invited.email);
    let response = accept(&stack, &owner_jwt, &token).await;
    assert_eq!(response.status().as_u16(), 200);
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["role"], "owner");
    assert_eq!(
        accepted["redirect_to"],
        format!("/onboarding/{}", invited.organization_id)
    );
    let row = invite_row(&db, invited.invite_id).await;
    assert_eq!(row.get::<_, String>(0), "accepted");
    assert_eq!(row.get::<_, Option<Uuid>>(1), Some(owner_id));
    let linked: Option<Uuid> = db
        .query_one(
            "select organization_id from profiles where id = $1",
            &[&owner_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(linked, Some(invited.organization_id));

    // Phases follow the features; completing waits until every one is done.
    let onboarding: Value = stack
        .rpc(
            "organization_onboarding",
            &owner_jwt,
            json!({"p_organization_id": invited.organization_id}),
        )
        .await
        .json()
        .await
        .unwrap();
    let phases: Vec<&str> = onboarding["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        phases,
        [
            "organization-setup",
            "domain-verification",
            "billing",
            "team",
            "integrations",
            "privacy"
        ]
    );
    // Completing waits for the phases (saved and completed in onboarding_phases_e2e).
    let refused = stack
        .rpc(
            "complete_onboarding",
            &owner_jwt,
            json!({"p_organization_id": invited.organization_id}),
        )
        .await;
    assert_eq!(refused.status().as_u16(), 409);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["message"], "onboarding_incomplete");
    assert_eq!(
        refused["hint"]
            .as_str()
            .map(|hint| hint.matches(',').count() + 1),
        Some(phases.len())
    );
    let status: String = db
        .query_one(
            "select status from organizations where id = $1",
            &[&invited.organization_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "pending-activation");
}

#[tokio::test]
async fn phases_depend_on_the_features() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let cases = [
        (
            "starter",
            json!({}),
            vec!["organization-setup", "billing", "team", "privacy"],
        ),
        (
            "growth",
            json!({"ats-api-sync": false}),
            vec![
                "organization-setup",
                "billing",
                "team",
                "integrations",
                "privacy",
            ],
        ),
        (
            "growth",
            json!({"ats-api-sync": false, "webhooks": false}),
            vec!["organization-setup", "billing", "team", "privacy"],
        ),
        (
            "starter",
            json!({"white-label": true}),
            vec![
                "organization-setup",
                "brand-identity",
                "billing",
                "team",
                "privacy",
            ],
        ),
        (
            "enterprise",
            json!({}),
            vec![
                "organization-setup",
                "domain-verification",
                "brand-identity",
                "billing",
                "team",
                "integrations",
                "privacy",
            ],
        ),
    ];
    for (plan, overrides, expected) in cases {
        let invited = create_organization(&stack, &admin, plan, overrides.clone()).await;
        let body: Value = stack
            .rpc(
                "organization_onboarding",
                &admin.jwt,
                json!({"p_organization_id": invited.organization_id}),
            )
            .await
            .json()
            .await
            .unwrap();
        let phases: Vec<&str> = body["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["key"].as_str().unwrap())
            .collect();
        assert_eq!(phases, expected, "{plan} {overrides}");
    }
}
