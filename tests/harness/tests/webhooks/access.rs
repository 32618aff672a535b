//! Who manages endpoints: owners and admins of organizations with the webhooks feature.

use super::*;

#[tokio::test]
async fn only_owners_and_admins_of_organizations_with_webhooks_manage_them() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = organization(&stack, &db, "growth").await;
    let (other_owner, other_org, _) = organization(&stack, &db, "growth").await;
    let (free_owner, free_org, _) = organization(&stack, &db, "free").await;
    let url = format!("{}/hooks/nobody", receiver(&stack));
    let args = |org: Uuid| json!({"p_organization_id": org, "p_url": url});
    let (status, body) = stack
        .rpc_answer("create_webhook_endpoint", &free_owner.jwt, args(free_org))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("feature_not_enabled"))
    );
    let (status, body) = stack
        .rpc_answer("create_webhook_endpoint", &viewer.jwt, args(org))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("not_org_admin"))
    );
    let (status, body) = stack
        .rpc_answer(
            "create_webhook_endpoint",
            &owner.jwt,
            json!({"p_organization_id": org, "p_url": url, "p_events": ["invite.exploded"]}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("invalid_events"))
    );

    let hook = endpoint(&stack, &owner, org, None, vec![], 200).await;
    an_event(&stack, &owner, org).await;
    eventually(20, "the delivery", || async {
        !deliveries(&stack, &hook).await.is_empty()
    })
    .await;
    let message = outbox(&db, &hook).await[0].0.clone();

    // Another organization's owner sees nothing and can change nothing.
    for table in [
        "webhook_endpoints",
        "webhook_messages",
        "webhook_deliveries",
        "webhook_outbox",
    ] {
        let rows: Value = stack
            .select(&format!("{table}?select=*"), Some(&other_owner.jwt))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            !rows.to_string().contains(&hook.id) && !rows.to_string().contains(&org.to_string()),
            "{table}: {rows}"
        );
    }
    for (rpc, args, code) in [
        (
            "rotate_webhook_secret",
            json!({"p_endpoint_id": hook.id}),
            "endpoint_not_found",
        ),
        (
            "disable_webhook_endpoint",
            json!({"p_endpoint_id": hook.id}),
            "endpoint_not_found",
        ),
        (
            "delete_webhook_endpoint",
            json!({"p_endpoint_id": hook.id}),
            "endpoint_not_found",
        ),
        (
            "replay_webhook_message",
            json!({"p_message_id": message}),
            "message_not_found",
        ),
    ] {
        let (status, body) = stack.rpc_answer(rpc, &other_owner.jwt, args.clone()).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (404, Some(code)),
            "{rpc}"
        );
        let (status, _) = stack.rpc_answer(rpc, &viewer.jwt, args).await;
        assert_eq!(status, 404, "{rpc} as a viewer");
    }
    // Nor may anyone claim or report deliveries but the service role.
    let (status, _) = stack
        .rpc_answer("claim_webhook_batches", &owner.jwt, json!({}))
        .await;
    assert_eq!(status, 403);
    let run = stack
        .http
        .post(stack.function_url("deliver-webhooks"))
        .bearer_auth(&owner.jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(run, 401).await, "unauthorized");

    // The owner disables, and nothing more is sent; deletes, and it is gone.
    let (status, _) = stack
        .rpc_answer(
            "disable_webhook_endpoint",
            &owner.jwt,
            json!({"p_endpoint_id": hook.id}),
        )
        .await;
    assert_eq!(status, 200);
    an_event(&stack, &owner, org).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(deliveries(&stack, &hook).await.len(), 1);
    let (status, _) = stack
        .rpc_answer(
            "delete_webhook_endpoint",
            &owner.jwt,
            json!({"p_endpoint_id": hook.id}),
        )
        .await;
    assert_eq!(status, 200);
    let rows: Value = stack
        .select(
            &format!("webhook_endpoints?id=eq.{}", hook.id),
            Some(&owner.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rows, json!([]));
    let _ = other_org;
}
