//! The project step: found or created exactly once, whatever the Management API answers (rate limits, faults, lost answers, interruptions, another organization's project).

use super::*;

#[tokio::test]
async fn an_existing_project_is_reused_and_nothing_is_created() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let secrets_file = h.secrets_file();
    let file = secrets_file.to_str().unwrap();
    assert_eq!(h.run(&["--secrets-file", file], &[]).await.0, 0);
    let started = std::time::Instant::now();
    let (code, result, output) = h.run(&["--secrets-file", file], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(result["created"], false);
    assert_eq!(result["migrations_applied"], json!([]));
    assert_eq!(
        result["secrets_set"],
        json!(["RESEND_API_KEY", "APP_URL"]),
        "generated secrets are not replaced"
    );
    assert_eq!(made(&h).await, (1, 1));
    h.assert_no_secret_in(&output).await;
    // The functions deployed again (an upsert by slug), the same organization and link.
    h.assert_functions_deployed(2).await;
    let first_link = h.assert_first_organization(&result, "growth").await;
    let (_, again, _) = h.run(&["--secrets-file", file], &[]).await;
    assert_eq!(again["invite_link"], first_link, "the invite is reused");
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_within_limits() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.api
        .script(json!({ "failures": [[429, 0], [429, 0], [503, null], [429, 1]] }))
        .await;
    let started = std::time::Instant::now();
    let (code, _, output) = h.run(&[], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was honoured"
    );

    // A storm longer than the retry budget: an API failure, reported with the API's message.
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.api
        .script(json!({ "failures": vec![json!([429, 0]); 20] }))
        .await;
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 3, "{output}");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Too many requests"));
    assert_eq!(made(&h).await.0, 0);
}

#[tokio::test]
async fn init_failed_fails_fast_with_a_clear_message() {
    let h = Harness::new(&["COMING_UP", "INIT_FAILED"]).await;
    let started = std::time::Instant::now();
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 3, "{output}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("INIT_FAILED"));
}

#[tokio::test]
async fn a_lost_create_response_does_not_create_a_second_project() {
    let h = Harness::new(&["COMING_UP", "ACTIVE_HEALTHY"]).await;
    h.api.script(json!({ "lose_create_response": true })).await;
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["project_ref"], h.project_ref);
    assert_eq!(made(&h).await, (1, 1));
}

#[tokio::test]
async fn interrupted_after_the_project_step_resumes_with_one_project() {
    let h = Harness::new(&["COMING_UP", "ACTIVE_HEALTHY"]).await;
    let secrets_file = h.secrets_file();
    let file = secrets_file.to_str().unwrap();
    let (code, result, _) = h
        .run(&["--secrets-file", file, "--until", "project"], &[])
        .await;
    assert_eq!(
        (code, result["completed_steps"].clone()),
        (0, json!(["project"]))
    );
    // Without the first run's secrets file the database password is unknown: said clearly.
    let (code, result, output) = h.run(&[], &[]).await;
    assert_eq!(code, 2, "{output}");
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("database password is unknown"));
    let (code, result, output) = h.run(&["--secrets-file", file], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["created"], false);
    assert_eq!(result["completed_steps"], json!(EVERY_STEP));
    assert_eq!(made(&h).await.1, 1);
    h.assert_no_secret_in(&output).await;
}

#[tokio::test]
async fn a_same_named_project_in_another_organization_is_not_adopted() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let foreign_ref = "otherorgprojectrefxx";
    h.api.script(json!({ "add_project": { "project":
        {"id": foreign_ref, "ref": foreign_ref, "name": format!("client-{}-prod", h.client_id),
         "organization_id": "org-other-999", "organization_slug": "other-org", "region": "us-east-1",
         "created_at": "2026-01-01T00:00:00Z", "status": "ACTIVE_HEALTHY"} } }))
        .await;
    let secrets_file = h.secrets_file();
    for until in ["project", "secrets"] {
        let (code, result, output) = h
            .run(
                &[
                    "--until",
                    until,
                    "--secrets-file",
                    secrets_file.to_str().unwrap(),
                ],
                &[],
            )
            .await;
        assert_eq!(code, 2, "{output}");
        let message = result["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("other-org") && message.contains(ORG_SLUG),
            "{message}"
        );
        assert!(
            !output.contains(&format!("service.{foreign_ref}")),
            "{output}"
        );
    }
    assert!(!secrets_file.exists(), "a secrets file was written");
    for entry in std::fs::read_dir(&h.dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(
            !text.contains("SECRET-KEY"),
            "another organization's key was written"
        );
    }
    assert_eq!(made(&h).await.0, 0);
}

#[tokio::test]
async fn rate_limits_on_create_are_waited_out_in_both_forms() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.api
        .script(json!({ "create_failures": [
            [429, {"seconds": 1}], [429, {"date_in": 3}], [429, {"seconds": 1}],
        ] }))
        .await;
    let (code, result, output) = h.run(&["--until", "project"], &[]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["created"], true);
    assert_eq!(made(&h).await, (1, 1), "one project");
    let times: Vec<u64> = h.api.state().await["create_times_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap())
        .collect();
    let gaps: Vec<u64> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert_eq!(gaps.len(), 3);
    assert!(
        gaps[0] >= 1_000,
        "Retry-After: 1 was not honoured: {gaps:?}"
    );
    // A date three seconds ahead, at a resolution of one second: more than two seconds.
    assert!(
        gaps[1] >= 2_000,
        "Retry-After as a date was not honoured: {gaps:?}"
    );
    assert!(gaps[2] >= 1_000, "{gaps:?}");
}

#[tokio::test]
async fn an_organization_id_alone_is_resolved_to_its_slug_once() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let (code, result, output) = h
        .run(
            &["--until", "project"],
            &[("SUPABASE_ORG_SLUG", ""), ("SUPABASE_ORG_ID", ORG_ID)],
        )
        .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["organization_slug"], ORG_SLUG);
    let state = h.api.state().await;
    let (lookups, slug) = (
        state["organization_lookups"].clone(),
        state["create_bodies"][0]["organization_slug"].clone(),
    );
    assert_eq!(lookups, 1);
    assert_eq!(slug, ORG_SLUG);
    let (code, result, _) = h
        .run(
            &["--until", "project"],
            &[("SUPABASE_ORG_SLUG", ""), ("SUPABASE_ORG_ID", "org-nobody")],
        )
        .await;
    assert_eq!(code, 2);
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("org-nobody"));
}
