//! Admin invite onboarding, end to end through the gateway: send-invite-email,
//! validate-invite and accept-invite as WASM in Deno, the RPCs through PostgREST, and
//! Resend played by its local fake (local/fakes/resend.ts).
#![allow(clippy::unwrap_used)]

use futures_util::future::join_all;
use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

struct Invited {
    organization_id: Uuid,
    invite_id: Uuid,
    email: String,
}

async fn create_organization(stack: &Stack, admin: &User, plan: &str, overrides: Value) -> Invited {
    let email = unique_email("owner");
    let slug = format!("acme-{}", &Uuid::new_v4().simple().to_string()[..10]);
    let response = stack
        .rpc(
            "admin_create_organization",
            &admin.jwt,
            json!({"p_name": "Acme & Co", "p_slug": slug, "p_owner_email": email.to_uppercase(),
                   "p_plan": plan, "p_feature_overrides": overrides}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending-activation");
    assert_eq!(
        body["email"], email,
        "the invited email is stored lower-case"
    );
    Invited {
        organization_id: body["organization_id"].as_str().unwrap().parse().unwrap(),
        invite_id: body["invite_id"].as_str().unwrap().parse().unwrap(),
        email,
    }
}

async fn send_invite(stack: &Stack, jwt: &str, invite_id: Uuid) -> reqwest::Response {
    stack
        .call_function(
            "send-invite-email",
            Some(jwt),
            json!({"invite_id": invite_id}),
        )
        .await
}

/// What the fake Resend accepted for `to`, and how many attempts it saw.
async fn mailbox(stack: &Stack, to: &str) -> (Vec<Value>, u64) {
    let url = format!("{}/_fake/emails?to={to}", stack.var("RESEND_FAKE_URL"));
    let body = stack.get_json(&url).await;
    (
        body["emails"].as_array().unwrap().clone(),
        body["attempts"].as_u64().unwrap(),
    )
}

async fn script_resend(stack: &Stack, to: &str, responses: Value) {
    let url = format!("{}/_fake/script", stack.var("RESEND_FAKE_URL"));
    let response = stack
        .http
        .post(url)
        .json(&json!({"to": to, "responses": responses}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// Sends the invite and returns the token from the link in the email.
async fn token_by_email(stack: &Stack, admin: &User, invited: &Invited) -> String {
    let response = send_invite(stack, &admin.jwt, invited.invite_id).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    let (emails, _) = mailbox(stack, &invited.email).await;
    let email = emails.last().unwrap();
    let link = body["link"].as_str().unwrap();
    assert!(
        email["text"].as_str().unwrap().contains(link),
        "the email carries the link"
    );
    token_of(link)
}

async fn validate(stack: &Stack, token: &str) -> reqwest::Response {
    stack
        .call_function("validate-invite", None, json!({"token": token}))
        .await
}

async fn accept(stack: &Stack, jwt: &str, token: &str) -> reqwest::Response {
    stack
        .call_function("accept-invite", Some(jwt), json!({"token": token}))
        .await
}

async fn invite_row(db: &Client, invite_id: Uuid) -> tokio_postgres::Row {
    db.query_one(
        "select status, accepted_by, token_hash, send_attempts, last_send_error, sent_at, updated_at
         from onboarding_invites where id = $1",
        &[&invite_id],
    )
    .await
    .unwrap()
}

async fn memberships(db: &Client, organization_id: Uuid) -> i64 {
    db.query_one(
        "select count(*) from organization_members where organization_id = $1",
        &[&organization_id],
    )
    .await
    .unwrap()
    .get(0)
}

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

async fn wait_for_profile(db: &Client, user_id: Uuid) -> i64 {
    for _ in 0..150 {
        if signup_counts(db, user_id).await.0 == 1 {
            return 1;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    0
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

#[tokio::test]
async fn expired_revoked_accepted_and_resent_links() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;

    // Expired.
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let token = token_by_email(&stack, &admin, &invited).await;
    // Time passes: the invite expires (and the last send is over a minute old).
    db.execute(
        "update onboarding_invites set expires_at = now() - interval '1 minute',
                sent_at = sent_at - interval '61 seconds' where id = $1",
        &[&invited.invite_id],
    )
    .await
    .unwrap();
    assert_eq!(
        error_code(validate(&stack, &token).await, 410).await,
        "invite_expired"
    );
    let user = stack.confirmed_user(&db, &invited.email).await;
    assert_eq!(
        error_code(accept(&stack, &user.jwt, &token).await, 410).await,
        "invite_expired"
    );
    assert_eq!(memberships(&db, invited.organization_id).await, 0);
    // The scheduled job marks it; a new send revives it with a new expiry.
    db.execute("select public.expire_onboarding_invites()", &[])
        .await
        .unwrap();
    assert_eq!(
        invite_row(&db, invited.invite_id).await.get::<_, String>(0),
        "expired"
    );
    let fresh = token_by_email(&stack, &admin, &invited).await;
    assert_eq!(validate(&stack, &fresh).await.status().as_u16(), 200);

    // Revoked.
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let token = token_by_email(&stack, &admin, &invited).await;
    let revoked = stack
        .rpc(
            "revoke_invite",
            &admin.jwt,
            json!({"p_invite_id": invited.invite_id}),
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 200);
    assert_eq!(
        error_code(validate(&stack, &token).await, 410).await,
        "invite_revoked"
    );
    let user = stack.confirmed_user(&db, &invited.email).await;
    assert_eq!(
        error_code(accept(&stack, &user.jwt, &token).await, 410).await,
        "invite_revoked"
    );
    assert_eq!(
        error_code(
            send_invite(&stack, &admin.jwt, invited.invite_id).await,
            410
        )
        .await,
        "invite_revoked"
    );

    // Accepted: the same user again gets the same membership; validate says accepted.
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let token = token_by_email(&stack, &admin, &invited).await;
    let user = stack.confirmed_user(&db, &invited.email).await;
    let first: Value = accept(&stack, &user.jwt, &token)
        .await
        .json()
        .await
        .unwrap();
    let again = accept(&stack, &user.jwt, &token).await;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(
        again.json::<Value>().await.unwrap()["membership_id"],
        first["membership_id"]
    );
    assert_eq!(
        error_code(validate(&stack, &token).await, 409).await,
        "invite_already_accepted"
    );
    assert_eq!(
        error_code(
            send_invite(&stack, &admin.jwt, invited.invite_id).await,
            409
        )
        .await,
        "invite_already_accepted"
    );
    assert_eq!(memberships(&db, invited.organization_id).await, 1);

    // Resent: the old link is dead, the new one works.
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let old = token_by_email(&stack, &admin, &invited).await;
    // One address is not re-sent within 60 s (tested in organizations_e2e): as a minute later.
    db.execute(
        "update onboarding_invites set sent_at = sent_at - interval '61 seconds' where id = $1",
        &[&invited.invite_id],
    )
    .await
    .unwrap();
    let new = token_by_email(&stack, &admin, &invited).await;
    assert_ne!(old, new);
    assert_eq!(
        error_code(validate(&stack, &old).await, 404).await,
        "invite_not_found"
    );
    assert_eq!(validate(&stack, &new).await.status().as_u16(), 200);
    let (emails, _) = mailbox(&stack, &invited.email).await;
    assert_eq!(emails.len(), 2, "each send is its own email");
    assert_ne!(emails[0]["idempotency_key"], emails[1]["idempotency_key"]);
}

#[tokio::test]
async fn wrong_user_and_unconfirmed_email_are_refused() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let token = token_by_email(&stack, &admin, &invited).await;

    let stranger = stack.confirmed_user(&db, &unique_email("stranger")).await;
    let response = accept(&stack, &stranger.jwt, &token).await;
    assert_eq!(response.status().as_u16(), 403);
    let body = response.text().await.unwrap();
    assert!(body.contains("invite_wrong_user"));
    assert!(
        !body.contains(&invited.email),
        "the invited address is not echoed"
    );

    let id = insert_user(&db, &invited.email, json!({})).await;
    let unconfirmed = stack.user_jwt(id, &invited.email);
    assert_eq!(
        error_code(accept(&stack, &unconfirmed, &token).await, 403).await,
        "email_not_confirmed"
    );
    assert_eq!(memberships(&db, invited.organization_id).await, 0);
    assert_eq!(
        invite_row(&db, invited.invite_id).await.get::<_, String>(0),
        "pending"
    );
}

#[tokio::test]
async fn fifty_concurrent_accepts_make_one_membership() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let token = token_by_email(&stack, &admin, &invited).await;
    let user = stack.confirmed_user(&db, &invited.email).await;
    let responses = join_all((0..50).map(|_| accept(&stack, &user.jwt, &token))).await;
    let mut ids = Vec::new();
    for response in responses {
        assert_eq!(response.status().as_u16(), 200);
        ids.push(response.json::<Value>().await.unwrap()["membership_id"].clone());
    }
    assert!(ids.iter().all(|id| *id == ids[0]));
    assert_eq!(memberships(&db, invited.organization_id).await, 1);
}

#[tokio::test]
async fn resend_rate_limits_are_retried_into_one_email() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let limited = json!({"status": 429, "name": "rate_limit_exceeded", "message": "Too many requests.", "retry_after": 1});
    script_resend(&stack, &invited.email, json!([limited, limited])).await;
    let started = std::time::Instant::now();
    let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["attempts"], 3);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "Retry-After was honoured"
    );
    let (emails, attempts) = mailbox(&stack, &invited.email).await;
    assert_eq!((emails.len(), attempts), (1, 3));
}

#[tokio::test]
async fn resend_refusals_are_reported_recorded_and_not_retried() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    for (status, name) in [(422, "validation_error"), (429, "daily_quota_exceeded")] {
        let invited = create_organization(&stack, &admin, "starter", json!({})).await;
        script_resend(
            &stack,
            &invited.email,
            json!([{"status": status, "name": name, "message": "Refused by the fake."}]),
        )
        .await;
        let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
        assert_eq!(response.status().as_u16(), 502);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "email_rejected");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Refused by the fake."));
        let link = body["invite"]["link"].as_str().unwrap();
        assert_eq!(
            validate(&stack, &token_of(link)).await.status().as_u16(),
            200,
            "the link still works"
        );
        let (emails, attempts) = mailbox(&stack, &invited.email).await;
        assert_eq!((emails.len(), attempts), (0, 1), "{name} is not retried");
        let row = invite_row(&db, invited.invite_id).await;
        assert_eq!(row.get::<_, String>(0), "pending");
        assert!(row.get::<_, Option<String>>(4).unwrap().contains(name));
    }
}

/// Resend hanging: every attempt runs to its timeout, and still the whole send ends
/// within the documented 10 s budget (the last attempt's own timeout is cut to fit).
#[tokio::test]
async fn resend_hanging_is_given_up_on_within_ten_seconds() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let hang = json!({"status": 503, "name": "internal_server_error", "message": "late", "hang_ms": 30000});
    script_resend(
        &stack,
        &invited.email,
        json!([hang, hang, hang, hang, hang, hang]),
    )
    .await;
    let started = std::time::Instant::now();
    let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
    let took = started.elapsed();
    assert_eq!(error_code(response, 503).await, "email_unavailable");
    // The attempts end within the 10 s budget; recording the failure and answering
    // follow (measured here: 10.0 s in all). Before the fix: 12.7 s.
    assert!(
        took < std::time::Duration::from_millis(11_000),
        "the send took {took:?}, past its 10 s budget"
    );
    assert!(
        mailbox(&stack, &invited.email).await.1 >= 2,
        "it was retried"
    );
}

#[tokio::test]
async fn resend_down_is_a_clear_503_and_nothing_is_lost() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let down = json!({"status": 503, "name": "internal_server_error", "message": "down"});
    script_resend(
        &stack,
        &invited.email,
        json!([down, down, down, down, down, down]),
    )
    .await;
    let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "email_unavailable");
    let row = invite_row(&db, invited.invite_id).await;
    assert_eq!(row.get::<_, String>(0), "pending");
    assert!(
        row.get::<_, Option<String>>(4).is_some(),
        "the failure is recorded on the invite"
    );
    assert!(
        mailbox(&stack, &invited.email).await.1 >= 2,
        "server errors are retried"
    );
    // Once Resend is back, sending again delivers — here with the secret key, which
    // back-office jobs use instead of an admin's JWT (the gateway turns it into a
    // service-role JWT).
    let response = stack
        .call_function_with_key(
            "send-invite-email",
            stack.secret_key(),
            json!({"invite_id": invited.invite_id}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(mailbox(&stack, &invited.email).await.0.len(), 1);
    assert_eq!(
        invite_row(&db, invited.invite_id)
            .await
            .get::<_, Option<String>>(4),
        None
    );
}

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
    for function in ["send-invite-email", "accept-invite"] {
        let none = stack
            .call_function(
                function,
                None,
                json!({"token": token, "invite_id": invited.invite_id}),
            )
            .await;
        assert_eq!(none.status().as_u16(), 401);
        let forged = stack
            .call_function(
                function,
                Some("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad"),
                json!({"token": token, "invite_id": invited.invite_id}),
            )
            .await;
        assert_eq!(forged.status().as_u16(), 401);
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

#[tokio::test]
async fn rls_with_real_jwts_of_every_kind_of_caller() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "growth", json!({})).await;
    let other = create_organization(&stack, &admin, "starter", json!({})).await;
    let token = token_by_email(&stack, &admin, &invited).await;
    let owner = stack.confirmed_user(&db, &invited.email).await;
    assert_eq!(
        accept(&stack, &owner.jwt, &token).await.status().as_u16(),
        200
    );
    let member = stack.confirmed_user(&db, &unique_email("viewer")).await;
    db.execute(
        "insert into organization_members (organization_id, user_id, role) values ($1, $2, 'viewer')",
        &[&invited.organization_id, &member.id],
    )
    .await
    .unwrap();
    let outsider = stack.confirmed_user(&db, &unique_email("outsider")).await;
    let org = invited.organization_id;

    let rows = |response: reqwest::Response| async move {
        assert_eq!(response.status().as_u16(), 200);
        response.json::<Vec<Value>>().await.unwrap()
    };
    let invites_path = format!(
        "onboarding_invites?select=id,organization_id,email,status&organization_id=in.({org},{})",
        other.organization_id
    );

    // Anonymous: nothing in any of these tables.
    for table in [
        "onboarding_invites",
        "organization_billing",
        "organization_feature_overrides",
        "platform_roles",
        "organizations",
    ] {
        let status = stack.select(table, None).await.status().as_u16();
        assert!(matches!(status, 401 | 403), "anon on {table}: {status}");
    }
    // Platform admin: every invite, every organization.
    let all = rows(stack.select(&invites_path, Some(&admin.jwt)).await).await;
    assert_eq!(all.len(), 2);
    assert_eq!(
        rows(
            stack
                .select(
                    &format!("organizations?id=eq.{}", other.organization_id),
                    Some(&admin.jwt)
                )
                .await
        )
        .await
        .len(),
        1
    );
    // Owner: their organization's invites only; never the token hash.
    let mine = rows(stack.select(&invites_path, Some(&owner.jwt)).await).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["organization_id"], json!(org));
    let hash = stack
        .select("onboarding_invites?select=token_hash", Some(&owner.jwt))
        .await;
    assert!(
        matches!(hash.status().as_u16(), 401 | 403),
        "token_hash readable: {}",
        hash.status()
    );
    // Member (not owner): their organization and its billing, but no invites.
    assert!(rows(stack.select(&invites_path, Some(&member.jwt)).await)
        .await
        .is_empty());
    assert_eq!(
        rows(
            stack
                .select(
                    &format!("organization_billing?organization_id=eq.{org}"),
                    Some(&member.jwt)
                )
                .await
        )
        .await
        .len(),
        1
    );
    assert_eq!(
        rows(
            stack
                .select(&format!("organizations?id=eq.{org}"), Some(&member.jwt))
                .await
        )
        .await
        .len(),
        1
    );
    // Outsider: nothing of either organization.
    assert!(rows(stack.select(&invites_path, Some(&outsider.jwt)).await)
        .await
        .is_empty());
    assert!(rows(
        stack
            .select(&format!("organizations?id=eq.{org}"), Some(&outsider.jwt))
            .await
    )
    .await
    .is_empty());
    assert!(rows(
        stack
            .select(
                &format!("organization_billing?organization_id=eq.{org}"),
                Some(&outsider.jwt)
            )
            .await
    )
    .await
    .is_empty());
    assert_eq!(
        rows(
            stack
                .select("platform_roles?select=user_id", Some(&outsider.jwt))
                .await
        )
        .await
        .len(),
        1,
        "only their own role"
    );

    // Writes only through the checked paths.
    let insert = stack
        .http
        .post(stack.rest_url("onboarding_invites"))
        .header("apikey", stack.publishable_key())
        .bearer_auth(&owner.jwt)
        .json(&json!({"organization_id": org, "email": "x@y.co", "expires_at": "2099-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(insert.status().as_u16(), 401 | 403));
    let promote = stack
        .http
        .patch(stack.rest_url(&format!("platform_roles?user_id=eq.{}", outsider.id)))
        .header("apikey", stack.publishable_key())
        .bearer_auth(&outsider.jwt)
        .json(&json!({"role": "platform_admin"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(promote.status().as_u16(), 401 | 403));
    for jwt in [&owner.jwt, &outsider.jwt] {
        let create = stack
            .rpc("admin_create_organization", jwt, json!({"p_name": "X", "p_slug": format!("x-{}", Uuid::new_v4().simple()), "p_owner_email": "a@b.co"}))
            .await;
        assert_eq!(create.status().as_u16(), 403);
        assert_eq!(
            error_code(send_invite(&stack, jwt, other.invite_id).await, 403).await,
            "not_platform_admin"
        );
    }
    // Revoke: not by a member or outsider; by the owner of that organization.
    let pending = create_invite_for(&db, org).await;
    for jwt in [&member.jwt, &outsider.jwt] {
        assert_eq!(
            stack
                .rpc("revoke_invite", jwt, json!({"p_invite_id": pending}))
                .await
                .status()
                .as_u16(),
            404
        );
    }
    assert_eq!(
        stack
            .rpc("revoke_invite", &owner.jwt, json!({"p_invite_id": pending}))
            .await
            .status()
            .as_u16(),
        200
    );
    // Onboarding: only members read it; only the owner completes it.
    assert_eq!(
        stack
            .rpc(
                "organization_onboarding",
                &outsider.jwt,
                json!({"p_organization_id": org})
            )
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        stack
            .rpc(
                "complete_onboarding",
                &member.jwt,
                json!({"p_organization_id": org})
            )
            .await
            .status()
            .as_u16(),
        403
    );
}

/// A second pending invite (as a recruiter) in `organization_id`, straight in the database.
async fn create_invite_for(db: &Client, organization_id: Uuid) -> Uuid {
    db.query_one(
        "insert into onboarding_invites (organization_id, email, role, expires_at)
         values ($1, $2, 'recruiter', now() + interval '1 day') returning id",
        &[&organization_id, &unique_email("recruiter")],
    )
    .await
    .unwrap()
    .get(0)
}
