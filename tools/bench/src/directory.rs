//! Directory sync: a first sync as an identity provider pushes it — 2,000 users (half of
//! them with an account already, so half become members at once), then 20 groups of 100
//! mapped to roles — and the lookup providers make before every create, `GET
//! /Users?filter=userName eq …`, in a directory of 10,000.

use super::*;

const USERS: usize = 2_000;
const GROUPS: usize = 20;
const LOOKUP_DIRECTORY: usize = 10_000;

/// An enterprise organization and a directory token its owner made (as PostgREST runs
/// `create_directory_token` for the owner's JWT).
async fn fresh_directory(db: &Client) -> (Uuid, String) {
    let (owner, email) = fresh_users(db, 1, "scim-owner").await.remove(0);
    let org: Uuid = db
        .query_one(
            "select (public.create_signup_workspace($1, $2, '{}') ->> 'organization_id')::uuid",
            &[&owner, &email],
        )
        .await
        .unwrap()
        .get(0);
    db.execute(
        "update organizations set plan_id = 'enterprise' where id = $1",
        &[&org],
    )
    .await
    .unwrap();
    db.batch_execute(&format!(
        "begin; select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{{\"sub\": \"{owner}\", \"role\": \"authenticated\"}}', true);"
    ))
    .await
    .unwrap();
    let token: String = db
        .query_one(
            "select public.create_directory_token($1) ->> 'token'",
            &[&org],
        )
        .await
        .unwrap()
        .get(0);
    db.execute(
        "select public.set_directory_group_role($1, 'Group 1', 'admin')",
        &[&org],
    )
    .await
    .unwrap();
    db.batch_execute("commit").await.unwrap();
    (org, token)
}

fn scim(stack: &Stack, path: &str) -> String {
    format!("{}/v2{path}", stack.function("scim"))
}

pub(crate) async fn directory_scenarios(stack: &Stack, runs: &mut Vec<Run>) {
    let (org, token) = fresh_directory(&stack.db).await;
    let with_accounts = fresh_users(&stack.db, USERS / 2, "scim").await;
    // Made with triggers off: noted as confirmed as the trigger on auth.users would.
    let account_ids: Vec<Uuid> = with_accounts.iter().map(|(id, _)| *id).collect();
    stack
        .db
        .execute(
            "insert into private.confirmed_emails (user_id, email) select id, lower(email) from auth.users where id = any($1)",
            &[&account_ids],
        )
        .await
        .unwrap();
    let names: Vec<String> = with_accounts
        .iter()
        .map(|(_, email)| email.clone())
        .chain(
            (0..USERS / 2).map(|i| format!("pending-{i}-{}@bench.test", Uuid::new_v4().simple())),
        )
        .collect();
    let creates = names
        .iter()
        .map(|name| Call {
            url: scim(stack, "/Users"),
            caller: Caller::Bearer(token.clone()),
            body: json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": name, "active": true, "name": {"givenName": "Bench", "familyName": "User"},
                "emails": [{"type": "work", "primary": true, "value": name}],
            }),
            expect: 201,
        })
        .collect();
    runs.push(load(stack, "scim-create-user", "rust-wasm", 8, creates).await);

    let ids: Vec<Uuid> = stack
        .db
        .query(
            "select id from directory_users where organization_id = $1 order by created_at",
            &[&org],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let groups = ids
        .chunks(USERS / GROUPS)
        .enumerate()
        .map(|(i, members)| Call {
            url: scim(stack, "/Groups"),
            caller: Caller::Bearer(token.clone()),
            body: json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": format!("Group {}", i + 1),
                "members": members.iter().map(|id| json!({"value": id})).collect::<Vec<_>>(),
            }),
            expect: 201,
        })
        .collect();
    runs.push(load(stack, "scim-create-group-100", "rust-wasm", 4, groups).await);
    let members: i64 = stack
        .db
        .query_one(
            "select count(*) from organization_members where organization_id = $1",
            &[&org],
        )
        .await
        .unwrap()
        .get(0);
    eprintln!("[bench] directory: {members} members after the first sync (the owner and {} with accounts)", USERS / 2);

    // The provider's lookup in a directory of 10,000: the rest added in SQL.
    stack
        .db
        .execute(
            "insert into directory_users (organization_id, user_name, active, email, resource)
             select $1, n, true, n, jsonb_build_object('userName', n, 'active', true)
             from (select 'bulk-' || i || '-' || substr(md5(random()::text), 1, 8) || '@bench.test' as n
                   from generate_series(1, $2::int) i) s",
            &[&org, &((LOOKUP_DIRECTORY - USERS) as i32)],
        )
        .await
        .unwrap();
    stack
        .db
        .batch_execute("analyze directory_users")
        .await
        .unwrap();
    let lookups = names
        .iter()
        .cycle()
        .step_by(7)
        .take(ops_for(1))
        .map(|name| Call {
            url: scim(
                stack,
                &format!(
                    "/Users?filter=userName%20eq%20%22{}%22",
                    name.to_uppercase()
                ),
            ),
            caller: Caller::Bearer(token.clone()),
            body: Value::Null,
            expect: 200,
        })
        .collect();
    runs.push(load(stack, "scim-filter-username-10k", "rust-wasm", 1, lookups).await);
}
