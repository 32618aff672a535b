//! The paths that change something, each call on its own row: inviting into the 10,000-member
//! team and joining it (by email invitation and by shareable link), a tenant's Telegram
//! onboarding asked for and completed, and the jobs that run all day (the webhook
//! dispatcher's claim, the reconcile job) and the export of the big team.

use super::*;

/// Sends of the team a step, within the hourly budget an organization has
/// (`private.invite_rate_per_hour`, 50): 5 to warm, 40 timed.
const SENDS: usize = 45;
const SEND_WARM_UP: usize = 5;

pub(super) async fn write_paths(stack: &Stack, db: &Client, big: Uuid) -> Vec<Path> {
    let owner_jwt = owner_jwt(stack, db, big).await;
    let calls = WARM_UP + CALLS;
    let mut paths = vec![
        Path::few(
            "send invite (10k team)",
            sends(stack, db, big, &owner_jwt).await,
            SEND_WARM_UP,
        ),
        Path::each(
            "accept invite (10k team)",
            invite_accepts(stack, db, big, calls).await,
        ),
        Path::each(
            "accept link (10k team)",
            link_accepts(stack, db, big, calls).await,
        ),
    ];
    let (admin, admin_email, tenant, users) = fresh_tenant(db, calls).await;
    paths.push(Path::each(
        "telegram request",
        request_calls(stack, admin, &admin_email, tenant, &users, false),
    ));
    let (_, _, tenant, _) = fresh_tenant(db, calls).await;
    paths.push(Path::each(
        "telegram callback",
        callback_calls(stack, tenant, false).await,
    ));
    let server = |rpc: &str| Call {
        url: stack.rpc(rpc),
        caller: Caller::Server,
        body: json!({}),
        expect: 200,
    };
    paths.push(Path::repeated(
        "webhook dispatcher's claim",
        server("claim_webhook_batches"),
    ));
    paths.push(Path::repeated("reconcile job", server("reconcile_signups")));
    let export = Call {
        url: stack.function("export-organization"),
        caller: Caller::Bearer(owner_jwt),
        body: json!({"organization_id": big}),
        expect: 200,
    };
    paths.push(Path::few("export (10k team)", vec![export; 6], 1));
    paths
}

/// Invitations of the big team sent by its owner, each to a new address. The team's hourly
/// budget starts afresh at each step, as it would an hour later.
async fn sends(stack: &Stack, db: &Client, team: Uuid, owner_jwt: &str) -> Vec<Call> {
    db.batch_execute("set session_replication_role = replica")
        .await
        .unwrap();
    db.execute(
        "update public.organization_audit_log set at = at - interval '2 hours'
         where organization_id = $1 and action = 'invite.sent'",
        &[&team],
    )
    .await
    .unwrap();
    db.batch_execute("set session_replication_role = origin")
        .await
        .unwrap();
    db.query(
        "insert into public.onboarding_invites (organization_id, email, role, expires_at)
         select $1, 'sent' || i || '-' || substr(md5(random()::text), 1, 8) || '@team.scale.test', 'viewer', now() + interval '3 days'
         from generate_series(1, $2::int) i returning id",
        &[&team, &(SENDS as i32)],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| Call {
        url: stack.function("send-invite-email"),
        caller: Caller::Bearer(owner_jwt.to_owned()),
        body: json!({"invite_id": row.get::<_, Uuid>(0)}),
        expect: 200,
    })
    .collect()
}

/// `n` people invited to the team by email, signed up and confirmed, each accepting.
async fn invite_accepts(stack: &Stack, db: &Client, team: Uuid, n: usize) -> Vec<Call> {
    let users = fresh_users(db, n, "scale-invitee").await;
    let tokens: Vec<String> = (0..n).map(|_| new_token()).collect();
    let hashes: Vec<String> = tokens.iter().map(|t| sha256_hex(t)).collect();
    let emails: Vec<&str> = users.iter().map(|(_, e)| e.as_str()).collect();
    db.execute(
        "insert into public.onboarding_invites (organization_id, email, role, token_hash, expires_at)
         select $1, e.email, 'viewer', e.hash, now() + interval '3 days'
         from unnest($2::text[], $3::text[]) e(email, hash)",
        &[&team, &emails, &hashes],
    )
    .await
    .unwrap();
    accepts(stack, &users, &tokens)
}

/// `n` people joining the team through one shareable link, each with an account of their own.
async fn link_accepts(stack: &Stack, db: &Client, team: Uuid, n: usize) -> Vec<Call> {
    let users = fresh_users(db, n, "scale-linked").await;
    let token = new_token();
    db.execute(
        "insert into public.invite_links (organization_id, token_hash, role, expires_at)
         values ($1, $2, 'viewer', now() + interval '7 days')",
        &[&team, &sha256_hex(&token)],
    )
    .await
    .unwrap();
    accepts(stack, &users, &vec![token; n])
}

/// accept-invite for each user with their token, as the join page calls it.
fn accepts(stack: &Stack, users: &[(Uuid, String)], tokens: &[String]) -> Vec<Call> {
    users
        .iter()
        .zip(tokens)
        .map(|((id, email), token)| Call {
            url: stack.function("accept-invite"),
            caller: Caller::Bearer(stack.user_jwt(*id, email)),
            body: json!({"token": token}),
            expect: 200,
        })
        .collect()
}
