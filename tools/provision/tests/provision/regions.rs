//! Where the project goes: the recommended region, the fallback group, a region refused before any call.

use super::*;

#[tokio::test]
async fn without_a_recommendation_the_emea_group_is_used() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    h.api.script(json!({ "regions_unavailable": true })).await;
    let (code, result, output) = h.run(&["--until", "project"], &[]).await;
    assert_eq!(code, 0, "{output}");
    let create = h.api.state().await["create_bodies"][0].clone();
    assert_eq!(
        create["region_selection"],
        json!({"type": "smartGroup", "code": "emea"})
    );
    assert_eq!(
        result["region_selection"],
        json!({"type": "smartGroup", "code": "emea"})
    );

    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let (code, _, output) = h
        .run(&["--until", "project", "--region-group", "apac"], &[])
        .await;
    assert_eq!(code, 0, "{output}");
    let create = h.api.state().await["create_bodies"][0].clone();
    assert_eq!(
        create["region_selection"],
        json!({"type": "smartGroup", "code": "apac"})
    );
}

#[tokio::test]
async fn a_region_that_does_not_exist_is_refused_before_any_call() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    for args in [["--region", "af-south-1"], ["--region-group", "africa"]] {
        let (code, result, output) = h.run(&args, &[]).await;
        assert_eq!(code, 2, "{output}");
        let message = result["error"]["message"].as_str().unwrap();
        assert!(message.contains(args[1]), "{message}");
        assert!(
            message.contains("eu-west-1") || message.contains("americas, emea, apac"),
            "{message}"
        );
    }
    assert_eq!(
        h.api.state().await["requests"],
        0,
        "a call was made before the check"
    );
}
