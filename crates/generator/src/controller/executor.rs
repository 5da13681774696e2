//! Carries out a plan's writes, each with capped exponential backoff on transient errors, going
//! on past the ones that fail. Before each write it asks whether to stop (shutdown, or lost
//! leadership): the write in flight always finishes, no new one starts.

use futures::{StreamExt, stream};
use serde_json::Value;
use tracing::{info, warn};
use uds_egress_core::GeneratedObject;

use super::backoff::{Backoff, is_retryable, status_code};
use super::object_api::{CallError, ObjectApi, WRITES_IN_FLIGHT};
use uds_egress_plan::identity::{ObjectId, is_owned, uid_and_version};
use uds_egress_plan::{Delete, Plan};

/// What became of one step.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Done,
    /// The object turned out to exist without our label: left alone.
    Foreign(Value),
    Failed(String),
    /// Not attempted: asked to stop.
    Stopped,
}

/// The result of every step of a plan, in the order tried.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Executed {
    pub created: Vec<ObjectId>,
    pub updated: Vec<ObjectId>,
    pub deleted: Vec<ObjectId>,
    pub foreign: Vec<(ObjectId, Value)>,
    pub failed: Vec<(ObjectId, String)>,
    pub stopped: bool,
}

pub struct Executor<'a> {
    pub api: &'a ObjectApi,
    pub backoff: Backoff,
    pub should_stop: &'a (dyn Fn() -> bool + Send + Sync),
}

impl Executor<'_> {
    /// Creates, then updates, then deletes: a phase starts when the one before it is over, so
    /// that what an update or a delete relies on is already there. Within a phase up to
    /// [`WRITES_IN_FLIGHT`] writes run at once (the API server batches their storage); the
    /// outcomes are kept in plan order.
    pub async fn execute(&self, plan: &Plan) -> Executed {
        let mut done = Executed::default();
        let phases: [Vec<Step<'_>>; 3] = [
            plan.creates.iter().map(Step::Create).collect(),
            plan.updates
                .iter()
                .map(|u| Step::Update(&u.object))
                .collect(),
            plan.deletes.iter().map(Step::Delete).collect(),
        ];
        for steps in phases {
            // Futures collected first, from a named method: see `existence::foreign_objects`.
            // Unordered, so that one slow write does not hold back the ones behind it: always
            // WRITES_IN_FLIGHT at the server. The outcomes are put back in plan order.
            let runs: Vec<_> = steps
                .into_iter()
                .enumerate()
                .map(|(index, step)| self.run(index, step))
                .collect();
            let mut outcomes: Vec<(usize, Step<'_>, Outcome)> = stream::iter(runs)
                .buffer_unordered(WRITES_IN_FLIGHT)
                .collect()
                .await;
            outcomes.sort_by_key(|(index, _, _)| *index);
            for (_, step, outcome) in outcomes {
                record(&mut done, &step, outcome);
            }
            if done.stopped {
                break;
            }
        }
        done
    }

    async fn run<'p>(&self, index: usize, step: Step<'p>) -> (usize, Step<'p>, Outcome) {
        let outcome = self.step(&step).await;
        (index, step, outcome)
    }

    async fn step(&self, step: &Step<'_>) -> Outcome {
        match step {
            Step::Create(object) => self.apply(object, false).await,
            Step::Update(object) => self.apply(object, true).await,
            Step::Delete(delete) => self.delete(delete).await,
        }
    }

    /// Applies `object`, forcing only when it is known to be ours. A 409 on an unforced apply
    /// means another field manager holds the object: it is looked at again before a retry.
    async fn apply(&self, object: &GeneratedObject, owned: bool) -> Outcome {
        let id = ObjectId::of_key(&object.key);
        let mut force = owned;
        let mut retry = 0;
        let mut delays = self.backoff.delays();
        loop {
            if (self.should_stop)() {
                return Outcome::Stopped;
            }
            let error = match self.api.apply(object, force).await {
                Ok(()) => return Outcome::Done,
                Err(error) => error,
            };
            if let Some(outcome) = self.give_up(&id, &error, retry) {
                return outcome;
            }
            if status_code_of(&error) == Some(409) {
                match self.api.get(&id).await {
                    Ok(Some(live)) if !is_owned(&live) => return Outcome::Foreign(live),
                    Ok(Some(_)) => force = true,
                    Ok(None) => force = false,
                    Err(read) => {
                        warn!(object = %id, error = %read, "re-reading after a conflict failed")
                    }
                }
            }
            if let Some(delay) = delays.next() {
                tokio::time::sleep(delay).await;
            }
            retry += 1;
        }
    }

    /// Deletes with preconditions. A 409 means the object changed since it was seen: it is
    /// deleted only if it still carries our label.
    async fn delete(&self, delete: &Delete) -> Outcome {
        let mut current = delete.clone();
        let mut retry = 0;
        let mut delays = self.backoff.delays();
        loop {
            if (self.should_stop)() {
                return Outcome::Stopped;
            }
            let error = match self.api.delete(&current).await {
                Ok(()) => return Outcome::Done,
                Err(error) => error,
            };
            if let Some(outcome) = self.give_up(&current.id, &error, retry) {
                return outcome;
            }
            if status_code_of(&error) == Some(409) {
                match self.api.get(&current.id).await {
                    Ok(None) => return Outcome::Done,
                    Ok(Some(live)) if !is_owned(&live) => return Outcome::Foreign(live),
                    Ok(Some(live)) => {
                        let (uid, resource_version) = uid_and_version(&live);
                        current.uid = uid;
                        current.resource_version = resource_version;
                    }
                    Err(read) => {
                        warn!(object = %current.id, error = %read, "re-reading after a conflict failed");
                    }
                }
            }
            if let Some(delay) = delays.next() {
                tokio::time::sleep(delay).await;
            }
            retry += 1;
        }
    }

    /// `Some` when `error` ends the step: not retryable, or out of attempts.
    fn give_up(&self, id: &ObjectId, error: &CallError, retry: u32) -> Option<Outcome> {
        let retryable = matches!(error, CallError::Api(e) if is_retryable(e));
        if !retryable || retry + 1 >= self.backoff.attempts {
            return Some(Outcome::Failed(error.to_string()));
        }
        warn!(object = %id, %error, retry = retry + 1, "transient error, retrying");
        None
    }
}

/// Logs one step's outcome and files it.
fn record(done: &mut Executed, step: &Step<'_>, outcome: Outcome) {
    let id = step.id();
    match outcome {
        Outcome::Done => {
            info!(object = %id, action = step.verb(), "written");
            match step {
                Step::Create(_) => done.created.push(id),
                Step::Update(_) => done.updated.push(id),
                Step::Delete(_) => done.deleted.push(id),
            }
        }
        Outcome::Foreign(live) => {
            warn!(object = %id, action = step.verb(),
                "exists without the uds-egress label: left alone");
            done.foreign.push((id, live));
        }
        Outcome::Failed(error) => {
            warn!(object = %id, action = step.verb(), %error, "write failed");
            done.failed.push((id, error));
        }
        // Not attempted; the steps after it in this phase were not either.
        Outcome::Stopped => done.stopped = true,
    }
}

fn status_code_of(error: &CallError) -> Option<u16> {
    match error {
        CallError::Api(e) => status_code(e),
        CallError::UnknownKind(_) => None,
    }
}

enum Step<'a> {
    Create(&'a GeneratedObject),
    Update(&'a GeneratedObject),
    Delete(&'a Delete),
}

impl Step<'_> {
    fn id(&self) -> ObjectId {
        match self {
            Step::Create(object) | Step::Update(object) => ObjectId::of_key(&object.key),
            Step::Delete(delete) => delete.id.clone(),
        }
    }

    fn verb(&self) -> &'static str {
        match self {
            Step::Create(_) => "create",
            Step::Update(_) => "update",
            Step::Delete(_) => "delete",
        }
    }
}
