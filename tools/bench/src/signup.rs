//! Signup: the webhook under load beside its direct RPC and the TypeScript baseline, and
//! the 10,000-user storm.

use super::*;

/// `n` users whose signup webhook has not run (triggers off): (id, email).
pub(crate) async fn fresh_users(db: &Client, n: usize, label: &str) -> Vec<(Uuid, String)> {
    db.batch_execute("set session_replication_role = replica")
        .await
        .unwrap();
    let rows = db
        .query(
            "insert into auth.users (email, raw_user_meta_data, email_confirmed_at)
             select $2 || '-' || i || '-' || substr(md5(random()::text), 1, 8) || '@bench.test',
                    jsonb_build_object('full_name', 'Bench ' || $2 || ' ' || i), now()
             from generate_series(1, $1::int) i returning id, email",
            &[&(n as i32), &label],
        )
        .await
        .unwrap();
    db.batch_execute("set session_replication_role = origin")
        .await
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

pub(crate) fn webhook_body(id: Uuid, email: &str) -> Value {
    json!({"type": "INSERT", "table": "users", "schema": "auth", "old_record": null,
           "record": {"id": id, "email": email, "raw_user_meta_data": {"full_name": "Bench User"}}})
}

/// `n` signups as Supabase's database webhook delivers them, for fresh users.
pub(crate) async fn webhook_signups(stack: &Stack, n: usize, label: &str) -> Vec<Call> {
    let secret = stack.var("ONBOARDING_WEBHOOK_SECRET");
    fresh_users(&stack.db, n, label)
        .await
        .into_iter()
        .map(|(id, email)| Call {
            url: stack.function("on-signup-create-org"),
            caller: Caller::Bearer(secret.clone()),
            body: webhook_body(id, &email),
            expect: 200,
        })
        .collect()
}

pub(crate) async fn signup_scenario(stack: &Stack, runs: &mut Vec<Run>) {
    let secret = stack.var("ONBOARDING_WEBHOOK_SECRET");
    for concurrency in CONCURRENCY {
        let n = ops_for(concurrency);
        for (variant, url) in [
            ("rust-wasm", stack.function("on-signup-create-org")),
            ("direct-rpc", stack.rpc("create_signup_workspace")),
            ("ts-baseline", stack.function("signup-baseline")),
            // The cheapest function there can be: one call, nothing else (the floor).
            ("ts-passthrough", stack.function("signup-passthrough")),
        ] {
            let users = fresh_users(&stack.db, n, variant).await;
            let calls = users
                .iter()
                .map(|(id, email)| match variant {
                    "direct-rpc" => Call {
                        url: url.clone(),
                        caller: Caller::Server,
                        body: json!({"p_user_id": id, "p_email": email, "p_metadata": {"full_name": "Bench User"}}),
                        expect: 200,
                    },
                    _ => Call { url: url.clone(), caller: Caller::Bearer(secret.clone()), body: webhook_body(*id, email), expect: 200 },
                })
                .collect();
            runs.push(load(stack, "on-signup-create-org", variant, concurrency, calls).await);
        }
    }
}

/// 10,000 signups inserted in batches; how long until every one has profile,
/// organization and membership, and how many are duplicated or missing.
pub(crate) async fn signup_storm(stack: &Stack) -> Value {
    let total: i32 = std::env::var("BENCH_STORM")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let label = format!("storm{}", &Uuid::new_v4().simple().to_string()[..6]);
    // The webhook deliveries the pg_net stand-in records from here on.
    let first_response: i64 = stack
        .db
        .query_one("select coalesce(max(id), 0) from net._http_response", &[])
        .await
        .unwrap()
        .get(0);
    let cpu_before = crate::cpu::snapshot(&stack.dir);
    let started = Instant::now();
    for batch in 0..(total + 499) / 500 {
        stack
            .db
            .execute(
                "insert into auth.users (email, raw_user_meta_data)
                 select $1 || '-' || ($2::int * 500 + i) || '@storm.test', jsonb_build_object('full_name', 'Storm ' || i)
                 from generate_series(1, least(500, $3::int - $2::int * 500)) i",
                &[&label, &batch, &total],
            )
            .await
            .unwrap();
    }
    let inserted = started.elapsed().as_secs_f64();
    let pattern = format!("{label}-%");
    let done_query = "select count(*) from auth.users u where u.email like $1
        and exists (select 1 from profiles p where p.id = u.id)
        and exists (select 1 from organizations o join organization_members m on m.organization_id = o.id and m.user_id = u.id and m.role = 'owner' where o.signup_user_id = u.id)";
    let mut done: i64 = 0;
    while started.elapsed() < Duration::from_secs(180) {
        done = stack
            .db
            .query_one(done_query, &[&pattern])
            .await
            .unwrap()
            .get(0);
        if done >= i64::from(total) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drained = started.elapsed().as_secs_f64();
    let cpu_ms_per_signup = crate::cpu::per_request(
        &cpu_before,
        &crate::cpu::snapshot(&stack.dir),
        total as usize,
    );
    let duplicates: i64 = stack
        .db
        .query_one(
            "select count(*) from (select m.user_id from organization_members m join auth.users u on u.id = m.user_id
             where u.email like $1 and m.role = 'owner' group by m.user_id having count(*) > 1) d",
            &[&pattern],
        )
        .await
        .unwrap()
        .get(0);
    // Deliveries of the storm's webhooks: answered, timed out in the pg_net stand-in (the
    // webhook's 5 s), or failed otherwise. Webhook requests are recognised by their URL.
    let deliveries = stack
        .db
        .query_one(
            "select count(*) filter (where r.status_code between 200 and 299),
                    count(*) filter (where r.timed_out),
                    count(*) filter (where not coalesce(r.timed_out, false) and not coalesce(r.status_code between 200 and 299, false))
             from net._http_response r where r.id > $1",
            &[&first_response],
        )
        .await
        .unwrap();
    let (answered, timed_out, failed): (i64, i64, i64) =
        (deliveries.get(0), deliveries.get(1), deliveries.get(2));
    json!({"users": total, "insert_seconds": (inserted * 100.0).round() / 100.0, "drained_seconds": (drained * 100.0).round() / 100.0,
           "completed": done, "missing": i64::from(total) - done, "duplicates": duplicates,
           "deliveries": {"answered_2xx": answered, "timed_out": timed_out, "failed": failed},
           "cpu_ms_per_signup": cpu_ms_per_signup})
}
