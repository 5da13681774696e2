//! Kubernetes Events about invalid Packages, foreign objects in the way and writes that failed
//! (on the Packages the object belongs to). Each distinct problem is published once while it
//! lasts (a changed object or message is a new problem); one that goes away and comes back is
//! published again.

use std::collections::BTreeSet;
use std::sync::Mutex;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::Client;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use tracing::warn;

use super::pass::PassOutcome;
use uds_egress_core::objects::meta::{MANAGED_BY_LABEL, MANAGED_BY_VALUE};

/// Events notes are limited to 1 kB.
const MAX_NOTE: usize = 1000;

pub struct EventSink {
    recorder: Recorder,
    published: Mutex<BTreeSet<String>>,
}

/// One Event to publish.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub regarding: ObjectReference,
    pub reason: &'static str,
    pub note: String,
    pub related: Option<ObjectReference>,
}

impl EventSink {
    pub fn new(client: Client, instance: String) -> EventSink {
        let reporter = Reporter {
            controller: "uds-egress".into(),
            instance: Some(instance),
        };
        EventSink {
            recorder: Recorder::new(client, reporter),
            published: Mutex::new(BTreeSet::new()),
        }
    }

    /// Publishes the pass's notices that were not already published for the previous pass.
    pub async fn publish(&self, outcome: &PassOutcome) {
        let notices = notices(outcome);
        let keys: Vec<String> = notices.iter().map(key).collect();
        let fresh: Vec<&Notice> = {
            let published = self.published.lock().unwrap_or_else(|p| p.into_inner());
            notices
                .iter()
                .zip(&keys)
                .filter(|(_, k)| !published.contains(*k))
                .map(|(n, _)| n)
                .collect()
        };
        for notice in fresh {
            let event = Event {
                type_: EventType::Warning,
                reason: notice.reason.into(),
                note: Some(notice.note.clone()),
                action: "Plan".into(),
                secondary: notice.related.clone(),
            };
            if let Err(error) = self.recorder.publish(&event, &notice.regarding).await {
                warn!(object = %describe(&notice.regarding), reason = notice.reason, %error,
                    "could not publish an Event");
            }
        }
        *self.published.lock().unwrap_or_else(|p| p.into_inner()) = keys.into_iter().collect();
    }
}

/// The Events a pass calls for.
pub fn notices(outcome: &PassOutcome) -> Vec<Notice> {
    let mut notices = Vec::new();
    for invalid in &outcome.invalid {
        notices.push(Notice {
            regarding: invalid.reference.clone(),
            reason: "InvalidPackage",
            note: truncate(format!(
                "contributes no egress objects: {}",
                invalid.problems.join("; ")
            )),
            related: None,
        });
    }
    for conflict in &outcome.conflicts {
        let hosts = if conflict.hosts.is_empty() {
            "this object is skipped".to_string()
        } else {
            format!("host {} skipped", conflict.hosts.join(", "))
        };
        notices.push(Notice {
            regarding: conflict.foreign.clone(),
            reason: "OwnedNameConflict",
            note: truncate(format!(
                "has the name of an object uds-egress generates but not the label \
                 {MANAGED_BY_LABEL}={MANAGED_BY_VALUE}: left alone; {hosts}"
            )),
            related: None,
        });
        for package in &conflict.packages {
            notices.push(Notice {
                regarding: package.clone(),
                reason: "EgressObjectConflict",
                note: truncate(format!(
                    "{} exists without the label {MANAGED_BY_LABEL}={MANAGED_BY_VALUE}: {hosts}",
                    conflict.id
                )),
                related: Some(conflict.foreign.clone()),
            });
        }
    }
    for failure in &outcome.failures {
        for regarding in &failure.regarding {
            notices.push(Notice {
                regarding: regarding.clone(),
                reason: "WriteFailed",
                note: truncate(format!(
                    "{} could not be written: {}",
                    failure.id, failure.error
                )),
                related: None,
            });
        }
    }
    notices
}

fn key(notice: &Notice) -> String {
    let r = &notice.regarding;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    format!(
        "{}|{}/{}/{}|{}|{}|{}",
        notice.reason,
        text(&r.kind),
        text(&r.namespace),
        text(&r.name),
        text(&r.uid),
        text(&r.resource_version),
        notice.note
    )
}

fn describe(reference: &ObjectReference) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    format!(
        "{} {}/{}",
        text(&reference.kind),
        text(&reference.namespace),
        text(&reference.name)
    )
}

fn truncate(mut note: String) -> String {
    if note.len() > MAX_NOTE {
        let mut end = MAX_NOTE - 3;
        while !note.is_char_boundary(end) {
            end -= 1;
        }
        note.truncate(end);
        note.push_str("...");
    }
    note
}
