//! What a change of one Package opens for the workloads of other Packages through shared
//! objects, by the full analysis. The policy warns about the `shared-entry` part with the direct
//! rule of [`shared_entry_openings`], which the property tests hold equal to this.
//!
//! [`shared_entry_openings`]: crate::reach::shared_entry_openings

use std::collections::BTreeMap;

use crate::desired::desired_state;
use crate::model::Package;
use crate::reach::diff::diff;
use crate::reach::reach_of_generated;
use crate::reach::set::ReasonKind;
use crate::reach::shared_entry_openings::Opening;
use crate::reach::workload::PackageRef;
use crate::rules::config::RuleConfig;

/// The targets that `after` opens, compared with `before`, for workloads of Packages other than
/// `subject`, because shared objects now carry something `subject` declared, for one of the
/// reasons `through` (`shared-entry`, `anywhere`, `open-waypoint`). Sorted by host, port,
/// protocol.
pub fn opened_for_others(
    before: &[Package],
    after: &[Package],
    subject: &PackageRef,
    config: &RuleConfig,
    through: &[ReasonKind],
) -> Vec<Opening> {
    let reach = |packages: &[Package]| {
        let state = desired_state(packages, config);
        reach_of_generated(packages, &state.objects)
    };
    // Generated objects always read; were one not to, there is nothing to warn about.
    let (Ok(old), Ok(new)) = (reach(before), reach(after)) else {
        return Vec::new();
    };
    let mut grouped: BTreeMap<(String, u16, String), Vec<PackageRef>> = BTreeMap::new();
    for change in diff(&old, &new).opened {
        let owner = &change.pair.workload.package;
        let Some(reach) = &change.after else { continue };
        let through_subject = reach
            .reasons
            .iter()
            .any(|r| through.contains(&r.kind) && r.packages.contains(subject));
        if owner == subject || !through_subject {
            continue;
        }
        grouped
            .entry((
                change.pair.host.clone(),
                change.pair.port,
                change.pair.protocol.clone(),
            ))
            .or_default()
            .push(owner.clone());
    }
    grouped
        .into_iter()
        .map(|((host, port, protocol), mut packages)| {
            packages.sort();
            packages.dedup();
            Opening {
                host,
                port,
                protocol,
                packages,
            }
        })
        .collect()
}
