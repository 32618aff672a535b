//! deliver-webhooks: organizations' events to their own endpoints (`POST
//! /functions/v1/deliver-webhooks`, called by pg_cron through pg_net with the project's
//! secret key, or by an operator). Each run leases endpoints whose oldest pending message
//! is due (`claim_webhook_batches`: as the service role when a server key is presented,
//! else with the presented JWT, so only the service role may), sends
//! each endpoint's messages in order — concurrently across endpoints — and reports every
//! attempt (`report_webhook_deliveries`), until nothing is due or its time is up.

use futures_util::future::join_all;
use onboarding::webhooks::{deliver_batch, Batch, DestinationPolicy};
use platform::config::ServerKeys;
use platform::log::emit;
use platform::outbound::{HttpOutbound, Outbound};
use platform::request::require_method;
use platform::secrets::server_caller;
use platform::{
    runtime, ApiError, Caller, Config, ConfigError, Db, DbError, EdgeFunction, Env, HttpRequest,
    HttpResponse, PostgrestDb,
};
use serde::Serialize;
use serde_json::{json, Value};

const NAME: &str = "deliver-webhooks";

/// A run's answer: the endpoints it leased, and what `report_webhook_deliveries` counted.
#[derive(Debug, Default, Serialize)]
struct Totals {
    endpoints: u64,
    delivered: u64,
    retry: u64,
    failed: u64,
}

impl Totals {
    fn add(&mut self, report: &Value) {
        let count = |key: &str| report.get(key).and_then(Value::as_u64).unwrap_or(0);
        self.delivered += count("delivered");
        self.retry += count("retry");
        self.failed += count("failed");
    }
}

/// How many endpoints one claim leases, and how many of each one's messages.
const ENDPOINTS_PER_CLAIM: u32 = 10;
const MESSAGES_PER_ENDPOINT: u32 = 50;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// One attempt's deadline (`WEBHOOK_TIMEOUT_MS`, default 10 s, as Svix).
    pub timeout_ms: u64,
    /// No new claim after this long (`WEBHOOK_DISPATCH_BUDGET_MS`, default 60 s): well
    /// inside the 150 s wall clock of a request, with the last batch's deliveries.
    pub budget_ms: u64,
}

pub struct DeliverWebhooks<D, O> {
    db: D,
    outbound: O,
    limits: Limits,
    destinations: DestinationPolicy,
    /// What the scheduler may present.
    server_keys: ServerKeys,
}

impl<D: Db, O: Outbound> DeliverWebhooks<D, O> {
    pub fn new(
        db: D,
        outbound: O,
        limits: Limits,
        destinations: DestinationPolicy,
        server_keys: ServerKeys,
    ) -> Self {
        DeliverWebhooks {
            db,
            outbound,
            limits,
            destinations,
            server_keys,
        }
    }

    async fn dispatch(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        require_method(request, "POST")?;
        let caller = server_caller(request, &self.server_keys)?;
        // A lease outlives a whole batch sent one message after another at the deadline.
        let lease_seconds = (self.limits.timeout_ms * u64::from(MESSAGES_PER_ENDPOINT)) / 1000 + 30;
        let started = runtime::unix_time_ms();
        let mut totals = Totals::default();
        loop {
            let claimed = self
                .db
                .rpc(
                    caller,
                    "claim_webhook_batches",
                    &json!({ "p_endpoints": ENDPOINTS_PER_CLAIM, "p_messages": MESSAGES_PER_ENDPOINT, "p_lease_seconds": lease_seconds }),
                )
                .await
                .map_err(DbError::service_role_required)?;
            let batches: Vec<Batch> = claimed
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Batch::from_json)
                .collect();
            if batches.is_empty() {
                break;
            }
            let reports = join_all(batches.iter().map(|batch| self.run_batch(batch))).await;
            totals.endpoints += batches.len() as u64;
            for report in reports.iter().flatten() {
                totals.add(report);
            }
            if runtime::unix_time_ms().saturating_sub(started) >= self.limits.budget_ms {
                break;
            }
        }
        Ok(HttpResponse::json(200, &totals))
    }

    /// Delivers one leased endpoint's batch and reports it. `None` when the report did
    /// not reach the database: the lease runs out and the same messages (same ids) go
    /// again, which receivers deduplicate by `webhook-id`.
    async fn run_batch(&self, batch: &Batch) -> Option<Value> {
        let attempts = deliver_batch(
            &self.outbound,
            batch,
            &self.destinations,
            self.limits.timeout_ms,
            runtime::unix_time_ms,
        )
        .await;
        match self
            .db
            .rpc(
                Caller::ServiceRole,
                "report_webhook_deliveries",
                &batch.report_args(&attempts),
            )
            .await
        {
            Ok(report) => Some(report),
            Err(err) => {
                emit(&json!({ "function": NAME, "event": "report_failed", "endpoint_id": batch.endpoint_id, "error": err.to_string() }).to_string());
                None
            }
        }
    }
}

impl EdgeFunction for DeliverWebhooks<PostgrestDb, HttpOutbound> {
    const NAME: &'static str = NAME;
    const CORS: bool = false;

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let config = Config::from_env(env)?;
        Ok(DeliverWebhooks::new(
            PostgrestDb::new(&config),
            HttpOutbound::default(),
            Limits {
                timeout_ms: env.number("WEBHOOK_TIMEOUT_MS", 10_000, 100..=60_000)?,
                budget_ms: env.number("WEBHOOK_DISPATCH_BUDGET_MS", 60_000, 1_000..=120_000)?,
            },
            DestinationPolicy {
                allow_private: env.optional("WEBHOOK_ALLOW_PRIVATE_URLS").as_deref()
                    == Some("true"),
                doh_url: env
                    .optional("DOH_URL")
                    .unwrap_or_else(|| "https://cloudflare-dns.com/dns-query".to_owned()),
            },
            config.server_keys,
        ))
    }

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        self.dispatch(request).await
    }
}

#[cfg(target_arch = "wasm32")]
platform::export_to_deno!(crate::DeliverWebhooks<platform::PostgrestDb, platform::outbound::HttpOutbound>);
