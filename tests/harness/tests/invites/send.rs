//! send-invite-email when Resend rate-limits, refuses, hangs or is down.

use super::*;

#[tokio::test]
async fn resend_rate_limits_are_retried_into_one_email() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let limited = json!({"status": 429, "name": "rate_limit_exceeded", "message": "Too many requests.", "retry_after": 1});
    script_resend(&stack, &invited.email, json!([limited, limited])).await;
    let started = std::time::Instant::now();
    let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["attempts"], 3);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "Retry-After was honoured"
    );
    let (emails, attempts) = mailbox(&stack, &invited.email).await;
    assert_eq!((emails.len(), attempts), (1, 3));
}

#[tokio::test]
async fn resend_refusals_are_reported_recorded_and_not_retried() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    for (status, name) in [(422, "validation_error"), (429, "daily_quota_exceeded")] {
        let invited = create_organization(&stack, &admin, "starter", json!({})).await;
        // Resend's own words, with the address and a key in them, as it may answer.
        let upstream = format!(
            "Refused by the fake for {} (key re_leaked123).",
            invited.email
        );
        script_resend(
            &stack,
            &invited.email,
            json!([{"status": status, "name": name, "message": upstream}]),
        )
        .await;
        let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
        assert_eq!(response.status().as_u16(), 502);
        let text = response.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["error"]["code"], "email_rejected");
        // The caller gets our code and words: none of Resend's text.
        for upstream_text in ["Refused by the fake", "re_leaked123", name] {
            assert!(
                !text.contains(upstream_text),
                "{upstream_text} reached the caller: {text}"
            );
        }
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&status.to_string()));
        let link = body["invite"]["link"].as_str().unwrap();
        assert_eq!(
            validate(&stack, &token_of(link)).await.status().as_u16(),
            200,
            "the link still works"
        );
        let (emails, attempts) = mailbox(&stack, &invited.email).await;
        assert_eq!((emails.len(), attempts), (0, 1), "{name} is not retried");
        // The invite's record (which admins read through the API) says what happened, in
        // our words too.
        let row = invite_row(&db, invited.invite_id).await;
        assert_eq!(row.get::<_, String>(0), "pending");
        let recorded = row.get::<_, Option<String>>(4).unwrap();
        assert!(recorded.contains(&status.to_string()), "{recorded}");
        assert!(!recorded.contains("Refused by the fake"), "{recorded}");
        // The log has Resend's words, with the address and the key redacted.
        let log_path = stack.dir().join("logs/gateway.log");
        let mut log = String::new();
        for _ in 0..50 {
            log = std::fs::read_to_string(&log_path).unwrap();
            if log.contains(&invited.invite_id.to_string()) && log.contains("Refused by the fake") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let line = log
            .lines()
            .rev()
            .find(|line| {
                line.contains("email_not_sent") && line.contains(&invited.invite_id.to_string())
            })
            .expect("the refusal is logged");
        assert!(
            line.contains("Refused by the fake for [address] (key [secret])"),
            "{line}"
        );
        assert!(
            !line.contains(&invited.email) && !line.contains("re_leaked123"),
            "{line}"
        );
    }
}

/// Resend hanging: every attempt runs to its timeout, and still the whole send ends
/// within the documented 10 s budget (the last attempt's own timeout is cut to fit).
#[tokio::test]
async fn resend_hanging_is_given_up_on_within_ten_seconds() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let hang = json!({"status": 503, "name": "internal_server_error", "message": "late", "hang_ms": 30000});
    script_resend(
        &stack,
        &invited.email,
        json!([hang, hang, hang, hang, hang, hang]),
    )
    .await;
    let started = std::time::Instant::now();
    let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
    let took = started.elapsed();
    assert_eq!(error_code(response, 503).await, "email_unavailable");
    // The attempts end within the 10 s budget; recording the failure and answering
    // follow (measured here: 10.0 s in all). Before the fix: 12.7 s.
    assert!(
        took < std::time::Duration::from_millis(11_000),
        "the send took {took:?}, past its 10 s budget"
    );
    assert!(
        mailbox(&stack, &invited.email).await.1 >= 2,
        "it was retried"
    );
}

#[tokio::test]
async fn resend_down_is_a_clear_503_and_nothing_is_lost() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "starter", json!({})).await;
    let down = json!({"status": 503, "name": "internal_server_error", "message": "down"});
    script_resend(
        &stack,
        &invited.email,
        json!([down, down, down, down, down, down]),
    )
    .await;
    let response = send_invite(&stack, &admin.jwt, invited.invite_id).await;
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "email_unavailable");
    let row = invite_row(&db, invited.invite_id).await;
    assert_eq!(row.get::<_, String>(0), "pending");
    assert!(
        row.get::<_, Option<String>>(4).is_some(),
        "the failure is recorded on the invite"
    );
    assert!(
        mailbox(&stack, &invited.email).await.1 >= 2,
        "server errors are retried"
    );
    // Once Resend is back, sending again delivers — here with the secret key, which
    // back-office jobs use instead of an admin's JWT (the gateway turns it into a
    // service-role JWT).
    let response = stack
        .call_function_with_key(
            "send-invite-email",
            stack.secret_key(),
            json!({"invite_id": invited.invite_id}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(mailbox(&stack, &invited.email).await.0.len(), 1);
    assert_eq!(
        invite_row(&db, invited.invite_id)
            .await
            .get::<_, Option<String>>(4),
        None
    );
}
