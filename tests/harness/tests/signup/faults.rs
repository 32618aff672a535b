//! A panic does not take the function down; one JSON log line per request without email or secret; the scheduled jobs run.

use super::*;

#[tokio::test]
async fn a_panic_does_not_take_the_server_down() {
    let stack = Stack::load();
    let probe = stack.function_url("panic-probe");
    let anon = stack.publishable_key().to_owned();
    let call = |mode: &'static str| {
        stack
            .http
            .post(&probe)
            .header("apikey", &anon)
            .header("x-probe", mode)
            .send()
    };
    for mode in ["panic-later", "panic-now"] {
        // A slow request in flight on the same instance when it panics.
        let (slow, panicked) = tokio::join!(call("slow"), async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            call(mode).await
        });
        assert_eq!(error_code(panicked.unwrap(), 500).await, "internal_error");
        let slow = slow.unwrap();
        assert!(
            matches!(slow.status().as_u16(), 200 | 500),
            "{}",
            slow.status()
        );
        // The probe has a fresh instance, and the real function is untouched.
        let after = call("ok").await.unwrap();
        assert_eq!(after.status().as_u16(), 200);
        assert_eq!(after.json::<Value>().await.unwrap()["ok"], true);
    }
    let db = stack.db().await;
    let email = unique_email("afterpanic");
    let user_id = insert_user(&db, &email, json!({})).await;
    assert_eq!(wait_for_signup(&db, user_id).await, (1, 1, 1));

    // Past its memory limit (300 MB of WebAssembly memory held in a 256 MB isolate): the
    // requests in flight on that isolate get a JSON 546, it is restarted, and another
    // function answering meanwhile is not affected. (Here, not in a test of its own: it
    // restarts the probe, which the panics above must not see.)
    let unknown_invite = stack.function_url(&format!("validate-invite?token={}", "A".repeat(43)));
    let (hog, slow, other) = tokio::join!(
        call("allocate"),
        async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            call("slow").await
        },
        async {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            stack.http.get(&unknown_invite).send().await
        }
    );
    assert_eq!(error_code(hog.unwrap(), 546).await, "worker_limit");
    let slow = slow.unwrap();
    assert!(
        matches!(slow.status().as_u16(), 200 | 546),
        "{}",
        slow.status()
    );
    assert_eq!(error_code(other.unwrap(), 404).await, "invite_not_found");
    let after = call("ok").await.unwrap();
    assert_eq!(after.status().as_u16(), 200, "the probe was not restarted");

    // CPU time per request is measured from outside the isolate and logged when it is
    // worth a look (over 10% of edge-runtime's 2 s budget).
    assert_eq!(call("spin").await.unwrap().status().as_u16(), 200);
    let log = stack.dir().join("logs/gateway.log");
    let logged = std::fs::read_to_string(log).unwrap().lines().any(|line| {
        let event: Value = serde_json::from_str(line).unwrap_or_default();
        event["event"] == "cpu_time"
            && event["function"] == "panic-probe"
            && event["cpu_ms"].as_u64().is_some_and(|ms| ms >= 200)
    });
    assert!(logged, "no cpu_time line for the spin in the gateway log");
}

#[tokio::test]
async fn each_request_logs_one_json_line_without_email_or_secret() {
    let stack = Stack::load();
    let email = unique_email("logged");
    let user_id = insert_user_without_webhook(&stack, &email, json!({})).await;
    let request_id = format!("test-{}", Uuid::new_v4().simple());
    let response = stack
        .http
        .post(stack.function_url(FUNCTION))
        .bearer_auth(stack.var("ONBOARDING_WEBHOOK_SECRET"))
        .header("x-request-id", &request_id)
        .json(&webhook_payload(user_id, &email, json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap(),
        request_id
    );

    let log_path = stack.dir().join("logs/gateway.log");
    let mut line = None;
    for _ in 0..50 {
        let log = std::fs::read_to_string(&log_path).unwrap();
        line = log
            .lines()
            .find(|l| l.contains(&request_id))
            .map(str::to_owned);
        if line.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let entry: Value = serde_json::from_str(&line.expect("no log line for the request")).unwrap();
    assert_eq!(entry["function"], FUNCTION);
    assert_eq!(entry["status"], 200);
    assert!(entry["duration_ms"].as_f64().unwrap() >= 0.0);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(!log.contains(&email), "an email reached the log");
    assert!(
        !log.contains(stack.var("ONBOARDING_WEBHOOK_SECRET")),
        "the webhook secret reached the log"
    );
    assert!(
        !log.contains(stack.secret_key()),
        "the service key reached the log"
    );
}

/// The migration schedules the reconcile job; the local stack runs `cron.job` entries
/// on their schedule as pg_cron would.
#[tokio::test]
async fn scheduled_jobs_run_on_the_local_stack() {
    let stack = Stack::load();
    let db = stack.db().await;
    let command: String = db
        .query_one(
            "select command from cron.job where jobname = 'reconcile-signups'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(command, "select public.reconcile_signups()");

    let user_id = insert_user_without_webhook(&stack, &unique_email("cron"), json!({})).await;
    let job = format!("test-{}", Uuid::new_v4().simple());
    let mark = format!(
        "update auth.users set raw_app_meta_data = raw_app_meta_data || '{{\"cron\": true}}' where id = '{user_id}'"
    );
    db.execute("select cron.schedule($1, '1 seconds', $2)", &[&job, &mark])
        .await
        .unwrap();
    let mut ran = false;
    for _ in 0..60 {
        let row = db
            .query_one(
                "select raw_app_meta_data ? 'cron' from auth.users where id = $1",
                &[&user_id],
            )
            .await
            .unwrap();
        if row.get::<_, bool>(0) {
            ran = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    db.execute("select cron.unschedule($1)", &[&job])
        .await
        .unwrap();
    assert!(ran, "a job scheduled every second did not run within 6 s");
}

/// A method the gateway cannot forward is a 405 with what is served, never reported as the
/// function crashing.
#[tokio::test]
async fn methods_nothing_serves_are_405_not_crashes() {
    let stack = Stack::load();
    for url in [stack.function_url(FUNCTION), stack.rest_url("plans")] {
        let response = stack
            .http
            .request(reqwest::Method::TRACE, &url)
            .header("apikey", stack.publishable_key())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{url}");
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        assert!(allow.contains("POST") && allow.contains("GET"), "{allow}");
        assert_eq!(error_code(response, 405).await, "method_not_allowed");
    }
}

/// Every method (standard, WebDAV, made up) on every function and some odd paths, with and
/// without a key, a body or none: a refusal is a 4xx, never a 5xx that would read as the
/// function crashing. Sent as raw HTTP/1.1, so that methods a client library will not send
/// (CONNECT with a path, TRACK, lowercase) reach the gateway as a browser or a scanner
/// would send them.
#[tokio::test]
async fn no_method_or_path_makes_a_function_answer_5xx() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stack = Stack::load();
    let base = reqwest::Url::parse(&stack.function_url("x")).unwrap();
    let address = format!(
        "{}:{}",
        base.host_str().unwrap(),
        base.port_or_known_default().unwrap()
    );
    let functions: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../functions"))
            .unwrap()
            .flatten()
            .filter(|entry| entry.path().join("Cargo.toml").exists())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
    assert!(functions.len() >= 7, "{functions:?}");
    let methods = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "TRACK",
        "PROPFIND", "MKCOL", "QUERY", "BREW", "get",
    ];
    let paths = [
        "",
        "/",
        "/request",
        "/callback/x",
        "/%2e%2e/x",
        "//",
        "/a/b?x=%ff",
    ];
    let mut targets: Vec<String> = functions
        .iter()
        .flat_map(|function| paths.map(|path| format!("/functions/v1/{function}{path}")))
        .collect();
    // The gateway's other surfaces: PostgREST, Auth, the inbox, the web app.
    targets.extend(
        [
            "/rest/v1/plans",
            "/rest/v1/rpc/my_invites",
            "/rest/v1/",
            "/auth/v1/user",
            "/auth/v1/token?grant_type=password",
            "/auth/v1/factors",
            "/_inbox",
            "/",
            "/functions/v1/",
        ]
        .map(String::from),
    );
    let key = stack.publishable_key().to_owned();
    let mut failures = Vec::new();
    let mut sent = 0;
    for target in &targets {
        for method in methods {
            for (with_key, body) in [(false, ""), (true, ""), (true, "{\"x\":")] {
                let mut request = format!(
                    "{method} {target} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n"
                );
                if with_key {
                    request.push_str(&format!("apikey: {key}\r\n"));
                }
                request.push_str(&format!(
                    "content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                ));
                let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
                socket.write_all(request.as_bytes()).await.unwrap();
                let mut answer = Vec::new();
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    socket.read_to_end(&mut answer),
                )
                .await;
                let answer = String::from_utf8_lossy(&answer);
                let status = answer
                    .split_whitespace()
                    .nth(1)
                    .and_then(|code| code.parse::<u16>().ok());
                sent += 1;
                if !matches!(status, Some(100..=499)) {
                    failures.push(format!(
                        "{method} {target} key={with_key} body={body:?}: {}",
                        answer.lines().next().unwrap_or("no answer")
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent}: {failures:#?}",
        failures.len()
    );
}
