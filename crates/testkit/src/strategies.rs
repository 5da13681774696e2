//! proptest generators of plausible-but-wrong Packages, as JSON values: odd hosts, unicode, long
//! names, invalid label keys and values, wrong protocols and ports, many rules. Mostly the
//! values parse (so that the rules and the renderer see them); some do not (so that the parser's
//! errors are exercised too).

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::odd_inputs::{
    DESCRIPTIONS, GENERATED, HOSTS, LABEL_KEYS, LABEL_VALUES, MODES, NAMESPACES, PACKAGE_NAMES,
    PORTS, PROTOCOLS, SERVICE_ACCOUNTS,
};

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    prop::sample::select(list).prop_map(String::from)
}

/// A DNS-1123 subdomain of about `len` characters (at most 253): what the API server allows as
/// a Package name.
pub fn subdomain(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    (len, "[a-z]{1,3}").prop_map(|(len, seed)| {
        let mut name = String::new();
        while name.len() < len {
            if !name.is_empty() {
                name.push(if name.len() % 64 == 63 { '.' } else { '-' });
            }
            name.push_str(&seed);
        }
        name.truncate(len.clamp(1, 253));
        name.trim_end_matches(['-', '.']).to_string()
    })
}

/// A host of `len` characters that differs from its siblings only in its last label: long hosts
/// whose object names meet the sanitiser's 250-character cut.
fn long_host() -> impl Strategy<Value = String> {
    (200usize..260, 0u8..3).prop_map(|(len, tail)| {
        let mut host = String::new();
        while host.len() + 8 < len {
            if !host.is_empty() {
                host.push('.');
            }
            let room = (len - 8 - host.len()).min(63);
            host.push_str(&"x".repeat(room.max(1)));
        }
        format!("{host}.h{tail}.com")
    })
}

pub fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => pick(HOSTS),
        2 => long_host(),
        1 => subdomain(1..300).prop_map(|s| format!("{s}.com")),
        2 => "[a-zA-Z0-9.-]{1,40}",
        1 => "\\PC{0,20}",
    ]
}

fn label_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => pick(LABEL_KEYS),
        2 => "[a-z]{1,8}",
        1 => "[a-z]{60,70}",
        1 => (subdomain(1..260), "[a-z]{1,5}").prop_map(|(p, n)| format!("{p}/{n}")),
        1 => "\\PC{0,10}",
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => pick(LABEL_VALUES),
        2 => "[a-z0-9]{1,8}",
        1 => "[a-z]{60,70}",
        1 => "\\PC{0,10}",
    ]
}

/// A label map in submitted key order, mostly of valid keys and values.
pub fn label_map() -> impl Strategy<Value = Value> {
    prop::collection::vec((label_key(), label_value()), 0..3).prop_map(|pairs| {
        let map: Map<String, Value> = pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        Value::Object(map)
    })
}

fn port() -> impl Strategy<Value = Value> {
    prop_oneof![
        40 => prop::sample::select(&[443i64, 80, 8443][..]).prop_map(Value::from),
        2 => prop::sample::select(PORTS).prop_map(Value::from),
        1 => Just(json!(443.0)),
        1 => Just(json!("443")),
    ]
}

fn description() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => pick(DESCRIPTIONS),
        2 => "[a-z ]{1,12}",
        1 => "\\PC{0,40}",
        1 => "[a-z]{200,300}",
    ]
}

/// Sets `key` to `value` when it is `Some`.
fn set(entry: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        entry.insert(key.to_string(), value);
    }
}

/// Two valid hosts of about 250 characters that differ only in their last labels: their object
/// names meet the sanitiser's 250-character cut.
fn near_twin_hosts() -> [String; 2] {
    let stem = ["x".repeat(63), "y".repeat(63), "z".repeat(63)].join(".");
    [format!("{stem}.h0.com"), format!("{stem}.h1.com")]
}

/// An egress host rule built to collide: selectors and hosts whose generated names sanitise
/// alike (`a.b`/`a-b`, `{a: b-c}`/`{a-b: c}`, near-twin long hosts), mostly with a description
/// from a small set so that the NetworkPolicy names often, but not always, differ (without one,
/// the mutation's descriptions apply); rarely UDP, which A7 refuses.
pub fn colliding_entry() -> impl Strategy<Value = Value> {
    let [twin_a, twin_b] = near_twin_hosts();
    let hosts = vec![
        "api.github.com".to_string(),
        "a-b.com".to_string(),
        "a.b.com".to_string(),
        twin_a,
        twin_b,
    ];
    let selectors = vec![
        None,
        Some(json!({})),
        Some(json!({"app": "a.b"})),
        Some(json!({"app": "a-b"})),
        Some(json!({"a": "b-c"})),
        Some(json!({"a-b": "c"})),
        Some(json!({"default": ""})),
    ];
    (
        prop::sample::select(hosts),
        prop::sample::select(selectors),
        prop_oneof![9 => Just("TLS"), 4 => Just("HTTP"), 1 => Just("UDP")],
        prop::option::of(prop::sample::select(&[443i64, 80][..])),
        // Letters: the sanitiser strips trailing digits, so `rule 1` and `rule 2` name alike.
        // Sometimes none, so that the mutation's descriptions come into play.
        prop::option::weighted(0.75, "[a-z]{2}"),
    )
        .prop_map(|(host, selector, protocol, port, description)| {
            let mut entry =
                json!({"direction": "Egress", "remoteHost": host, "remoteProtocol": protocol});
            if let Some(description) = description {
                entry["description"] = json!(format!("rule {description}"));
            }
            if let Some(port) = port {
                entry["port"] = json!(port);
            }
            if let Some(selector) = selector {
                entry["selector"] = selector;
            }
            entry
        })
}

/// One `allow[]` entry: a colliding host rule, or mostly an egress host rule of odd values,
/// sometimes another kind of entry or a mix.
pub fn allow_entry() -> impl Strategy<Value = Value> {
    prop_oneof![3 => colliding_entry(), 2 => odd_entry()]
}

/// An entry of odd values (see the module docs).
pub fn odd_entry() -> impl Strategy<Value = Value> {
    let core = (
        prop::option::weighted(0.9, prop_oneof![9 => Just("Egress"), 1 => Just("Ingress")]),
        prop::option::weighted(0.85, host()),
        prop::option::weighted(
            0.4,
            prop_oneof![8 => pick(&["TLS", "HTTP"]), 1 => pick(PROTOCOLS)],
        ),
        prop::option::weighted(0.4, port()),
        prop::option::weighted(0.25, prop::collection::vec(port(), 0..3)),
        prop::option::weighted(0.6, description()),
    );
    let maps = (
        prop::option::weighted(0.7, label_map()),
        prop::option::weighted(0.3, label_map()),
        prop::option::weighted(0.05, label_map()),
    );
    let others = (
        prop::option::weighted(0.1, pick(SERVICE_ACCOUNTS)),
        prop::option::weighted(0.05, pick(GENERATED)),
        prop::option::weighted(0.05, pick(NAMESPACES)),
        prop::option::weighted(0.05, Just("10.0.0.0/8".to_string())),
    );
    (core, maps, others).prop_map(
        |(
            (direction, host, protocol, port, ports, description),
            (selector, labels, pod_labels),
            (service_account, generated, namespace, cidr),
        )| {
            let mut entry = Map::new();
            set(&mut entry, "direction", direction.map(Value::from));
            set(&mut entry, "remoteHost", host.map(Value::from));
            set(&mut entry, "remoteProtocol", protocol.map(Value::from));
            set(&mut entry, "port", port);
            set(&mut entry, "ports", ports.map(Value::from));
            set(&mut entry, "description", description.map(Value::from));
            set(&mut entry, "selector", selector);
            set(&mut entry, "labels", labels);
            set(&mut entry, "podLabels", pod_labels);
            set(
                &mut entry,
                "serviceAccount",
                service_account.map(Value::from),
            );
            set(&mut entry, "remoteGenerated", generated.map(Value::from));
            set(&mut entry, "remoteNamespace", namespace.map(Value::from));
            set(&mut entry, "remoteCidr", cidr.map(Value::from));
            Value::Object(entry)
        },
    )
}

/// A Package with up to `max_rules` entries; names are what the API server admits (DNS-1123),
/// from short to 253 characters.
pub fn package(max_rules: usize) -> impl Strategy<Value = Value> {
    (
        // Names near the 63 characters a label value allows push long hosts past the cut.
        prop_oneof![3 => pick(PACKAGE_NAMES), 1 => subdomain(50..64), 1 => subdomain(1..254)],
        prop_oneof![10 => pick(&NAMESPACES[..5]), 1 => pick(NAMESPACES)],
        prop::option::weighted(0.9, prop_oneof![10 => pick(&MODES[..2]), 1 => pick(MODES)]),
        prop::option::weighted(0.5, "[a-f0-9-]{8,36}"),
        0i64..5,
        // Half the Packages are all valid-but-colliding host rules, so that many are admitted.
        prop_oneof![
            prop::collection::vec(colliding_entry(), 0..max_rules),
            prop::collection::vec(allow_entry(), 0..max_rules),
        ],
    )
        .prop_map(|(name, namespace, mode, uid, generation, allow)| {
            let mut metadata =
                json!({"name": name, "namespace": namespace, "generation": generation});
            if let Some(uid) = uid {
                metadata["uid"] = json!(uid);
            }
            let mut network = json!({"allow": allow});
            if let Some(mode) = mode {
                network["serviceMesh"] = json!({"mode": mode});
            }
            json!({"apiVersion": "uds.dev/v1alpha1", "kind": "Package",
                   "metadata": metadata, "spec": {"network": network}})
        })
}

/// 1 to `max` Packages, each with a distinct `creationTimestamp` in input order, so that which of
/// two conflicting Packages wins does not depend on the order they are given in.
pub fn package_set(max: usize, max_rules: usize) -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(package(max_rules), 1..max).prop_map(|mut set| {
        for (i, package) in set.iter_mut().enumerate() {
            package["metadata"]["creationTimestamp"] =
                json!(format!("2024-01-01T00:{:02}:{:02}Z", i / 60, i % 60));
        }
        set
    })
}
