//! A structure-aware generator of plausible-but-wrong Packages: `Arbitrary` picks, field by field,
//! between absent, `null`, a value from the vocabulary of odd inputs (or built from parts), and a
//! value of the wrong type; it adds unknown fields, duplicate keys, huge numbers, deep nesting and,
//! rarely, thousands of rules. It may start from one of the example Packages.

use arbitrary::Arbitrary;

use crate::examples::example;
use crate::json::{HugeNumber, Json};
use crate::odd_inputs::{
    DESCRIPTIONS, GENERATED, HOSTS, LABEL_KEYS, LABEL_VALUES, MODES, NAMESPACES, PACKAGE_NAMES,
    PROTOCOLS, SERVICE_ACCOUNTS,
};

/// A field: absent, `null`, a value, or a value of any other type.
#[derive(Arbitrary, Debug)]
pub enum Field<T> {
    Absent,
    Null,
    Set(T),
    Wrong(Json),
}

impl<T> Field<T> {
    /// The field's JSON, `None` when absent.
    fn json(&self, set: impl FnOnce(&T) -> Json) -> Option<Json> {
        match self {
            Field::Absent => None,
            Field::Null => Some(Json::Null),
            Field::Set(value) => Some(set(value)),
            Field::Wrong(json) => Some(json.clone()),
        }
    }
}

/// A string: one of a field's known values, arbitrary text, or a long run of one character.
#[derive(Arbitrary, Debug)]
pub enum Text {
    Known(u8),
    Raw(String),
    Run(u16, char),
}

impl Text {
    fn render(&self, known: &[&str]) -> String {
        match self {
            Text::Known(i) => pick(known, *i).to_string(),
            Text::Raw(s) => s.clone(),
            Text::Run(len, c) => c.to_string().repeat(usize::from(*len % 1024)),
        }
    }
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list.get(usize::from(i) % list.len().max(1))
        .copied()
        .unwrap_or("")
}

/// A host: a known odd one, one assembled from labels and decorations, or a long one.
#[derive(Arbitrary, Debug)]
pub enum Host {
    Known(u8),
    Built {
        labels: Vec<Text>,
        upper: bool,
        trailing_dots: u8,
        scheme: bool,
        port: Option<u16>,
        path: bool,
        padded: bool,
    },
    Long(u16),
}

const HOST_LABELS: &[&str] = &[
    "api",
    "github",
    "com",
    "xn--bcher-kva",
    "a-b",
    "x",
    "0",
    "-",
];

impl Host {
    fn render(&self) -> String {
        match self {
            Host::Known(i) => pick(HOSTS, *i).to_string(),
            Host::Built {
                labels,
                upper,
                trailing_dots,
                scheme,
                port,
                path,
                padded,
            } => {
                let mut host: String = labels
                    .iter()
                    .map(|label| label.render(HOST_LABELS))
                    .collect::<Vec<_>>()
                    .join(".");
                if *upper {
                    host = host.to_uppercase();
                }
                host.push_str(&".".repeat(usize::from(*trailing_dots % 3)));
                if *scheme {
                    host = format!("https://{host}");
                }
                if let Some(port) = port {
                    host = format!("{host}:{port}");
                }
                if *path {
                    host.push_str("/v1");
                }
                if *padded {
                    host = format!(" {host}\t");
                }
                host
            }
            Host::Long(len) => {
                let len = usize::from(*len % 600);
                let mut host = String::new();
                while host.len() < len {
                    host.push_str(if host.len() % 64 == 63 { "." } else { "a" });
                }
                host.push_str(".com");
                host
            }
        }
    }
}

/// A port number as written: in range or not, a float, a number no type holds, or a string.
#[derive(Arbitrary, Debug)]
pub enum Number {
    Port(u16),
    Int(i64),
    Float(f64),
    Huge(HugeNumber),
    Quoted(u16),
}

impl Number {
    fn json(&self) -> Json {
        match self {
            Number::Port(p) => Json::Int(i64::from(*p)),
            Number::Int(i) => Json::Int(*i),
            Number::Float(f) => Json::Float(*f),
            Number::Huge(h) => Json::Huge(*h),
            Number::Quoted(p) => Json::str(p.to_string()),
        }
    }
}

type Labels = Vec<(Text, Text)>;

fn labels_json(labels: &Labels) -> Json {
    Json::Obj(
        labels
            .iter()
            .map(|(k, v)| (k.render(LABEL_KEYS), Json::str(v.render(LABEL_VALUES))))
            .collect(),
    )
}

/// One `allow[]` entry.
#[derive(Arbitrary, Debug)]
pub struct Allow {
    direction: Field<Text>,
    remote_host: Field<Host>,
    remote_protocol: Field<Text>,
    port: Field<Number>,
    ports: Field<Vec<Number>>,
    description: Field<Text>,
    selector: Field<Labels>,
    labels: Field<Labels>,
    pod_labels: Field<Labels>,
    remote_selector: Field<Labels>,
    service_account: Field<Text>,
    remote_generated: Field<Text>,
    remote_namespace: Field<Text>,
    remote_cidr: Field<Text>,
    unknown: Vec<(String, Json)>,
    /// A second `remoteHost` key after the first: JSON parsers keep one or refuse.
    duplicate_host: Option<Host>,
}

/// The rule count of the rare Packages with thousands of rules.
const THOUSANDS: usize = 10_000;
/// ... as long as their JSON stays under this size: past the policy's 3 MiB payload limit more
/// bytes reach no new code, and large generated rules times 10,000 would take gigabytes.
const MAX_REPEATED_BYTES: usize = 4 * 1024 * 1024;

const DIRECTIONS: &[&str] = &["Egress", "Ingress", "egress", ""];
const CIDRS: &[&str] = &["10.0.0.0/8", "0.0.0.0/0", "::/0", "10.0.0.1", "nope"];

impl Allow {
    fn json(&self) -> Json {
        let text = |known: &'static [&'static str]| move |t: &Text| Json::str(t.render(known));
        let fields = [
            ("direction", self.direction.json(text(DIRECTIONS))),
            (
                "remoteHost",
                self.remote_host.json(|h| Json::str(h.render())),
            ),
            ("remoteProtocol", self.remote_protocol.json(text(PROTOCOLS))),
            ("port", self.port.json(Number::json)),
            (
                "ports",
                self.ports
                    .json(|ports| Json::Arr(ports.iter().map(Number::json).collect())),
            ),
            ("description", self.description.json(text(DESCRIPTIONS))),
            ("selector", self.selector.json(labels_json)),
            ("labels", self.labels.json(labels_json)),
            ("podLabels", self.pod_labels.json(labels_json)),
            ("remoteSelector", self.remote_selector.json(labels_json)),
            (
                "serviceAccount",
                self.service_account.json(text(SERVICE_ACCOUNTS)),
            ),
            (
                "remoteGenerated",
                self.remote_generated.json(text(GENERATED)),
            ),
            (
                "remoteNamespace",
                self.remote_namespace.json(text(NAMESPACES)),
            ),
            ("remoteCidr", self.remote_cidr.json(text(CIDRS))),
        ];
        let mut entries: Vec<(String, Json)> = fields
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_string(), value?)))
            .collect();
        entries.extend(self.unknown.iter().cloned());
        if let Some(host) = &self.duplicate_host {
            entries.push(("remoteHost".to_string(), Json::str(host.render())));
        }
        Json::Obj(entries)
    }
}

/// Where a Package's spine (`spec`, `spec.network`, `allow`) may hold the wrong type.
#[derive(Arbitrary, Debug)]
pub enum Spine {
    Normal,
    WrongSpec(Json),
    WrongNetwork(Json),
    WrongAllow(Json),
}

/// One Package.
#[derive(Arbitrary, Debug)]
pub struct Package {
    /// Start from this example Package (its rules come first).
    base: Option<u8>,
    name: Field<Text>,
    namespace: Field<Text>,
    mode: Field<Text>,
    spine: Spine,
    allow: Vec<Allow>,
    /// 255 (one input in 256, as they are slow): repeat the rules to 10,000 entries.
    repeat: u8,
    /// Nesting of an unknown field, with this depth (times 4) and kind.
    deep: Option<(u8, bool)>,
    unknown_metadata: Vec<(String, Json)>,
    status: Option<Json>,
}

impl Package {
    /// The Package as JSON; `max_rules` bounds the repetition (the renderer's target keeps sets
    /// small, the policy's target goes to thousands).
    pub fn json(&self, max_rules: usize) -> Json {
        let mut package = self
            .base
            .and_then(example)
            .map(|v| Json::from_value(&v))
            .unwrap_or_else(|| {
                Json::Obj(vec![
                    ("apiVersion".into(), Json::str("uds.dev/v1alpha1")),
                    ("kind".into(), Json::str("Package")),
                    ("metadata".into(), Json::Obj(Vec::new())),
                    ("spec".into(), Json::Obj(Vec::new())),
                ])
            });
        if let Some(metadata) = package.get_mut("metadata") {
            if let Some(name) = self.name.json(|t| Json::str(t.render(PACKAGE_NAMES))) {
                metadata.set("name", Some(name));
            }
            if let Some(ns) = self.namespace.json(|t| Json::str(t.render(NAMESPACES))) {
                metadata.set("namespace", Some(ns));
            }
            for (key, value) in &self.unknown_metadata {
                metadata.set(key, Some(value.clone()));
            }
        }
        self.fill_network(&mut package, max_rules);
        if let Some((depth, lists)) = self.deep {
            let deep = Json::nested(usize::from(depth) * 4, lists, Json::Int(1));
            package.set("x-deep", Some(deep));
        }
        if let Some(status) = &self.status {
            package.set("status", Some(status.clone()));
        }
        match &self.spine {
            Spine::WrongSpec(json) => package.set("spec", Some(json.clone())),
            Spine::WrongNetwork(json) => {
                if let Some(spec) = package.get_mut("spec") {
                    spec.set("network", Some(json.clone()));
                }
            }
            Spine::WrongAllow(json) => {
                if let Some(network) = package.get_mut("spec").and_then(|s| s.get_mut("network")) {
                    network.set("allow", Some(json.clone()));
                }
            }
            Spine::Normal => {}
        }
        package
    }

    fn fill_network(&self, package: &mut Json, max_rules: usize) {
        let Some(spec) = package.get_mut("spec") else {
            return;
        };
        if spec.get_mut("network").is_none() {
            spec.set("network", Some(Json::Obj(Vec::new())));
        }
        let Some(network) = spec.get_mut("network") else {
            return;
        };
        if let Some(mode) = self.mode.json(|t| Json::str(t.render(MODES))) {
            network.set("serviceMesh", Some(Json::Obj(vec![("mode".into(), mode)])));
        }
        let mut rules: Vec<Json> = match network.get_mut("allow") {
            Some(Json::Arr(existing)) => std::mem::take(existing),
            _ => Vec::new(),
        };
        rules.extend(self.allow.iter().map(Allow::json));
        if self.repeat == u8::MAX && !rules.is_empty() {
            let originals: Vec<(usize, Json)> = rules
                .iter()
                .map(|rule| (rule.text().len(), rule.clone()))
                .collect();
            let mut bytes = 0;
            rules = originals
                .iter()
                .cycle()
                .take(THOUSANDS)
                .take_while(|(len, _)| {
                    bytes += len + 1;
                    bytes <= MAX_REPEATED_BYTES
                })
                .map(|(_, rule)| rule.clone())
                .collect();
        }
        rules.truncate(max_rules);
        network.set("allow", Some(Json::Arr(rules)));
    }
}

/// Settings: usually valid, sometimes of the wrong shape.
#[derive(Arbitrary, Debug)]
pub enum Settings {
    Default,
    Strict {
        deny_http: bool,
        require_service_account: bool,
        max_rules: u8,
        gateway_ports: Vec<u16>,
        allowed: Vec<Text>,
        denied: Vec<Text>,
    },
    Wrong(Json),
}

impl Settings {
    pub fn json(&self) -> Json {
        match self {
            Settings::Default => Json::Obj(Vec::new()),
            Settings::Strict {
                deny_http,
                require_service_account,
                max_rules,
                gateway_ports,
                allowed,
                denied,
            } => {
                let hosts = |list: &Vec<Text>| {
                    Json::Arr(list.iter().map(|t| Json::str(t.render(HOSTS))).collect())
                };
                Json::Obj(vec![
                    ("denyHttp".into(), Json::Bool(*deny_http)),
                    (
                        "requireServiceAccount".into(),
                        Json::Bool(*require_service_account),
                    ),
                    (
                        "maxRemoteHostRules".into(),
                        Json::Int(i64::from(*max_rules)),
                    ),
                    (
                        "gatewayPorts".into(),
                        Json::Arr(
                            gateway_ports
                                .iter()
                                .map(|p| Json::Int(i64::from(*p)))
                                .collect(),
                        ),
                    ),
                    ("allowedHosts".into(), hosts(allowed)),
                    ("deniedHosts".into(), hosts(denied)),
                ])
            }
            Settings::Wrong(json) => json.clone(),
        }
    }
}

/// The `validate` payload around an object given as JSON text.
pub fn validate_payload(object: &str, settings: &str, operation: &str) -> String {
    format!(
        r#"{{"settings":{settings},"request":{{"uid":"fuzz","kind":{{"group":"uds.dev","version":"v1alpha1","kind":"Package"}},"resource":{{"group":"uds.dev","version":"v1alpha1","resource":"packages"}},"operation":"{operation}","name":"fuzz","namespace":"fuzz","object":{object}}}}}"#
    )
}
