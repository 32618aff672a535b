//! Events arrive signed (Standard Webhooks, verified by the reference library), with no secret in them; secrets rotate.

use super::*;

#[tokio::test]
async fn events_arrive_signed_verified_by_the_reference_library_and_carry_no_secret() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = organization(&stack, &db, "growth").await;
    let hook = endpoint(&stack, &owner, org, None, vec![], 200).await;
    let only_roles = endpoint(
        &stack,
        &owner,
        org,
        Some(vec!["member.role_changed"]),
        vec![],
        200,
    )
    .await;

    an_event(&stack, &owner, org).await;
    let (status, _) = stack
        .rpc_answer(
            "change_member_role",
            &owner.jwt,
            json!({"p_organization_id": org, "p_user_id": viewer.id, "p_role": "admin"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = stack
        .rpc_answer(
            "transfer_ownership",
            &owner.jwt,
            json!({"p_organization_id": org, "p_user_id": viewer.id}),
        )
        .await;
    assert_eq!(status, 200);

    eventually(20, "all events delivered", || async {
        deliveries(&stack, &hook).await.len() >= 4
    })
    .await;
    let seen = deliveries(&stack, &hook).await;
    let types: Vec<&str> = seen.iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "invite.created",
            "member.role_changed",
            "ownership.transferred",
            "ownership.transferred"
        ]
    );
    assert!(seen
        .iter()
        .all(|d| d["verified"] == json!([true]) && d["status"] == 200));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(seen.iter().all(|d| {
        let timestamp: u64 = d["timestamp"].as_str().unwrap().parse().unwrap();
        now.abs_diff(timestamp) < 300
    }));
    eventually(20, "the filtered endpoint's one event", || async {
        deliveries(&stack, &only_roles).await.len() == 1
    })
    .await;
    assert_eq!(
        deliveries(&stack, &only_roles).await[0]["type"],
        "member.role_changed"
    );

    // What went out: no token, hash or secret in any payload.
    let payloads: Vec<String> = first_column(
        &db,
        "select payload::text from webhook_messages where organization_id = $1",
        &[&org],
    )
    .await;
    assert!(!payloads.is_empty());
    for payload in &payloads {
        for word in ["token", "hash", "secret", "whsec"] {
            assert!(!payload.contains(word), "{word} in {payload}");
        }
    }

    // The owner sees the endpoint (never its secret) and every attempt.
    let rows: Value = stack
        .select(
            &format!("webhook_endpoints?id=eq.{}", hook.id),
            Some(&owner.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert!(!rows.to_string().contains(&hook.secret));
    let secret_column = stack
        .select(
            &format!("webhook_endpoints?select=secret&id=eq.{}", hook.id),
            Some(&owner.jwt),
        )
        .await
        .status()
        .as_u16();
    assert_eq!(secret_column, 400, "there is no secret to select");
    let attempts: Value = stack
        .select(
            &format!("webhook_deliveries?endpoint_id=eq.{}", hook.id),
            Some(&owner.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(attempts.as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn during_a_rotation_both_secrets_verify() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, _) = organization(&stack, &db, "growth").await;
    let hook = endpoint(&stack, &owner, org, None, vec![], 200).await;
    let (status, rotated) = stack
        .rpc_answer(
            "rotate_webhook_secret",
            &owner.jwt,
            json!({"p_endpoint_id": hook.id}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, hook.secret);
    configure(&stack, &hook, &[&hook.secret, new_secret], vec![], 200).await;
    an_event(&stack, &owner, org).await;
    eventually(20, "the delivery", || async {
        !deliveries(&stack, &hook).await.is_empty()
    })
    .await;
    assert_eq!(
        deliveries(&stack, &hook).await[0]["verified"],
        json!([true, true])
    );
}
