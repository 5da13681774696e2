//! What a change opens or closes: the pairs of two reach sets that differ.

use serde::Serialize;

use crate::reach::set::{PairKey, Reach, ReachSet};

/// One pair that changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub pair: PairKey,
    /// Absent: not reached before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Reach>,
    /// Absent: not reached after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Reach>,
}

/// Pairs opened, closed, and reached for other reasons, each sorted by pair.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReachDiff {
    pub opened: Vec<Change>,
    pub closed: Vec<Change>,
    /// Reached before and after, with other reasons.
    pub changed: Vec<Change>,
}

impl ReachDiff {
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty() && self.closed.is_empty() && self.changed.is_empty()
    }
}

/// The pairs whose reach differs between `before` and `after`. Only reasons count as a change of
/// a pair that stays reached; the objects on the way are detail.
pub fn diff(before: &ReachSet, after: &ReachSet) -> ReachDiff {
    let old = before.pairs();
    let new = after.pairs();
    let mut out = ReachDiff::default();
    for (pair, reach) in &new {
        match old.get(pair) {
            None => out.opened.push(Change {
                pair: pair.clone(),
                before: None,
                after: Some((*reach).clone()),
            }),
            Some(earlier) if earlier.reasons != reach.reasons => out.changed.push(Change {
                pair: pair.clone(),
                before: Some((*earlier).clone()),
                after: Some((*reach).clone()),
            }),
            Some(_) => {}
        }
    }
    for (pair, reach) in &old {
        if !new.contains_key(pair) {
            out.closed.push(Change {
                pair: pair.clone(),
                before: Some((*reach).clone()),
                after: None,
            });
        }
    }
    out
}
