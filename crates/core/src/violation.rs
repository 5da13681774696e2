//! A reason to refuse a Package: where (field path), what (stable code) and why (message).

use std::fmt;

use serde::Serialize;

/// Stable, machine-readable reasons. The string form never changes once released.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Code {
    // Input that does not parse.
    Malformed,
    // UDS Core's admission rules (semantics §2).
    InvalidNamespace,
    PackageExistsInNamespace,
    RemoteRequired,
    RemoteGeneratedCombined,
    RemoteNamespaceCombined,
    RemoteCidrCombined,
    UdpRemoteGenerated,
    TcpRemoteHost,
    UdpRemoteHost,
    IngressRemoteHost,
    WildcardHost,
    ServiceAccountScope,
    DuplicateNetworkPolicy,
    // Our stricter rules (semantics §8.2).
    MissingDirection,
    InvalidNamespaceName,
    InvalidLabel,
    InvalidHostname,
    IpLiteralHost,
    GatewayPortNotExposed,
    HostNotAllowed,
    HostDenied,
    HttpDenied,
    ServiceAccountRequired,
    InvalidServiceAccount,
    TooManyHostRules,
    AnywhereDenied,
    ProtocolConflict,
    HostNameCollision,
    LocalNameCollision,
    ForeignGatewayHost,
    ForeignVirtualServiceHost,
    DuplicatePackage,
    LookupFailed,
    RequestTooLarge,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Malformed => "malformed",
            Code::InvalidNamespace => "invalid-namespace",
            Code::PackageExistsInNamespace => "package-exists-in-namespace",
            Code::RemoteRequired => "remote-required",
            Code::RemoteGeneratedCombined => "remote-generated-combined",
            Code::RemoteNamespaceCombined => "remote-namespace-combined",
            Code::RemoteCidrCombined => "remote-cidr-combined",
            Code::UdpRemoteGenerated => "udp-remote-generated",
            Code::TcpRemoteHost => "tcp-remote-host",
            Code::UdpRemoteHost => "udp-remote-host",
            Code::IngressRemoteHost => "ingress-remote-host",
            Code::WildcardHost => "wildcard-host",
            Code::ServiceAccountScope => "service-account-scope",
            Code::DuplicateNetworkPolicy => "duplicate-network-policy",
            Code::MissingDirection => "missing-direction",
            Code::InvalidNamespaceName => "invalid-namespace-name",
            Code::InvalidLabel => "invalid-label",
            Code::InvalidHostname => "invalid-hostname",
            Code::IpLiteralHost => "ip-literal-host",
            Code::GatewayPortNotExposed => "gateway-port-not-exposed",
            Code::HostNotAllowed => "host-not-allowed",
            Code::HostDenied => "host-denied",
            Code::HttpDenied => "http-denied",
            Code::ServiceAccountRequired => "service-account-required",
            Code::InvalidServiceAccount => "invalid-service-account",
            Code::TooManyHostRules => "too-many-host-rules",
            Code::AnywhereDenied => "anywhere-denied",
            Code::ProtocolConflict => "protocol-conflict",
            Code::HostNameCollision => "host-name-collision",
            Code::LocalNameCollision => "local-name-collision",
            Code::ForeignGatewayHost => "foreign-gateway-host",
            Code::ForeignVirtualServiceHost => "foreign-virtual-service-host",
            Code::DuplicatePackage => "duplicate-package",
            Code::LookupFailed => "lookup-failed",
            Code::RequestTooLarge => "request-too-large",
        }
    }
}

impl From<Code> for &'static str {
    fn from(code: Code) -> &'static str {
        code.as_str()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Field path in the Package, e.g. `spec.network.allow[2].remoteHost`.
    pub path: String,
    pub code: Code,
    pub message: String,
}

impl Violation {
    pub fn new(path: impl Into<String>, code: Code, message: impl Into<String>) -> Violation {
        Violation {
            path: path.into(),
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Field path of `allow[index]`, optionally of one of its fields.
pub fn allow_path(index: usize, field: Option<&str>) -> String {
    match field {
        Some(field) => format!("spec.network.allow[{index}].{field}"),
        None => format!("spec.network.allow[{index}]"),
    }
}
