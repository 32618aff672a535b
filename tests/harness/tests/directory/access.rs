//! Who reaches a directory: its own tokens, while they work, and nothing else.

use super::*;

#[tokio::test]
async fn a_token_reaches_its_own_directory_and_nothing_else() {
    let db = Stack::load().db().await;
    let ours = Directory::new(&db).await;
    let theirs = Directory::new(&db).await;
    let user = ours.create_user(&unique_email("reach"), None).await;
    let id = user["id"].as_str().unwrap();

    scim_error(
        &ours.call_with(None, "GET", "/Users", None).await,
        401,
        None,
    );
    scim_error(
        &ours
            .call_with(Some("not-a-directory-token"), "GET", "/Users", None)
            .await,
        401,
        None,
    );
    scim_error(
        &ours
            .call_with(
                Some(&format!("scim_{}", "A".repeat(43))),
                "GET",
                "/Users",
                None,
            )
            .await,
        401,
        None,
    );
    assert_eq!(
        ours.call("GET", "/ServiceProviderConfig", None)
            .await
            .status,
        200
    );
    // Another organization's token: its own directory only.
    scim_error(
        &theirs.call("GET", &format!("/Users/{id}"), None).await,
        404,
        None,
    );
    let listed = theirs.call("GET", "/Users", None).await;
    assert_eq!(listed.body["totalResults"], 0);
    // Not a key to anything else: PostgREST refuses it.
    let rest = ours
        .stack
        .select("organizations?select=id", Some(&ours.token))
        .await;
    assert_eq!(rest.status().as_u16(), 401);
}

#[tokio::test]
async fn a_rotation_loses_no_call_and_a_revoked_token_stops_at_once() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let (status, second) = directory
        .stack
        .rpc_answer(
            "create_directory_token",
            &directory.owner.jwt,
            json!({"p_organization_id": directory.org}),
        )
        .await;
    assert_eq!(status, 200);
    let second = second["token"].as_str().unwrap().to_owned();
    assert_eq!(directory.call("GET", "/Users", None).await.status, 200);
    assert_eq!(
        directory
            .call_with(Some(&second), "GET", "/Users", None)
            .await
            .status,
        200
    );
    let (status, _) = directory
        .stack
        .rpc_answer(
            "revoke_directory_token",
            &directory.owner.jwt,
            json!({"p_token_id": directory.token_id}),
        )
        .await;
    assert_eq!(status, 200);
    scim_error(&directory.call("GET", "/Users", None).await, 401, None);
    assert_eq!(
        directory
            .call_with(Some(&second), "GET", "/Users", None)
            .await
            .status,
        200
    );

    // The Team page sees when it was used, never the token.
    let (_, status) = directory
        .stack
        .rpc_answer(
            "directory_status",
            &directory.owner.jwt,
            json!({"p_organization_id": directory.org}),
        )
        .await;
    assert!(status["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t.get("token").is_none()));
    assert!(status["last_used_at"].is_string(), "{status}");
    assert!(!status.to_string().contains(&second));
}

#[tokio::test]
async fn only_managers_of_an_organization_with_the_feature_make_tokens() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = stack
        .organization_with_viewer(&db, "NoDirectory", "enterprise")
        .await;
    let (status, body) = stack
        .rpc_answer(
            "create_directory_token",
            &viewer.jwt,
            json!({"p_organization_id": org}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("not_org_admin"))
    );
    db.execute(
        "update organizations set plan_id = 'growth' where id = $1",
        &[&org],
    )
    .await
    .unwrap();
    let (status, body) = stack
        .rpc_answer(
            "create_directory_token",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("feature_not_enabled"))
    );
}

#[tokio::test]
async fn discovery_says_what_is_supported_as_built() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let config = directory.call("GET", "/ServiceProviderConfig", None).await;
    assert_eq!(config.status, 200);
    assert_eq!(config.content_type, SCIM);
    assert_eq!(config.body["patch"]["supported"], true);
    assert_eq!(config.body["filter"]["supported"], true);
    assert_eq!(config.body["filter"]["maxResults"], 200);
    assert_eq!(config.body["bulk"]["supported"], false);
    assert_eq!(config.body["etag"]["supported"], false);
    assert_eq!(config.body["sort"]["supported"], false);
    let types = directory.call("GET", "/ResourceTypes", None).await;
    assert_eq!(types.body["totalResults"], 2);
    let schemas = directory.call("GET", "/Schemas", None).await;
    let ids: Vec<&str> = schemas.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
        "{ids:?}"
    );
    scim_error(&directory.call("GET", "/Bulk", None).await, 404, None);
}
