//! Leader election on a `coordination.k8s.io/v1` Lease, as client-go does it: several replicas
//! run, one holds the Lease and reconciles, the others wait and take over when it stops
//! renewing. Expiry is judged by when *this* replica last saw the Lease change, never by
//! comparing the holder's timestamps with our clock, so clock skew between nodes cannot hand
//! the Lease to two replicas. Writes carry the resourceVersion read, so two candidates racing
//! for an expired Lease cannot both win.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};
use tokio::time::Instant;

/// Timing of the election, derived from the Lease duration.
#[derive(Debug, Clone)]
pub struct LeaseTiming {
    /// How long a Lease stays valid without renewal: the longest hand-over after a crash.
    pub lease_duration: Duration,
    /// The leader renews this often.
    pub renew_period: Duration,
    /// The leader steps down when it could not renew for this long (before others may take
    /// over at `lease_duration`).
    pub renew_deadline: Duration,
    /// Candidates look at the Lease this often.
    pub retry_period: Duration,
}

impl LeaseTiming {
    /// client-go's proportions: renew every third of the duration, give up at two thirds.
    pub fn from_duration(lease_duration: Duration) -> Self {
        Self {
            lease_duration,
            renew_period: lease_duration / 3,
            renew_deadline: lease_duration * 2 / 3,
            retry_period: (lease_duration / 7).max(Duration::from_millis(200)),
        }
    }
}

/// One replica's view of the election.
pub struct LeaderElector {
    api: Api<Lease>,
    name: String,
    identity: String,
    timing: LeaseTiming,
    /// The resourceVersion last seen and when this replica saw it appear.
    observed: Option<(String, Instant)>,
}

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// We hold the Lease (acquired or renewed).
    Leading,
    /// Someone else holds a valid Lease.
    Following { holder: String },
}

impl LeaderElector {
    pub fn new(client: Client, namespace: &str, name: &str, identity: &str, timing: LeaseTiming) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            identity: identity.to_owned(),
            timing,
            observed: None,
        }
    }

    pub fn identity(&self) -> &str {
        &self.identity
    }

    fn now() -> MicroTime {
        MicroTime(k8s_openapi::jiff::Timestamp::now())
    }

    fn lease_seconds(&self) -> i32 {
        i32::try_from(self.timing.lease_duration.as_secs().max(1)).unwrap_or(i32::MAX)
    }

    /// One round: create the Lease, renew ours, or take over an expired or released one.
    pub async fn try_acquire_or_renew(&mut self) -> Result<Attempt, kube::Error> {
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta { name: Some(self.name.clone()), ..Default::default() },
                spec: Some(self.spec_taking_over(None)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(Attempt::Leading),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(Attempt::Following { holder: "unknown".into() }),
                Err(e) => Err(e),
            };
        };
        let version = lease.resource_version().unwrap_or_default();
        let now = Instant::now();
        let seen_at = match &self.observed {
            Some((v, at)) if *v == version => *at,
            _ => {
                self.observed = Some((version, now));
                now
            }
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let duration = spec
            .lease_duration_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map_or(self.timing.lease_duration, Duration::from_secs);
        let ours = holder.as_deref() == Some(self.identity.as_str());
        let expired = holder.is_none() || now.saturating_duration_since(seen_at) >= duration;
        if !ours && !expired {
            return Ok(Attempt::Following { holder: holder.unwrap_or_default() });
        }
        lease.spec = Some(if ours {
            LeaseSpec { renew_time: Some(Self::now()), lease_duration_seconds: Some(self.lease_seconds()), ..spec }
        } else {
            self.spec_taking_over(Some(&spec))
        });
        match self.api.replace(&self.name, &PostParams::default(), &lease).await {
            Ok(written) => {
                self.observed = Some((written.resource_version().unwrap_or_default(), Instant::now()));
                Ok(Attempt::Leading)
            }
            // Someone else wrote first: they lead, we look again next round.
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(Attempt::Following { holder: "unknown".into() }),
            Err(e) => Err(e),
        }
    }

    fn spec_taking_over(&self, previous: Option<&LeaseSpec>) -> LeaseSpec {
        let transitions = previous.and_then(|p| p.lease_transitions).unwrap_or(0);
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(self.lease_seconds()),
            acquire_time: Some(Self::now()),
            renew_time: Some(Self::now()),
            lease_transitions: Some(if previous.is_some() { transitions.saturating_add(1) } else { 0 }),
            ..Default::default()
        }
    }

    /// Waits until this replica leads, or `stop` completes first (then returns false).
    pub async fn acquire(&mut self, stop: impl std::future::Future<Output = ()>) -> bool {
        tokio::pin!(stop);
        let mut last_holder = String::new();
        loop {
            match self.try_acquire_or_renew().await {
                Ok(Attempt::Leading) => {
                    tracing::info!(identity = %self.identity, lease = %self.name, "became the leader");
                    return true;
                }
                Ok(Attempt::Following { holder }) => {
                    if holder != last_holder {
                        tracing::info!(%holder, lease = %self.name, "waiting for the leader Lease");
                        last_holder = holder;
                    }
                }
                Err(err) => tracing::warn!(%err, lease = %self.name, "could not read or write the leader Lease"),
            }
            tokio::select! {
                _ = &mut stop => return false,
                _ = tokio::time::sleep(self.timing.retry_period) => {}
            }
        }
    }

    /// Renews while leading; returns when leadership is lost (another holder, or no successful
    /// renewal within the renew deadline). Never returns while renewals succeed.
    pub async fn hold(&mut self) {
        let mut renewed = Instant::now();
        loop {
            tokio::time::sleep(self.timing.renew_period).await;
            match self.try_acquire_or_renew().await {
                Ok(Attempt::Leading) => renewed = Instant::now(),
                Ok(Attempt::Following { holder }) => {
                    tracing::error!(%holder, "lost the leader Lease to another replica");
                    return;
                }
                Err(err) if renewed.elapsed() < self.timing.renew_deadline => {
                    tracing::warn!(%err, "could not renew the leader Lease; retrying");
                }
                Err(err) => {
                    tracing::error!(%err, "could not renew the leader Lease before the deadline");
                    return;
                }
            }
        }
    }

    /// Gives the Lease up so another replica can take over at once (on graceful shutdown).
    pub async fn release(&mut self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.name).await else { return };
        let spec = lease.spec.clone().unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return;
        }
        // client-go's release: no holder, and a one-second duration.
        lease.spec = Some(LeaseSpec {
            holder_identity: None,
            lease_duration_seconds: Some(1),
            renew_time: Some(Self::now()),
            ..spec
        });
        match self.api.replace(&self.name, &PostParams::default(), &lease).await {
            Ok(_) => tracing::info!(lease = %self.name, "released the leader Lease"),
            Err(err) => tracing::warn!(%err, "could not release the leader Lease"),
        }
    }
}

/// How an elected run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Shutdown was asked for (SIGTERM); the Lease was released.
    Shutdown,
    /// Leadership was lost: the controllers were stopped and the process should exit so that it
    /// restarts as a candidate.
    LostLease,
}

/// Runs the controllers while this replica leads: waits for the Lease (ready meanwhile, so a
/// rolling update can bring a standby up), runs [`crate::controller::run`] while renewing, and
/// on shutdown lets in-flight reconciles finish before releasing the Lease, so the next leader
/// starts at once instead of waiting out the Lease.
pub async fn run_elected(
    mut elector: LeaderElector,
    client: Client,
    aws: crate::aws::AwsClients,
    config: crate::controller::Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Ended, crate::controller::RunError> {
    let metrics = config.metrics.clone();
    let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
    metrics.set_ready(true);
    if !elector.acquire(shutdown.clone()).await {
        metrics.set_ready(false);
        return Ok(Ended::Shutdown);
    }
    // Ready again once the leader's caches are synced.
    metrics.set_ready(false);
    metrics.leader.set(1);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let controllers = crate::controller::run(client, aws, config, async move {
        let _ = stop_rx.await;
    });
    tokio::pin!(controllers);
    let ended = tokio::select! {
        // The controllers stopped on their own (they failed to start): give the Lease up.
        result = &mut controllers => {
            metrics.set_ready(false);
            metrics.leader.set(0);
            elector.release().await;
            return result.map(|()| Ended::Shutdown);
        }
        _ = shutdown => Ended::Shutdown,
        _ = elector.hold() => Ended::LostLease,
    };
    metrics.set_ready(false);
    let _ = stop_tx.send(());
    // In-flight reconciles finish (the controllers' graceful shutdown) before the Lease goes.
    let result = controllers.await;
    metrics.leader.set(0);
    if ended == Ended::Shutdown {
        elector.release().await;
    }
    result.map(|()| ended)
}

/// This replica's identity: the pod name when running in Kubernetes, else host name and PID.
pub fn default_identity() -> String {
    if let Ok(pod) = std::env::var("POD_NAME")
        && !pod.is_empty()
    {
        return pod;
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_else(|_| "localhost".into());
    format!("{}-{}", host.trim(), std::process::id())
}

/// The namespace for the Lease when none is configured: the pod's own, else `default`.
pub fn default_namespace() -> String {
    std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        .map(|ns| ns.trim().to_owned())
        .ok()
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| "default".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_follows_client_go_proportions() {
        let t = LeaseTiming::from_duration(Duration::from_secs(15));
        assert_eq!(t.renew_period, Duration::from_secs(5));
        assert_eq!(t.renew_deadline, Duration::from_secs(10));
        assert!(t.retry_period < t.renew_period);
    }
}
