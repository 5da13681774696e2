//! (d) Bytes as what the policy reads besides the request: the host's replies to its list
//! lookups (`listed::packages`, `listed::foreign_claims`), and a Package's JSON text when a read
//! fails and the failing field is looked for (`json_path::failing_path`, `field_error::read`);
//! the listed Packages as the shared-reach warning reads them (each against the others, as
//! stored version and as new). Nothing may panic; a Package read from a reply always has its
//! identity.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use uds_egress_core::Package;
use uds_egress_core::field_error;
use uds_egress_policy::cluster::Listing;
use uds_egress_policy::json_path::failing_path;
use uds_egress_policy::listed;
use uds_egress_policy::shared_reach::shared_reach_warnings;

fuzz_target!(|data: &[u8]| {
    if let Ok(packages) = listed::packages(data) {
        for package in &packages {
            assert!(package.metadata.name.is_some() && package.metadata.namespace.is_some());
        }
        for (index, package) in packages.iter().enumerate() {
            let stored = packages.get(index + 1);
            for warning in shared_reach_warnings(package, stored, &packages) {
                assert!(warning.starts_with("spec.network.allow"));
            }
        }
    }
    for listing in [Listing::Gateways, Listing::VirtualServices] {
        if let Ok(claims) = listed::foreign_claims(listing, data) {
            assert!(claims.iter().all(|claim| claim.hosts.len() <= data.len()));
        }
    }
    let _ = failing_path(data);
    if let Ok(value) = serde_json::from_slice::<Value>(data)
        && let Err(err) = field_error::read::<Package>(&value)
    {
        assert!(!err.message.is_empty());
    }
});
