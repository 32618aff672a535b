//! Enrollment by verified domain: `automatic_invitation` invites confirmed users at the exact
//! hostname (at confirmation, and those already there when it is switched on); the invitee
//! accepts by the invite's id through accept-invite.

use super::*;

#[tokio::test]
async fn a_new_user_at_a_verified_domain_finds_an_invite_and_accepts_it() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Acme", "starter").await;
    let hostname = unique_hostname("acme");
    let domain = verified_domain(&stack, &owner, org, &hostname).await;
    let switched = ok(set_enrollment(
        &stack,
        &owner,
        &domain["id"],
        "automatic_invitation",
        "recruiter",
    )
    .await)
    .await;
    assert_eq!(
        (
            switched["enrollment_mode"].as_str(),
            switched["default_role"].as_str(),
            switched["invited"].as_i64()
        ),
        (Some("automatic_invitation"), Some("recruiter"), Some(0))
    );

    // Signed up, not confirmed: nothing yet.
    let email = format!("new-{}@{hostname}", Uuid::new_v4().simple());
    let id = insert_user(&db, &email, json!({"full_name": "New Hire"})).await;
    let newcomer = User {
        jwt: stack.user_jwt(id, &email),
        id,
        email: email.clone(),
    };
    let pending: i64 = db
        .query_one(
            "select count(*) from onboarding_invites where email = $1",
            &[&email],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(pending, 0, "an unconfirmed address gets no invite");

    // Confirmed: the invite is there, in my_invites with its id.
    db.execute(
        "update auth.users set email_confirmed_at = now() where id = $1",
        &[&id],
    )
    .await
    .unwrap();
    let mine = ok(stack.rpc("my_invites", &newcomer.jwt, json!({})).await).await;
    let invite = &mine.as_array().unwrap()[0];
    assert_eq!(
        (
            invite["organization_id"].as_str(),
            invite["role"].as_str(),
            invite["via"].as_str(),
            invite["hostname"].as_str()
        ),
        (
            Some(org.to_string().as_str()),
            Some("recruiter"),
            Some("domain"),
            Some(hostname.as_str())
        )
    );

    // Someone else cannot accept it by its id; the invitee can, through the gateway.
    let other = user_at(&stack, &db, &hostname).await;
    assert_eq!(
        error_code(
            accept(&stack, &other, json!({"invite_id": invite["id"]})).await,
            403
        )
        .await,
        "invite_wrong_user"
    );
    let (status, accepted) =
        answer(accept(&stack, &newcomer, json!({"invite_id": invite["id"]})).await).await;
    assert_eq!(
        (status, accepted["role"].as_str()),
        (200, Some("recruiter")),
        "{accepted}"
    );
    assert_eq!(role_of(&db, org, id).await.as_deref(), Some("recruiter"));
    assert_eq!(
        joined_via(&db, org, id).await.as_deref(),
        Some("domain_invite")
    );
    // Again: the same membership.
    let (status, again) =
        answer(accept(&stack, &newcomer, json!({"invite_id": invite["id"]})).await).await;
    assert_eq!(
        (status, again["membership_id"].clone()),
        (200, accepted["membership_id"].clone())
    );

    // Another organization cannot verify the same hostname.
    let (rival, rival_org) = stack.organization_on_plan(&db, "Rival", "free").await;
    assert_eq!(
        refused(add_domain(&stack, &rival, rival_org, &hostname).await).await,
        (409, "domain_taken".to_owned())
    );
}

#[tokio::test]
async fn switching_on_invites_the_confirmed_users_already_there_and_only_at_that_hostname() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Existing", "starter").await;
    let hostname = unique_hostname("existing");
    let already = user_at(&stack, &db, &hostname).await;
    let unconfirmed_email = format!("later-{}@{hostname}", Uuid::new_v4().simple());
    insert_user(&db, &unconfirmed_email, json!({})).await;
    let subdomain = user_at(&stack, &db, &format!("eu.{hostname}")).await;
    let member = user_at(&stack, &db, &hostname).await;
    db.execute(
        "insert into organization_members (organization_id, user_id, role) values ($1, $2, 'admin')",
        &[&org, &member.id],
    )
    .await
    .unwrap();

    let domain = verified_domain(&stack, &owner, org, &hostname).await;
    let switched = ok(set_enrollment(
        &stack,
        &owner,
        &domain["id"],
        "automatic_invitation",
        "viewer",
    )
    .await)
    .await;
    assert_eq!(switched["invited"], 1, "{switched}");
    let invited: Vec<String> = first_column(
        &db,
        "select email from onboarding_invites where organization_id = $1 and status = 'pending'",
        &[&org],
    )
    .await;
    assert_eq!(invited, [already.email.to_lowercase()]);
    assert_eq!(
        ok(stack.rpc("my_invites", &subdomain.jwt, json!({})).await).await,
        json!([])
    );

    assert_eq!(role_of(&db, org, member.id).await.as_deref(), Some("admin"));

    // Back to manual: the pending invite is revoked and can no longer be accepted.
    ok(set_enrollment(&stack, &owner, &domain["id"], "manual", "viewer").await).await;
    let invite_id: Uuid = db
        .query_one(
            "select id from onboarding_invites where organization_id = $1 and email = $2",
            &[&org, &already.email.to_lowercase()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        error_code(
            accept(&stack, &already, json!({"invite_id": invite_id})).await,
            410
        )
        .await,
        "invite_revoked"
    );
}

#[tokio::test]
async fn no_invite_past_the_seat_limit_and_none_once_the_domain_is_removed() {
    let stack = Stack::load();
    let db = stack.db().await;
    // Free: 5 seats, the owner holds one.
    let (owner, org) = stack.organization_on_plan(&db, "Small", "free").await;
    let hostname = unique_hostname("small");
    for _ in 0..5 {
        user_at(&stack, &db, &hostname).await;
    }
    let domain = verified_domain(&stack, &owner, org, &hostname).await;
    let switched = ok(set_enrollment(
        &stack,
        &owner,
        &domain["id"],
        "automatic_invitation",
        "viewer",
    )
    .await)
    .await;
    assert_eq!(
        (
            switched["invited"].as_i64(),
            switched["skipped_for_seats"].as_i64()
        ),
        (Some(4), Some(1)),
        "{switched}"
    );
    // At confirmation, no seat: no invite.
    let late = user_at(&stack, &db, &hostname).await;
    assert_eq!(
        ok(stack.rpc("my_invites", &late.jwt, json!({})).await).await,
        json!([])
    );

    // The domain removed: its pending invites are revoked.
    ok(stack
        .rpc(
            "remove_organization_domain",
            &owner.jwt,
            json!({"p_domain_id": domain["id"]}),
        )
        .await)
    .await;
    let pending: i64 = db
        .query_one("select count(*) from onboarding_invites where organization_id = $1 and status = 'pending'", &[&org])
        .await
        .unwrap()
        .get(0);
    assert_eq!(pending, 0);
}

#[tokio::test]
async fn the_default_role_is_never_owner_nor_above_the_callers_own() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Roles", "free").await;
    let admin = user_at(&stack, &db, &unique_hostname("admins")).await;
    db.execute(
        "insert into organization_members (organization_id, user_id, role) values ($1, $2, 'admin')",
        &[&org, &admin.id],
    )
    .await
    .unwrap();
    let domain = verified_domain(&stack, &owner, org, &unique_hostname("roles")).await;
    for (who, role) in [(&owner, "owner"), (&admin, "owner")] {
        assert_eq!(
            refused(set_enrollment(&stack, who, &domain["id"], "automatic_suggestion", role).await)
                .await,
            (403, "role_too_high".to_owned())
        );
    }
    assert_eq!(
        refused(set_enrollment(&stack, &admin, &domain["id"], "sometimes", "viewer").await).await,
        (400, "invalid_enrollment_mode".to_owned())
    );
    let set = ok(set_enrollment(
        &stack,
        &admin,
        &domain["id"],
        "automatic_suggestion",
        "admin",
    )
    .await)
    .await;
    assert_eq!(set["default_role"], "admin");
}
