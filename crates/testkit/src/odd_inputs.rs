//! Plausible-but-wrong field values, the vocabulary of the property tests' and fuzz targets'
//! Package generators: each list mixes values that are right with values a user could write by
//! mistake and values chosen to hit an edge of a rule (length limits, the name sanitiser,
//! normalisation, IP literal forms, reserved hosts).
//!
//! Used by the core's property tests, the policy's mutation properties and the
//! fuzz targets.

/// `remoteHost` values.
pub const HOSTS: &[&str] = &[
    "api.github.com",
    "github.com",
    "API.GitHub.com",
    "api.github.com.",
    " api.github.com ",
    "api.github.com..",
    "example.com",
    "Example.COM",
    "a-b.com",
    "a.b.com",
    "a_b.com",
    "xn--bcher-kva.de",
    "bücher.de",
    "пример.рф",
    "https://api.github.com",
    "api.github.com/path",
    "api.github.com:443",
    "api.github.com?x=1",
    "10.0.0.1",
    "10.0.0.0/8",
    "127.1",
    "0x7f.0.0.1",
    "2130706433",
    "::1",
    "[::1]:443",
    "fe80::1%eth0",
    "2001:db8::1",
    "*.example.com",
    "*",
    "localhost",
    "metadata.google.internal",
    "kubernetes.default",
    "my-svc.my-ns.svc.cluster.local",
    "host with space.com",
    "tab\there.com",
    "nul\u{0}.com",
    "bell\u{7}.com",
    "-leading.com",
    "trailing-.com",
    "123.com",
    "example.123",
    ".",
    "..",
    " ",
    "",
    "\u{200b}zero-width.com",
    "emoji-😀.com",
];

/// Label keys (selectors, `labels`).
pub const LABEL_KEYS: &[&str] = &[
    "app",
    "tier",
    "app.kubernetes.io/name",
    "example.com/team",
    "a",
    "A_b.C-1",
    "",
    "a b",
    "-app",
    "app-",
    "a/b/c",
    "/app",
    "app/",
    "Upper.example.com/app",
    "exa_mple.com/app",
    "app😀",
    "ключ",
];

/// Label values.
pub const LABEL_VALUES: &[&str] = &[
    "curl",
    "runner",
    "a",
    "",
    "a.b",
    "a-b",
    "a_b",
    "A1",
    "with space",
    "-lead",
    "trail-",
    "a/b",
    "ü",
    "значение",
    "tab\tin",
];

/// Descriptions (NetworkPolicy name part and annotation value).
pub const DESCRIPTIONS: &[&str] = &[
    "github api",
    "rule 1",
    "",
    "1234",
    "---",
    "Ünïcödé",
    "api.github.com 443 egress",
    "new\nline",
];

/// Valid Package names (DNS-1123 subdomains, as the API server guarantees), short and long.
pub const PACKAGE_NAMES: &[&str] = &[
    "app",
    "github-runner",
    "a",
    "9lives",
    "pkg.with.dots",
    "a-b",
    "a.b",
];

/// Namespace names (DNS-1123 labels): five ordinary ones, then ones UDS Core reserves.
pub const NAMESPACES: &[&str] = &[
    "app",
    "ci",
    "payments",
    "a",
    "ns-1",
    "kube-system",
    "pepr-system",
];

/// `serviceAccount` values.
pub const SERVICE_ACCOUNTS: &[&str] = &["", "probe", "default", "with space", "a/b"];

/// `remoteProtocol` values as written (the CRD's four, and wrong spellings).
pub const PROTOCOLS: &[&str] = &["TLS", "HTTP", "TCP", "UDP", "tls", "Https", ""];

/// `serviceMesh.mode` values: the two valid ones first.
pub const MODES: &[&str] = &["sidecar", "ambient", "", "Sidecar"];

/// `remoteGenerated` values.
pub const GENERATED: &[&str] = &[
    "KubeAPI",
    "KubeNodes",
    "IntraNamespace",
    "CloudMetadata",
    "Anywhere",
    "Internet",
];

/// Port numbers, in range and out of it.
pub const PORTS: &[i64] = &[443, 80, 8443, 9443, 1, 65535, 0, -1, 65536, 15008];
