//! Directory sync end to end: the `scim` function (compiled WebAssembly in Deno, through
//! the gateway) with a token an owner made through PostgREST, and what it does to the
//! product as members see it with their own JWTs.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

mod access;
mod filters;
mod groups;
mod patch;
mod providers;
mod suspension;
mod users;

const SCIM: &str = "application/scim+json";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// One organization's directory, as its identity provider reaches it.
struct Directory {
    stack: Stack,
    owner: User,
    org: Uuid,
    token: String,
    token_id: Uuid,
}

/// An answer: status, content type, `Location`, JSON body (null when there is none).
struct Answer {
    status: u16,
    content_type: String,
    location: Option<String>,
    body: Value,
}

impl Directory {
    /// A new organization on the enterprise plan whose owner made a directory token.
    async fn new(db: &Client) -> Directory {
        let stack = Stack::load();
        let (owner, org) = stack
            .organization_on_plan(db, "Directory", "enterprise")
            .await;
        let (status, made) = stack
            .rpc_answer(
                "create_directory_token",
                &owner.jwt,
                json!({"p_organization_id": org}),
            )
            .await;
        assert_eq!(status, 200, "{made}");
        Directory {
            token: made["token"].as_str().unwrap().to_owned(),
            token_id: made["id"].as_str().unwrap().parse().unwrap(),
            stack,
            owner,
            org,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2{path}", self.stack.function_url("scim"))
    }

    async fn call_with(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self
            .stack
            .http
            .request(method.parse().unwrap(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.header("content-type", SCIM).body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (content_type, location) = (
            header("content-type").unwrap_or_default(),
            header("location"),
        );
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        Answer {
            status,
            content_type,
            location,
            body: if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap()
            },
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.call_with(Some(&self.token), method, path, body).await
    }

    async fn create_user(&self, user_name: &str, email: Option<&str>) -> Value {
        let mut user = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name, "name": {"givenName": "Given", "familyName": "Family"}, "active": true,
        });
        if let Some(email) = email {
            user["emails"] = json!([{"type": "work", "value": email, "primary": true}]);
        }
        let answer = self.call("POST", "/Users", Some(user)).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body
    }

    async fn create_group(&self, name: &str, members: &[&Value]) -> Value {
        let members: Vec<Value> = members.iter().map(|u| json!({"value": u["id"]})).collect();
        let answer = self
            .call(
                "POST",
                "/Groups",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": name, "members": members,
                })),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body
    }

    async fn patch(&self, path: &str, operations: Value) -> Answer {
        self.call(
            "PATCH",
            path,
            Some(json!({"schemas": [PATCH_OP], "Operations": operations})),
        )
        .await
    }

    /// The owner maps a group to a role through PostgREST, as the Team page does.
    async fn map(&self, group: &str, role: Option<&str>) {
        let (status, body) = self
            .stack
            .rpc_answer(
                "set_directory_group_role",
                &self.owner.jwt,
                json!({"p_organization_id": self.org, "p_group": group, "p_role": role}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// `who`'s role in `org`, if they are a member.
async fn role_of(db: &Client, org: Uuid, who: Uuid) -> Option<String> {
    db.query_opt(
        "select role from organization_members where organization_id = $1 and user_id = $2",
        &[&org, &who],
    )
    .await
    .unwrap()
    .map(|row| row.get(0))
}

/// The RFC 7644 error: status as a string, its scimType.
fn scim_error(answer: &Answer, status: u16, scim_type: Option<&str>) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.content_type, SCIM);
    assert_eq!(
        answer.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(answer.body["status"], status.to_string());
    assert_eq!(
        answer.body["scimType"].as_str(),
        scim_type,
        "{}",
        answer.body
    );
}
