//! (a) Raw bytes through the policy's request handling: `validate::evaluate`, the function the
//! waPC `validate` export calls, and `settings::check_settings_payload`, which `validate_settings`
//! calls. Nothing may panic; every rejection has a message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use uds_egress_fuzz::cluster::FuzzCluster;
use uds_egress_fuzz::oracles::check_verdict;
use uds_egress_policy::settings::check_settings_payload;
use uds_egress_policy::validate::evaluate;

fuzz_target!(|data: &[u8]| {
    // The input decides the cluster too, so that the fail-closed path is reached.
    let cluster = FuzzCluster {
        failing: data.len() % 7 == 3,
    };
    check_verdict(&evaluate(data, &cluster));
    let settings = check_settings_payload(data);
    assert!(settings.valid || settings.message.is_some());
});
