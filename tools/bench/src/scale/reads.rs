//! The reads a signed-in member makes on every page, and the ways in that only read and
//! write a row or two: the same call again and again, as a person clicks.

use super::*;

/// A confirmed user of the step's own, signed in, a member of one workspace.
pub(super) async fn member_of_one(db: &Client, stack: &Stack, run: &str) -> (Uuid, String) {
    let row = db
        .query_one(
            "select u.id, u.email from auth.users u join public.organizations o on o.signup_user_id = u.id
             where u.email like 'user1-' || $1 || '@%'",
            &[&run],
        )
        .await
        .unwrap();
    let (id, email): (Uuid, String) = (row.get(0), row.get(1));
    (id, stack.user_jwt(id, &email))
}

/// The everyday paths at this step, and the workspace of the member they read as.
pub(super) async fn paths(
    stack: &Stack,
    db: &Client,
    run: &str,
    teams: &[Uuid],
) -> (Vec<Path>, Uuid) {
    let rest = |path: &str| format!("{}/rest/v1/{path}", stack.var("SUPABASE_URL"));
    let (member, member_jwt) = member_of_one(db, stack, run).await;
    let workspace: Uuid = db
        .query_one(
            "select id from public.organizations where signup_user_id = $1",
            &[&member],
        )
        .await
        .unwrap()
        .get(0);
    let big = teams[2];
    let owner_jwt = owner_jwt(stack, db, big).await;
    // Someone at a verified domain that suggests itself.
    let suggested: (Uuid, String) = {
        let row = db
            .query_one(
                "insert into auth.users (email, email_confirmed_at)
                 select 'asker-' || substr(md5(random()::text), 1, 8) || '@' || hostname, now()
                 from public.organization_domains where hostname = 'v1-' || $1 || '.scale.test'
                 returning id, email",
                &[&run],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let suggested_jwt = stack.user_jwt(suggested.0, &suggested.1);
    // An invitation with a token a browser opens.
    let token = new_token();
    db.execute(
        "update public.onboarding_invites set token_hash = $1
         where id = (select id from public.onboarding_invites where organization_id = $2 and status = 'pending' limit 1)",
        &[&sha256_hex(&token), &big],
    )
    .await
    .unwrap();
    let get = |url: String, jwt: &str| Call {
        url,
        caller: Caller::Bearer(jwt.to_owned()),
        body: Value::Null,
        expect: 200,
    };
    let post = |url: String, jwt: &str, body: Value| Call {
        url,
        caller: Caller::Bearer(jwt.to_owned()),
        body,
        expect: 200,
    };
    // Enrollment by domain, on the member's own workspace (on a plan without a seat limit,
    // so that every confirmation can be invited): a verified domain switched to automatic
    // invitation (again and again), and one suggesting itself to confirmed users who each
    // ask to join once.
    db.execute(
        "update public.organizations set plan_id = 'enterprise' where id = $1",
        &[&workspace],
    )
    .await
    .unwrap();
    let enroll_domain = verified_domain(
        db,
        workspace,
        &format!("enroll-{run}-{}", Uuid::new_v4().simple()),
        "manual",
    )
    .await;
    let ask_host = format!("ask-{run}-{}", Uuid::new_v4().simple());
    verified_domain(db, workspace, &ask_host, "automatic_suggestion").await;
    let askers = confirmed_users_at(db, &format!("{ask_host}.scale.test"), WARM_UP + CALLS).await;
    let asks = askers
        .iter()
        .map(|(id, email)| {
            post(
                stack.rpc("request_to_join"),
                &stack.user_jwt(*id, email),
                json!({"p_organization_id": workspace}),
            )
        })
        .collect();
    let paths = vec![
        Path::repeated("organizations (rest)", get(rest("organizations?select=id,name"), &member_jwt)),
        Path::repeated("my_organizations", post(stack.rpc("my_organizations"), &member_jwt, json!({}))),
        Path::repeated("authorize", post(stack.rpc("authorize"), &member_jwt,
            json!({"p_organization_id": workspace, "p_permission": "org:members:read"}))),
        Path::repeated("team: list_members", post(stack.rpc("list_members"), &owner_jwt, json!({"p_organization_id": big}))),
        Path::repeated("team: invites (rest)", get(rest(&format!(
            "onboarding_invites?select=id,email,status&organization_id=eq.{big}&order=created_at.desc&limit=20")), &owner_jwt)),
        Path::repeated("team: list_invite_links", post(stack.rpc("list_invite_links"), &owner_jwt, json!({"p_organization_id": big}))),
        Path::repeated("team: list_join_requests", post(stack.rpc("list_join_requests"), &owner_jwt, json!({"p_organization_id": big}))),
        Path::repeated("team: audit page (rest)", get(rest(&format!(
            "organization_audit_log?select=id,action,at&organization_id=eq.{big}&order=id.desc&limit=21")), &owner_jwt)),
        Path::repeated("my_suggestions", post(stack.rpc("my_suggestions"), &suggested_jwt, json!({}))),
        Path::each("request_to_join", asks),
        Path::repeated("domain to automatic invitation", post(stack.rpc("set_domain_enrollment"), &member_jwt,
            json!({"p_domain_id": enroll_domain, "p_mode": "automatic_invitation", "p_default_role": "viewer"}))),
        Path::repeated("validate-invite", Call { url: format!("{}?token={token}", stack.function("validate-invite")),
            caller: Caller::Browser, body: Value::Null, expect: 200 }),
    ];
    (paths, workspace)
}
