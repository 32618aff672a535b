//! The data a step grows: teams of fixed sizes once, then users each with a workspace and
//! what such users leave behind in proportion. Written by SQL as the superuser with
//! triggers off, then analyzed.

use super::*;

/// The users the teams are made of (their workspaces counted apart from the steps').
pub(super) async fn grow_teams(db: &Client, run: &str) -> Vec<Uuid> {
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
/// workspace in a thousand with a verified domain suggesting itself (and a request to it),
/// one in a hundred with a webhook endpoint and ten tenant users.
pub(super) async fn grow_users(db: &Client, run: &str, from: usize, to: usize) {
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
        &format!(
            "insert into public.onboarding_invites (organization_id, email, role, expires_at)
             select o.id, 'pending' || i || '@elsewhere.scale.test', 'viewer', now() + interval '3 days'
             from {}",
            every_nth_workspace(100)
        ),
        &[&(from as i32), &(to as i32), &run],
    )
    .await
    .unwrap();
    db.execute(
        &format!(
            "insert into public.organization_domains (organization_id, hostname, txt_name, txt_value, verified_at, enrollment_mode)
             select o.id, 'v' || i || '-' || $3 || '.scale.test', '_onboarding-verification.v' || i || '-' || $3 || '.scale.test', 'x', now(),
                    'automatic_suggestion'
             from {}",
            every_nth_workspace(1000)
        ),
        &[&(from as i32), &(to as i32), &run],
    )
    .await
    .unwrap();
    // One workspace in a hundred sends webhooks (five events delivered each) and onboards
    // ten people over Telegram (each with the event of its request).
    db.execute(
        &format!(
            "with owners as (select o.id from {}),
             endpoints as (insert into public.webhook_endpoints (organization_id, url)
               select id, 'https://hooks.scale.test/' || id from owners returning id, organization_id),
             messages as (insert into public.webhook_messages (id, organization_id, event_type, payload)
               select 'msg_' || md5(e.id::text || g), e.organization_id, 'member.added', '{{}}'
               from endpoints e, generate_series(1, 5) g returning id, organization_id),
             _outbox as (insert into public.webhook_outbox (message_id, endpoint_id, status, attempts, delivered_at)
               select m.id, e.id, 'delivered', 1, now() from messages m join endpoints e using (organization_id)),
             tenant_users as (insert into public.tenant_users (tenant_id, user_role, email, bot_correlation_id)
               select id, 'executor', 'exec' || g || '-' || replace(id::text, '-', '') || '@tenant.scale.test', gen_random_uuid()
               from owners, generate_series(1, 10) g returning id, tenant_id, bot_correlation_id)
             insert into public.user_onboarding_events (correlation_id, tenant_id, user_id, event)
             select bot_correlation_id, tenant_id, id, 'requested' from tenant_users",
            every_nth_workspace(100)
        ),
        &[&(from as i32), &(to as i32), &run],
    )
    .await
    .unwrap();
    // Measured on tables as they settle, not while autovacuum catches up with the growth.
    db.batch_execute("vacuum analyze").await.unwrap();
}

/// A domain of `organization`, verified, in `mode`; its id.
pub(super) async fn verified_domain(
    db: &Client,
    organization: Uuid,
    label: &str,
    mode: &str,
) -> Uuid {
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
pub(super) async fn confirmed_users_at(
    db: &Client,
    hostname: &str,
    n: usize,
) -> Vec<(Uuid, String)> {
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

/// The JWT of `organization`'s owner.
pub(super) async fn owner_jwt(stack: &Stack, db: &Client, organization: Uuid) -> String {
    let row = db
        .query_one(
            "select u.id, u.email from public.organization_members m join auth.users u on u.id = m.user_id
             where m.organization_id = $1 and m.role = 'owner'",
            &[&organization],
        )
        .await
        .unwrap();
    stack.user_jwt(row.get(0), row.get::<_, &str>(1))
}

/// The step's workspaces `i` = from + 1, from + 1 + `n`, …: the user `i` (`u`) and their
/// workspace (`o`), for a `from` clause ($1 = from, $2 = to, $3 = the run).
fn every_nth_workspace(n: usize) -> String {
    format!(
        "generate_series($1::int + 1, $2::int, {n}) i
         join auth.users u on u.email = 'user' || i || '-' || $3 || '@d' || (i % 1000) || '.scale.test'
         join public.organizations o on o.signup_user_id = u.id"
    )
}
