//! Today's keys through the gateway, on whichever stack this runs against: `make test` runs
//! it first on its stack with legacy keys off, then again after restarting that stack with
//! them on. What must hold either way, and what changes with the switch.

#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use test_harness::*;
use uuid::Uuid;

/// Claims of a signed-in user, expiring in `seconds` (negative: already expired).
fn claims(stack: &Stack, user: &User, seconds: i64) -> Value {
    let exp = stack.now_seconds() as i64 + seconds;
    json!({ "sub": user.id, "role": "authenticated", "aud": "authenticated", "email": user.email, "exp": exp })
}

/// A token signed with another EC key, claiming the project's `kid`.
fn foreign_es256(stack: &Stack, claims: &Value) -> String {
    // A fixed P-256 key that is not the project's (generated once for this test).
    let pem = b"-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgoNQl5fRh4Uc50GX4
GtCAVYR0+MD+Dv/wxGwIu5kK/dqhRANCAAT2Gzi2q2ZLGn471gDYxkhoSWlB66zT
SjuXMrky80gAoBsTh1Ha/S+iCk52t1RJPdbSipg3f4XdmQY7ikxAdxBr
-----END PRIVATE KEY-----
";
    let key = jsonwebtoken::EncodingKey::from_ec_pem(pem).unwrap();
    sign_es256(claims, &key, &stack.signing_kid())
}

fn unsigned(claims: &Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[tokio::test]
async fn user_tokens_of_both_signing_keys_work_and_anything_else_is_401_writing_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let user = stack.confirmed_user(&db, &unique_email("keyholder")).await;
    let create = |jwt: String| {
        let stack = &stack;
        async move {
            stack
                .rpc_answer(
                    "create_organization",
                    &jwt,
                    json!({"p_name": format!("Keys {}", Uuid::new_v4().simple())}),
                )
                .await
        }
    };
    let owned = || async {
        db.query_one(
            "select count(*) from organization_members m join organizations o on o.id = m.organization_id
             where m.user_id = $1 and o.name like 'Keys %'",
            &[&user.id],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
    };
    // Refused, whatever the legacy switch: nothing is written.
    for (what, token) in [
        (
            "another EC key",
            foreign_es256(&stack, &claims(&stack, &user, 600)),
        ),
        (
            "a wrong HS256 secret",
            jsonwebtoken::encode(
                &jsonwebtoken::Header::default(),
                &claims(&stack, &user, 600),
                &jsonwebtoken::EncodingKey::from_secret(b"not-this-project's-secret-at-all-0123"),
            )
            .unwrap(),
        ),
        ("alg none", unsigned(&claims(&stack, &user, 600))),
        (
            "an expired ES256 token",
            stack.jwt(claims(&stack, &user, -60)),
        ),
    ] {
        let (status, body) = create(token.clone()).await;
        assert_eq!(status, 401, "{what} on /rest/v1: {body}");
        let accepted = stack
            .call_function(
                "accept-invite",
                Some(&token),
                json!({"token": "A".repeat(43)}),
            )
            .await;
        assert_eq!(error_code(accepted, 401).await, "unauthorized", "{what}");
    }
    assert_eq!(owned().await, 0, "a refused token wrote something");
    // The current key, and the legacy secret the project keeps as a verifying key.
    assert_eq!(create(stack.user_jwt(user.id, &user.email)).await.0, 200);
    assert_eq!(
        create(stack.legacy_user_jwt(user.id, &user.email)).await.0,
        200
    );
    assert_eq!(owned().await, 2);
}

/// deliver-webhooks' status when called with `apikey` only, as a scheduler would.
async fn dispatch(stack: &Stack, apikey: &str) -> u16 {
    stack
        .call_function_with_key("deliver-webhooks", apikey, json!({}))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn api_keys_are_handled_as_supabase_handles_them() {
    let stack = Stack::load();
    let db = stack.db().await;
    let user = stack.confirmed_user(&db, &unique_email("apikeys")).await;
    let organizations = |apikey: &str, bearer: Option<&str>| {
        let request = stack
            .http
            .get(stack.rest_url("organizations?select=id&limit=1"))
            .header("apikey", apikey);
        let request = match bearer {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move { answer(request.send().await.unwrap()).await }
    };
    // The new keys, as supabase-js sends them: a browser's publishable key with the
    // user's session, a server's secret key alone or also as the bearer.
    let (status, body) = organizations(stack.publishable_key(), Some(&user.jwt)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(organizations(stack.secret_key(), None).await.0, 200);
    let same = stack.secret_key();
    assert_eq!(organizations(same, Some(same)).await.0, 200);
    // A secret key as a bearer token without being the apikey, no key, a made-up key.
    let (status, body) = organizations(stack.publishable_key(), Some(stack.secret_key())).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_authorization"))
    );
    let no_key = answer(
        stack
            .http
            .get(stack.rest_url("organizations"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (no_key.0, no_key.1["code"].as_str()),
        (401, Some("no_api_key"))
    );
    // The secret key as a bearer token with no apikey at all: refused before any function
    // runs (the dispatcher would otherwise have claimed work).
    let bearer_only = stack
        .call_function("deliver-webhooks", Some(stack.secret_key()), json!({}))
        .await;
    assert_eq!(error_code(bearer_only, 401).await, "invalid_authorization");
    let made_up = organizations("sb_secret_madeup", None).await;
    assert_eq!(
        (made_up.0, made_up.1["code"].as_str()),
        (401, Some("invalid_api_key"))
    );
    // Server-to-server: the secret key in apikey is the scheduler, the publishable key is not.
    assert_eq!(dispatch(&stack, stack.secret_key()).await, 200);
    assert_eq!(dispatch(&stack, stack.publishable_key()).await, 401);

    // The legacy keys: refused with the reason while off; still working while on.
    let legacy_service = stack.var("SUPABASE_SERVICE_ROLE_KEY");
    let (status, body) = organizations(legacy_service, None).await;
    let legacy_dispatch = stack
        .http
        .post(stack.function_url("deliver-webhooks"))
        .bearer_auth(legacy_service)
        .send()
        .await
        .unwrap();
    if stack.legacy_keys_on() {
        assert_eq!(status, 200, "{body}");
        assert_eq!(legacy_dispatch.status().as_u16(), 200);
    } else {
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("legacy_api_keys_disabled"))
        );
        assert_eq!(
            error_code(legacy_dispatch, 401).await,
            "legacy_api_keys_disabled"
        );
    }
}

/// The functions see what Supabase gives them: both kinds of key as JSON objects, and the
/// legacy keys only while they are on.
#[tokio::test]
async fn functions_are_given_the_keys_supabase_gives() {
    let stack = Stack::load();
    let given: Value = serde_json::from_str(
        &std::fs::read_to_string(stack.dir().join("function-env.json")).unwrap(),
    )
    .unwrap();
    let secret_keys: Value =
        serde_json::from_str(given["SUPABASE_SECRET_KEYS"].as_str().unwrap()).unwrap();
    assert_eq!(secret_keys["default"], stack.secret_key());
    let publishable: Value =
        serde_json::from_str(given["SUPABASE_PUBLISHABLE_KEYS"].as_str().unwrap()).unwrap();
    assert_eq!(publishable["default"], stack.publishable_key());
    assert_eq!(
        given.get("SUPABASE_SERVICE_ROLE_KEY").is_some(),
        stack.legacy_keys_on()
    );
    assert!(given.get("SUPABASE_JWT_SECRET").is_none());
    assert!(given.get("DATABASE_URL").is_none());
}
