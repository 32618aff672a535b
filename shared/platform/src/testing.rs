//! Scripted fakes of the platform's two seams, for handler unit tests without a stack
//! (feature `testing`). Each answers from a script, in order, and writes what it was
//! asked into a [`Journal`] that both can share, so a test can check the order of
//! events across them: "called Make, then recorded the outcome".

use crate::db::{Caller, Db, DbError};
use crate::outbound::{Outbound, OutboundError, OutboundRequest, OutboundResponse};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

/// What the fakes were asked, in order: `rpc <function>` and `post <url>` lines.
#[derive(Clone, Default)]
pub struct Journal(Rc<RefCell<Vec<String>>>);

impl Journal {
    pub fn entries(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    fn write(&self, entry: String) {
        self.0.borrow_mut().push(entry);
    }
}

/// One RPC as a handler made it.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcCall {
    pub function: String,
    pub args: Value,
    /// The user's JWT, or `None` for the service role.
    pub jwt: Option<String>,
}

/// A [`Db`] that answers each function's calls from its own queue; a call with no
/// answer left fails as `DbError::Unreachable`, naming the function.
#[derive(Default)]
pub struct ScriptedDb {
    answers: RefCell<HashMap<String, VecDeque<Result<Value, DbError>>>>,
    calls: RefCell<Vec<RpcCall>>,
    journal: Journal,
}

impl ScriptedDb {
    pub fn new(journal: &Journal) -> Self {
        ScriptedDb {
            journal: journal.clone(),
            ..Default::default()
        }
    }

    /// Queues the next answer to `function`.
    pub fn answer(self, function: &str, result: Result<Value, DbError>) -> Self {
        self.answers
            .borrow_mut()
            .entry(function.to_owned())
            .or_default()
            .push_back(result);
        self
    }

    pub fn calls(&self) -> Vec<RpcCall> {
        self.calls.borrow().clone()
    }
}

impl Db for ScriptedDb {
    async fn rpc(
        &self,
        caller: Caller<'_>,
        function: &str,
        args: &Value,
    ) -> Result<Value, DbError> {
        self.journal.write(format!("rpc {function}"));
        self.calls.borrow_mut().push(RpcCall {
            function: function.to_owned(),
            args: args.clone(),
            jwt: match caller {
                Caller::ServiceRole => None,
                Caller::User(jwt) => Some(jwt.to_owned()),
            },
        });
        self.answers
            .borrow_mut()
            .get_mut(function)
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| {
                Err(DbError::Unreachable(format!(
                    "no scripted answer for {function}"
                )))
            })
    }
}

/// An [`Outbound`] that answers from a script, in order; a timeout in the script is
/// answered at once (the caller's deadline is recorded, not waited for).
#[derive(Default)]
pub struct ScriptedOutbound {
    answers: RefCell<VecDeque<Result<OutboundResponse, OutboundError>>>,
    requests: RefCell<Vec<(OutboundRequest, u64)>>,
    journal: Journal,
}

impl ScriptedOutbound {
    pub fn new(journal: &Journal) -> Self {
        ScriptedOutbound {
            journal: journal.clone(),
            ..Default::default()
        }
    }

    pub fn answer(self, result: Result<OutboundResponse, OutboundError>) -> Self {
        self.answers.borrow_mut().push_back(result);
        self
    }

    /// A plain answer: `status` with `body`.
    pub fn status(self, status: u16, body: &str) -> Self {
        self.answer(Ok(OutboundResponse {
            status,
            retry_after: None,
            body: body.to_owned(),
        }))
    }

    /// Every request sent, with the deadline it was given.
    pub fn requests(&self) -> Vec<(OutboundRequest, u64)> {
        self.requests.borrow().clone()
    }
}

impl Outbound for ScriptedOutbound {
    async fn post(
        &self,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError> {
        self.next("post", request, timeout_ms)
    }

    async fn get(
        &self,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError> {
        self.next("get", request, timeout_ms)
    }
}

impl ScriptedOutbound {
    fn next(
        &self,
        method: &str,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError> {
        self.journal.write(format!("{method} {}", request.url));
        self.requests
            .borrow_mut()
            .push((request.clone(), timeout_ms));
        self.answers
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| Err(OutboundError::Unreachable("no scripted answer".into())))
    }
}
