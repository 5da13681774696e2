//! Printing generated objects as multi-document YAML.

use std::fmt::Write as _;

use uds_egress_core::GeneratedObject;

/// Every object as its own `---` document, in the given order.
pub fn to_yaml(objects: &[GeneratedObject]) -> Result<String, serde_yaml_ng::Error> {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n");
        let _ = write!(out, "{}", serde_yaml_ng::to_string(&object.manifest)?);
    }
    Ok(out)
}
