//! What is refused before any call: a missing variable, an unknown tier, an unbuilt function.

use super::*;

#[tokio::test]
async fn a_missing_variable_is_named_before_any_call() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let (code, result, _) = h
        .run(&[], &[("SUPABASE_ORG_SLUG", ""), ("SUPABASE_ORG_ID", "")])
        .await;
    assert_eq!(code, 2);
    let message = result["error"]["message"].as_str().unwrap();
    assert!(message.contains("SUPABASE_ORG_SLUG") && message.contains("SUPABASE_ORG_ID"));
    assert_eq!(h.api.state().await["requests"], 0);
}

#[tokio::test]
async fn an_unknown_tier_or_an_unbuilt_function_is_refused_before_any_call() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    let (code, result, _) = h.run(&["--tier", "platinum"], &[]).await;
    assert_eq!(code, 2);
    assert!(result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown tier platinum"));
    let empty = h.dir.join("empty-project");
    std::fs::create_dir_all(empty.join("supabase")).unwrap();
    std::fs::write(
        empty.join("supabase/config.toml"),
        "[functions.hello]\nentrypoint = \"./functions/hello/index.ts\"\nstatic_files = [\"./functions/hello/pkg/*.wasm\"]\n",
    )
    .unwrap();
    let (code, result, _) = h
        .run(&["--project-dir", empty.to_str().unwrap()], &[])
        .await;
    assert_eq!(code, 2);
    assert!(
        result["error"]["message"]
            .as_str()
            .unwrap()
            .contains("make build"),
        "{result}"
    );
    assert_eq!(h.api.state().await["requests"], 0, "no call was made");
}
