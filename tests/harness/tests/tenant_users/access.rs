//! Who may call what, row-level security between tenants, and what the log lines hold.

use super::*;

#[tokio::test]
async fn callers_are_authenticated_and_authorised() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant_a = tenant(&stack, &db).await;
    let tenant_b = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant_a, "executor").await;
    let body = payload(&tenant_a, user_id, &email, "executor");

    assert_eq!(
        error_code(request(&stack, None, &body).await, 401).await,
        "unauthorized"
    );
    assert_eq!(
        request(
            &stack,
            Some("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged"),
            &body
        )
        .await
        .status()
        .as_u16(),
        401
    );
    // A member who is not an admin.
    let viewer = stack.confirmed_user(&db, &unique_email("viewer")).await;
    db.execute("insert into organization_members (organization_id, user_id, role) values ($1, $2, 'viewer')", &[&tenant_a.id, &viewer.id])
        .await
        .unwrap();
    let mut as_viewer = body.clone();
    as_viewer["initiated_by"]["id"] = json!(viewer.id);
    assert_eq!(
        error_code(request(&stack, Some(&viewer.jwt), &as_viewer).await, 403).await,
        "not_tenant_admin"
    );
    // An admin of another tenant, for this tenant and for a user of this tenant.
    let mut as_b = body.clone();
    as_b["initiated_by"]["id"] = json!(tenant_b.admin.id);
    assert_eq!(
        error_code(request(&stack, Some(&tenant_b.admin.jwt), &as_b).await, 403).await,
        "not_tenant_admin"
    );
    as_b["tenant_id"] = json!(tenant_b.id);
    assert_eq!(
        error_code(request(&stack, Some(&tenant_b.admin.jwt), &as_b).await, 403).await,
        "user_not_in_tenant"
    );
    assert_eq!(user_state(&db, user_id).await.0, "pending");
    assert!(received(&stack, &email).await.is_empty());

    // Callback and dispatcher secrets.
    let confirm = json!({"correlation_id": body["correlation_id"], "email": email, "chat_id": 1});
    for token in [None, Some("wrong"), Some(tenant_a.admin.jwt.as_str())] {
        assert_eq!(
            error_code(callback(&stack, token, confirm.clone()).await, 401).await,
            "unauthorized"
        );
    }
    let publishable_dispatch = stack
        .call_function_with_key(
            "user-onboarding/dispatch",
            stack.publishable_key(),
            json!({}),
        )
        .await;
    assert_eq!(publishable_dispatch.status().as_u16(), 401);
    assert_eq!(dispatch(&stack).await.status().as_u16(), 200);
    // Any valid service-role JWT (here signed with the legacy secret, which the project
    // keeps as a verifying key) is the scheduler, not only the exact key string; a user's
    // JWT, a forged one and an expired one are not.
    let secret = stack.var("SUPABASE_JWT_SECRET");
    let later = stack.now_seconds() + 600;
    let stack_ref = &stack;
    let dispatch_as = |token: String| async move {
        stack_ref
            .call_function("user-onboarding/dispatch", Some(&token), json!({}))
            .await
            .status()
            .as_u16()
    };
    assert_eq!(
        dispatch_as(stack.service_role_jwt(secret, later)).await,
        200
    );
    assert_eq!(dispatch_as(tenant_a.admin.jwt.clone()).await, 401);
    assert_eq!(
        dispatch_as(stack.service_role_jwt("not-the-secret-of-this-project-at-all", later)).await,
        401
    );
    assert_eq!(
        dispatch_as(stack.service_role_jwt(secret, stack.now_seconds() - 60)).await,
        401
    );
}

#[tokio::test]
async fn rls_keeps_tenants_apart_and_the_dashboard_reads_work() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant_a = tenant(&stack, &db).await;
    let tenant_b = tenant(&stack, &db).await;
    for tenant in [&tenant_a, &tenant_b] {
        for _ in 0..3 {
            let (user_id, email) = tenant_user(&stack, tenant, "executor").await;
            request(
                &stack,
                Some(&tenant.admin.jwt),
                &payload(tenant, user_id, &email, "executor"),
            )
            .await;
        }
    }
    let rows = |response: reqwest::Response| async move {
        assert_eq!(response.status().as_u16(), 200);
        response.json::<Vec<Value>>().await.unwrap()
    };
    // A's admin reads A's notifications and users, never B's.
    let a_feed = rows(stack.select("tenant_notifications?select=id,tenant_id,title,created_at&order=created_at.desc,id.desc", Some(&tenant_a.admin.jwt)).await).await;
    assert!(a_feed.len() >= 6);
    assert!(a_feed.iter().all(|n| n["tenant_id"] == json!(tenant_a.id)));
    let dates: Vec<&str> = a_feed
        .iter()
        .map(|n| n["created_at"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    for table in [
        "tenant_notifications",
        "tenant_users",
        "user_onboarding_events",
    ] {
        let b = rows(
            stack
                .select(
                    &format!("{table}?select=id,tenant_id&tenant_id=eq.{}", tenant_b.id),
                    Some(&tenant_a.admin.jwt),
                )
                .await,
        )
        .await;
        assert!(b.is_empty(), "A's admin read B's {table}");
        let anon = stack.select(table, None).await.status().as_u16();
        assert!(matches!(anon, 401 | 403), "anon on {table}: {anon}");
    }
    let outbox = stack
        .select("onboarding_outbox", Some(&tenant_a.admin.jwt))
        .await
        .status()
        .as_u16();
    assert!(
        matches!(outbox, 401 | 403),
        "the outbox is not for clients: {outbox}"
    );

    // Unread filter and pagination.
    let page = rows(
        stack
            .select(
                "tenant_notifications?status=eq.unread&order=created_at.desc&limit=2&offset=2",
                Some(&tenant_a.admin.jwt),
            )
            .await,
    )
    .await;
    assert_eq!(page.len(), 2);
    // Mark read: own tenant's yes (read_at stamped), the other's silently no.
    let mark = |id: &Value, jwt: &str| {
        stack
            .http
            .patch(stack.rest_url(&format!(
                "tenant_notifications?id=eq.{}",
                id.as_str().unwrap()
            )))
            .header("apikey", stack.publishable_key())
            .header("prefer", "return=representation")
            .bearer_auth(jwt.to_owned())
            .json(&json!({"status": "read"}))
            .send()
    };
    let marked = rows(mark(&a_feed[0]["id"], &tenant_a.admin.jwt).await.unwrap()).await;
    assert_eq!(marked[0]["status"], "read");
    assert!(marked[0]["read_at"].is_string());
    assert!(
        rows(mark(&a_feed[1]["id"], &tenant_b.admin.jwt).await.unwrap())
            .await
            .is_empty()
    );
    // Only the service role inserts notifications.
    let insert = stack
        .http
        .post(stack.rest_url("tenant_notifications"))
        .header("apikey", stack.publishable_key())
        .bearer_auth(&tenant_a.admin.jwt)
        .json(&json!({"tenant_id": tenant_a.id, "type": "x", "title": "x", "message": "x", "level": "info"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(insert.status().as_u16(), 401 | 403));
    // B's admin cannot add users to A.
    let sneaky = stack
        .http
        .post(stack.rest_url("tenant_users"))
        .header("apikey", stack.publishable_key())
        .bearer_auth(&tenant_b.admin.jwt)
        .json(&json!({"tenant_id": tenant_a.id, "user_role": "executor", "email": "x@y.co"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(sneaky.status().as_u16(), 401 | 403));
}

#[tokio::test]
async fn log_lines_carry_the_correlation_id_and_no_personal_data() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");
    request(&stack, Some(&tenant.admin.jwt), &body).await;
    let token = start_token(&stack, &email, &body["correlation_id"]).await;
    let confirm = json!({"correlation_id": body["correlation_id"], "email": email, "chat_id": 555000111, "start_token": token});
    callback(&stack, Some(&callback_token(&stack)), confirm).await;

    let path = stack.dir().join("logs/gateway.log");
    let log = std::fs::read_to_string(path).unwrap();
    let correlation = body["correlation_id"].as_str().unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(correlation)).collect();
    assert!(
        lines.len() >= 3,
        "request, delivery and callback lines: {lines:?}"
    );
    for forbidden in [
        email.as_str(),
        "555000111",
        token.as_str(),
        stack.var("MAKE_ONBOARDING_CALLBACK_TOKEN"),
    ] {
        assert!(!log.contains(forbidden), "{forbidden} reached the log");
    }
}
