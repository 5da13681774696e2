//! `/healthz`, `/readyz` and `/metrics` over plain HTTP/1.1.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::debug;

use super::metrics::Metrics;

/// What `/readyz` reports: ready once the caches are synced, while the last Lease round
/// succeeded, and, while leading, once a pass has run since leadership was won.
#[derive(Default)]
pub struct Health {
    synced: AtomicBool,
    leading: AtomicBool,
    passed_while_leading: AtomicBool,
    /// The last Lease round failed: the caches may be stale and nothing can be written. (The
    /// watches' caches stay "synced" through an outage; the Lease round, every 2 s, notices it.)
    api_unreachable: AtomicBool,
}

impl Health {
    pub fn set_api_reachable(&self, reachable: bool) {
        self.api_unreachable.store(!reachable, Ordering::SeqCst);
    }

    pub fn set_synced(&self, synced: bool) {
        self.synced.store(synced, Ordering::SeqCst);
    }

    pub fn set_leading(&self, leading: bool) {
        if !self.leading.swap(leading, Ordering::SeqCst) && leading {
            self.passed_while_leading.store(false, Ordering::SeqCst);
        }
    }

    pub fn pass_done(&self) {
        self.passed_while_leading
            .store(self.leading.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    pub fn ready(&self) -> bool {
        self.synced.load(Ordering::SeqCst)
            && !self.api_unreachable.load(Ordering::SeqCst)
            && (!self.leading.load(Ordering::SeqCst)
                || self.passed_while_leading.load(Ordering::SeqCst))
    }
}

/// Status, content type and body for a request path.
pub fn respond(
    path: &str,
    health: &Health,
    metrics: &Metrics,
) -> (StatusCode, &'static str, String) {
    const TEXT: &str = "text/plain; charset=utf-8";
    match path {
        "/healthz" => (StatusCode::OK, TEXT, "ok\n".into()),
        "/readyz" if health.ready() => (StatusCode::OK, TEXT, "ready\n".into()),
        "/readyz" => (
            StatusCode::SERVICE_UNAVAILABLE,
            TEXT,
            "not ready: caches syncing, API server unreachable, or first pass pending\n".into(),
        ),
        "/metrics" => (
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics.encode(),
        ),
        _ => (StatusCode::NOT_FOUND, TEXT, "not found\n".into()),
    }
}

/// Serves until `stop` turns true.
pub async fn serve(
    listener: TcpListener,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    debug!(%error, "accept failed");
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let health = health.clone();
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let (status, content_type, body) = respond(request.uri().path(), &health, &metrics);
                let response = Response::builder()
                    .status(status)
                    .header(http::header::CONTENT_TYPE, content_type)
                    .body(Full::new(Bytes::from(body)))
                    .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())));
                async move { Ok::<_, Infallible>(response) }
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                debug!(%error, "connection ended with an error");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn readiness_follows_sync_and_the_first_leading_pass() {
        let health = Health::default();
        assert!(!health.ready());
        health.set_synced(true);
        assert!(health.ready(), "a synced follower is ready");
        health.set_leading(true);
        assert!(!health.ready(), "a new leader waits for its first pass");
        health.pass_done();
        assert!(health.ready());
        health.set_leading(false);
        health.set_leading(true);
        assert!(!health.ready(), "leadership won again: a pass is due again");
        health.pass_done();
        health.set_api_reachable(false);
        assert!(!health.ready(), "the API server stopped answering");
        health.set_api_reachable(true);
        assert!(health.ready());
    }

    #[tokio::test]
    async fn serves_the_three_paths_over_http() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let health = Arc::new(Health::default());
        let metrics = Arc::new(Metrics::new());
        let (stop_tx, stop_rx) = watch::channel(false);
        let server = tokio::spawn(serve(listener, health.clone(), metrics, stop_rx));

        let get = |path: &'static str| async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).await.unwrap();
            response
        };
        assert!(get("/healthz").await.starts_with("HTTP/1.1 200"));
        assert!(get("/readyz").await.starts_with("HTTP/1.1 503"));
        health.set_synced(true);
        assert!(get("/readyz").await.starts_with("HTTP/1.1 200"));
        let metrics_text = get("/metrics").await;
        assert!(
            metrics_text.contains("uds_egress_passes_total 0"),
            "{metrics_text}"
        );
        assert!(get("/other").await.starts_with("HTTP/1.1 404"));

        stop_tx.send(true).unwrap();
        server.await.unwrap();
    }
}
