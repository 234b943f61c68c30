//! The one fake resumer for tests: it records which sessions it was asked to continue and answers every
//! request with the same outcome.

use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{ContinueRequest, ResumeError, Resumer, StartRequest};
use crate::model::TurnOutcome;

pub struct FakeResumer {
    outcome: TurnOutcome,
    continued: Mutex<Vec<String>>,
}

impl FakeResumer {
    /// A resumer whose every turn ends with `outcome` (starting a new session fails).
    pub fn answering(outcome: TurnOutcome) -> Arc<Self> {
        Arc::new(FakeResumer {
            outcome,
            continued: Mutex::new(Vec::new()),
        })
    }

    /// The ids of the sessions it was asked to continue, in order.
    pub fn continued(&self) -> Vec<String> {
        self.continued.lock().expect("not poisoned").clone()
    }
}

impl Resumer for FakeResumer {
    fn continue_session(
        self: Arc<Self>,
        req: ContinueRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        self.continued
            .lock()
            .expect("not poisoned")
            .push(req.session_id);
        let outcome = self.outcome.clone();
        async move { Ok(outcome) }.boxed()
    }

    fn start_session(
        self: Arc<Self>,
        _req: StartRequest,
    ) -> BoxFuture<'static, Result<TurnOutcome, ResumeError>> {
        async {
            Err(ResumeError::Failed(
                "the fake resumer starts no session".into(),
            ))
        }
        .boxed()
    }
}
