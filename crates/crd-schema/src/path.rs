//! JSON paths in the dotted form Kubernetes uses in its messages: `spec.servers[0].port.number`.

use std::fmt;

#[derive(Debug, Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct JsonPath(Vec<Segment>);

impl JsonPath {
    pub(crate) fn push_key(&mut self, key: &str) {
        self.0.push(Segment::Key(key.to_owned()));
    }

    pub(crate) fn push_index(&mut self, index: usize) {
        self.0.push(Segment::Index(index));
    }

    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }
}

/// Keys such as label names (`uds/package`) are not valid after a dot; quote them in brackets.
fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if is_plain_key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => write!(f, "[{}]", serde_json::Value::from(key.as_str()))?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_keys_indexes_and_quoted_keys() {
        let mut path = JsonPath::default();
        path.push_key("spec");
        path.push_key("servers");
        path.push_index(0);
        path.push_key("port");
        assert_eq!(path.to_string(), "spec.servers[0].port");
        path.pop();
        path.pop();
        path.pop();
        path.push_key("uds/package");
        assert_eq!(path.to_string(), "spec[\"uds/package\"]");
    }
}
