//! The MFA matrix, generated from the catalogue. An organization that requires MFA holds a
//! row in every table of its data; a member, an admin, an owner and a platform admin each
//! read every such table through /rest/v1, call every RPC granted to `authenticated` that
//! acts on an organization (or on something of one), and call the functions that act on
//! one — at aal1 and at aal2. At aal1 nothing is read and every call is refused with
//! `mfa_required`; at aal2 each reads exactly what it reads without the policy, and no
//! call says `mfa_required`. A table or RPC added later is in the matrix without anyone
//! adding it here; an RPC the matrix cannot place fails it until it is placed.

use super::*;
use std::collections::BTreeMap;

/// RPCs granted to `authenticated` that act on no organization the caller belongs to:
/// their own lists and data, creating their own organization, taking up or declining an
/// invitation and asking to join (not members yet), and a platform admin's creation of an
/// organization (refused below aal2 by the platform-wide rule: `12_trust.test.sql`).
const ACTS_ON_NO_ORGANIZATION: &[&str] = &[
    "accept_invite",
    "accept_invite_by_id",
    "admin_create_organization",
    "create_organization",
    "decline_invite",
    "export_my_data",
    "my_invites",
    "my_join_requests",
    "my_organizations",
    "my_suggestions",
    "request_to_join",
    // Chooses which organization the caller's next token names: it reads and changes
    // nothing of the organization (those claims are never used for access), and the web
    // app's switcher leads to the organization's page, which asks for the second factor.
    "set_active_organization",
];

/// Arguments naming an organization, or something of one, by which an RPC is placed.
const SCOPING_ARGUMENTS: &[&str] = &[
    "p_organization_id",
    "p_role_id",
    "p_invite_id",
    "p_request_id",
    "p_domain_id",
    "p_link_id",
    "p_endpoint_id",
    "p_message_id",
    "p_payload",
    // A member of it, or (force_complete_user_onboarding) one of its tenant users.
    "p_user_id",
    // One of its directory tokens.
    "p_token_id",
];

struct Rpc {
    name: String,
    /// (argument name, has a default)
    arguments: Vec<(String, bool)>,
}

async fn rpcs_for_authenticated(db: &Client) -> Vec<Rpc> {
    db.query(
        "select p.proname::text, coalesce(p.proargnames[1:p.pronargs], '{}'), p.pronargs, p.pronargdefaults
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = 'public' and has_function_privilege('authenticated', p.oid, 'execute')
         order by 1",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| {
        let names: Vec<String> = row.get(1);
        let (count, defaults): (i16, i16) = (row.get(2), row.get(3));
        Rpc {
            name: row.get(0),
            arguments: names
                .into_iter()
                .enumerate()
                .map(|(i, name)| (name, i as i16 >= count - defaults))
                .collect(),
        }
    })
    .collect()
}

/// Something of the organization for each argument an RPC names it by, and a plausible
/// value for every other argument, so that a call reaches its access check.
async fn sample_arguments(
    db: &Client,
    org: Uuid,
    endpoint: Uuid,
    colleague: Uuid,
) -> BTreeMap<&'static str, Value> {
    let one = |sql: &'static str| async move {
        db.query_one(sql, &[&org])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get::<_, String>(0)
    };
    let tenant_user = one("select id::text from tenant_users where tenant_id = $1 limit 1").await;
    BTreeMap::from([
        ("p_organization_id", json!(org)),
        ("p_role_id", json!(one("select id::text from organization_roles where organization_id = $1 limit 1").await)),
        ("p_invite_id", json!(one("select id::text from onboarding_invites where organization_id = $1 and status = 'pending' limit 1").await)),
        ("p_request_id", json!(one("select id::text from organization_join_requests where organization_id = $1 limit 1").await)),
        ("p_domain_id", json!(one("select id::text from organization_domains where organization_id = $1 limit 1").await)),
        ("p_link_id", json!(one("select id::text from invite_links where organization_id = $1 limit 1").await)),
        ("p_endpoint_id", json!(endpoint)),
        ("p_message_id", json!(one("select id from webhook_messages where organization_id = $1 limit 1").await)),
        ("p_user_id", json!(colleague)),
        ("p_token_id", json!(one("select id::text from directory_tokens where organization_id = $1 limit 1").await)),
        ("p_group", json!("Matrix Group")),
        ("p_send_invitations", json!(false)),
        ("p_tenant_user_id", json!(tenant_user)),
        ("p_payload", json!({
            "event_type": "tenant.user.onboarding_requested", "tenant_id": org, "tenant_name": "Matrix",
            "user_id": tenant_user, "user_role": "executor", "email": "exec@fill.example.com",
            "initiated_by": null, "correlation_id": Uuid::new_v4(),
            "requested_at": "2026-12-06T00:00:00Z"})),
        ("p_start_token", json!("a".repeat(43))),
        ("p_hostname", json!("matrix-example.com")),
        ("p_email", json!("someone@matrix-example.com")),
        ("p_role", json!("viewer")),
        ("p_default_role", json!("viewer")),
        ("p_key", json!("matrix")),
        ("p_name", json!("Matrix")),
        ("p_permissions", json!(["org:members:read"])),
        ("p_permission", json!("org:members:read")),
        ("p_url", json!("https://hooks.matrix-example.com/in")),
        ("p_section", json!("organization")),
        ("p_confirm_slug", json!("not-its-slug")),
        ("p_phase", json!("team")),
        ("p_data", json!({"completed": true})),
        ("p_required", json!(true)),
        ("p_mode", json!("manual")),
        ("p_chat_id", json!(1)),
        ("p_reason", json!("matrix")),
        ("p_token_hash", json!("e".repeat(64))),
        ("p_ttl_hours", json!(72)),
    ])
}

/// The call's arguments: the samples for every argument it has one for; an argument
/// without a sample and without a default fails the test (add a sample).
fn arguments_for(rpc: &Rpc, samples: &BTreeMap<&'static str, Value>) -> Value {
    let mut args = serde_json::Map::new();
    for (name, has_default) in &rpc.arguments {
        // force_complete_user_onboarding's p_user_id is a tenant user, not a member.
        let key = if rpc.name == "force_complete_user_onboarding" && name == "p_user_id" {
            "p_tenant_user_id"
        } else {
            name.as_str()
        };
        match samples.get(key) {
            Some(value) => {
                args.insert(name.clone(), value.clone());
            }
            None => assert!(*has_default, "{}: no sample for {name}", rpc.name),
        }
    }
    Value::Object(args)
}

/// Rows of `org` each public table holds that `who` reads through /rest/v1 (a refusal of
/// the table itself reads as none).
async fn readable_rows(
    stack: &Stack,
    tables: &[(String, String)],
    org: Uuid,
    who: &User,
) -> BTreeMap<String, usize> {
    let mut read = BTreeMap::new();
    for (table, column) in tables {
        let response = stack
            .http
            .get(stack.rest_url(&format!("{table}?select={column}&{column}=eq.{org}")))
            .header("apikey", stack.publishable_key())
            .bearer_auth(&who.jwt)
            .send()
            .await
            .unwrap();
        let rows = if response.status().is_success() {
            response.json::<Vec<Value>>().await.unwrap().len()
        } else {
            0
        };
        read.insert(table.clone(), rows);
    }
    read
}

/// Whether an answer is the MFA policy's refusal.
async fn says_mfa_required(response: reqwest::Response) -> (bool, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    let code = body["message"]
        .as_str()
        .or(body["error"]["code"].as_str())
        .unwrap_or_default();
    (
        status == 403 && code == "mfa_required",
        format!("{status} {body}"),
    )
}

#[tokio::test]
async fn below_aal2_nothing_of_an_mfa_organization_is_read_or_done_on_any_path() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack
        .organization_on_plan(&db, "Matrix", "enterprise")
        .await;
    let filled = fill_every_table(&stack, &db, &owner, org).await;
    let admin = member(&stack, &db, org, "admin").await;
    let viewer = member(&stack, &db, org, "viewer").await;
    let colleague: Uuid = db
        .query_one(
            "select user_id from organization_members where organization_id = $1 and role = 'viewer' and user_id <> $2 limit 1",
            &[&org, &viewer.id],
        )
        .await
        .unwrap()
        .get(0);
    let platform_admin = stack.platform_admin(&db).await;
    let actors = [
        ("member", &viewer),
        ("admin", &admin),
        ("owner", &owner),
        ("platform admin", &platform_admin),
    ];
    let tables: Vec<(String, String)> = organization_tables(&db)
        .await
        .into_iter()
        .filter_map(|(table, column)| Some((table.strip_prefix("public.")?.to_owned(), column)))
        // A profile is its user's own row (its organization_id is merely the active one).
        .filter(|(table, _)| table != "profiles")
        .collect();
    assert!(tables.len() >= 15, "{tables:?}");

    // What each reads with the policy off: members after a password, a platform admin
    // (for whom the platform-wide rule holds anyway) with a second factor.
    let mut without_policy = BTreeMap::new();
    for (name, who) in actors {
        let aal = if name == "platform admin" {
            "aal2"
        } else {
            "aal1"
        };
        without_policy.insert(
            name,
            readable_rows(&stack, &tables, org, &stack.session_at(who, aal)).await,
        );
    }
    // The matrix reads data, not empty tables: whatever `authenticated` may read at all,
    // the owner reads some of.
    for (table, _) in &tables {
        let grantable: bool = db
            .query_one(
                "select has_table_privilege('authenticated', 'public.' || $1, 'select')",
                &[table],
            )
            .await
            .unwrap()
            .get(0);
        if grantable {
            assert!(
                without_policy["owner"][table] > 0,
                "{table}: the owner reads none of it even without the policy"
            );
        }
    }

    ok(rpc(
        &stack,
        &stack.session_at(&owner, "aal2"),
        "set_organization_mfa_policy",
        json!({"p_organization_id": org, "p_required": true}),
    )
    .await)
    .await;

    // Tables through /rest/v1.
    for (name, who) in actors {
        let below = readable_rows(&stack, &tables, org, &stack.session_at(who, "aal1")).await;
        let unread: Vec<_> = below.iter().filter(|(_, rows)| **rows > 0).collect();
        assert!(unread.is_empty(), "{name} at aal1 reads {unread:?}");
        // (Which tables, not how many rows: switching the policy on wrote an audit row.)
        let stepped_up = readable_rows(&stack, &tables, org, &stack.session_at(who, "aal2")).await;
        let reads = |rows: &BTreeMap<String, usize>| -> Vec<String> {
            rows.iter()
                .filter(|(_, n)| **n > 0)
                .map(|(table, _)| table.clone())
                .collect()
        };
        assert_eq!(
            reads(&stepped_up),
            reads(&without_policy[name]),
            "{name} at aal2 reads what it reads without the policy"
        );
    }

    // Every RPC granted to `authenticated`: placed, then called.
    let rpcs = rpcs_for_authenticated(&db).await;
    let mut scoped = Vec::new();
    for rpc in rpcs {
        let names_organization = rpc
            .arguments
            .iter()
            .any(|(name, _)| SCOPING_ARGUMENTS.contains(&name.as_str()));
        if rpc.name == "authorize" {
            continue; // a question, not an action: checked below
        }
        assert!(
            names_organization || ACTS_ON_NO_ORGANIZATION.contains(&rpc.name.as_str()),
            "{}: acts on no organization the matrix can name; place it in ACTS_ON_NO_ORGANIZATION or give it a sample",
            rpc.name
        );
        if names_organization && !ACTS_ON_NO_ORGANIZATION.contains(&rpc.name.as_str()) {
            scoped.push(rpc);
        }
    }
    assert!(scoped.len() >= 30, "{}", scoped.len());
    // Taken once: the calls at aal2 delete some of these (a role, a domain, an endpoint);
    // later calls on them are then refused otherwise, never with `mfa_required`.
    let samples = sample_arguments(&db, org, filled.endpoint_id, colleague).await;
    let mut wrong = Vec::new();
    for aal in ["aal1", "aal2"] {
        for (name, who) in actors {
            let caller = stack.session_at(who, aal);
            // The question first: the calls below change the organization (a member leaves).
            let (_, held) = stack
                .rpc_answer(
                    "authorize",
                    &caller.jwt,
                    json!({"p_organization_id": org, "p_permission": "org:members:read"}),
                )
                .await;
            assert_eq!(held, json!(aal == "aal2"), "{name} at {aal}: authorize");

            let mut samples = samples.clone();
            samples.get_mut("p_payload").unwrap()["initiated_by"] =
                json!({"id": caller.id, "email": caller.email});
            for rpc in &scoped {
                let args = arguments_for(rpc, &samples);
                let (refused, answer) =
                    says_mfa_required(stack.rpc(&rpc.name, &caller.jwt, args).await).await;
                if refused != (aal == "aal1") {
                    wrong.push(format!("{name} at {aal}, {}: {answer}", rpc.name));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "refused at aal1 with mfa_required, never at aal2:\n{}",
        wrong.join("\n")
    );
}

/// The functions that act on an organization, at aal1 and aal2, for each role.
#[tokio::test]
async fn below_aal2_the_functions_refuse_an_mfa_organization() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack
        .organization_on_plan(&db, "Matrix functions", "enterprise")
        .await;
    fill_every_table(&stack, &db, &owner, org).await;
    let admin = member(&stack, &db, org, "admin").await;
    let viewer = member(&stack, &db, org, "viewer").await;
    let platform_admin = stack.platform_admin(&db).await;
    ok(rpc(
        &stack,
        &stack.session_at(&owner, "aal2"),
        "set_organization_mfa_policy",
        json!({"p_organization_id": org, "p_required": true}),
    )
    .await)
    .await;
    let invite: String = db
        .query_one("select id::text from onboarding_invites where organization_id = $1 and status = 'pending' limit 1", &[&org])
        .await
        .unwrap()
        .get(0);
    let tenant_user: String = db
        .query_one(
            "select id::text from tenant_users where tenant_id = $1 limit 1",
            &[&org],
        )
        .await
        .unwrap()
        .get(0);
    for aal in ["aal1", "aal2"] {
        for (name, who) in [
            ("member", &viewer),
            ("admin", &admin),
            ("owner", &owner),
            ("platform admin", &platform_admin),
        ] {
            let caller = stack.session_at(who, aal);
            let calls = [
                ("export-organization", json!({"organization_id": org})),
                ("send-invite-email", json!({"invite_id": invite})),
                (
                    "user-onboarding/request",
                    json!({
                    "event_type": "tenant.user.onboarding_requested", "tenant_id": org, "tenant_name": "Matrix",
                    "user_id": tenant_user, "user_role": "executor", "email": "exec@fill.example.com",
                    "initiated_by": {"id": caller.id, "email": caller.email}, "correlation_id": Uuid::new_v4(),
                    "requested_at": "2026-12-06T00:00:00Z"}),
                ),
            ];
            for (function, body) in calls {
                let (refused, answer) =
                    says_mfa_required(stack.call_function(function, Some(&caller.jwt), body).await)
                        .await;
                assert_eq!(
                    refused,
                    aal == "aal1",
                    "{name} at {aal}, {function}: {answer}"
                );
            }
        }
    }
}
