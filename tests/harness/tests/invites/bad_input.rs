//! Bad input to every invite endpoint: a 4xx, nothing written.

use super::*;

#[tokio::test]
async fn bad_input_to_every_endpoint_is_a_4xx_and_writes_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let token = token_by_email(&stack, &admin, &invited).await;
    let user = stack.confirmed_user(&db, &invited.email).await;
    let before = invite_row(&db, invited.invite_id)
        .await
        .get::<_, std::time::SystemTime>(6);

    let huge = json!({"token": "x".repeat(200 * 1024)}).to_string();
    for (function, jwt) in [
        ("send-invite-email", Some(admin.jwt.as_str())),
        ("validate-invite", None),
        ("accept-invite", Some(user.jwt.as_str())),
    ] {
        let post = |body: String| {
            let request = stack
                .http
                .post(stack.function_url(function))
                .header("content-type", "application/json")
                .body(body);
            match jwt {
                Some(jwt) => request.bearer_auth(jwt),
                None => request,
            }
            .send()
        };
        let field = if function == "send-invite-email" {
            "invite_id"
        } else {
            "token"
        };
        let cases: Vec<(String, u16, &str)> = vec![
            ("{".into(), 400, "invalid_json"),
            ("[]".into(), 400, "invalid_payload"),
            ("{}".into(), 400, "invalid_payload"),
            (json!({field: 42}).to_string(), 400, "invalid_payload"),
            (
                json!({field: "not-a-valid-thing"}).to_string(),
                400,
                "invalid_payload",
            ),
            (
                json!({field: format!("{token}=")}).to_string(),
                400,
                "invalid_payload",
            ),
            (huge.clone(), 413, "payload_too_large"),
        ];
        for (body, status, code) in cases {
            let got = error_code(post(body.clone()).await.unwrap(), status).await;
            assert_eq!(got, code, "{function}: {}", &body[..body.len().min(50)]);
        }
        let put = stack
            .http
            .put(stack.function_url(function))
            .bearer_auth(&admin.jwt)
            .send()
            .await
            .unwrap();
        assert_eq!(error_code(put, 405).await, "method_not_allowed");
    }
    // Malformed tokens by query, too.
    for query in ["", "?token=", "?token=abc", "?token=%00"] {
        let response = stack
            .http
            .get(format!("{}{query}", stack.function_url("validate-invite")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_code(response, 400).await,
            "invalid_payload",
            "{query}"
        );
    }
    // Missing or invalid credentials.
    for (function, body) in [
        ("send-invite-email", json!({"invite_id": invited.invite_id})),
        ("accept-invite", json!({"token": token})),
        ("accept-invite", json!({"invite_id": invited.invite_id})),
    ] {
        let none = stack.call_function(function, None, body.clone()).await;
        assert_eq!(none.status().as_u16(), 401);
        let forged = stack
            .call_function(
                function,
                Some("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad"),
                body,
            )
            .await;
        assert_eq!(forged.status().as_u16(), 401);
    }
    // accept-invite takes a token or an invite's id, not both, and the id is a UUID.
    for body in [
        json!({"token": token, "invite_id": invited.invite_id}),
        json!({"invite_id": "not-a-uuid"}),
        json!({}),
    ] {
        assert_eq!(
            error_code(
                stack
                    .call_function("accept-invite", Some(&user.jwt), body.clone())
                    .await,
                400
            )
            .await,
            "invalid_payload",
            "{body}"
        );
    }
    // A valid-looking token that matches nothing.
    let unknown = platform::secrets::new_token();
    assert_eq!(
        error_code(validate(&stack, &unknown).await, 404).await,
        "invite_not_found"
    );
    assert_eq!(
        error_code(accept(&stack, &user.jwt, &unknown).await, 404).await,
        "invite_not_found"
    );
    let missing_invite = send_invite(&stack, &admin.jwt, Uuid::new_v4()).await;
    assert_eq!(error_code(missing_invite, 404).await, "invite_not_found");

    assert_eq!(
        invite_row(&db, invited.invite_id)
            .await
            .get::<_, std::time::SystemTime>(6),
        before
    );
    assert_eq!(memberships(&db, invited.organization_id).await, 0);

    // The create RPC validates its input.
    for (args, code) in [
        (
            json!({"p_name": "", "p_slug": "ok-slug", "p_owner_email": "a@b.co"}),
            "invalid_name",
        ),
        (
            json!({"p_name": "X", "p_slug": "Bad Slug", "p_owner_email": "a@b.co"}),
            "invalid_slug",
        ),
        (
            json!({"p_name": "X", "p_slug": "ok-slug-2", "p_owner_email": "nope"}),
            "invalid_email",
        ),
        (
            json!({"p_name": "X", "p_slug": "ok-slug-3", "p_owner_email": "a@b.co", "p_plan": "platinum"}),
            "invalid_plan",
        ),
        (
            json!({"p_name": "X", "p_slug": "ok-slug-4", "p_owner_email": "a@b.co", "p_feature_overrides": {"teleport": true}}),
            "invalid_feature_overrides",
        ),
    ] {
        let response = stack
            .rpc("admin_create_organization", &admin.jwt, args)
            .await;
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(response.json::<Value>().await.unwrap()["message"], code);
    }
    let taken: Value = db
        .query_one(
            "select slug from organizations where id = $1",
            &[&invited.organization_id],
        )
        .await
        .map(|row| json!(row.get::<_, String>(0)))
        .unwrap();
    let response = stack
        .rpc(
            "admin_create_organization",
            &admin.jwt,
            json!({"p_name": "X", "p_slug": taken, "p_owner_email": "a@b.co"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert_eq!(
        response.json::<Value>().await.unwrap()["message"],
        "slug_taken"
    );
}
