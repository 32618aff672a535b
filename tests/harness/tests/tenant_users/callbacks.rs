//! Make's callbacks: resends supersede, late callbacks are refused, failures, timeouts and the sweep.

use super::*;

#[tokio::test]
async fn resend_supersedes_and_late_callbacks_are_refused() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let first = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &first)
            .await
            .status()
            .as_u16(),
        202
    );
    // The same request again (a client retry) is accepted and changes nothing.
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &first)
            .await
            .status()
            .as_u16(),
        202
    );
    // A new request while one is in flight is refused unless it is a resend.
    let second = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        error_code(request(&stack, Some(&tenant.admin.jwt), &second).await, 409).await,
        "onboarding_in_flight"
    );
    let mut resend = second.clone();
    resend["resend"] = json!(true);
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &resend)
            .await
            .status()
            .as_u16(),
        202
    );
    assert_eq!(user_state(&db, user_id).await.3, 1, "retry_count + 1");
    assert_eq!(received(&stack, &email).await.len(), 2);

    let first_token = start_token(&stack, &email, &first["correlation_id"]).await;
    let second_token = start_token(&stack, &email, &second["correlation_id"]).await;
    let late = json!({"correlation_id": first["correlation_id"], "email": email, "chat_id": 1, "start_token": first_token});
    assert_eq!(
        error_code(
            callback(&stack, Some(&callback_token(&stack)), late).await,
            409
        )
        .await,
        "correlation_superseded"
    );
    let ok = json!({"correlation_id": second["correlation_id"], "email": email, "chat_id": 2, "start_token": second_token});
    assert_eq!(
        callback(&stack, Some(&callback_token(&stack)), ok.clone())
            .await
            .status()
            .as_u16(),
        200
    );
    // Replayed: 200, nothing new.
    let before = notifications(&db, user_id).await.len();
    let replay = callback(&stack, Some(&callback_token(&stack)), ok).await;
    assert_eq!(replay.status().as_u16(), 200);
    assert_eq!(replay.json::<Value>().await.unwrap()["replay"], true);
    assert_eq!(notifications(&db, user_id).await.len(), before);
    // Completed: a new request is refused; a different chat id for the same onboarding too.
    let third = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        error_code(request(&stack, Some(&tenant.admin.jwt), &third).await, 409).await,
        "already_onboarded"
    );
    let other_chat = json!({"correlation_id": second["correlation_id"], "email": email, "chat_id": 3, "start_token": second_token});
    assert_eq!(
        error_code(
            callback(&stack, Some(&callback_token(&stack)), other_chat).await,
            409
        )
        .await,
        "already_completed"
    );
}

#[tokio::test]
async fn failure_callbacks_timeouts_and_the_sweep() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let token = callback_token(&stack);

    // Make reports a timeout: a warning with the resend hint; replayed, nothing new.
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");
    request(&stack, Some(&tenant.admin.jwt), &body).await;
    let failure = json!({"correlation_id": body["correlation_id"], "status": "failed", "error": "user never pressed start", "reason": "timeout"});
    assert_eq!(
        callback(&stack, Some(&token), failure.clone())
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        callback(&stack, Some(&token), failure)
            .await
            .status()
            .as_u16(),
        200
    );
    let (status, _, _, retries, error) = user_state(&db, user_id).await;
    assert_eq!(
        (status.as_str(), retries, error.as_deref()),
        ("failed", 1, Some("user never pressed start"))
    );
    let timeouts: Vec<_> = notifications(&db, user_id)
        .await
        .into_iter()
        .filter(|n| n.0 == "Timed out")
        .collect();
    assert_eq!(
        timeouts,
        [(
            "Timed out".to_owned(),
            "warning".to_owned(),
            Some("Resend invite".to_owned())
        )]
    );

    // Any other failure is an error.
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");
    request(&stack, Some(&tenant.admin.jwt), &body).await;
    let failure = json!({"correlation_id": body["correlation_id"], "status": "failed", "error": "bot blocked"});
    assert_eq!(
        callback(&stack, Some(&token), failure)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(notifications(&db, user_id).await.pop().unwrap().1, "error");

    // No callback at all: the sweep fails it with reason timeout.
    let (user_id, email) = tenant_user(&stack, &tenant, "complainant").await;
    let body = payload(&tenant, user_id, &email, "complainant");
    request(&stack, Some(&tenant.admin.jwt), &body).await;
    db.execute("update tenant_users set bot_onboarding_requested_at = now() - interval '3 hours' where id = $1", &[&user_id])
        .await
        .unwrap();
    let swept: i32 = db
        .query_one(
            "select public.sweep_onboarding_timeouts(interval '2 hours')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(swept >= 1);
    assert_eq!(user_state(&db, user_id).await.0, "failed");
    assert_eq!(
        events(&db, &body["correlation_id"]).await.last().unwrap(),
        "timeout"
    );
    assert_eq!(
        notifications(&db, user_id).await.pop().unwrap().0,
        "Timed out"
    );
}
