//! Hand-written objects of the shapes the generator renders, valid per the real CRDs.

use serde_json::Value;

use super::yaml;

pub fn service_entry() -> Value {
    yaml(
        r#"
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: app-egress-example-com-443-tls
  namespace: app-ns
  labels:
    uds/package: app
    uds/generation: "1"
  ownerReferences:
    - apiVersion: uds.dev/v1alpha1
      kind: Package
      uid: 00000000-0000-0000-0000-000000000001
      name: app
spec:
  hosts: [example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
    - {name: tls-443, number: 443, protocol: TLS}
    - {name: http-80, number: 80, protocol: HTTP}
  exportTo: ["."]
"#,
    )
}

pub fn sidecar() -> Value {
    yaml(
        r#"
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: app-egress-app-curl
  namespace: app-ns
  labels: {uds/package: app, uds/generation: "1"}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
  workloadSelector:
    labels: {app: curl}
"#,
    )
}

pub fn istio_gateway() -> Value {
    yaml(
        r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gateway-example-com
  namespace: istio-egress-gateway
  annotations: {uds.dev/user-app-app-ns: user}
  labels: {uds/package: shared-egress-resource, uds/generation: "1"}
spec:
  selector: {app: egressgateway}
  servers:
    - hosts: [example.com]
      port: {name: tls-443, number: 443, protocol: TLS}
      tls: {mode: PASSTHROUGH}
    - hosts: [example.com]
      port: {name: http-80, number: 80, protocol: HTTP}
      tls: {mode: PASSTHROUGH}
"#,
    )
}

pub fn virtual_service() -> Value {
    yaml(
        r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: egress-vs-example-com
  namespace: istio-egress-gateway
  annotations: {uds.dev/user-app-app-ns: user}
  labels: {uds/package: shared-egress-resource, uds/generation: "1"}
spec:
  hosts: [example.com]
  gateways: [mesh, gateway-example-com]
  tls:
    - match: [{gateways: [mesh], port: 443, sniHosts: [example.com]}]
      route:
        - destination:
            host: egressgateway.istio-egress-gateway.svc.cluster.local
            port: {number: 443}
    - match: [{gateways: [gateway-example-com], port: 443, sniHosts: [example.com]}]
      route:
        - destination: {host: example.com, port: {number: 443}}
  http:
    - match: [{gateways: [mesh], port: 80}]
      route:
        - destination:
            host: egressgateway.istio-egress-gateway.svc.cluster.local
            port: {number: 80}
    - match: [{gateways: [gateway-example-com], port: 80}]
      route:
        - destination: {host: example.com, port: {number: 80}}
"#,
    )
}

pub fn authorization_policy() -> Value {
    yaml(
        r#"
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ambient-ap-example-com
  namespace: istio-egress-ambient
  annotations: {uds.dev/user-app-app-ns: user}
  labels:
    uds/package: shared-ambient-egress-resource
    uds/generation: "1"
    uds/for: egress
spec:
  action: ALLOW
  targetRef: {group: networking.istio.io, kind: ServiceEntry, name: ambient-se-example-com}
  rules:
    - from:
        - source: {principals: [cluster.local/ns/app-ns/sa/curl]}
        - source: {namespaces: [app-ns]}
      to:
        - operation: {ports: ["443"]}
"#,
    )
}

pub fn waypoint() -> Value {
    yaml(
        r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: egress-waypoint
  namespace: istio-egress-ambient
  annotations: {uds.dev/user-app-app-ns: user}
  labels:
    uds/package: shared-ambient-egress-resource
    uds/generation: "1"
    istio.io/gateway-name: egress-waypoint
spec:
  gatewayClassName: istio-waypoint
  listeners:
    - name: mesh
      port: 15008
      protocol: HBONE
      allowedRoutes:
        namespaces: {from: All}
        kinds: [{group: networking.istio.io, kind: ServiceEntry}]
  infrastructure:
    parametersRef: {group: "", kind: ConfigMap, name: egress-waypoint-config}
"#,
    )
}

pub fn package() -> Value {
    yaml(
        r#"
apiVersion: uds.dev/v1alpha1
kind: Package
metadata: {name: app, namespace: app-ns}
spec:
  network:
    serviceMesh: {mode: sidecar}
    allow:
      - {direction: Egress, selector: {app: curl}, remoteHost: example.com, remoteProtocol: TLS, ports: [443]}
"#,
    )
}
