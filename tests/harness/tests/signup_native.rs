//! on-signup-create-org's handler, run natively against the real PostgREST and
//! PostgreSQL of the test stack (the same code that runs as WASM in Deno).
#![allow(clippy::unwrap_used)]

use futures_util::future::join_all;
use on_signup_create_org::OnSignupCreateOrg;
use platform::{respond, EdgeFunction, HttpRequest, HttpResponse, PostgrestDb};
use serde_json::{json, Value};
use test_harness::*;
use uuid::Uuid;

fn function(stack: &Stack) -> OnSignupCreateOrg<PostgrestDb> {
    OnSignupCreateOrg::from_env(&stack.function_env()).unwrap()
}

fn webhook(stack: &Stack, payload: &Value) -> HttpRequest {
    HttpRequest::new("POST")
        .with_header("content-type", "application/json")
        .with_header(
            "authorization",
            format!("Bearer {}", stack.var("ONBOARDING_WEBHOOK_SECRET")),
        )
        .with_body(payload.to_string())
}

fn body(response: &HttpResponse) -> Value {
    serde_json::from_str(&response.body).unwrap()
}

#[tokio::test]
async fn creates_profile_org_and_owner_membership_once() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("ada");
    let meta = json!({"full_name": "Ada Lovelace"});
    let user_id = insert_user_without_webhook(&stack, &email, meta.clone()).await;
    let function = function(&stack);
    let request = webhook(&stack, &webhook_payload(user_id, &email, meta));

    let first = respond(&function, &request).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let first = body(&first);
    assert_eq!(first["created"], true);

    let row = db
        .query_one(
            "select p.email, p.full_name, p.avatar_url, o.name, o.slug, o.created_by, m.role, m.id
             from profiles p join organizations o on o.signup_user_id = p.id
             join organization_members m on m.organization_id = o.id and m.user_id = p.id
             where p.id = $1",
            &[&user_id],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Option<String>>(0).as_deref(),
        Some(email.as_str())
    );
    assert_eq!(row.get::<_, String>(1), "Ada Lovelace");
    assert_eq!(row.get::<_, Option<String>>(2), None);
    assert_eq!(row.get::<_, String>(3), "Ada Lovelace's Workspace");
    let slug: String = row.get(4);
    assert!(
        slug == "ada-lovelace" || slug.starts_with("ada-lovelace-"),
        "{slug}"
    );
    assert_eq!(row.get::<_, Option<Uuid>>(5), Some(user_id));
    assert_eq!(row.get::<_, String>(6), "owner");
    assert_eq!(first["membership_id"], json!(row.get::<_, Uuid>(7)));
    assert_eq!(first["organization_slug"], json!(slug));

    // A replay answers 200 with the same ids and creates nothing.
    let replay = respond(&function, &request).await;
    assert_eq!(replay.status, 200);
    let replay = body(&replay);
    assert_eq!(replay["created"], false);
    for key in [
        "organization_id",
        "membership_id",
        "profile_id",
        "organization_slug",
    ] {
        assert_eq!(replay[key], first[key], "{key}");
    }
    assert_eq!(signup_counts(&db, user_id).await, (1, 1, 1));
}

#[tokio::test]
async fn concurrent_duplicates_create_exactly_one_of_each() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("race");
    let user_id = insert_user_without_webhook(&stack, &email, json!({})).await;
    let function = function(&stack);
    let request = webhook(&stack, &webhook_payload(user_id, &email, json!({})));

    let responses = join_all((0..20).map(|_| respond(&function, &request))).await;
    let org_ids: Vec<Value> = responses
        .iter()
        .map(|response| {
            assert_eq!(response.status, 200, "{}", response.body);
            body(response)["organization_id"].clone()
        })
        .collect();
    assert!(org_ids.iter().all(|id| *id == org_ids[0]));
    let created = responses
        .iter()
        .filter(|r| body(r)["created"] == true)
        .count();
    assert_eq!(created, 1);
    assert_eq!(signup_counts(&db, user_id).await, (1, 1, 1));
}

#[tokio::test]
async fn a_taken_slug_gets_a_short_suffix() {
    let stack = Stack::load();
    let function = function(&stack);
    let name = format!("Jane {}", Uuid::new_v4().simple());
    let base = name.to_lowercase().replace(' ', "-");
    let mut slugs = Vec::new();
    for _ in 0..3 {
        let email = unique_email("jane");
        let meta = json!({"name": name});
        let user_id = insert_user_without_webhook(&stack, &email, meta.clone()).await;
        let response = respond(
            &function,
            &webhook(&stack, &webhook_payload(user_id, &email, meta)),
        )
        .await;
        assert_eq!(response.status, 200, "{}", response.body);
        slugs.push(
            body(&response)["organization_slug"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(slugs[0], base);
    for slug in &slugs[1..] {
        let suffix = slug
            .strip_prefix(&format!("{base}-"))
            .unwrap_or_else(|| panic!("{slug}"));
        assert!(
            suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_hexdigit()),
            "{slug}"
        );
    }
    assert_ne!(slugs[1], slugs[2]);
}

#[tokio::test]
async fn a_user_missing_from_auth_users_gets_404_and_nothing_is_written() {
    let stack = Stack::load();
    let db = stack.db().await;
    let ghost = Uuid::new_v4();
    let response = respond(
        &function(&stack),
        &webhook(
            &stack,
            &webhook_payload(ghost, "ghost@example.com", json!({})),
        ),
    )
    .await;
    assert_eq!(response.status, 404);
    assert_eq!(body(&response)["error"]["code"], "user_not_found");
    assert_eq!(signup_counts(&db, ghost).await, (0, 0, 0));
}

#[tokio::test]
async fn a_wrong_secret_is_401_and_writes_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("intruder");
    let user_id = insert_user_without_webhook(&stack, &email, json!({})).await;
    let payload = webhook_payload(user_id, &email, json!({}));
    for token in ["wrong", stack.publishable_key(), stack.secret_key()] {
        let request = HttpRequest::new("POST")
            .with_header("authorization", format!("Bearer {token}"))
            .with_body(payload.to_string());
        let response = respond(&function(&stack), &request).await;
        assert_eq!(response.status, 401);
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    }
    assert_eq!(signup_counts(&db, user_id).await, (0, 0, 0));
}

/// Without ONBOARDING_WEBHOOK_SECRET, the webhook presents the secret key in `apikey`
/// (as Supabase's dashboard installs webhooks today); the publishable key, or the secret
/// key sent as a bearer token, is refused and writes nothing.
#[tokio::test]
async fn the_secret_key_is_the_secret_when_none_is_configured() {
    let stack = Stack::load();
    let db = stack.db().await;
    let mut env = stack.function_env();
    env.set("ONBOARDING_WEBHOOK_SECRET", "");
    let function = OnSignupCreateOrg::from_env(&env).unwrap();
    let email = unique_email("seed");
    let user_id = insert_user_without_webhook(&stack, &email, json!({})).await;
    let body = webhook_payload(user_id, &email, json!({})).to_string();
    for refused in [
        HttpRequest::new("POST").with_header("apikey", stack.publishable_key()),
        HttpRequest::new("POST")
            .with_header("authorization", format!("Bearer {}", stack.secret_key())),
    ] {
        let response = respond(&function, &refused.with_body(body.clone())).await;
        assert_eq!(response.status, 401);
    }
    assert_eq!(signup_counts(&db, user_id).await, (0, 0, 0));
    let request = HttpRequest::new("POST")
        .with_header("apikey", stack.secret_key())
        .with_body(body);
    assert_eq!(respond(&function, &request).await.status, 200);
    assert_eq!(signup_counts(&db, user_id).await, (1, 1, 1));
}

#[tokio::test]
async fn an_unreachable_database_is_a_5xx_not_a_hang() {
    let stack = Stack::load();
    let mut env = stack.function_env();
    env.set("SUPABASE_URL", "http://127.0.0.1:9");
    let function = OnSignupCreateOrg::from_env(&env).unwrap();
    let payload = webhook_payload(Uuid::new_v4(), "x@example.com", json!({}));
    let response = respond(&function, &webhook(&stack, &payload)).await;
    assert_eq!(response.status, 502);
    assert_eq!(body(&response)["error"]["code"], "upstream_error");
}

/// The RPC is one transaction: when the organization cannot be created (here: an
/// empty name violates its check constraint), the profile inserted before it is
/// rolled back too.
#[tokio::test]
async fn a_failure_midway_leaves_nothing_behind() {
    let stack = Stack::load();
    let db = stack.db().await;
    let user_id = insert_user_without_webhook(&stack, &unique_email("atomic"), json!({})).await;
    let response = stack
        .http
        .post(stack.rest_url("rpc/create_signup_org"))
        .header("apikey", stack.secret_key())
        .json(
            &json!({"p_user_id": user_id, "p_email": "a@b.c", "p_full_name": "A",
                      "p_organization_name": "", "p_slug_base": "a"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(signup_counts(&db, user_id).await, (0, 0, 0));
}

#[tokio::test]
async fn clients_cannot_call_the_rpc() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("sneaky");
    let user_id = insert_user_without_webhook(&stack, &email, json!({})).await;
    let calls = [
        (
            "rpc/create_signup_org",
            json!({"p_user_id": user_id, "p_email": email, "p_full_name": "S",
                   "p_organization_name": "S's Workspace", "p_slug_base": "s"}),
        ),
        (
            "rpc/create_signup_workspace",
            json!({"p_user_id": user_id, "p_email": email, "p_metadata": {}}),
        ),
    ];
    for ((rpc, args), key) in calls.iter().flat_map(|call| {
        [
            stack.publishable_key().to_owned(),
            stack.user_jwt(user_id, &email),
        ]
        .map(|key| (call, key))
    }) {
        let response = stack
            .http
            .post(stack.rest_url(rpc))
            .header("apikey", stack.publishable_key())
            .bearer_auth(key)
            .json(args)
            .send()
            .await
            .unwrap();
        assert!(
            matches!(response.status().as_u16(), 401 | 403),
            "{}",
            response.status()
        );
    }
    assert_eq!(signup_counts(&db, user_id).await, (0, 0, 0));
}

/// Webhooks are delivered at most once; the reconcile job repairs what was lost, with
/// the same naming rules as the function.
#[tokio::test]
async fn reconcile_creates_what_a_lost_webhook_did_not() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("lost");
    let user_id =
        insert_user_without_webhook(&stack, &email, json!({"full_name": "Lost Webhook"})).await;
    let fresh = insert_user_without_webhook(&stack, &unique_email("fresh"), json!({})).await;
    db.execute(
        "update auth.users set created_at = now() - interval '10 minutes' where id = $1",
        &[&user_id],
    )
    .await
    .unwrap();

    db.execute("select public.reconcile_signups()", &[])
        .await
        .unwrap();
    assert_eq!(signup_counts(&db, user_id).await, (1, 1, 1));
    assert_eq!(
        signup_counts(&db, fresh).await,
        (0, 0, 0),
        "users younger than the window are left to the webhook"
    );
    let row = db
        .query_one(
            "select o.name, o.slug from organizations o where o.signup_user_id = $1",
            &[&user_id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "Lost Webhook's Workspace");
    assert!(row.get::<_, String>(1).starts_with("lost-webhook"));

    // Running it again repairs nothing more.
    let runs_before: i64 = db
        .query_one("select count(*) from private.reconcile_runs", &[])
        .await
        .unwrap()
        .get(0);
    db.execute("select public.reconcile_signups()", &[])
        .await
        .unwrap();
    assert_eq!(signup_counts(&db, user_id).await, (1, 1, 1));

    // Every run leaves a record of what it looked at and what it repaired: this user
    // was repaired by exactly one run, and the second run was recorded too.
    let record = db
        .query_one(
            "select count(*) filter (where $1 = any(repaired_user_ids)), count(*) \
             from private.reconcile_runs",
            &[&user_id],
        )
        .await
        .unwrap();
    assert_eq!(record.get::<_, i64>(0), 1);
    assert!(record.get::<_, i64>(1) > runs_before);
}
