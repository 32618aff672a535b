//! A tenant's user onboarded over Telegram, from the request to an active user; only the link's own start token binds a chat.

use super::*;

#[tokio::test]
async fn the_whole_story_from_request_to_active_user() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");

    let response = request(&stack, Some(&tenant.admin.jwt), &body).await;
    assert_eq!(response.status().as_u16(), 202);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "queued", "correlation_id": body["correlation_id"]})
    );

    // Make got the seed's payload, plus a single-use start token for the deep link.
    let got = received(&stack, &email).await;
    assert_eq!(got.len(), 1);
    let sent = &got[0]["body"];
    let token = sent["start_token"].as_str().unwrap().to_owned();
    assert!(
        token.len() <= 64
            && token.len() >= 32
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_ne!(token, body["correlation_id"].as_str().unwrap());
    let mut without_token = sent.clone();
    without_token.as_object_mut().unwrap().remove("start_token");
    assert_eq!(without_token, body);
    assert_eq!(got[0]["correlation_header"], body["correlation_id"]);
    let stored: Option<String> = db
        .query_one(
            "select bot_start_token_hash from tenant_users where id = $1",
            &[&user_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        stored.unwrap(),
        platform::secrets::sha256_hex(&token),
        "only the hash is stored"
    );
    let leftover: i64 = db
        .query_one(
            "select count(*) from onboarding_outbox where payload ? 'start_token' and user_id = $1",
            &[&user_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        leftover, 0,
        "the delivered message no longer holds the token"
    );
    assert_eq!(user_state(&db, user_id).await.0, "invite_sent");

    // Make confirms the chat.
    let confirm = json!({"correlation_id": body["correlation_id"], "email": email.to_uppercase(), "chat_id": 987654321, "telegram_user_id": 42, "start_token": token});
    let response = callback(&stack, Some(&callback_token(&stack)), confirm).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        user_state(&db, user_id).await,
        ("completed".into(), true, Some(987654321), 0, None)
    );
    let titles: Vec<String> = notifications(&db, user_id)
        .await
        .into_iter()
        .map(|n| n.0)
        .collect();
    assert_eq!(titles, ["Queued", "Invite Sent", "Completed"]);
    assert_eq!(
        events(&db, &body["correlation_id"]).await,
        ["requested", "delivered", "completed"]
    );
    let metadata: Value = db
        .query_one(
            "select metadata from tenant_notifications where user_id = $1 and title = 'Completed'",
            &[&user_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(metadata["correlation_id"], body["correlation_id"]);
}

/// The success callback binds a chat only with the start token of that onboarding's own
/// link: missing → 400; wrong, or another onboarding's → 403, nothing bound, a warning on
/// the timeline. Make reporting the link opened (awaiting_chat), and a tenant admin
/// completing by hand, with who and why on the timeline.
#[tokio::test]
async fn only_the_links_own_start_token_binds_a_chat() {
    let stack = Stack::load();
    let db = stack.db().await;
    let stranger = tenant(&stack, &db).await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &body)
            .await
            .status()
            .as_u16(),
        202
    );
    let (other_id, other_email) = tenant_user(&stack, &tenant, "executor").await;
    let other = payload(&tenant, other_id, &other_email, "executor");
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &other)
            .await
            .status()
            .as_u16(),
        202
    );
    let mine = start_token(&stack, &email, &body["correlation_id"]).await;
    let theirs = start_token(&stack, &other_email, &other["correlation_id"]).await;
    let confirm = |token: Option<&str>, chat: i64| {
        let mut body =
            json!({"correlation_id": body["correlation_id"], "email": email, "chat_id": chat});
        if let Some(token) = token {
            body["start_token"] = json!(token);
        }
        body
    };
    let secret = callback_token(&stack);

    // Awaiting chat: the link was opened, no chat yet.
    let awaiting = json!({"correlation_id": body["correlation_id"], "status": "awaiting_chat"});
    assert_eq!(
        callback(&stack, Some(&secret), awaiting)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(user_state(&db, user_id).await.0, "awaiting_chat");
    assert!(notifications(&db, user_id)
        .await
        .iter()
        .any(|n| n.0 == "Awaiting chat"));

    assert_eq!(
        error_code(callback(&stack, Some(&secret), confirm(None, 7)).await, 400).await,
        "invalid_payload"
    );
    let forged = "forged-token-0123456789abcdefghij";
    for token in [forged, theirs.as_str()] {
        assert_eq!(
            error_code(
                callback(&stack, Some(&secret), confirm(Some(token), 7)).await,
                403
            )
            .await,
            "start_token_mismatch"
        );
    }
    assert_eq!(
        user_state(&db, user_id).await,
        ("awaiting_chat".into(), false, None, 0, None),
        "nothing bound"
    );
    assert_eq!(
        user_state(&db, other_id).await.0,
        "invite_sent",
        "the other onboarding is untouched"
    );
    let warnings: i64 = db
        .query_one("select count(*) from user_onboarding_events where user_id = $1 and event = 'start_token_mismatch'", &[&user_id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(warnings, 2);

    // The right token binds; it binds nothing else afterwards, but the same callback again
    // is answered as before.
    assert_eq!(
        callback(&stack, Some(&secret), confirm(Some(&mine), 7))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(user_state(&db, user_id).await.2, Some(7));
    let replay = callback(&stack, Some(&secret), confirm(Some(&mine), 7)).await;
    assert_eq!(replay.json::<Value>().await.unwrap()["replay"], true);
    assert_eq!(
        error_code(
            callback(&stack, Some(&secret), confirm(Some(&mine), 8)).await,
            409
        )
        .await,
        "already_completed"
    );

    // Requests to Make were all signed, and Make's check (the reference Standard
    // Webhooks library) refused none; the webhook-id is the message's correlation id.
    let got = received(&stack, &email).await;
    assert_eq!(got[0]["webhook_id"], body["correlation_id"]);
    let unsigned = stack.get_json(&make_url(&stack, "/_fake/unsigned")).await;
    assert_eq!(unsigned["unsigned"], 0);

    // A tenant admin completes the other by hand; an admin of another tenant cannot.
    let force = |jwt: String| {
        let stack = &stack;
        async move {
            stack
                .rpc("force_complete_user_onboarding", &jwt, json!({"p_user_id": other_id, "p_chat_id": 99, "p_reason": "confirmed by phone"}))
                .await
        }
    };
    assert_eq!(
        force(stranger.admin.jwt.clone()).await.status().as_u16(),
        403
    );
    assert_eq!(force(tenant.admin.jwt.clone()).await.status().as_u16(), 200);
    assert_eq!(user_state(&db, other_id).await.2, Some(99));
    let detail: Value = db
        .query_one("select detail from user_onboarding_events where user_id = $1 and event = 'force_completed'", &[&other_id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        (detail["by"].as_str(), detail["reason"].as_str()),
        (
            Some(tenant.admin.id.to_string().as_str()),
            Some("confirmed by phone")
        )
    );
}
