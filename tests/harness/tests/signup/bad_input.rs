//! Every bad input to on-signup-create-org: a 4xx JSON error, nothing written.

use super::*;

#[tokio::test]
async fn every_bad_input_is_a_4xx_json_error_and_writes_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("bad");
    let user_id = insert_user_without_webhook(&stack, &email, json!({})).await;
    let good = webhook_payload(user_id, &email, json!({}));
    let with = |field: &str, value: Value| {
        let mut payload = good.clone();
        payload[field] = value;
        payload.to_string()
    };
    let record_with = |field: &str, value: Value| {
        let mut payload = good.clone();
        payload["record"][field] = value;
        payload.to_string()
    };
    let cases: Vec<(String, u16, &str)> = vec![
        ("{\"record\": ".into(), 400, "invalid_json"),
        ("not json".into(), 400, "invalid_json"),
        ("".into(), 400, "invalid_json"),
        ("[]".into(), 400, "invalid_payload"),
        (with("type", json!("UPDATE")), 400, "invalid_payload"),
        (with("type", json!(1)), 400, "invalid_payload"),
        (with("table", json!("profiles")), 400, "invalid_payload"),
        (with("schema", json!("public")), 400, "invalid_payload"),
        (with("record", json!(null)), 400, "invalid_payload"),
        (record_with("id", json!(null)), 400, "invalid_payload"),
        (record_with("id", json!("12345")), 400, "invalid_payload"),
        (record_with("id", json!(12345)), 400, "invalid_payload"),
        (record_with("email", json!(["a"])), 400, "invalid_payload"),
        (
            record_with("raw_user_meta_data", json!("x")),
            400,
            "invalid_payload",
        ),
        (
            json!({"record": {"email": email}}).to_string(),
            400,
            "invalid_payload",
        ),
        (
            record_with("padding", json!("x".repeat(200 * 1024))),
            413,
            "payload_too_large",
        ),
    ];
    for (body, status, code) in cases {
        let response = post_webhook(&stack, body.clone()).await;
        let got = error_code(response, status).await;
        assert_eq!(got, code, "body starting {:?}", &body[..body.len().min(60)]);
    }

    // Wrong methods.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let response = stack
            .http
            .request(method, stack.function_url(FUNCTION))
            .bearer_auth(stack.var("ONBOARDING_WEBHOOK_SECRET"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers().get("allow").unwrap(), "POST");
        assert_eq!(error_code(response, 405).await, "method_not_allowed");
    }
    // Wrong or missing credentials, and a declared body type that is not JSON.
    let url = stack.function_url(FUNCTION);
    let requests = [
        (
            stack.http.post(&url).body(good.to_string()),
            401,
            "unauthorized",
        ),
        (
            stack
                .http
                .post(&url)
                .bearer_auth("nope")
                .body(good.to_string()),
            401,
            "unauthorized",
        ),
        (
            stack
                .http
                .post(&url)
                .header("apikey", stack.publishable_key())
                .body(good.to_string()),
            401,
            "unauthorized",
        ),
        (
            stack
                .http
                .post(&url)
                .header(
                    "authorization",
                    format!("Basic {}", stack.var("ONBOARDING_WEBHOOK_SECRET")),
                )
                .body(good.to_string()),
            401,
            "unauthorized",
        ),
        (
            stack
                .http
                .post(&url)
                .bearer_auth(stack.var("ONBOARDING_WEBHOOK_SECRET"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(good.to_string()),
            415,
            "unsupported_media_type",
        ),
    ];
    for (request, status, code) in requests {
        assert_eq!(
            error_code(request.send().await.unwrap(), status).await,
            code
        );
    }
    assert_eq!(
        signup_counts(&db, user_id).await,
        (0, 0, 0),
        "a rejected request wrote something"
    );
}
