//! Flags of `run`; each has a `UDS_EGRESS_*` environment variable.

use std::net::SocketAddr;

use clap::Args;

use super::logging::{LogFormat, LogLevel};
use crate::gateway_ports::GatewayPortsArg;

pub const RUN_HELP: &str =
    "Run the controller: keep the cluster's egress objects in step with its Packages.

Watches uds.dev/v1alpha1 Packages and the objects uds-egress owns (label \
app.kubernetes.io/managed-by=uds-egress), computes the desired state of the whole set of \
Packages, and writes only the difference with server-side apply (field manager uds-egress). \
Deletes only labelled objects that are no longer desired; an object of the same name without \
the label is reported (Event, log, metric) and its host skipped. One replica writes at a time \
(Lease). Serves /healthz, /readyz and /metrics. The cluster connection is the standard one: \
in-cluster configuration, else KUBECONFIG (plain-HTTP API servers included).";

#[derive(Args, Debug, Clone)]
pub struct RunCli {
    #[command(flatten)]
    pub gateway_ports: GatewayPortsArg,

    /// Watch Packages only in these namespaces (default: all). Shared objects are still
    /// written in istio-egress-gateway and istio-egress-ambient.
    #[arg(
        long,
        value_name = "NAMESPACES",
        value_delimiter = ',',
        env = "UDS_EGRESS_NAMESPACES"
    )]
    pub namespaces: Vec<String>,

    /// Address of the /healthz, /readyz and /metrics server.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "0.0.0.0:8080",
        env = "UDS_EGRESS_METRICS_ADDR"
    )]
    pub metrics_addr: SocketAddr,

    /// Namespace of the leader-election Lease (default: the pod's namespace).
    #[arg(long, value_name = "NAMESPACE", env = "UDS_EGRESS_LEASE_NAMESPACE")]
    pub lease_namespace: Option<String>,

    /// Name of the leader-election Lease.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "uds-egress-generator",
        env = "UDS_EGRESS_LEASE_NAME"
    )]
    pub lease_name: String,

    /// Plan and log every pass, write nothing (no Lease is taken either).
    #[arg(long, env = "UDS_EGRESS_DRY_RUN")]
    pub dry_run: bool,

    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "UDS_EGRESS_LOG_FORMAT")]
    pub log_format: LogFormat,

    /// Log level.
    #[arg(long, value_enum, default_value_t = LogLevel::Info, env = "UDS_EGRESS_LOG_LEVEL")]
    pub log_level: LogLevel,
}
