//! Paths that are not behind the gateway, timed in the database: the access token hook and
//! an email confirmation as Auth calls them, and the purge job deleting a large organization.

use super::*;
use tokio_postgres::types::ToSql;

/// Members of each organization the purge deletes (each with ten audit rows).
pub(super) const PURGED_SIZE: usize = 1_000;
const PURGES: usize = 3;

/// Runs `statement` once per argument in `args`, the first `warm_up` untimed: latencies and
/// PostgreSQL's CPU of the rest.
async fn time_each<T: ToSql + Sync>(
    stack: &Stack,
    db: &Client,
    name: &str,
    statement: &str,
    args: &[T],
    warm_up: usize,
) -> Run {
    let statement = db.prepare(statement).await.unwrap();
    for arg in &args[..warm_up] {
        db.execute(&statement, &[arg]).await.unwrap();
    }
    let cpu_before = crate::cpu::snapshot(&stack.dir);
    let mut latencies = Vec::new();
    for arg in &args[warm_up..] {
        let sent = Instant::now();
        db.execute(&statement, &[arg]).await.unwrap();
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    let cpu_after = crate::cpu::snapshot(&stack.dir);
    latencies.sort_by(f64::total_cmp);
    let timed = latencies.len();
    Run {
        scenario: "scale".into(),
        variant: name.into(),
        concurrency: 1,
        ops: timed,
        rps: 0.0,
        p50_ms: (percentile(&latencies, 0.5) * 100.0).round() / 100.0,
        p95_ms: (percentile(&latencies, 0.95) * 100.0).round() / 100.0,
        p99_ms: (percentile(&latencies, 0.99) * 100.0).round() / 100.0,
        errors: 0,
        round_trips_per_op: 0.0,
        cpu_ms_per_op: crate::cpu::per_request(&cpu_before, &cpu_after, timed),
    }
}

/// The access token hook as Auth calls it at every sign-in and refresh (as
/// `supabase_auth_admin`): the member's active organization put in the claims.
pub(super) async fn token_hooks(stack: &Stack, db: &Client, run: &str) -> Run {
    let (member, _) = member_of_one(db, stack, run).await;
    let event = json!({"user_id": member, "claims": {"sub": member, "role": "authenticated", "aud": "authenticated"},
                       "authentication_method": "password"});
    settle(db, true).await;
    db.batch_execute("set role supabase_auth_admin")
        .await
        .unwrap();
    let run = time_each(
        stack,
        db,
        "access token hook",
        "select public.custom_access_token_hook($1)",
        &vec![event; WARM_UP + CALLS],
        WARM_UP,
    )
    .await;
    db.batch_execute("reset role").await.unwrap();
    run
}

/// An email confirmation at a domain that invites automatically, as Auth writes it: one
/// `update auth.users` (Auth is not behind the gateway here).
pub(super) async fn confirmations(stack: &Stack, db: &Client, organization: Uuid) -> Run {
    let host = format!("join-{}", Uuid::new_v4().simple());
    verified_domain(db, organization, &host, "automatic_invitation").await;
    let users: Vec<Uuid> = db
        .query(
            "insert into auth.users (email) select 'joiner' || i || '@' || $1 || '.scale.test'
             from generate_series(1, $2::int) i returning id",
            &[&host, &((WARM_UP + CALLS) as i32)],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    settle(db, true).await;
    let mut run = time_each(
        stack,
        db,
        "confirmation joins by domain",
        "update auth.users set email_confirmed_at = now() where id = $1",
        &users,
        WARM_UP,
    )
    .await;
    let invited: i64 = db
        .query_one(
            "select count(*) from public.onboarding_invites i join public.organization_domains d on d.id = i.domain_id
             where d.hostname = $1 || '.scale.test' and i.status = 'pending'",
            &[&host],
        )
        .await
        .unwrap()
        .get(0);
    // Each confirmation must have made its invitation.
    run.errors = (WARM_UP + CALLS).saturating_sub(invited as usize);
    run
}

/// The daily purge, each run deleting one organization of PURGED_SIZE members (their audit
/// rows, a webhook endpoint's history, tenant users) whose grace period is over, the first
/// run untimed: its rows in every table, and the members' active organization moved away.
pub(super) async fn purges(stack: &Stack, db: &Client) -> Run {
    let mut organizations = Vec::new();
    for _ in 0..=PURGES {
        let organization: Uuid = db
            .query_one(
                "insert into public.organizations (name, slug, plan_id)
                 values ('Purged', 'scale-purged-' || substr(md5(random()::text), 1, 12), 'enterprise') returning id",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let members = fresh_users(db, PURGED_SIZE, "scale-purged").await;
        let ids: Vec<Uuid> = members.iter().map(|(id, _)| *id).collect();
        db.batch_execute("set session_replication_role = replica")
            .await
            .unwrap();
        db.execute(
            "with members as (
               insert into public.organization_members (organization_id, user_id, role)
               select $1, id, case when ordinality = 1 then 'owner' else 'viewer' end
               from unnest($2::uuid[]) with ordinality id returning user_id),
             _profiles as (insert into public.profiles (id, full_name, organization_id)
               select user_id, 'Purged member', $1 from members)
             insert into public.organization_audit_log (organization_id, actor_id, action, target_user_id)
             select $1, user_id, 'member.added', user_id from members, generate_series(1, 10)",
            &[&organization, &ids],
        )
        .await
        .unwrap();
        // And what it did: a hundred webhook events delivered, a hundred people onboarded.
        db.execute(
            "with endpoint as (insert into public.webhook_endpoints (organization_id, url)
               values ($1, 'https://hooks.scale.test/purged') returning id),
             messages as (insert into public.webhook_messages (id, organization_id, event_type, payload)
               select 'msg_' || md5($1::text || g), $1, 'member.added', '{}' from generate_series(1, 100) g returning id),
             _outbox as (insert into public.webhook_outbox (message_id, endpoint_id, status, attempts, delivered_at)
               select m.id, e.id, 'delivered', 1, now() from messages m, endpoint e),
             tenant_users as (insert into public.tenant_users (tenant_id, user_role, email, bot_correlation_id)
               select $1, 'executor', 'exec' || g || '@purged.scale.test', gen_random_uuid()
               from generate_series(1, 100) g returning id, bot_correlation_id)
             insert into public.user_onboarding_events (correlation_id, tenant_id, user_id, event)
             select bot_correlation_id, $1, id, 'requested' from tenant_users",
            &[&organization],
        )
        .await
        .unwrap();
        db.batch_execute("set session_replication_role = origin")
            .await
            .unwrap();
        organizations.push(organization);
    }
    // Each one's grace period ends a day after the previous one's: run k purges the k-th.
    let days: Vec<i32> = (1..=organizations.len() as i32).collect();
    db.execute(
        "update public.organizations o set status = 'deletion_scheduled', status_before_deletion = 'active',
           deletion_requested_at = now(), purge_after = now() + make_interval(days => d.day)
         from unnest($1::uuid[], $2::int[]) d(id, day) where o.id = d.id",
        &[&organizations, &days],
    )
    .await
    .unwrap();
    settle(db, true).await;
    let mut run = time_each(
        stack,
        db,
        "purge",
        "select private.purge_deleted_organizations(now() + make_interval(days => $1, hours => 1))",
        &days,
        1,
    )
    .await;
    let left: i64 = db
        .query_one(
            "select count(*) from public.organizations where id = any($1)",
            &[&organizations],
        )
        .await
        .unwrap()
        .get(0);
    run.errors = left as usize;
    run
}
