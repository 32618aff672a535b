//! Concurrent changes keep the invariants (one owner at least, limits, one membership).

use super::*;

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

/// The lock that serialises an organization's seat checks and member changes holds off
/// only those: while one is in flight, a row that merely references the organization (the
/// audit row every member's action writes, a new invitation) goes in at once, and the next
/// seat check waits its turn.
#[tokio::test]
async fn an_organization_lock_holds_off_its_peers_not_the_members_work() {
    let stack = Stack::load();
    let db = stack.db().await;
    let owner = user(&stack, &db, "busy-owner").await;
    let org = new_organization(&stack, &owner, "Busy Co").await;

    let mut holder = stack.db().await;
    let in_flight = holder.transaction().await.unwrap();
    in_flight
        .query_one("select private.seat_available($1)", &[&org])
        .await
        .unwrap();

    let other = stack.db().await;
    other
        .batch_execute("set lock_timeout = '2s'")
        .await
        .unwrap();
    other
        .execute(
            "insert into organization_audit_log (organization_id, action) values ($1, 'member.role_changed')",
            &[&org],
        )
        .await
        .expect("an audit row of the organization goes in while a seat check is in flight");
    other
        .batch_execute("set lock_timeout = '300ms'")
        .await
        .unwrap();
    let waited = other
        .query_one("select private.seat_available($1)", &[&org])
        .await
        .expect_err("a second seat check waits for the first");
    assert_eq!(
        waited.code(),
        Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE),
        "{waited}"
    );
    in_flight.rollback().await.unwrap();
}
