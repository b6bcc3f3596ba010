//! The one-line test bed: [`start`] gives a running kube-sim on a free loopback port, a ready
//! `kube::Client` and a kubeconfig; dropping the handle stops the server.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::Error;
use crate::server::{self, AgentRequestLog, Faults, Refusal, RequestLog, ServerOptions, State};

/// A running kube-sim.
pub struct KubeSim {
    url: String,
    kubeconfig: String,
    state: Arc<State>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// Starts kube-sim over TLS on a free port.
pub async fn start() -> Result<KubeSim, Error> {
    start_with(ServerOptions::default()).await
}

pub async fn start_with(options: ServerOptions) -> Result<KubeSim, Error> {
    let running = server::serve(options).await?;
    let kubeconfig = server::tls::kubeconfig(&running.url, running.ca_pem.as_deref());
    Ok(KubeSim { url: running.url, kubeconfig, state: running.state, shutdown: running.shutdown })
}

impl KubeSim {
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Kubeconfig YAML that kubectl, helm and kube-rs accept.
    pub fn kubeconfig(&self) -> &str {
        &self.kubeconfig
    }

    pub fn write_kubeconfig(&self, path: &Path) -> Result<(), Error> {
        std::fs::write(path, &self.kubeconfig).map_err(|e| Error::Io(path.display().to_string(), e))
    }

    /// kube-rs client configuration for this server.
    pub async fn config(&self) -> Result<kube::Config, Error> {
        let kubeconfig = Kubeconfig::from_yaml(&self.kubeconfig).map_err(|e| Error::Client(e.to_string()))?;
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|e| Error::Client(e.to_string()))
    }

    /// A ready kube-rs client.
    pub async fn client(&self) -> Result<kube::Client, Error> {
        kube::Client::try_from(self.config().await?).map_err(|e| Error::Client(e.to_string()))
    }

    /// Ends every open watch (clients resume from their last resourceVersion).
    pub fn drop_watches(&self) {
        self.state.drop_watches();
    }

    /// Forgets watch history: the next resume gets 410 Gone and clients relist.
    pub fn expire_watch_history(&self) {
        self.state.expire_history();
    }

    /// Fails the next `count` API requests with `status`.
    pub fn fail_next(&self, count: u32, status: u16) {
        let mut faults = self.state.faults();
        faults.fail_next = count;
        faults.fail_status = status;
    }

    /// Refuses every `verb` request on `resource` (and `subresource`, empty for the object
    /// itself) with `code` (403 as RBAC does, or 422) until [`Self::clear_refusals`].
    pub fn refuse(&self, verb: &str, resource: &str, subresource: &str, code: u16) {
        self.state.faults().refusals.push(Refusal {
            verb: verb.to_owned(),
            resource: resource.to_owned(),
            subresource: subresource.to_owned(),
            code,
        });
    }

    pub fn clear_refusals(&self) {
        self.state.faults().refusals.clear();
    }

    pub fn set_latency(&self, latency: Duration) {
        self.state.faults().latency = latency;
    }

    pub fn faults(&self) -> Faults {
        self.state.faults().clone()
    }

    /// Every (verb, group, resource, subresource) requested so far, with counts.
    pub fn requests(&self) -> RequestLog {
        self.state.request_log()
    }

    /// The request log split by client (User-Agent product token; empty for none).
    pub fn requests_by_agent(&self) -> AgentRequestLog {
        self.state.agent_request_log()
    }

    pub fn set_history_limit(&self, limit: usize) {
        self.state.store().set_history_limit(limit);
    }
}

impl Drop for KubeSim {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
