//! The client's first owner: invited once through Resend, the same link on a rerun.

use super::*;

#[tokio::test]
async fn the_owner_invite_is_sent_once_through_resend_and_a_rerun_hands_over_the_same_link() {
    let h = Harness::new(&["ACTIVE_HEALTHY"]).await;
    // The one Resend fake, accepting the run's key.
    let resend = LocalFake::start_fake(
        "resend",
        "FAKE_RESEND_PORT",
        &[("FAKE_RESEND_API_KEY", RESEND_KEY)],
    )
    .await;
    let env = [
        ("RESEND_API_URL", resend.url.clone()),
        (
            "INVITE_EMAIL_FROM",
            "Acme <onboarding@acme.test>".to_owned(),
        ),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let file = h.secrets_file();
    let file = file.to_str().unwrap();
    let (code, result, output) = h
        .run(&["--secrets-file", file, "--tier", "enterprise"], &env)
        .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(result["invite_email"], "sent");
    let link = h.assert_first_organization(&result, "enterprise").await;
    let received = || async {
        resend
            .http
            .get(format!("{}/_fake/emails?to=ops@acme.test", resend.url))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let sent = received().await;
    assert_eq!(sent["emails"].as_array().unwrap().len(), 1);
    let email = &sent["emails"][0];
    assert_eq!(email["to"], json!(["ops@acme.test"]));
    assert!(email["html"].as_str().unwrap().contains(&link));
    assert!(email["idempotency_key"].is_string());

    let (code, again, output) = h
        .run(&["--secrets-file", file, "--tier", "enterprise"], &env)
        .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        (
            again["invite_email"].as_str(),
            again["invite_link"].as_str()
        ),
        (Some("already_sent"), Some(link.as_str()))
    );
    assert_eq!(received().await["attempts"], 1, "sent once");
}
