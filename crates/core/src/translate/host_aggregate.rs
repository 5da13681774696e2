//! Per-host aggregation over Packages: who declared a host, and the union of its pairs.

use indexmap::IndexMap;

use crate::model::Package;
use crate::resolve::{Pair, host_pairs, push_unique};

/// One host across Packages: the contributing Packages (each once, in Package order) and the
/// union of `(port, protocol)` pairs in first-seen order.
#[derive(Debug, Default)]
pub struct HostAggregate<'a> {
    pub packages: Vec<&'a Package>,
    pub pairs: Vec<Pair>,
}

/// Hosts in first-seen order over `packages` (already in canonical order), keyed verbatim.
pub fn aggregate_hosts<'a>(
    packages: impl IntoIterator<Item = &'a Package>,
) -> IndexMap<&'a str, HostAggregate<'a>> {
    let mut hosts: IndexMap<&'a str, HostAggregate<'a>> = IndexMap::new();
    for package in packages {
        for (_, allow) in package.host_rules() {
            let Some(host) = allow.host() else { continue };
            let entry = hosts.entry(host).or_default();
            // Packages arrive one at a time, so a repeat is always the last one pushed.
            if !entry
                .packages
                .last()
                .is_some_and(|last| std::ptr::eq(*last, package))
            {
                entry.packages.push(package);
            }
            push_unique(&mut entry.pairs, host_pairs(allow));
        }
    }
    hosts
}
