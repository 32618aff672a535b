//! Bad input to /request and /callback: a 4xx, nothing written.

use super::*;

#[tokio::test]
async fn bad_input_to_both_endpoints_is_a_4xx_and_writes_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let good = payload(&tenant, user_id, &email, "executor");
    let count = || async {
        db.query_one(
            "select count(*) from tenant_notifications where tenant_id = $1",
            &[&tenant.id],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
    };
    let before = count().await;
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let raw = |body: &'static str| {
        stack
            .http
            .post(stack.function_url("user-onboarding/request"))
            .bearer_auth(&tenant.admin.jwt)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(
        error_code(raw("{").await.unwrap(), 400).await,
        "invalid_json"
    );
    assert_eq!(
        error_code(raw("[]").await.unwrap(), 400).await,
        "invalid_payload"
    );
    for (field, value) in [
        ("event_type", json!("other")),
        ("tenant_id", json!("x")),
        ("user_id", json!(1)),
        ("user_role", json!("admin")),
        ("email", json!("nope")),
        ("initiated_by", json!("me")),
        ("correlation_id", json!(null)),
        ("requested_at", json!("soon")),
        ("full_name", json!(["x"])),
    ] {
        let response = request(&stack, Some(&tenant.admin.jwt), &with(field, value)).await;
        assert_eq!(response.status().as_u16(), 400);
        let message = response.json::<Value>().await.unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(field), "{field} not named in: {message}");
    }
    let huge = with("full_name", json!("x".repeat(200 * 1024)));
    assert_eq!(
        error_code(request(&stack, Some(&tenant.admin.jwt), &huge).await, 413).await,
        "payload_too_large"
    );
    let get = stack
        .http
        .get(stack.function_url("user-onboarding/request"))
        .bearer_auth(&tenant.admin.jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(get, 405).await, "method_not_allowed");
    let nowhere = stack
        .call_function(
            "user-onboarding/elsewhere",
            Some(&tenant.admin.jwt),
            json!({}),
        )
        .await;
    assert_eq!(error_code(nowhere, 404).await, "not_found");

    let token = callback_token(&stack);
    for body in [
        json!({}),
        json!({"correlation_id": "x", "email": email, "chat_id": 1}),
        json!({"correlation_id": good["correlation_id"], "email": email}),
        json!({"correlation_id": good["correlation_id"], "email": email, "chat_id": "abc"}),
        json!({"correlation_id": good["correlation_id"], "status": "failed"}),
        json!({"correlation_id": good["correlation_id"], "status": "maybe", "error": "x"}),
    ] {
        assert_eq!(
            error_code(callback(&stack, Some(&token), body.clone()).await, 400).await,
            "invalid_payload",
            "{body}"
        );
    }
    let unknown = json!({"correlation_id": Uuid::new_v4(), "email": email, "chat_id": 1, "start_token": "a-well-formed-token-0123456789"});
    assert_eq!(
        error_code(callback(&stack, Some(&token), unknown).await, 404).await,
        "correlation_not_found"
    );
    assert_eq!(count().await, before);
    assert_eq!(
        user_state(&db, user_id).await,
        ("pending".into(), false, None, 0, None)
    );

    // An email that is not the user's is a conflict, on the callback as on the request.
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &good)
            .await
            .status()
            .as_u16(),
        202
    );
    let good_token = start_token(&stack, &email, &good["correlation_id"]).await;
    let wrong = json!({"correlation_id": good["correlation_id"], "email": "someone@else.example", "chat_id": 1, "start_token": good_token});
    assert_eq!(
        error_code(callback(&stack, Some(&token), wrong).await, 409).await,
        "email_mismatch"
    );
    let (other_user, _) = tenant_user(&stack, &tenant, "executor").await;
    let mismatched = payload(&tenant, other_user, &email, "executor");
    assert_eq!(
        error_code(
            request(&stack, Some(&tenant.admin.jwt), &mismatched).await,
            409
        )
        .await,
        "user_mismatch"
    );
}
