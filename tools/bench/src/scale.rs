//! Cost as the data grows (`BENCH_ONLY=scale`): one database grown in steps — users each
//! with a signup workspace, three teams of 10, 1,000 and 10,000 members, audit rows,
//! pending invites, links, join requests and verified domains in proportion — and at each
//! step the everyday paths timed through the gateway with real JWTs (150 calls each, one
//! at a time, as a person clicks): p50, p95 and PostgreSQL's CPU per request. It prints a
//! table of each path's p50 at each step and the ratio of the largest step to the smallest.
//!
//! `BENCH_SCALE_USERS` is the largest step (default 1,000,000; `make test` runs a smoke of
//! 2,000); the steps are 1,000, 10,000, 100,000 and 1,000,000 up to it, and it itself.
//! The data is written by SQL as the superuser with triggers off (what a year of signups
//! leaves behind, without a year of webhooks), then analyzed.

use super::*;

const CALLS: usize = 150;
const WARM_UP: usize = 30;
const TEAM_SIZES: [usize; 3] = [10, 1_000, 10_000];

/// The users the teams are made of (their workspaces counted apart from the steps').
async fn grow_teams(db: &Client, run: &str) -> Vec<Uuid> {
    let mut teams = Vec::new();
    for size in TEAM_SIZES {
        let org: Uuid = db
            .query_one(
                "with team_users as (
                   insert into auth.users (email, email_confirmed_at, raw_user_meta_data)
                   select 'team' || $1::int || '-' || i || '-' || $2 || '@team' || $1::int || '.scale.test', now(),
                          jsonb_build_object('full_name', 'Team member ' || i)
                   from generate_series(1, $1::int) i returning id, email),
                 _profiles as (insert into public.profiles (id, email, full_name)
                   select id, email, 'Team member' from team_users),
                 org as (insert into public.organizations (name, slug, plan_id)
                   values ('Team of ' || $1::int, 'scale-team-' || $1::int || '-' || $2, 'enterprise') returning id),
                 _members as (insert into public.organization_members (organization_id, user_id, role, created_at)
                   select org.id, u.id, case when row_number() over () = 1 then 'owner' else 'viewer' end,
                          now() - make_interval(secs => row_number() over ())
                   from org, team_users u)
               select id from org",
                &[&(size as i32), &run],
            )
            .await
            .unwrap()
            .get(0);
        // Years of its activity: ten audit rows per member, pending invites, links, requests.
        db.execute(
            "insert into public.organization_audit_log (organization_id, actor_id, action, target_user_id, after, at)
             select $1, m.user_id, 'member.role_changed', m.user_id, '{\"role\": \"viewer\"}', now() - make_interval(mins => g)
             from public.organization_members m, generate_series(1, 10) g where m.organization_id = $1",
            &[&org],
        )
        .await
        .unwrap();
        db.execute(
            "insert into public.onboarding_invites (organization_id, email, role, expires_at)
             select $1, 'invitee' || i || '@team.scale.test', 'viewer', now() + interval '3 days'
             from generate_series(1, greatest($2::int / 100, 1)) i",
            &[&org, &(size as i32)],
        )
        .await
        .unwrap();
        db.execute(
            "insert into public.invite_links (organization_id, token_hash, role, expires_at)
             select $1, md5(random()::text) || md5(random()::text), 'viewer', now() + interval '7 days'
             from generate_series(1, greatest($2::int / 1000, 1))",
            &[&org, &(size as i32)],
        )
        .await
        .unwrap();
        teams.push(org);
    }
    teams
}

/// Grows the workspace users from `from` to `to`: each a confirmed user with a profile, a
/// workspace they own, its two audit rows; one in a hundred invited somewhere, one
/// workspace in a thousand with a verified domain suggesting itself (and a request to it).
async fn grow_users(db: &Client, run: &str, from: usize, to: usize) {
    db.execute(
        "with new_users as (
           insert into auth.users (email, email_confirmed_at, raw_user_meta_data, created_at)
           select 'user' || i || '-' || $3 || '@d' || (i % 1000) || '.scale.test', now(), '{\"full_name\": \"Scale User\"}',
                  now() - interval '1 day'
           from generate_series($1::int + 1, $2::int) i returning id, email),
         _profiles as (insert into public.profiles (id, email, full_name) select id, email, 'Scale User' from new_users),
         _roles as (insert into public.platform_roles (user_id, role) select id, 'client_user' from new_users),
         orgs as (insert into public.organizations (name, slug, created_by, signup_user_id)
           select 'Scale User''s Workspace', 'scale-' || replace(id::text, '-', ''), id, id from new_users
           returning id, signup_user_id),
         _members as (insert into public.organization_members (organization_id, user_id, role)
           select id, signup_user_id, 'owner' from orgs)
         insert into public.organization_audit_log (organization_id, actor_id, action, target_user_id, after)
         select o.id, o.signup_user_id, a.action, o.signup_user_id, '{\"role\": \"owner\"}'
         from orgs o, (values ('organization.created'), ('member.added')) a(action)",
        &[&(from as i32), &(to as i32), &run],
    )
    .await
    .unwrap();
    db.execute(
        "insert into public.onboarding_invites (organization_id, email, role, expires_at)
         select o.id, 'pending' || i || '@elsewhere.scale.test', 'viewer', now() + interval '3 days'
         from generate_series($1::int + 1, $2::int, 100) i
         join auth.users u on u.email = 'user' || i || '-' || $3 || '@d' || (i % 1000) || '.scale.test'
         join public.organizations o on o.signup_user_id = u.id",
        &[&(from as i32), &(to as i32), &run],
    )
    .await
    .unwrap();
    db.execute(
        "insert into public.organization_domains (organization_id, hostname, txt_name, txt_value, verified_at, enrollment_mode)
         select o.id, 'v' || i || '-' || $3 || '.scale.test', '_onboarding-verification.v' || i || '-' || $3 || '.scale.test', 'x', now(),
                'automatic_suggestion'
         from generate_series($1::int + 1, $2::int, 1000) i
         join auth.users u on u.email = 'user' || i || '-' || $3 || '@d' || (i % 1000) || '.scale.test'
         join public.organizations o on o.signup_user_id = u.id",
        &[&(from as i32), &(to as i32), &run],
    )
    .await
    .unwrap();
    // Measured on tables as they settle, not while autovacuum catches up with the growth.
    db.batch_execute("vacuum analyze").await.unwrap();
}

/// Lets the growth settle before anything is timed: its WAL checkpointed now (not written
/// out while the paths run), and no autovacuum worker running (PostgreSQL's CPU per request
/// counts every backend) — waited for at most a minute.
async fn settle(db: &Client) {
    db.batch_execute("checkpoint").await.unwrap();
    for _ in 0..120 {
        // (And no webhook left to deliver: the fixtures' own signups are not timed either.)
        let busy: i64 = db
            .query_one(
                "select (select count(*) from pg_stat_activity where backend_type = 'autovacuum worker')
                      + (select count(*) from net.http_request_queue)",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if busy == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// One everyday path: its calls, the first WARM_UP of them to warm it, then CALLS timed.
struct Path {
    name: &'static str,
    calls: Vec<Call>,
}

impl Path {
    /// The same call, again and again (a read).
    fn repeated(name: &'static str, call: Call) -> Path {
        Path {
            name,
            calls: vec![call; WARM_UP + CALLS],
        }
    }
}

/// A confirmed user of the step's own, signed in, a member of one workspace.
async fn member_of_one(db: &Client, stack: &Stack, run: &str) -> (Uuid, String) {
    let row = db
        .query_one(
            "select u.id, u.email from auth.users u join public.organizations o on o.signup_user_id = u.id
             where u.email like 'user1-' || $1 || '@%'",
            &[&run],
        )
        .await
        .unwrap();
    let (id, email): (Uuid, String) = (row.get(0), row.get(1));
    (id, stack.user_jwt(id, &email))
}

/// The everyday paths at this step, and the workspace of the member they read as.
async fn paths(stack: &Stack, db: &Client, run: &str, teams: &[Uuid]) -> (Vec<Path>, Uuid) {
    let rest = |path: &str| format!("{}/rest/v1/{path}", stack.var("SUPABASE_URL"));
    let (member, member_jwt) = member_of_one(db, stack, run).await;
    let workspace: Uuid = db
        .query_one(
            "select id from public.organizations where signup_user_id = $1",
            &[&member],
        )
        .await
        .unwrap()
        .get(0);
    let big = teams[2];
    let owner: (Uuid, String) = {
        let row = db
            .query_one(
                "select u.id, u.email from public.organization_members m join auth.users u on u.id = m.user_id
                 where m.organization_id = $1 and m.role = 'owner'",
                &[&big],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let owner_jwt = stack.user_jwt(owner.0, &owner.1);
    // Someone at a verified domain that suggests itself.
    let suggested: (Uuid, String) = {
        let row = db
            .query_one(
                "insert into auth.users (email, email_confirmed_at)
                 select 'asker-' || substr(md5(random()::text), 1, 8) || '@' || hostname, now()
                 from public.organization_domains where hostname = 'v1-' || $1 || '.scale.test'
                 returning id, email",
                &[&run],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let suggested_jwt = stack.user_jwt(suggested.0, &suggested.1);
    // An invitation with a token a browser opens.
    let token = new_token();
    db.execute(
        "update public.onboarding_invites set token_hash = $1
         where id = (select id from public.onboarding_invites where organization_id = $2 and status = 'pending' limit 1)",
        &[&sha256_hex(&token), &big],
    )
    .await
    .unwrap();
    let get = |url: String, jwt: &str| Call {
        url,
        caller: Caller::Bearer(jwt.to_owned()),
        body: Value::Null,
        expect: 200,
    };
    let post = |url: String, jwt: &str, body: Value| Call {
        url,
        caller: Caller::Bearer(jwt.to_owned()),
        body,
        expect: 200,
    };
    // Enrollment by domain, on the member's own workspace (on a plan without a seat limit,
    // so that every confirmation can be invited): a verified domain switched to automatic
    // invitation (again and again), and one suggesting itself to confirmed users who each
    // ask to join once.
    db.execute(
        "update public.organizations set plan_id = 'enterprise' where id = $1",
        &[&workspace],
    )
    .await
    .unwrap();
    let enroll_domain = verified_domain(
        db,
        workspace,
        &format!("enroll-{run}-{}", Uuid::new_v4().simple()),
        "manual",
    )
    .await;
    let ask_host = format!("ask-{run}-{}", Uuid::new_v4().simple());
    verified_domain(db, workspace, &ask_host, "automatic_suggestion").await;
    let askers = confirmed_users_at(db, &format!("{ask_host}.scale.test"), WARM_UP + CALLS).await;
    let asks = askers
        .iter()
        .map(|(id, email)| {
            post(
                stack.rpc("request_to_join"),
                &stack.user_jwt(*id, email),
                json!({"p_organization_id": workspace}),
            )
        })
        .collect();
    let paths = vec![
        Path::repeated("organizations (rest)", get(rest("organizations?select=id,name"), &member_jwt)),
        Path::repeated("my_organizations", post(stack.rpc("my_organizations"), &member_jwt, json!({}))),
        Path::repeated("authorize", post(stack.rpc("authorize"), &member_jwt,
            json!({"p_organization_id": workspace, "p_permission": "org:members:read"}))),
        Path::repeated("team: list_members", post(stack.rpc("list_members"), &owner_jwt, json!({"p_organization_id": big}))),
        Path::repeated("team: invites (rest)", get(rest(&format!(
            "onboarding_invites?select=id,email,status&organization_id=eq.{big}&order=created_at.desc&limit=20")), &owner_jwt)),
        Path::repeated("team: list_invite_links", post(stack.rpc("list_invite_links"), &owner_jwt, json!({"p_organization_id": big}))),
        Path::repeated("team: list_join_requests", post(stack.rpc("list_join_requests"), &owner_jwt, json!({"p_organization_id": big}))),
        Path::repeated("team: audit page (rest)", get(rest(&format!(
            "organization_audit_log?select=id,action,at&organization_id=eq.{big}&order=id.desc&limit=21")), &owner_jwt)),
        Path::repeated("my_suggestions", post(stack.rpc("my_suggestions"), &suggested_jwt, json!({}))),
        Path { name: "request_to_join", calls: asks },
        Path::repeated("domain to automatic invitation", post(stack.rpc("set_domain_enrollment"), &member_jwt,
            json!({"p_domain_id": enroll_domain, "p_mode": "automatic_invitation", "p_default_role": "viewer"}))),
        Path::repeated("validate-invite", Call { url: format!("{}?token={token}", stack.function("validate-invite")),
            caller: Caller::Browser, body: Value::Null, expect: 200 }),
    ];
    (paths, workspace)
}

/// A domain of `organization`, verified, in `mode`; its id.
async fn verified_domain(db: &Client, organization: Uuid, label: &str, mode: &str) -> Uuid {
    db.query_one(
        "insert into public.organization_domains (organization_id, hostname, txt_name, txt_value, verified_at, enrollment_mode)
         values ($1, $2 || '.scale.test', '_onboarding-verification.' || $2 || '.scale.test', 'x', now(), $3) returning id",
        &[&organization, &label, &mode],
    )
    .await
    .unwrap()
    .get(0)
}

/// `n` users with a confirmed address at `hostname` (as Auth leaves them after the link:
/// their hostname recorded by the trigger that watches confirmations).
async fn confirmed_users_at(db: &Client, hostname: &str, n: usize) -> Vec<(Uuid, String)> {
    db.query(
        "insert into auth.users (email, email_confirmed_at)
         select 'asker' || i || '-' || substr(md5(random()::text), 1, 8) || '@' || $1, now()
         from generate_series(1, $2::int) i returning id, email",
        &[&hostname, &(n as i32)],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect()
}

/// An email confirmation at a domain that invites automatically, as Auth writes it: one
/// `update auth.users`, timed in the database (Auth is not behind the gateway here).
async fn confirmations(stack: &Stack, db: &Client, organization: Uuid) -> Run {
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
    settle(db).await;
    let confirm = db
        .prepare("update auth.users set email_confirmed_at = now() where id = $1")
        .await
        .unwrap();
    for id in &users[..WARM_UP] {
        db.execute(&confirm, &[id]).await.unwrap();
    }
    let cpu_before = crate::cpu::snapshot(&stack.dir);
    let mut latencies = Vec::new();
    for id in &users[WARM_UP..] {
        let sent = Instant::now();
        db.execute(&confirm, &[id]).await.unwrap();
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    let cpu_after = crate::cpu::snapshot(&stack.dir);
    let invited: i64 = db
        .query_one(
            "select count(*) from public.onboarding_invites i join public.organization_domains d on d.id = i.domain_id
             where d.hostname = $1 || '.scale.test' and i.status = 'pending'",
            &[&host],
        )
        .await
        .unwrap()
        .get(0);
    latencies.sort_by(f64::total_cmp);
    Run {
        scenario: "scale".into(),
        variant: "confirmation joins by domain".into(),
        concurrency: 1,
        ops: CALLS,
        rps: 0.0,
        p50_ms: (percentile(&latencies, 0.5) * 100.0).round() / 100.0,
        p95_ms: (percentile(&latencies, 0.95) * 100.0).round() / 100.0,
        p99_ms: (percentile(&latencies, 0.99) * 100.0).round() / 100.0,
        // Each confirmation must have made its invitation.
        errors: (WARM_UP + CALLS).saturating_sub(invited as usize),
        round_trips_per_op: 0.0,
        cpu_ms_per_op: crate::cpu::per_request(&cpu_before, &cpu_after, CALLS),
    }
}

pub(crate) async fn scale(stack: &Stack) -> Value {
    let largest: usize = std::env::var("BENCH_SCALE_USERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut steps: Vec<usize> = [1_000, 10_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|&s| s < largest)
        .collect();
    steps.push(largest);
    let db = &stack.db;
    db.batch_execute("set session_replication_role = replica")
        .await
        .unwrap();
    eprintln!("[bench] scale: the teams of {TEAM_SIZES:?}");
    // This run's own names, so that a stack can be grown again.
    let run = Uuid::new_v4().simple().to_string()[..6].to_owned();
    let teams = grow_teams(db, &run).await;
    db.batch_execute("set session_replication_role = origin")
        .await
        .unwrap();
    let mut grown = 0;
    let mut table: Vec<(usize, Vec<(String, Run)>)> = Vec::new();
    for step in steps {
        let started = Instant::now();
        db.batch_execute("set session_replication_role = replica")
            .await
            .unwrap();
        grow_users(db, &run, grown, step).await;
        db.batch_execute("set session_replication_role = origin")
            .await
            .unwrap();
        grown = step;
        eprintln!(
            "[bench] scale: {step} users grown in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let (paths, workspace) = paths(stack, db, &run, &teams).await;
        settle(db).await;
        let mut runs = Vec::new();
        for path in paths {
            // Warmed first (its pages in the buffer cache, its plans and functions compiled
            // in the connections), as a path a thousand members use all day is.
            let mut calls = path.calls;
            let timed = calls.split_off(WARM_UP);
            load(stack, "scale", path.name, 1, calls).await;
            runs.push((
                path.name.to_owned(),
                load(stack, "scale", path.name, 1, timed).await,
            ));
        }
        runs.push((
            "confirmation joins by domain (sql)".to_owned(),
            confirmations(stack, db, workspace).await,
        ));
        let calls = webhook_signups(stack, CALLS, &format!("scale{step}")).await;
        runs.push((
            "signup (webhook)".to_owned(),
            load(stack, "scale", "signup", 1, calls).await,
        ));
        table.push((step, runs));
    }
    print_scale_table(&table);
    json!(table
        .iter()
        .map(
            |(step, runs)| json!({"users": step, "paths": runs.iter().map(|(name, run)| json!({
            "path": name, "p50_ms": run.p50_ms, "p95_ms": run.p95_ms, "errors": run.errors,
            "postgresql_cpu_ms": run.cpu_ms_per_op.get("postgresql")})).collect::<Vec<_>>()})
        )
        .collect::<Vec<_>>())
}

fn print_scale_table(table: &[(usize, Vec<(String, Run)>)]) {
    let Some((_, first)) = table.first() else {
        return;
    };
    print!("\n{:<28}", "path (p50 ms · p95 · pg cpu ms)");
    for (step, _) in table {
        print!(" {:>22}", format!("{step} users"));
    }
    println!(" {:>8}", "p50 ×");
    for (i, (name, _)) in first.iter().enumerate() {
        print!("{name:<28}");
        for (_, runs) in table {
            let run = &runs[i].1;
            let cpu = run.cpu_ms_per_op.get("postgresql").copied().unwrap_or(0.0);
            let flag = if run.errors > 0 { "!" } else { "" };
            print!(
                " {:>22}",
                format!("{:.1} · {:.1} · {:.2}{flag}", run.p50_ms, run.p95_ms, cpu)
            );
        }
        let (smallest, largest) = (
            first[i].1.p50_ms,
            table.last().map_or(0.0, |(_, runs)| runs[i].1.p50_ms),
        );
        println!(
            " {:>8.2}",
            if smallest > 0.0 {
                largest / smallest
            } else {
                0.0
            }
        );
    }
    println!("(! = some calls did not answer as expected: that figure is not valid)");
}
