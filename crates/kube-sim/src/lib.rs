//! kube-sim: a local stand-in for the Kubernetes API server, for ecs-operator's tests and
//! local mode. It serves real HTTPS (or HTTP) on 127.0.0.1 with the semantics kubectl, helm
//! and kube-rs rely on: discovery, OpenAPI, CRDs with schema and CEL admission, status
//! subresources, optimistic concurrency, patches and server-side apply, finalizers, watches
//! with bookmarks and 410 Gone, and injectable faults.
//!
//! - [`admission`] prunes, defaults and validates custom resources against their CRD schema
//!   exactly as kube-apiserver does, with the same error text.
//! - [`server`] is the HTTP API; [`start`] runs it and hands back a ready client.
//!
//! The crate must never be a runtime dependency of the operator outside tests and the
//! `local` mode.

pub mod admission;
pub mod server;
mod sim;

pub use server::{AgentRequestLog, Faults, Refusal, RequestLog, ServerOptions};
pub use sim::{KubeSim, start, start_with};

/// Why kube-sim could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("binding 127.0.0.1: {0}")]
    Bind(#[source] std::io::Error),
    #[error("creating the TLS certificate: {0}")]
    Tls(String),
    #[error("writing {0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("building a client: {0}")]
    Client(String),
}
