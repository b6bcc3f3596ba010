//! The operator's one HTTP listener: `/healthz` (the process serves), `/readyz` (caches synced
//! and AWS reachable) and `/metrics` (Prometheus text format).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;

use crate::metrics::Metrics;

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

fn route(metrics: &Metrics, path: &str) -> Response<Full<Bytes>> {
    match path {
        "/healthz" | "/livez" => reply(StatusCode::OK, "text/plain", "ok\n".into()),
        "/readyz" if metrics.is_ready() => reply(StatusCode::OK, "text/plain", "ready\n".into()),
        "/readyz" => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "not ready: caches syncing or AWS unreachable\n".into(),
        ),
        "/metrics" => {
            reply(StatusCode::OK, "application/openmetrics-text; version=1.0.0; charset=utf-8", metrics.encode())
        }
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
    }
}

/// Binds `addr` and serves until the task is dropped. Returns the bound address (port 0 picks
/// a free one).
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let response = route(&metrics, req.uri().path());
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((bound, handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let m = Metrics::default();
        assert_eq!(route(&m, "/healthz").status(), StatusCode::OK);
        assert_eq!(route(&m, "/readyz").status(), StatusCode::SERVICE_UNAVAILABLE);
        m.set_ready(true);
        assert_eq!(route(&m, "/readyz").status(), StatusCode::OK);
        assert_eq!(route(&m, "/metrics").status(), StatusCode::OK);
        assert_eq!(route(&m, "/nope").status(), StatusCode::NOT_FOUND);
    }
}
