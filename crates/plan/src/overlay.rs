//! The Packages of several inputs as one set: a later copy of a Package (same namespace and name)
//! replaces an earlier one, keeping what the API server would keep.

use uds_egress_core::Package;

use crate::input::PackageInput;
use crate::plan::contributes;

/// The Packages to plan with, in input order, a later copy replacing an earlier one in place.
/// Unparseable Packages fail the plan: unlike an invalid one, we cannot tell what it replaces.
pub fn overlay(inputs: Vec<PackageInput>) -> Result<Vec<Package>, Vec<String>> {
    let mut packages: Vec<Package> = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        let mut package = match input.package {
            Ok(package) => package,
            Err(violation) => {
                problems.push(format!("{} ({}): {violation}", input.label, input.origin));
                continue;
            }
        };
        let same = |p: &Package| p.namespace() == package.namespace() && p.name() == package.name();
        match packages.iter_mut().find(|p| same(p)) {
            Some(earlier) => {
                inherit_server_fields(&mut package, earlier);
                *earlier = package;
            }
            None => packages.push(package),
        }
    }
    if problems.is_empty() {
        Ok(packages.into_iter().filter(contributes).collect())
    } else {
        Err(problems)
    }
}

/// What the API server would keep or bump when `earlier` is updated to `later`.
fn inherit_server_fields(later: &mut Package, earlier: &Package) {
    let meta = &mut later.metadata;
    if meta.uid.is_none() {
        meta.uid = earlier.metadata.uid.clone();
    }
    if meta.creation_timestamp.is_none() {
        meta.creation_timestamp = earlier.metadata.creation_timestamp.clone();
    }
    if meta.generation.is_none() {
        let base = earlier.metadata.generation.unwrap_or(0);
        meta.generation = Some(if later.spec == earlier.spec {
            base
        } else {
            base + 1
        });
    }
}
