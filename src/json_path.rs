//! Where in a JSON text reading it as a `serde_json::Value` fails.
//!
//! The admission envelope's parse has already checked the object's syntax, so what is left to
//! fail is what only reading the values finds: a number out of range (`"port": 1e309`) or nesting
//! deeper than the parser's limit. This walks the text once more, keeping the path of the value
//! being read, and returns it when the read fails, so the message can name the field. It runs
//! only after a failure; it builds nothing.

use std::cell::RefCell;
use std::fmt;

use serde::Deserializer;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use uds_egress_core::field_error::{Step, render};

/// The path (`spec.network.allow[0].port`) of the value at which reading `text` fails, or `None`
/// when it reads, or fails outside any value (the path would be empty).
pub fn failing_path(text: &[u8]) -> Option<String> {
    let path = RefCell::new(Vec::new());
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let read = Walk { path: &path }.deserialize(&mut deserializer);
    let path = path.into_inner();
    (read.is_err() && !path.is_empty()).then(|| render(&path))
}

/// Reads any value, entering objects and lists with their key or index on the path. A step
/// is taken off when its value has been read, so after a failure the path ends at the culprit.
#[derive(Clone, Copy)]
struct Walk<'p> {
    path: &'p RefCell<Vec<Step>>,
}

impl Walk<'_> {
    fn enter(&self, step: Step) {
        self.path.borrow_mut().push(step);
    }

    fn leave(&self) {
        self.path.borrow_mut().pop();
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            self.enter(Step::Index(index));
            if items.next_element_seed(self)?.is_none() {
                self.leave();
                return Ok(());
            }
            self.leave();
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<(), A::Error> {
        while let Some(key) = fields.next_key::<String>()? {
            self.enter(Step::Key(key));
            fields.next_value_seed(self)?;
            self.leave();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_value_that_does_not_read() {
        let text = br#"{"spec": {"network": {"allow": [{"port": 443}, {"port": 1e309}]}}}"#;
        assert_eq!(
            failing_path(text).as_deref(),
            Some("spec.network.allow[1].port")
        );
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(
            failing_path(deep.as_bytes()).is_some_and(|p| p.starts_with("a[0][0]")),
            "{:?}",
            failing_path(deep.as_bytes())
        );
    }

    #[test]
    fn nothing_when_it_reads_or_fails_outside_a_value() {
        assert_eq!(failing_path(br#"{"a": [1, 2.5, "x", null, true]}"#), None);
        assert_eq!(failing_path(b"1e309"), None);
    }
}
