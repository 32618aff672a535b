//! What each function weighs: module sizes, cold starts, and memory under load.

use super::*;

pub(crate) fn sizes(root: &Path) -> Value {
    let mut out = serde_json::Map::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("functions"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let Some(wasm) = std::fs::read_dir(dir.join("pkg")).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with("_bg.wasm"))
        }) else {
            continue;
        };
        let raw = std::fs::metadata(&wasm).unwrap().len();
        let gzip = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -9c '{}' | wc -c", wasm.display()))
            .output()
            .unwrap();
        let gzip: u64 = String::from_utf8_lossy(&gzip.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        let shim = std::fs::metadata(dir.join("index.ts"))
            .map(|m| m.len())
            .unwrap_or(0);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        out.insert(
            name,
            json!({"wasm_bytes": raw, "wasm_gzip_bytes": gzip, "shim_bytes": shim}),
        );
    }
    json!({ "functions": out, "shared_host_bytes": std::fs::metadata(root.join("functions/_shared/wasm_host.ts")).map(|m| m.len()).unwrap_or(0) })
}

/// Cold start of each function as edge-runtime starts it: a fresh Deno 2.1.4 isolate
/// (local/stack/user-worker.ts) on the function's bundle, from spawning the process to the
/// first response the function itself gives (validate-invite: a real lookup, 200; the
/// others: their own refusal of an unauthenticated call). Ten starts each; the median.
pub(crate) async fn cold_start(stack: &Stack, root: &Path, token: &str) -> Value {
    let probes: [(&str, &str, String); 6] = [
        ("validate-invite", "GET", format!("?token={token}")),
        ("on-signup-create-org", "POST", String::new()),
        ("send-invite-email", "POST", String::new()),
        ("accept-invite", "POST", String::new()),
        ("user-onboarding", "POST", "/request".to_owned()),
        ("deliver-webhooks", "POST", String::new()),
    ];
    let client = reqwest::Client::new();
    let mut out = serde_json::Map::new();
    for (name, method, path) in probes {
        let bundle = stack.dir.join("functions").join(name);
        let mut times = Vec::new();
        for _ in 0..10 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let started = Instant::now();
            let mut child =
                tokio::process::Command::new(root.join("node_modules/deno-edge-runtime/deno"))
                    .args([
                        "run",
                        "--quiet",
                        "--no-lock",
                        "--no-prompt",
                        "--allow-env",
                        "--allow-net",
                    ])
                    .arg(format!("--allow-read={}", bundle.display()))
                    .arg(root.join("local/stack/user-worker.ts"))
                    .arg(name)
                    .arg(&bundle)
                    .arg(format!("supabase/functions/{name}/index.ts"))
                    .arg(port.to_string())
                    .envs(stack.vars.iter())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                    .unwrap();
            let url = format!("http://127.0.0.1:{port}/{name}{path}");
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            loop {
                let answered = client.request(method.clone(), &url).send().await;
                // Only the function's WebAssembly sets x-request-id.
                if answered.is_ok_and(|r| r.headers().contains_key("x-request-id")) {
                    break;
                }
                if started.elapsed() > Duration::from_secs(20) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            child.kill().await.ok();
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let round = |ms: f64| (ms * 10.0).round() / 10.0;
        out.insert(
            name.to_owned(),
            json!({"median_ms": round(times[times.len() / 2]), "min_ms": round(times[0]), "max_ms": round(times[times.len() - 1]), "samples": times.len()}),
        );
    }
    Value::Object(out)
}

/// The gateway's memory, and each function isolate's (its RSS, V8 heap and WebAssembly
/// memory as the isolate reports it).
pub(crate) async fn memory(stack: &Stack) -> Value {
    let stats = stack
        .harness
        .get_json(&format!("{}/_stack/stats", stack.var("SUPABASE_URL")))
        .await;
    let isolates: serde_json::Map<String, Value> = stats["functions"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, usage)| {
            (
                name.clone(),
                json!({"rss_bytes": usage["rss"], "heap_used_bytes": usage["heapUsed"], "wasm_memory_bytes": usage["wasm_memory_bytes"]}),
            )
        })
        .collect();
    json!({"gateway_rss_bytes": stats["gateway_rss_bytes"], "isolates": isolates})
}
