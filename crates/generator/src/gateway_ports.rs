//! The `--gateway-ports` flag of `plan` and `run` (same meaning as `render`'s).

use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct GatewayPortsArg {
    /// Ports the sidecar egress gateway Service exposes; host rules on other ports are refused.
    /// Keep in step with the policy's `gatewayPorts` setting and the gateway's Service.
    #[arg(
        long = "gateway-ports",
        value_name = "PORTS",
        value_delimiter = ',',
        default_value = "80,443",
        env = "UDS_EGRESS_GATEWAY_PORTS",
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub ports: Vec<u16>,
}

impl GatewayPortsArg {
    pub fn rule_config(&self) -> uds_egress_core::RuleConfig {
        uds_egress_core::RuleConfig {
            gateway_ports: self.ports.clone(),
            ..uds_egress_core::RuleConfig::default()
        }
    }
}
