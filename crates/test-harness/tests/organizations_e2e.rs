//! Organizations after day one, end to end with real JWTs: the RPCs through PostgREST,
//! invites sent by send-invite-email and accepted by accept-invite through the gateway,
//! the audit log read through PostgREST, races run concurrently, the token hook called
//! as Supabase Auth calls it.
#![allow(clippy::unwrap_used)]

use futures_util::future::join_all;
use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

/// PostgREST's error for a refused RPC: the status and the stable code (the message).
async fn refused(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    (
        status,
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(status, 200, "{body}");
    body
}

async fn user(stack: &Stack, db: &Client, name: &str) -> User {
    stack.confirmed_user(db, &unique_email(name)).await
}

async fn new_organization(stack: &Stack, owner: &User, name: &str) -> Uuid {
    let body = ok(stack
        .rpc("create_organization", &owner.jwt, json!({"p_name": name}))
        .await)
    .await;
    assert_eq!(
        (
            body["status"].as_str(),
            body["plan"].as_str(),
            body["role"].as_str()
        ),
        (Some("active"), Some("free"), Some("owner"))
    );
    body["organization_id"].as_str().unwrap().parse().unwrap()
}

async fn invite(
    stack: &Stack,
    by: &User,
    organization: Uuid,
    email: &str,
    role: &str,
) -> reqwest::Response {
    stack
        .rpc(
            "invite_member",
            &by.jwt,
            json!({"p_organization_id": organization, "p_email": email, "p_role": role}),
        )
        .await
}

/// Invites `who` as `role`, sends the invite as `by` through send-invite-email, and
/// accepts it as `who` through accept-invite.
async fn join(stack: &Stack, by: &User, organization: Uuid, who: &User, role: &str) {
    let invited = ok(invite(stack, by, organization, &who.email, role).await).await;
    let sent = stack
        .call_function(
            "send-invite-email",
            Some(&by.jwt),
            json!({"invite_id": invited["invite_id"]}),
        )
        .await;
    assert_eq!(
        sent.status().as_u16(),
        200,
        "{} may send its organization's invites",
        by.email
    );
    let link: Value = sent.json().await.unwrap();
    let token = link["link"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let accepted = stack
        .call_function("accept-invite", Some(&who.jwt), json!({"token": token}))
        .await;
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(accepted["role"], role, "{accepted}");
}

async fn role_of(db: &Client, organization: Uuid, user: Uuid) -> Option<String> {
    db.query_opt(
        "select role from organization_members where organization_id = $1 and user_id = $2",
        &[&organization, &user],
    )
    .await
    .unwrap()
    .map(|row| row.get(0))
}

async fn owners(db: &Client, organization: Uuid) -> i64 {
    db.query_one(
        "select count(*) from organization_members where organization_id = $1 and role = 'owner'",
        &[&organization],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn the_team_story_and_its_audit_log() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, admin, viewer, recruiter) = (
        user(&stack, &db, "owner").await,
        user(&stack, &db, "admin").await,
        user(&stack, &db, "viewer").await,
        user(&stack, &db, "recruiter").await,
    );
    let org = new_organization(&stack, &owner, "Team Co").await;
    join(&stack, &owner, org, &admin, "admin").await;
    join(&stack, &owner, org, &viewer, "viewer").await;
    join(&stack, &admin, org, &recruiter, "recruiter").await;
    ok(stack
        .rpc(
            "change_member_role",
            &owner.jwt,
            json!({"p_organization_id": org, "p_user_id": recruiter.id, "p_role": "admin"}),
        )
        .await)
    .await;
    ok(stack
        .rpc(
            "transfer_ownership",
            &owner.jwt,
            json!({"p_organization_id": org, "p_user_id": admin.id}),
        )
        .await)
    .await;
    assert_eq!(role_of(&db, org, admin.id).await.as_deref(), Some("owner"));
    assert_eq!(role_of(&db, org, owner.id).await.as_deref(), Some("admin"));
    ok(stack
        .rpc(
            "leave_organization",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await)
    .await;
    assert_eq!(role_of(&db, org, owner.id).await, None);

    let members = ok(stack
        .rpc(
            "list_members",
            &viewer.jwt,
            json!({"p_organization_id": org}),
        )
        .await)
    .await;
    let listed: Vec<(String, String)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (admin.email.clone(), "owner".into()),
            (recruiter.email.clone(), "admin".into()),
            (viewer.email.clone(), "viewer".into())
        ]
    );

    // The log, read by the new owner through PostgREST, in order, with its actors.
    let log: Vec<Value> = stack
        .select(
            &format!("organization_audit_log?organization_id=eq.{org}&order=id"),
            Some(&admin.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    let entries: Vec<(String, Option<Uuid>)> = log
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_id"].as_str().map(|id| id.parse().unwrap()),
            )
        })
        .collect();
    let expected = [
        ("organization.created", owner.id),
        ("member.added", owner.id),
        ("invite.created", owner.id),
        ("member.added", admin.id),
        ("invite.accepted", admin.id),
        ("invite.created", owner.id),
        ("member.added", viewer.id),
        ("invite.accepted", viewer.id),
        ("invite.created", admin.id),
        ("member.added", recruiter.id),
        ("invite.accepted", recruiter.id),
        ("member.role_changed", owner.id),
        ("ownership.transferred", owner.id),
        ("member.left", owner.id),
    ];
    let mut at = 0;
    for (action, actor) in expected {
        let found = entries[at..]
            .iter()
            .position(|(a, who)| a == action && *who == Some(actor));
        let found = found
            .unwrap_or_else(|| panic!("{action} by {actor} missing after entry {at}: {entries:?}"));
        at += found + 1;
    }
    assert!(
        entries.iter().any(|(a, _)| a == "invite.sent"),
        "sends are logged: {entries:?}"
    );
    let changed = log
        .iter()
        .find(|e| e["action"] == "member.role_changed")
        .unwrap();
    assert_eq!(
        (&changed["before"]["role"], &changed["after"]["role"]),
        (&json!("recruiter"), &json!("admin"))
    );

    // Only owners and admins read it.
    let as_viewer: Vec<Value> = stack
        .select(
            &format!("organization_audit_log?organization_id=eq.{org}"),
            Some(&viewer.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(as_viewer.is_empty());
}

#[tokio::test]
async fn every_refusal_has_its_code() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, admin, viewer, outsider) = (
        user(&stack, &db, "owner").await,
        user(&stack, &db, "admin").await,
        user(&stack, &db, "viewer").await,
        user(&stack, &db, "outsider").await,
    );
    let org = new_organization(&stack, &owner, "Refusals Co").await;
    for (who, role) in [(&admin, "admin"), (&viewer, "viewer")] {
        db.execute(
            "insert into organization_members (organization_id, user_id, role) values ($1, $2, $3)",
            &[&org, &who.id, &role],
        )
        .await
        .unwrap();
    }
    let other_org = new_organization(&stack, &outsider, "Elsewhere").await;
    let rpc = |jwt: &str, function: &str, args: Value| {
        let (stack, jwt, function) = (&stack, jwt.to_owned(), function.to_owned());
        async move { refused(stack.rpc(&function, &jwt, args).await).await }
    };
    let cases = [
        (
            rpc(
                &viewer.jwt,
                "invite_member",
                json!({"p_organization_id": org, "p_email": "a@x.test"}),
            )
            .await,
            (403, "not_org_admin"),
        ),
        (
            rpc(
                &admin.jwt,
                "invite_member",
                json!({"p_organization_id": org, "p_email": "a@x.test", "p_role": "owner"}),
            )
            .await,
            (403, "role_too_high"),
        ),
        (
            rpc(
                &admin.jwt,
                "remove_member",
                json!({"p_organization_id": org, "p_user_id": owner.id}),
            )
            .await,
            (403, "role_too_high"),
        ),
        (
            rpc(
                &admin.jwt,
                "change_member_role",
                json!({"p_organization_id": org, "p_user_id": admin.id, "p_role": "owner"}),
            )
            .await,
            (403, "role_too_high"),
        ),
        (
            rpc(
                &viewer.jwt,
                "change_member_role",
                json!({"p_organization_id": org, "p_user_id": viewer.id, "p_role": "admin"}),
            )
            .await,
            (403, "role_too_high"),
        ),
        (
            rpc(
                &owner.jwt,
                "invite_member",
                json!({"p_organization_id": other_org, "p_email": "a@x.test"}),
            )
            .await,
            (403, "not_member"),
        ),
        (
            rpc(
                &owner.jwt,
                "remove_member",
                json!({"p_organization_id": other_org, "p_user_id": outsider.id}),
            )
            .await,
            (403, "not_member"),
        ),
        (
            rpc(
                &owner.jwt,
                "list_members",
                json!({"p_organization_id": other_org}),
            )
            .await,
            (403, "not_member"),
        ),
        (
            rpc(
                &owner.jwt,
                "leave_organization",
                json!({"p_organization_id": org}),
            )
            .await,
            (409, "last_owner"),
        ),
        (
            rpc(
                &owner.jwt,
                "change_member_role",
                json!({"p_organization_id": org, "p_user_id": owner.id, "p_role": "admin"}),
            )
            .await,
            (409, "last_owner"),
        ),
        (
            rpc(
                &owner.jwt,
                "remove_member",
                json!({"p_organization_id": org, "p_user_id": owner.id}),
            )
            .await,
            (400, "cannot_remove_self"),
        ),
        (
            rpc(
                &outsider.jwt,
                "set_active_organization",
                json!({"p_organization_id": org}),
            )
            .await,
            (403, "not_member"),
        ),
        (
            rpc(
                &admin.jwt,
                "transfer_ownership",
                json!({"p_organization_id": org, "p_user_id": viewer.id}),
            )
            .await,
            (403, "not_owner"),
        ),
        (
            rpc(
                &owner.jwt,
                "invite_member",
                json!({"p_organization_id": org, "p_email": admin.email}),
            )
            .await,
            (409, "already_member"),
        ),
    ];
    for (got, (status, code)) in cases {
        assert_eq!((got.0, got.1.as_str()), (status, code));
    }
    // The last owner removed by a platform admin (who may do what an owner may).
    let platform = stack.platform_admin(&db).await;
    assert_eq!(
        rpc(
            &platform.jwt,
            "remove_member",
            json!({"p_organization_id": org, "p_user_id": owner.id})
        )
        .await,
        (409, "last_owner".into())
    );
    assert_eq!(owners(&db, org).await, 1);

    // Declining someone else's invite.
    let someone = unique_email("someone");
    let invited = ok(invite(&stack, &owner, org, &someone, "viewer").await).await;
    assert_eq!(
        rpc(
            &outsider.jwt,
            "decline_invite",
            json!({"p_invite_id": invited["invite_id"]})
        )
        .await,
        (403, "invite_wrong_user".into())
    );
    // The invitee sees it, declines it, and the inviter sees that.
    let invitee = stack.confirmed_user(&db, &someone).await;
    let mine = ok(stack.rpc("my_invites", &invitee.jwt, json!({})).await).await;
    let mine = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == invited["invite_id"])
        .cloned()
        .unwrap();
    assert_eq!(
        (mine["organization_name"].as_str(), mine["role"].as_str()),
        (Some("Refusals Co"), Some("viewer"))
    );
    ok(stack
        .rpc(
            "decline_invite",
            &invitee.jwt,
            json!({"p_invite_id": invited["invite_id"]}),
        )
        .await)
    .await;
    let seen: Vec<Value> = stack
        .select(
            &format!(
                "onboarding_invites?id=eq.{}&select=status",
                invited["invite_id"].as_str().unwrap()
            ),
            Some(&owner.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen, [json!({"status": "declined"})]);
    assert!(ok(stack.rpc("my_invites", &invitee.jwt, json!({})).await)
        .await
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["id"] != invited["invite_id"]));

    // Switching the active organization: a member may, and the hook follows it.
    ok(stack
        .rpc(
            "set_active_organization",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await)
    .await;
}

#[tokio::test]
async fn races_keep_the_invariants() {
    let stack = Stack::load();
    let db = stack.db().await;

    // Two owners demoting each other at once: one owner remains.
    let (a, b) = (
        user(&stack, &db, "owner-a").await,
        user(&stack, &db, "owner-b").await,
    );
    let org = new_organization(&stack, &a, "Race Co").await;
    db.execute("insert into organization_members (organization_id, user_id, role) values ($1, $2, 'owner')", &[&org, &b.id]).await.unwrap();
    let demote = |jwt: String, whom: Uuid| {
        let stack = &stack;
        async move {
            stack
                .rpc(
                    "change_member_role",
                    &jwt,
                    json!({"p_organization_id": org, "p_user_id": whom, "p_role": "admin"}),
                )
                .await
        }
    };
    let (first, second) = tokio::join!(demote(a.jwt.clone(), b.id), demote(b.jwt.clone(), a.id));
    let statuses = [first.status().as_u16(), second.status().as_u16()];
    assert_eq!(owners(&db, org).await, 1, "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");

    // 20 concurrent leaves by the two owners of a two-owner organization: exactly one leaves.
    let (c, d) = (
        user(&stack, &db, "owner-c").await,
        user(&stack, &db, "owner-d").await,
    );
    let org = new_organization(&stack, &c, "Leave Co").await;
    db.execute("insert into organization_members (organization_id, user_id, role) values ($1, $2, 'owner')", &[&org, &d.id]).await.unwrap();
    let leaves = join_all((0..20).map(|i| {
        let who = if i % 2 == 0 { &c } else { &d };
        stack.rpc(
            "leave_organization",
            &who.jwt,
            json!({"p_organization_id": org}),
        )
    }))
    .await;
    let left = leaves.iter().filter(|r| r.status().as_u16() == 200).count();
    assert_eq!(left, 1);
    assert_eq!(owners(&db, org).await, 1);

    // 30 concurrent invites for 30 addresses with 5 seats free: exactly 5 succeed.
    let owner = user(&stack, &db, "owner-e").await;
    let org = new_organization(&stack, &owner, "Seats Co").await;
    db.execute(
        "update organizations set plan_id = 'starter' where id = $1",
        &[&org],
    )
    .await
    .unwrap();
    // Starter has 25 seats: the owner and 19 pending invites (made earlier) leave 5.
    db.execute(
        "insert into onboarding_invites (organization_id, email, role, expires_at, created_at)
         select $1, 'held-' || i || '@seats.test', 'viewer', now() + interval '1 day', now() - interval '2 hours'
         from generate_series(1, 19) i",
        &[&org],
    )
    .await
    .unwrap();
    let addresses: Vec<String> = (0..30).map(|i| format!("new-{i}@seats.test")).collect();
    let invites = join_all(
        addresses
            .iter()
            .map(|email| invite(&stack, &owner, org, email, "viewer")),
    )
    .await;
    let mut outcomes = Vec::new();
    for response in invites {
        outcomes.push(refused(response).await);
    }
    let succeeded = outcomes.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(succeeded, 5, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|(s, _)| *s != 200)
            .all(|o| o == &(403, "member_limit_reached".to_owned())),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn the_access_token_hook_adds_the_active_organization() {
    let stack = Stack::load();
    let db = stack.db().await;
    let owner = user(&stack, &db, "hook").await;
    let first = new_organization(&stack, &owner, "Hook One").await;
    let second = new_organization(&stack, &owner, "Hook Two").await;
    ok(stack
        .rpc(
            "set_active_organization",
            &owner.jwt,
            json!({"p_organization_id": second}),
        )
        .await)
    .await;
    // Supabase's documented event shape, called as Supabase Auth calls it: as
    // supabase_auth_admin, which `postgres` may no longer become (the superuser may).
    let event = json!({"user_id": owner.id, "claims": {"sub": owner.id, "role": "authenticated", "aud": "authenticated"}, "authentication_method": "password"});
    let auth = stack.admin_db().await;
    let hook = |event: Value| {
        let db = &auth;
        async move {
            db.batch_execute("set role supabase_auth_admin")
                .await
                .unwrap();
            let result: Value = db
                .query_one("select public.custom_access_token_hook($1)", &[&event])
                .await
                .unwrap()
                .get(0);
            db.batch_execute("reset role").await.unwrap();
            result
        }
    };
    let claims = hook(event.clone()).await["claims"].clone();
    assert_eq!(
        (
            claims["organization_id"].as_str(),
            claims["org_role"].as_str()
        ),
        (Some(second.to_string().as_str()), Some("owner"))
    );
    assert_eq!(claims["aud"], "authenticated", "the other claims are kept");
    ok(stack
        .rpc(
            "set_active_organization",
            &owner.jwt,
            json!({"p_organization_id": first}),
        )
        .await)
    .await;
    assert_eq!(hook(event).await["claims"]["organization_id"], json!(first));
    // A user of no organization (inserted without the signup webhook, which would give
    // them a workspace).
    let nobody = insert_user_without_webhook(&stack, &unique_email("nobody"), json!({})).await;
    let plain = json!({"user_id": nobody, "claims": {"role": "authenticated"}, "authentication_method": "password"});
    assert_eq!(hook(plain.clone()).await, plain, "no membership, no claims");
    // Signed-in users cannot call it.
    let (status, _) = refused(
        stack
            .rpc(
                "custom_access_token_hook",
                &owner.jwt,
                json!({"event": event_of(&owner)}),
            )
            .await,
    )
    .await;
    assert!(matches!(status, 401 | 403 | 404), "{status}");
}

fn event_of(user: &User) -> Value {
    json!({"user_id": user.id, "claims": {}})
}

#[tokio::test]
async fn bad_input_is_a_4xx_with_a_code_and_writes_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let owner = user(&stack, &db, "bad").await;
    let org = new_organization(&stack, &owner, "Bad Input Co").await;
    let counts = || async {
        let row = db
            .query_one(
                "select (select count(*) from organizations where created_by = $2),
                        (select count(*) from onboarding_invites where organization_id = $1),
                        (select count(*) from organization_members where organization_id = $1)",
                &[&org, &owner.id],
            )
            .await
            .unwrap();
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2),
        )
    };
    let before = counts().await;
    let long = "x".repeat(201);
    let cases = [
        (
            "create_organization",
            json!({"p_name": ""}),
            400,
            Some("invalid_name"),
        ),
        (
            "create_organization",
            json!({"p_name": long}),
            400,
            Some("invalid_name"),
        ),
        (
            "create_organization",
            json!({"p_name": "Ok", "p_slug": "Not A Slug"}),
            400,
            Some("invalid_slug"),
        ),
        (
            "invite_member",
            json!({"p_organization_id": "not-a-uuid", "p_email": "a@x.test"}),
            400,
            None,
        ),
        (
            "invite_member",
            json!({"p_organization_id": org, "p_email": "not-an-email"}),
            400,
            Some("invalid_email"),
        ),
        (
            "invite_member",
            json!({"p_organization_id": org, "p_email": format!("{}@x.test", "a".repeat(400))}),
            400,
            Some("invalid_email"),
        ),
        (
            "invite_member",
            json!({"p_organization_id": org, "p_email": "a@x.test", "p_role": "emperor"}),
            400,
            Some("invalid_role"),
        ),
        (
            "change_member_role",
            json!({"p_organization_id": org, "p_user_id": owner.id, "p_role": "emperor"}),
            400,
            Some("invalid_role"),
        ),
        (
            "change_member_role",
            json!({"p_organization_id": org, "p_user_id": "x", "p_role": "viewer"}),
            400,
            None,
        ),
        (
            "remove_member",
            json!({"p_organization_id": org, "p_user_id": Uuid::new_v4()}),
            404,
            Some("member_not_found"),
        ),
        (
            "transfer_ownership",
            json!({"p_organization_id": org, "p_user_id": Uuid::new_v4()}),
            404,
            Some("member_not_found"),
        ),
        (
            "decline_invite",
            json!({"p_invite_id": Uuid::new_v4()}),
            404,
            Some("invite_not_found"),
        ),
        (
            "set_active_organization",
            json!({"p_organization_id": "nope"}),
            400,
            None,
        ),
        (
            "leave_organization",
            json!({"p_organization_id": "nope"}),
            400,
            None,
        ),
        ("decline_invite", json!({"p_invite_id": 42}), 400, None),
        // Missing arguments: PostgREST finds no such function.
        (
            "transfer_ownership",
            json!({"p_organization_id": org}),
            404,
            None,
        ),
        (
            "list_members",
            json!({"p_organization_id": Uuid::new_v4()}),
            403,
            Some("not_member"),
        ),
    ];
    for (function, args, status, code) in cases {
        let (got_status, got_code) =
            refused(stack.rpc(function, &owner.jwt, args.clone()).await).await;
        assert_eq!(got_status, status, "{function} {args}");
        if let Some(code) = code {
            assert_eq!(got_code, code, "{function} {args}");
        }
    }
    assert_eq!(counts().await, before, "a refused call wrote something");
    // An unconfirmed user cannot create an organization.
    let unconfirmed_email = unique_email("unconfirmed");
    let id = insert_user(&db, &unconfirmed_email, json!({})).await;
    let jwt = stack.user_jwt(id, &unconfirmed_email);
    assert_eq!(
        refused(
            stack
                .rpc("create_organization", &jwt, json!({"p_name": "Mine"}))
                .await
        )
        .await,
        (403, "email_not_confirmed".into())
    );
}

#[tokio::test]
async fn invites_are_rate_limited_with_retry_after() {
    let stack = Stack::load();
    let db = stack.db().await;
    let owner = user(&stack, &db, "limits").await;
    let org = new_organization(&stack, &owner, "Limits Co").await;
    // One address is not sent twice within 60 s.
    let invited = ok(invite(&stack, &owner, org, &unique_email("twice"), "viewer").await).await;
    let send = || {
        stack.call_function(
            "send-invite-email",
            Some(&owner.jwt),
            json!({"invite_id": invited["invite_id"]}),
        )
    };
    assert_eq!(send().await.status().as_u16(), 200);
    let again = send().await;
    assert_eq!(again.status().as_u16(), 429);
    let retry_after: u64 = again.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["retry_after"], json!(retry_after));
    assert!((1..=60).contains(&retry_after), "{retry_after}");

    // 50 new invites an hour per organization (an enterprise plan: no seat limit).
    db.execute(
        "update organizations set plan_id = 'enterprise' where id = $1",
        &[&org],
    )
    .await
    .unwrap();
    db.execute(
        "insert into onboarding_invites (organization_id, email, role, expires_at)
         select $1, 'burst-' || i || '@limits.test', 'viewer', now() + interval '1 day' from generate_series(1, 49) i",
        &[&org],
    )
    .await
    .unwrap();
    let over = stack
        .rpc(
            "invite_member",
            &owner.jwt,
            json!({"p_organization_id": org, "p_email": "one-more@limits.test"}),
        )
        .await;
    assert_eq!(over.status().as_u16(), 429);
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["message"], "rate_limited");
    let details: Value = serde_json::from_str(body["details"].as_str().unwrap()).unwrap();
    assert!(
        details["retry_after"]
            .as_u64()
            .is_some_and(|s| (1..=3600).contains(&s)),
        "{details}"
    );
}
