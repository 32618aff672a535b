//! An organization's export: every section of what it holds, fetched page by page from
//! `public.export_organization_page` and written out as one JSON document while it is
//! sent, so its size never sits in memory whole:
//!
//! `{"format": "tenant-onboarding-export/1", "exported_at", "organization": {…},
//!   "billing": […], "onboarding_phases": […], …, "audit_log": […]}`
//!
//! The database names every column it exports: no token, hash or secret is in it.

use platform::error::{ApiError, RaisedError};
use platform::{Caller, Db};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use uuid::Uuid;

pub const FORMAT: &str = "tenant-onboarding-export/1";

/// The sections after `organization`, in the document's order.
pub const SECTIONS: &[&str] = &[
    "billing",
    "onboarding_phases",
    "roles",
    "members",
    "invites",
    "invite_links",
    "domains",
    "join_requests",
    "webhook_endpoints",
    "webhook_deliveries",
    "tenant_users",
    "tenant_user_events",
    "tenant_notifications",
    "directory_users",
    "directory_groups",
    "directory_group_roles",
    "audit_log",
];

/// Rows per page: a page is one RPC, and what is held at once.
pub const PAGE_ROWS: u32 = 500;

/// The errors the export RPC raises, with their statuses.
pub const RAISED: &[RaisedError] = crate::raised::EXPORT;

pub fn from_db(error: platform::db::DbError) -> ApiError {
    ApiError::from_db(error, RAISED)
}

/// One page of a section: its rows, and where the next page starts (none after the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub rows: Vec<Value>,
    pub next: Option<String>,
    /// The database's time of this page (the first page's is the export's).
    pub at: Option<String>,
}

impl Page {
    pub fn from_answer(answer: &Value) -> Result<Page, ApiError> {
        let rows = answer["rows"].as_array().ok_or(ApiError::Upstream)?.clone();
        Ok(Page {
            rows,
            next: answer["next"].as_str().map(str::to_owned),
            at: answer["at"].as_str().map(str::to_owned),
        })
    }
}

pub async fn page<D: Db>(
    db: &D,
    jwt: &str,
    organization_id: Uuid,
    section: &str,
    after: Option<&str>,
) -> Result<Page, ApiError> {
    let answer = db
        .rpc(
            Caller::User(jwt),
            "export_organization_page",
            &json!({"p_organization_id": organization_id, "p_section": section,
                    "p_after": after, "p_limit": PAGE_ROWS}),
        )
        .await
        .map_err(from_db)?;
    Page::from_answer(&answer)
}

/// Where the writer is: the head (the organization, fetched before answering, so refusals
/// are a proper error), inside a section, or done.
enum Position {
    Head {
        organization: Value,
        at: String,
    },
    Section {
        index: usize,
        after: Option<String>,
        opened: bool,
        wrote_rows: bool,
    },
    Done,
}

/// The document's pieces, produced as the response is read.
pub struct ExportWriter<D> {
    db: Rc<D>,
    jwt: String,
    organization_id: Uuid,
    position: RefCell<Position>,
}

impl<D: Db> ExportWriter<D> {
    /// Starts from the first page of `organization` (which also proves the caller may export).
    pub fn new(
        db: Rc<D>,
        jwt: String,
        organization_id: Uuid,
        first: Page,
    ) -> Result<Self, ApiError> {
        // The export's time is the database's, from the first page: never made up here.
        let at = first.at.ok_or(ApiError::Upstream)?;
        let organization = first.rows.into_iter().next().ok_or(ApiError::Upstream)?;
        Ok(ExportWriter {
            db,
            jwt,
            organization_id,
            position: RefCell::new(Position::Head { organization, at }),
        })
    }

    async fn next_piece(&self) -> Result<Option<String>, ApiError> {
        let current = std::mem::replace(&mut *self.position.borrow_mut(), Position::Done);
        let (piece, next) = match current {
            Position::Head { organization, at } => (
                format!(
                    "{{\"format\":{},\"exported_at\":{},\"organization\":{}",
                    json!(FORMAT),
                    json!(at),
                    organization
                ),
                Position::Section {
                    index: 0,
                    after: None,
                    opened: false,
                    wrote_rows: false,
                },
            ),
            Position::Section { index, .. } if index == SECTIONS.len() => {
                ("}".to_owned(), Position::Done)
            }
            Position::Section {
                index,
                after,
                opened,
                wrote_rows,
            } => {
                let section = SECTIONS[index];
                let page = page(
                    self.db.as_ref(),
                    &self.jwt,
                    self.organization_id,
                    section,
                    after.as_deref(),
                )
                .await?;
                let mut piece = if opened {
                    String::new()
                } else {
                    format!(",{}:[", json!(section))
                };
                for (n, row) in page.rows.iter().enumerate() {
                    if wrote_rows || n > 0 {
                        piece.push(',');
                    }
                    piece.push_str(&row.to_string());
                }
                let wrote_rows = wrote_rows || !page.rows.is_empty();
                match page.next {
                    Some(after) => (
                        piece,
                        Position::Section {
                            index,
                            after: Some(after),
                            opened: true,
                            wrote_rows,
                        },
                    ),
                    None => {
                        piece.push(']');
                        (
                            piece,
                            Position::Section {
                                index: index + 1,
                                after: None,
                                opened: false,
                                wrote_rows: false,
                            },
                        )
                    }
                }
            }
            Position::Done => return Ok(None),
        };
        *self.position.borrow_mut() = next;
        Ok(Some(piece))
    }
}

impl<D: Db + 'static> platform::http::ChunkSource for ExportWriter<D> {
    fn next_chunk(&self) -> Pin<Box<dyn Future<Output = Result<Option<String>, ApiError>> + '_>> {
        Box::pin(self.next_piece())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::db::DbError;
    use platform::http::ChunkSource;

    /// Answers each section's pages from a script: two pages of members, one of the rest.
    struct Pages;

    impl Db for Pages {
        async fn rpc(&self, _: Caller<'_>, _: &str, args: &Value) -> Result<Value, DbError> {
            let section = args["p_section"].as_str().unwrap_or_default();
            Ok(match (section, args["p_after"].as_str()) {
                ("members", None) => json!({"rows": [{"n": 1}, {"n": 2}], "next": "2"}),
                ("members", Some("2")) => json!({"rows": [{"n": 3}], "next": null}),
                ("audit_log", None) => {
                    json!({"rows": [{"action": "organization.created"}], "next": null})
                }
                _ => json!({"rows": [], "next": null}),
            })
        }
    }

    #[tokio::test]
    async fn the_pieces_make_one_document_with_every_section_and_every_page() {
        let first = Page {
            rows: vec![json!({"id": "o"})],
            next: None,
            at: Some("2026-12-01T00:00:00Z".into()),
        };
        let writer = ExportWriter::new(Rc::new(Pages), "jwt".into(), Uuid::nil(), first).unwrap();
        let mut document = String::new();
        while let Some(piece) = writer.next_chunk().await.unwrap() {
            document.push_str(&piece);
        }
        let parsed: Value = serde_json::from_str(&document).unwrap();
        assert_eq!(
            (parsed["format"].as_str(), parsed["exported_at"].as_str()),
            (Some(FORMAT), Some("2026-12-01T00:00:00Z"))
        );
        assert_eq!(parsed["organization"], json!({"id": "o"}));
        assert_eq!(parsed["members"], json!([{"n": 1}, {"n": 2}, {"n": 3}]));
        assert_eq!(parsed["audit_log"].as_array().unwrap().len(), 1);
        for section in SECTIONS {
            assert!(parsed[section].is_array(), "{section}");
        }
    }
}
