//! The client's first organization in its new project: created by the project's own RPC
//! (`admin_create_organization`, as the service role) with the owner's invite, or found
//! again by its slug when a run is repeated, so a rerun never makes a second one.

use serde_json::Value;
use tokio_postgres::Client;

/// The client's tiers and the plan (`public.plans`) each one gets.
pub const TIER_PLANS: [(&str, &str); 4] = [
    ("free", "free"),
    ("starter", "starter"),
    ("pro", "growth"),
    ("enterprise", "enterprise"),
];

/// The plan for `tier`, or `None` for a tier that does not exist.
pub fn plan_for_tier(tier: &str) -> Option<&'static str> {
    TIER_PLANS
        .iter()
        .find(|(name, _)| *name == tier)
        .map(|(_, plan)| *plan)
}

/// The organization and its owner invite as the project holds them.
#[derive(Debug, Clone)]
pub struct FirstOrganization {
    pub organization_id: String,
    pub plan: String,
    pub created: bool,
    pub invite_id: String,
    pub invite_email: String,
    pub invite_status: String,
    pub token_hash: Option<String>,
    pub sent: bool,
}

/// What the project's RPCs refuse, with their stable code.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Refused {
    pub code: String,
    pub message: String,
}

impl From<tokio_postgres::Error> for Refused {
    fn from(err: tokio_postgres::Error) -> Self {
        match err.as_db_error() {
            Some(db) => Refused {
                code: db.message().to_owned(),
                message: db.detail().unwrap_or_default().to_owned(),
            },
            None => Refused {
                code: "database".into(),
                message: err.to_string(),
            },
        }
    }
}

/// Calls `function` as the service role would through PostgREST: in one transaction whose
/// JWT claims say `service_role` (what `auth.role()` reads).
async fn as_service_role(
    client: &mut Client,
    sql: &str,
    args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Value, Refused> {
    let transaction = client.transaction().await?;
    transaction
        .execute(
            "select set_config('request.jwt.claims', '{\"role\": \"service_role\"}', true)",
            &[],
        )
        .await?;
    let row = transaction.query_one(sql, args).await?;
    // A `void` function answers null.
    let value: Option<Value> = row.try_get(0)?;
    transaction.commit().await?;
    Ok(value.unwrap_or(Value::Null))
}

/// Creates the organization `slug` with `owner_email`'s invite, or finds it.
pub async fn ensure(
    client: &mut Client,
    name: &str,
    slug: &str,
    owner_email: &str,
    plan: &str,
) -> Result<FirstOrganization, Refused> {
    let created = as_service_role(
        client,
        "select to_jsonb(public.admin_create_organization($1, $2, $3, $4))",
        &[&name, &slug, &owner_email, &plan],
    )
    .await;
    match created {
        Ok(_) => find(client, slug, true).await,
        Err(refused) if refused.code == "slug_taken" => find(client, slug, false).await,
        Err(refused) => Err(refused),
    }
}

async fn find(client: &Client, slug: &str, created: bool) -> Result<FirstOrganization, Refused> {
    let row = client
        .query_opt(
            "select o.id::text, o.plan_id, i.id::text, i.email, i.status, i.token_hash, i.sent_at is not null
             from public.organizations o
             join lateral (select * from public.onboarding_invites
                           where organization_id = o.id and role = 'owner'
                           order by created_at desc limit 1) i on true
             where o.slug = $1",
            &[&slug],
        )
        .await?
        .ok_or_else(|| Refused {
            code: "organization_without_owner_invite".into(),
            message: format!("organization {slug} exists but has no owner invite"),
        })?;
    Ok(FirstOrganization {
        organization_id: row.try_get(0)?,
        plan: row.try_get(1)?,
        created,
        invite_id: row.try_get(2)?,
        invite_email: row.try_get(3)?,
        invite_status: row.try_get(4)?,
        token_hash: row.try_get(5)?,
        sent: row.try_get(6)?,
    })
}

/// Gives the invite the token whose hash is `token_hash` (`issue_invite_token`); returns
/// the RPC's answer (`send_attempt`, `organization_name`, `expires_at`, …).
pub async fn issue_token(
    client: &mut Client,
    invite_id: &str,
    token_hash: &str,
) -> Result<Value, Refused> {
    as_service_role(
        client,
        "select public.issue_invite_token($1::text::uuid, $2, 72)",
        &[&invite_id, &token_hash],
    )
    .await
}

/// Records a send as send-invite-email does (`record_invite_send`).
pub async fn record_send(
    client: &mut Client,
    invite_id: &str,
    send_attempt: i32,
    error: Option<&str>,
) -> Result<(), Refused> {
    as_service_role(
        client,
        "select null::jsonb from (select public.record_invite_send($1::text::uuid, $2, $3)) recorded",
        &[&invite_id, &send_attempt, &error],
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tier_maps_to_a_plan_and_others_do_not() {
        assert_eq!(plan_for_tier("pro"), Some("growth"));
        assert_eq!(plan_for_tier("enterprise"), Some("enterprise"));
        assert_eq!(plan_for_tier("platinum"), None);
    }
}
