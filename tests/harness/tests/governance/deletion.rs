//! Deleting an organization: scheduled (everyone loses access at once), cancelled (all back),
//! purged after the grace period (no row of it left anywhere, nothing else touched).

use super::*;

async fn schedule(stack: &Stack, who: &User, org: Uuid, slug: &str) -> reqwest::Response {
    rpc(
        stack,
        who,
        "request_organization_deletion",
        json!({"p_organization_id": org, "p_confirm_slug": slug}),
    )
    .await
}

async fn slug_of(db: &Client, org: Uuid) -> String {
    db.query_one("select slug from organizations where id = $1", &[&org])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn scheduled_members_see_nothing_cancelled_everything_is_back() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Leaving", "growth").await;
    let admin = member(&stack, &db, org, "admin").await;
    let slug = slug_of(&db, org).await;
    ok(rpc(&stack, &owner, "create_webhook_endpoint",
           json!({"p_organization_id": org, "p_url": "https://hooks.leaving.example.com/in", "p_events": ["organization.deletion_scheduled"]})).await).await;

    assert_eq!(
        refused(schedule(&stack, &admin, org, &slug).await).await,
        (403, "not_owner".to_owned())
    );
    assert_eq!(
        refused(schedule(&stack, &owner, org, "not-the-slug").await).await,
        (400, "confirmation_mismatch".to_owned())
    );
    assert_eq!(
        refused(
            rpc(
                &stack,
                &owner,
                "cancel_organization_deletion",
                json!({"p_organization_id": org})
            )
            .await
        )
        .await,
        (409, "deletion_not_scheduled".to_owned())
    );
    let scheduled = ok(schedule(&stack, &owner, org, &slug).await).await;
    assert_eq!(scheduled["status"], "deletion_scheduled");
    let again = ok(schedule(&stack, &owner, org, &slug).await).await;
    assert_eq!(
        again["purge_after"], scheduled["purge_after"],
        "the same answer again"
    );

    for who in [&owner, &admin] {
        let rows: Value = stack
            .select(
                &format!("organizations?id=eq.{org}&select=id"),
                Some(&who.jwt),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rows, json!([]));
        assert_eq!(
            refused(
                rpc(
                    &stack,
                    who,
                    "list_members",
                    json!({"p_organization_id": org})
                )
                .await
            )
            .await,
            (410, "organization_deletion_scheduled".to_owned())
        );
    }
    let mine = ok(rpc(&stack, &owner, "my_organizations", json!({})).await).await;
    let entry = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["organization_id"] == org.to_string())
        .unwrap();
    assert_eq!(
        (entry["status"].as_str(), entry["purge_after"].clone()),
        (Some("deletion_scheduled"), scheduled["purge_after"].clone())
    );
    let events: Vec<String> = first_column(
        &db,
        "select event_type from webhook_messages where organization_id = $1",
        &[&org],
    )
    .await;
    assert_eq!(events, ["organization.deletion_scheduled"]);

    assert_eq!(
        refused(
            rpc(
                &stack,
                &admin,
                "cancel_organization_deletion",
                json!({"p_organization_id": org})
            )
            .await
        )
        .await,
        (403, "not_owner".to_owned())
    );
    let cancelled = ok(rpc(
        &stack,
        &owner,
        "cancel_organization_deletion",
        json!({"p_organization_id": org}),
    )
    .await)
    .await;
    assert_eq!(cancelled["status"], "active");
    let members = ok(rpc(
        &stack,
        &admin,
        "list_members",
        json!({"p_organization_id": org}),
    )
    .await)
    .await;
    assert_eq!(members.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_purge_leaves_no_row_of_the_organization_and_touches_nothing_else() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack
        .organization_on_plan(&db, "Purged", "enterprise")
        .await;
    let filled = fill_every_table(&stack, &db, &owner, org).await;
    let (other_owner, other) = stack.organization_on_plan(&db, "Stays", "enterprise").await;
    let other_filled = fill_every_table(&stack, &db, &other_owner, other).await;
    // The owner belongs to the other organization too: that membership stays.
    db.execute("insert into organization_members (organization_id, user_id, role) values ($1, $2, 'viewer')", &[&other, &owner.id])
        .await
        .unwrap();

    // Delivery attempts happen in the background, and a profile points at its user's active
    // organization (moved elsewhere by the purge): both are left out of the comparisons.
    let stable = |rows: Vec<(String, i64)>| -> Vec<(String, i64)> {
        rows.into_iter()
            .filter(|(table, _)| table != "public.webhook_deliveries" && table != "public.profiles")
            .collect()
    };
    let before = stable(rows_of(&db, org, filled.endpoint_id).await);
    for (table, n) in &before {
        assert!(*n > 0, "the test fills {table}");
    }
    let other_before = stable(rows_of(&db, other, other_filled.endpoint_id).await);

    let slug = slug_of(&db, org).await;
    ok(schedule(&stack, &owner, org, &slug).await).await;
    let not_yet: i32 = db
        .query_one(
            "select private.purge_deleted_organizations(now() + interval '29 days')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(not_yet, 0, "not before the grace period is over");
    let purged: i32 = db
        .query_one(
            "select private.purge_deleted_organizations(now() + interval '31 days')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(purged >= 1);

    let after = rows_of(&db, org, filled.endpoint_id).await;
    assert!(after.iter().all(|(_, n)| *n == 0), "rows left: {after:?}");
    assert_eq!(
        stable(rows_of(&db, other, other_filled.endpoint_id).await),
        other_before,
        "the other organization is untouched"
    );
    // The users stay, with their other memberships (their signup workspace, the other
    // organization); a tombstone says what was deleted.
    let others: Vec<Uuid> = first_column(
        &db,
        "select organization_id from organization_members where user_id = $1",
        &[&owner.id],
    )
    .await;
    assert!(
        others.contains(&other) && !others.contains(&org),
        "{others:?}"
    );
    let users: i64 = db
        .query_one(
            "select count(*) from auth.users where id = $1",
            &[&owner.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(users, 1);
    let row = db
        .query_one(
            "select slug, deletion_requested_by from private.deleted_organizations where id = $1",
            &[&org],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, Option<Uuid>>(1)),
        (slug, Some(owner.id))
    );
}
