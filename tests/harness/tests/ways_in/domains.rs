//! Several verified domains per organization, each with its own state; hostnames nobody may
//! claim; a hostname verified once for one organization only.

use super::*;

#[tokio::test]
async fn each_domain_keeps_its_own_state_and_a_hostname_belongs_to_one_organization() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = stack.organization_with_viewer(&db, "Domains", "free").await;
    let (rival, rival_org) = stack.organization_on_plan(&db, "Rival", "free").await;
    let (first, second) = (unique_hostname("first"), unique_hostname("second"));

    let added = ok(add_domain(&stack, &owner, org, &first.to_uppercase()).await).await;
    assert_eq!(
        (
            added["hostname"].as_str(),
            added["status"].as_str(),
            added["existing"].as_bool()
        ),
        (Some(first.as_str()), Some("unverified"), Some(false))
    );
    assert_eq!(
        added["txt_record"]["name"],
        format!("_onboarding-verification.{first}")
    );
    let again = ok(add_domain(&stack, &owner, org, &first).await).await;
    assert_eq!(
        (again["id"].clone(), again["existing"].as_bool()),
        (added["id"].clone(), Some(true))
    );
    let other = ok(add_domain(&stack, &owner, org, &second).await).await;
    // Both organizations may add a hostname nobody has verified yet.
    let rivals = ok(add_domain(&stack, &rival, rival_org, &second).await).await;

    // Verifying the first leaves the second as it was.
    let verified = verified_domain(&stack, &owner, org, &first).await;
    assert_eq!(verified["id"], added["id"]);
    let states: Vec<(String, bool)> = db
        .query(
            "select hostname, verified_at is not null from organization_domains where organization_id = $1 order by hostname",
            &[&org],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(states, vec![(first.clone(), true), (second.clone(), false)]);

    // The second is verified by this organization first; the rival's check is refused.
    publish(&stack, &other).await;
    assert_eq!(
        verify(&stack, &owner, &other["id"]).await["status"],
        "verified"
    );
    publish(&stack, &rivals).await;
    assert_eq!(
        refused(
            stack
                .rpc(
                    "verify_organization_domain",
                    &rival.jwt,
                    json!({"p_domain_id": rivals["id"]})
                )
                .await
        )
        .await,
        (409, "domain_taken".to_owned())
    );
    assert_eq!(
        refused(add_domain(&stack, &rival, rival_org, &first).await).await,
        (409, "domain_taken".to_owned())
    );

    // Members read their organization's domains; others read none.
    let seen: Value = stack
        .select(
            &format!("organization_domains?organization_id=eq.{org}&select=hostname,verified_at"),
            Some(&viewer.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen.as_array().unwrap().len(), 2, "{seen}");
    let outsider: Value = stack
        .select(
            &format!("organization_domains?organization_id=eq.{org}&select=hostname"),
            Some(&rival.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outsider, json!([]));

    // Removing the second leaves the first verified.
    let removed = ok(stack
        .rpc(
            "remove_organization_domain",
            &owner.jwt,
            json!({"p_domain_id": other["id"]}),
        )
        .await)
    .await;
    assert_eq!(removed["removed"], true);
    let first_state = verify(&stack, &owner, &added["id"]).await;
    assert_eq!(first_state["status"], "verified");
    assert_eq!(
        refused(
            stack
                .rpc(
                    "verify_organization_domain",
                    &owner.jwt,
                    json!({"p_domain_id": other["id"]})
                )
                .await
        )
        .await,
        (404, "domain_not_found".to_owned())
    );
    let actions: Vec<String> = first_column(
        &db,
        "select action from organization_audit_log where organization_id = $1 and action like 'domain.%' order by id",
        &[&org],
    )
    .await;
    assert_eq!(
        actions,
        [
            "domain.added",
            "domain.added",
            "domain.verified",
            "domain.verified",
            "domain.removed"
        ]
    );
}

#[tokio::test]
async fn webmail_public_suffixes_and_bad_hostnames_are_refused() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Refusals", "free").await;
    for hostname in [
        "gmail.com",
        "outlook.com",
        "yahoo.com",
        "proton.me",
        "co.uk",
        "github.io",
        "anything.ck",
    ] {
        assert_eq!(
            refused(add_domain(&stack, &owner, org, hostname).await).await,
            (400, "domain_not_allowed".to_owned()),
            "{hostname}"
        );
    }
    for hostname in ["", "not a host", "-bad-.example.com", "10.0.0.1"] {
        assert_eq!(
            refused(add_domain(&stack, &owner, org, hostname).await).await,
            (400, "invalid_hostname".to_owned()),
            "{hostname:?}"
        );
    }
    // The lists' sources are recorded with the data.
    let sources: Vec<String> = first_column(
        &db,
        "select source || '@' || version from private.domain_lists order by list",
        &[],
    )
    .await;
    assert_eq!(sources, ["npm:free-email-domains@1.12.6", "npm:psl@1.15.0"]);
    let count: i64 = db
        .query_one(
            "select count(*) from organization_domains where organization_id = $1",
            &[&org],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0, "nothing refused was kept");
}

#[tokio::test]
async fn only_owners_and_admins_manage_their_own_domains() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = stack.organization_with_viewer(&db, "Managed", "free").await;
    let (outsider, _) = stack.organization_on_plan(&db, "Elsewhere", "free").await;
    let hostname = unique_hostname("managed");
    assert_eq!(
        refused(add_domain(&stack, &viewer, org, &hostname).await).await,
        (403, "not_org_admin".to_owned())
    );
    assert_eq!(
        refused(add_domain(&stack, &outsider, org, &hostname).await).await,
        (403, "not_member".to_owned())
    );
    let domain = ok(add_domain(&stack, &owner, org, &hostname).await).await;
    for function in ["verify_organization_domain", "remove_organization_domain"] {
        assert_eq!(
            refused(
                stack
                    .rpc(function, &viewer.jwt, json!({"p_domain_id": domain["id"]}))
                    .await
            )
            .await,
            (403, "not_org_admin".to_owned()),
            "{function} as a viewer"
        );
        assert_eq!(
            refused(
                stack
                    .rpc(
                        function,
                        &outsider.jwt,
                        json!({"p_domain_id": domain["id"]})
                    )
                    .await
            )
            .await,
            (404, "domain_not_found".to_owned()),
            "{function} from another organization"
        );
    }
    // Enrollment waits for verification.
    assert_eq!(
        refused(
            set_enrollment(
                &stack,
                &owner,
                &domain["id"],
                "automatic_invitation",
                "viewer"
            )
            .await
        )
        .await,
        (409, "domain_not_verified".to_owned())
    );
    assert_eq!(
        refused(
            set_enrollment(
                &stack,
                &viewer,
                &domain["id"],
                "automatic_invitation",
                "viewer"
            )
            .await
        )
        .await,
        (403, "not_org_admin".to_owned())
    );
    assert_eq!(
        refused(
            set_enrollment(
                &stack,
                &outsider,
                &domain["id"],
                "automatic_invitation",
                "viewer"
            )
            .await
        )
        .await,
        (404, "domain_not_found".to_owned())
    );
}
