//! The running stack the benchmark drives, and the load generator: prepared calls at
//! a concurrency, their latency, status and database round trips.

use super::*;

pub(crate) const CONCURRENCY: [usize; 3] = [1, 8, 32];

pub(crate) fn ops_for(concurrency: usize) -> usize {
    let scale: usize = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    (match concurrency {
        1 => 300,
        8 => 1_500,
        _ => 3_000,
    }) * scale
        / 100
}

/// The running stack (the shared test harness), with what the benchmark keeps open: one
/// database connection (the superuser's, for fixtures), a pooled HTTP client, and the stack's directory for its logs.
pub(crate) struct Stack {
    pub(crate) harness: test_harness::Stack,
    pub(crate) vars: HashMap<String, String>,
    pub(crate) dir: PathBuf,
    pub(crate) db: Client,
    pub(crate) http: reqwest::Client,
}

impl Stack {
    pub(crate) fn var(&self, name: &str) -> String {
        self.harness.var(name).to_owned()
    }
    pub(crate) fn function(&self, name: &str) -> String {
        self.harness.function_url(name)
    }
    /// The RPC as a client calls it: through the gateway to PostgREST, so that the direct
    /// path and a function's path differ by exactly the function (its hop through the
    /// gateway, its isolate, its own call back through the gateway).
    pub(crate) fn rpc(&self, name: &str) -> String {
        format!("{}/rest/v1/rpc/{name}", self.var("SUPABASE_URL"))
    }
    pub(crate) fn keys(&self) -> ApiKeys {
        ApiKeys {
            publishable: self.var("SUPABASE_PUBLISHABLE_KEY"),
            secret: self.var("SUPABASE_SECRET_KEY"),
        }
    }
    pub(crate) fn user_jwt(&self, id: Uuid, email: &str) -> String {
        self.harness.user_jwt(id, email)
    }
    /// Requests PostgREST has logged so far (its log level is `info` in the bench stack).
    pub(crate) fn postgrest_requests(&self) -> usize {
        std::fs::read_to_string(self.dir.join("logs/postgrest.log"))
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("\" HTTP/1.1\"") || line.contains(" HTTP/1.1\" "))
            .count()
    }
}

/// Who a prepared call presents itself as, and so which headers it carries.
#[derive(Clone)]
pub(crate) enum Caller {
    /// A token of its own as the bearer — a user's JWT, the webhook secret, Make's
    /// token — with the project's publishable key as `apikey`.
    Bearer(String),
    /// A browser before sign-in: the publishable key, nothing of its own.
    Browser,
    /// A server acting as the service role: the project's secret key (not the legacy
    /// service-role JWT, which a project may have switched off, as the bench's stack has).
    Server,
}

/// The project's API keys, as a caller holds them.
#[derive(Clone)]
pub(crate) struct ApiKeys {
    pub(crate) publishable: String,
    pub(crate) secret: String,
}

/// One prepared request and the status that means success. A call without a body
/// (`Value::Null`) is a GET: a read through /rest/v1, or a link a browser opens.
#[derive(Clone)]
pub(crate) struct Call {
    pub(crate) url: String,
    pub(crate) caller: Caller,
    pub(crate) body: Value,
    pub(crate) expect: u16,
}

impl Call {
    /// The request as supabase-js sends it: the key as `apikey`, and as the bearer unless
    /// the caller has a token of its own; the body as JSON.
    pub(crate) fn request(
        &self,
        http: &reqwest::Client,
        keys: &ApiKeys,
    ) -> reqwest::RequestBuilder {
        let (apikey, bearer) = match &self.caller {
            Caller::Bearer(token) => (&keys.publishable, token),
            Caller::Browser => (&keys.publishable, &keys.publishable),
            Caller::Server => (&keys.secret, &keys.secret),
        };
        let request = if self.body.is_null() {
            http.get(&self.url)
        } else {
            http.post(&self.url).json(&self.body)
        };
        request.bearer_auth(bearer).header("apikey", apikey)
    }
}

/// The value at quantile `p` of sorted values (0 when there are none).
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Run {
    pub(crate) scenario: String,
    pub(crate) variant: String,
    pub(crate) concurrency: usize,
    pub(crate) ops: usize,
    pub(crate) rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) errors: usize,
    pub(crate) round_trips_per_op: f64,
    /// CPU milliseconds per request of each process group, and their `total`.
    pub(crate) cpu_ms_per_op: std::collections::BTreeMap<String, f64>,
}

/// Lets what came before settle before a run is timed: the WAL of its fixtures
/// checkpointed now (not written out during the run), and the database quiet — no
/// autovacuum worker, no webhook delivery queued, no other statement running, twice in a
/// row half a second apart (a delivery taken off the queue is still being served) — as
/// PostgreSQL's CPU per request counts every backend, and the fixtures' cost is not the
/// path's. Waited for at most a minute. `onboarding_too`: and no Telegram onboarding left for
/// the dispatcher to send to Make (the scale scenario, whose paths run one after another).
pub(crate) async fn settle(db: &Client, onboarding_too: bool) {
    db.batch_execute("checkpoint").await.unwrap();
    let mut quiet = 0;
    for _ in 0..120 {
        let busy: i64 = db
            .query_one(
                "select (select count(*) from pg_stat_activity
                         where pid <> pg_backend_pid()
                           and (backend_type = 'autovacuum worker' or state = 'active' and backend_type = 'client backend'))
                      + (select count(*) from net.http_request_queue)
                      + case when $1 then (select count(*) from public.onboarding_outbox where status = 'pending') else 0 end",
                &[&onboarding_too],
            )
            .await
            .unwrap()
            .get(0);
        quiet = if busy == 0 { quiet + 1 } else { 0 };
        if quiet == 2 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub(crate) async fn load(
    stack: &Stack,
    scenario: &str,
    variant: &str,
    concurrency: usize,
    calls: Vec<Call>,
) -> Run {
    settle(&stack.db, false).await;
    let before = stack.postgrest_requests();
    let calls = Arc::new(calls);
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = crate::cpu::snapshot(&stack.dir);
    let started = Instant::now();
    let keys = stack.keys();
    let workers = (0..concurrency).map(|_| {
        let (calls, next, http) = (calls.clone(), next.clone(), stack.http.clone());
        let keys = keys.clone();
        async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(call) = calls.get(index) else { break };
                let sent = Instant::now();
                let response = call.request(&http, &keys).send().await;
                let ok = match response {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status == call.expect
                    }
                    Err(_) => false,
                };
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                errors += usize::from(!ok);
            }
            (latencies, errors)
        }
    });
    let results = join_all(workers).await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_after = crate::cpu::snapshot(&stack.dir);
    // PostgREST writes its log line as it answers; give the last lines a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = stack.postgrest_requests();
    let mut latencies: Vec<f64> = results
        .iter()
        .flat_map(|(l, _)| l.iter().copied())
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let percentile = |p: f64| percentile(&latencies, p);
    let ops = calls.len();
    Run {
        scenario: scenario.into(),
        variant: variant.into(),
        concurrency,
        ops,
        rps: (ops as f64 / elapsed * 10.0).round() / 10.0,
        p50_ms: (percentile(0.50) * 100.0).round() / 100.0,
        p95_ms: (percentile(0.95) * 100.0).round() / 100.0,
        p99_ms: (percentile(0.99) * 100.0).round() / 100.0,
        errors: results.iter().map(|(_, e)| e).sum(),
        round_trips_per_op: ((after - before) as f64 / ops.max(1) as f64 * 100.0).round() / 100.0,
        cpu_ms_per_op: crate::cpu::per_request(&cpu_before, &cpu_after, ops),
    }
}
