//! A TCP/UDP port number, 1–65535, read strictly: no strings, no fractions, no zero.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port(u16);

impl Port {
    /// `None` for 0; every other `u16` is a valid port.
    pub fn new(number: u16) -> Option<Port> {
        (number != 0).then_some(Port(number))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Port {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.0)
    }
}

const EXPECTED: &str = "an integer port number from 1 to 65535";

struct PortVisitor;

impl<'de> Visitor<'de> for PortVisitor {
    type Value = Port;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
        u16::try_from(v)
            .ok()
            .and_then(Port::new)
            .ok_or_else(|| E::custom(format!("port {v} is out of range, expected {EXPECTED}")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!(
                "port {v} is out of range, expected {EXPECTED}"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Port, E> {
        Err(E::custom(format!(
            "port {v} is not an integer, expected {EXPECTED}"
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Port, E> {
        let shown: String = v.chars().take(32).collect();
        Err(E::custom(format!(
            "port is the string {shown:?}, expected {EXPECTED} (write it without quotes)"
        )))
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Port, D::Error> {
        d.deserialize_any(PortVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Port, String> {
        serde_json::from_str::<Port>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_the_whole_range() {
        assert_eq!(parse("1").map(Port::get), Ok(1));
        assert_eq!(parse("65535").map(Port::get), Ok(65535));
    }

    #[test]
    fn refuses_zero_negative_large_fractions_and_strings() {
        for bad in [
            "0", "-1", "70000", "443.5", "1e309", "\"443\"", "null", "[443]",
        ] {
            let err = parse(bad).expect_err(bad);
            assert!(
                err.contains("port") || err.contains("out of range"),
                "{bad}: {err}"
            );
        }
    }
}
