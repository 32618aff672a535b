//! The resend cooldown and the hourly limit hold under concurrency: decided in the database
//! before any email leaves.

use super::*;
use futures_util::future::join_all;

#[tokio::test]
async fn fifty_concurrent_sends_of_one_invite_send_exactly_one_email() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let answers = join_all((0..50).map(|_| async {
        let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or_default();
        (status, body)
    }))
    .await;
    let sent = answers.iter().filter(|(status, _)| *status == 200).count();
    let limited: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 429)
        .map(|(_, body)| body)
        .collect();
    assert_eq!((sent, limited.len()), (1, 49), "{answers:?}");
    for body in &limited {
        assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        let seconds = body["error"]["retry_after"].as_u64();
        assert!(seconds.is_some_and(|s| (1..=60).contains(&s)), "{body}");
    }
    let (emails, _) = mailbox(&stack, &invited.email).await;
    assert_eq!(emails.len(), 1, "Resend received exactly one email");
}

#[tokio::test]
async fn the_hourly_limit_holds_at_its_edge_under_concurrency() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "enterprise", json!({})).await;
    let org = invited.organization_id;
    // 49 sends this hour already: one more may go.
    db.execute(
        "insert into organization_audit_log (organization_id, action) select $1, 'invite.sent' from generate_series(1, 49)",
        &[&org],
    )
    .await
    .unwrap();
    let mut invites = Vec::new();
    for _ in 0..5 {
        invites.push(create_invite_for(&db, org).await);
    }
    let statuses: Vec<u16> = join_all(
        invites
            .iter()
            .map(|id| async { send_invite(&stack, &admin.jwt, *id).await.status().as_u16() }),
    )
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        4,
        "{statuses:?}"
    );
}
