//! Local mode's live view: lists the objects twice a second and shows them. On a terminal it
//! redraws one frame (table, recent changes, where the kubeconfig and the log are); anywhere
//! else (a pipe, CI) it prints timestamped change lines only. Either way it points at the
//! operator's log when a Warning event or a logged warning appears, and says how to finish a
//! deletion that waits on ECS services no object manages any more.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, DynamicObject, ListParams};

use super::view::{self, Row, View};
use super::{KINDS, LocalError, kube_err, resource};
use crate::aws::ecs::EcsApi;

/// Where things are, for the footer, the hints and the pointers to the log.
pub struct Surroundings {
    pub kubeconfig: PathBuf,
    pub log: Option<PathBuf>,
    pub ecs_endpoint: String,
    pub speed: f64,
}

/// How long the view runs.
pub enum Until<F> {
    /// Until the future (Ctrl-C) completes.
    Shutdown(F),
    /// Until every object is Ready (Ok) or the timeout passes (Err).
    AllReady(Duration),
}

const TICK: Duration = Duration::from_millis(500);

pub async fn watch<F: std::future::Future<Output = ()>>(
    client: &kube::Client,
    ecs: &dyn EcsApi,
    around: &Surroundings,
    until: Until<F>,
) -> Result<(), LocalError> {
    // --once prints plain lines even on a terminal: its output is a record of the run.
    let terminal = std::io::stdout().is_terminal() && matches!(until, Until::Shutdown(_));
    let screen = terminal.then(Screen::start);
    let mut state =
        Watch { view: View::default(), warnings: Warnings::default(), hinted: BTreeSet::new(), hints: Vec::new() };
    let (shutdown, deadline) = match until {
        Until::Shutdown(f) => (Some(f), None),
        Until::AllReady(timeout) => (None, Some((Instant::now() + timeout, timeout))),
    };
    let shutdown = async move {
        match shutdown {
            Some(f) => f.await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(shutdown);
    loop {
        let lines = state.tick(client, ecs, around).await?;
        match &screen {
            Some(screen) => screen.draw(&state, around),
            None => lines.iter().for_each(|l| println!("{l}")),
        }
        if let Some((at, timeout)) = deadline {
            if state.view.all_ready() {
                println!("every sample is Ready");
                return Ok(());
            }
            if Instant::now() >= at {
                return Err(LocalError::NotReady(timeout));
            }
        }
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

struct Watch {
    view: View,
    warnings: Warnings,
    /// Clusters (and the unmanaged services holding them) already given a hint.
    hinted: BTreeSet<(String, Vec<String>)>,
    /// The hints that still apply, shown whole on a terminal.
    hints: Vec<String>,
}

impl Watch {
    /// One look: the change lines, warnings and hints since the last.
    async fn tick(
        &mut self,
        client: &kube::Client,
        ecs: &dyn EcsApi,
        around: &Surroundings,
    ) -> Result<Vec<String>, LocalError> {
        let clock = clock();
        // A listing that fails (the API busy for a moment) is skipped: the next tick tries again.
        let Ok(listing) = list(client).await else { return Ok(Vec::new()) };
        let mut lines = self.view.update(listing.rows, &clock, Instant::now());
        let notes = self.warnings.look(client, around.log.as_ref(), &clock).await;
        for note in &notes {
            self.view.remember(note.clone());
        }
        lines.extend(notes);
        // Hints stay on the terminal while their cluster is blocked; a pipe gets each once.
        self.hints.clear();
        for (cluster, ecs_name) in &listing.blocked_clusters {
            let unmanaged = unmanaged_services(ecs, ecs_name, &listing.managed_services).await;
            if unmanaged.is_empty() {
                continue;
            }
            let hint = retained_hint(&clock, cluster, ecs_name, &unmanaged, &around.ecs_endpoint);
            if self.hinted.insert((cluster.clone(), unmanaged)) {
                lines.extend(hint.iter().cloned());
            }
            self.hints.extend(hint);
        }
        Ok(lines)
    }
}

/// What one listing found.
struct Listing {
    rows: BTreeMap<String, Row>,
    /// The ARNs of the ECS services ECSService objects manage.
    managed_services: HashSet<String>,
    /// ECSCluster objects whose deletion is blocked: (kind/name, ECS cluster name).
    blocked_clusters: Vec<(String, String)>,
}

async fn list(client: &kube::Client) -> Result<Listing, LocalError> {
    let mut listing = Listing { rows: BTreeMap::new(), managed_services: HashSet::new(), blocked_clusters: Vec::new() };
    for kind in KINDS {
        let Some(ar) = resource(kind) else { continue };
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
        for obj in api.list(&ListParams::default()).await.map_err(kube_err("listing objects"))?.items {
            // Namespace `default`, where the samples go, is left out; any other is shown.
            let name = match obj.metadata.namespace.as_deref() {
                Some("default") | None => format!("{kind}/{}", obj.metadata.name.clone().unwrap_or_default()),
                Some(ns) => format!("{kind}/{ns}/{}", obj.metadata.name.clone().unwrap_or_default()),
            };
            let json = serde_json::to_value(&obj).unwrap_or_default();
            let row = view::row(kind, &json);
            let status =
                |field: &str| json.pointer(&format!("/status/{field}")).and_then(|v| v.as_str()).map(str::to_owned);
            if let Some(arn) = status("serviceArn") {
                listing.managed_services.insert(arn);
            }
            if *kind == "ECSCluster" && row.reason == "DeletionBlocked" {
                let named = json.pointer("/spec/clusterName").and_then(|v| v.as_str()).map(str::to_owned);
                let ecs_name = status("clusterName").or(named).or(obj.metadata.name.clone()).unwrap_or_default();
                listing.blocked_clusters.push((name.clone(), ecs_name));
            }
            listing.rows.insert(name, row);
        }
    }
    Ok(listing)
}

/// The services ECS still has in `cluster` that no ECSService object manages (left by
/// `deletionPolicy: Retain`, or made by another tool), by name. Best effort: an ECS that
/// does not answer gives no hint this time.
async fn unmanaged_services(ecs: &dyn EcsApi, cluster: &str, managed: &HashSet<String>) -> Vec<String> {
    let Ok(listed) = ecs.list_services(cluster).await else {
        return Vec::new();
    };
    let mut names: Vec<String> = listed
        .iter()
        .filter(|arn| !managed.contains(*arn))
        .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned())
        .collect();
    names.sort();
    names
}

/// How to finish a deletion that waits for services no object manages: delete them in local
/// mode's ECS, with a command that works on any machine with curl (7.75 or later signs the
/// request as the AWS CLI would).
pub fn retained_hint(clock: &str, object: &str, cluster: &str, services: &[String], endpoint: &str) -> Vec<String> {
    let mut lines = vec![format!(
        "{clock}  {object} waits for ECS services no object manages any more: {} (an ECSService with \
         deletionPolicy: Retain leaves its service in ECS). To finish, delete them in local mode's ECS:",
        services.join(", ")
    )];
    for service in services {
        let body = serde_json::json!({"cluster": cluster, "service": service, "force": true});
        lines.push(format!(
            "    curl -s --aws-sigv4 aws:amz:us-east-1:ecs --user local:local \
             -H 'X-Amz-Target: AmazonEC2ContainerServiceV20141113.DeleteService' \
             -H 'Content-Type: application/x-amz-json-1.1' -d '{body}' {endpoint}/"
        ));
    }
    lines
}

/// Kubernetes Warning events and the operator log's WARN and ERROR lines seen so far.
#[derive(Default)]
struct Warnings {
    /// Events already shown: (uid, count).
    events: HashSet<(String, i32)>,
    /// How far the log has been read.
    log_offset: u64,
    /// WARN and ERROR lines in the log so far.
    logged: usize,
}

impl Warnings {
    async fn look(&mut self, client: &kube::Client, log: Option<&PathBuf>, clock: &str) -> Vec<String> {
        let see_log = log.map(|l| format!(" (details in {})", l.display())).unwrap_or_default();
        let mut lines = Vec::new();
        let events: Api<Event> = Api::all(client.clone());
        // Best effort: the view goes on without events if listing them fails.
        let listed = events.list(&ListParams::default()).await.map(|l| l.items).unwrap_or_default();
        for e in listed.iter().filter(|e| e.type_.as_deref() == Some("Warning")) {
            let key = (e.metadata.uid.clone().unwrap_or_default(), e.count.unwrap_or(1));
            if !self.events.insert(key) {
                continue;
            }
            let about = &e.involved_object;
            lines.push(format!(
                "{clock}  warning  {}/{} {}: {}{see_log}",
                about.kind.as_deref().unwrap_or("?"),
                about.name.as_deref().unwrap_or("?"),
                e.reason.as_deref().unwrap_or_default(),
                e.message.as_deref().unwrap_or_default().trim(),
            ));
        }
        if let Some(log) = log {
            let (new, latest) = self.read_log(log);
            if new > 0 {
                self.logged += new;
                let latest = latest.unwrap_or_default();
                let what = if new == 1 { "a warning".to_owned() } else { format!("{new} warnings") };
                lines.push(format!("{clock}  the operator logged {what}, latest: {latest}{see_log}"));
            }
        }
        lines
    }

    /// WARN and ERROR lines appended to the log since the last read, and the last of them
    /// (its level and message, without the span's fields).
    fn read_log(&mut self, log: &PathBuf) -> (usize, Option<String>) {
        let Ok(mut file) = std::fs::File::open(log) else { return (0, None) };
        let mut text = String::new();
        if file.seek(SeekFrom::Start(self.log_offset)).is_err() || file.read_to_string(&mut text).is_err() {
            return (0, None);
        }
        // Only whole lines: a line being written is read next time.
        let complete = text.rfind('\n').map_or(0, |i| i + 1);
        self.log_offset += complete as u64;
        let warned: Vec<&str> = text[..complete].lines().filter(|l| level(l).is_some()).collect();
        let latest = warned.last().map(|l| log_excerpt(l));
        (warned.len(), latest)
    }

    fn logged(&self) -> usize {
        self.logged
    }
}

/// WARN or ERROR, the level of a log line that has one of them: the word after the time.
fn level(line: &str) -> Option<&'static str> {
    match line.split_whitespace().nth(1) {
        Some("WARN") => Some("WARN"),
        Some("ERROR") => Some("ERROR"),
        _ => None,
    }
}

/// A log line's level and message: tracing's `time LEVEL span: target: message fields`.
fn log_excerpt(line: &str) -> String {
    let level = level(line).unwrap_or("WARN");
    // The message starts after the target (`ecs_operator::controller::policy: `), the first
    // word before a ": " that is a module path; field values may hold ": " too.
    let after_target = line.match_indices(": ").find_map(|(at, _)| {
        let word = line[..at].rsplit([' ', '}']).next().unwrap_or_default();
        (word.contains("::") && !word.contains('{')).then_some(at + 2)
    });
    let after_level = line.find(level).map_or(0, |at| at + level.len());
    let message = line[after_target.unwrap_or(after_level)..].trim();
    let mut excerpt: String = message.chars().take(160).collect();
    if excerpt.len() < message.len() {
        excerpt.push('…');
    }
    format!("{level} {excerpt}")
}

/// Now, UTC, as HH:MM:SS.
fn clock() -> String {
    k8s_openapi::jiff::Timestamp::now().strftime("%H:%M:%S").to_string()
}

/// The terminal, redrawn in place.
struct Screen(console::Term);

impl Screen {
    fn start() -> Self {
        let term = console::Term::stdout();
        let _ = term.clear_screen();
        let _ = term.hide_cursor();
        Self(term)
    }

    fn draw(&self, watch: &Watch, around: &Surroundings) {
        let (rows, columns) = self.0.size();
        let logged = match watch.warnings.logged() {
            0 => "no warnings so far".to_owned(),
            1 => "1 warning so far".to_owned(),
            n => format!("{n} warnings so far"),
        };
        let log = around.log.as_ref().map(|l| l.display().to_string()).unwrap_or_else(|| "-".into());
        let footer = [
            format!("kubectl   KUBECONFIG={} kubectl get ecs", around.kubeconfig.display()),
            format!("log       {log} ({logged})"),
            format!("ECS       {} · simulated time ×{} · Ctrl-C stops everything", around.ecs_endpoint, around.speed),
        ];
        let title = format!("ecs-operator local   {} UTC", clock());
        let size = (usize::from(columns), usize::from(rows));
        let frame = watch.view.frame(&title, &footer, &watch.hints, size, Instant::now());
        let mut out = String::new();
        for line in frame {
            out.push_str(&line);
            out.push_str("\x1b[K\n");
        }
        let _ = self.0.move_cursor_to(0, 0);
        let _ = self.0.write_str(&out);
        let _ = self.0.clear_to_end_of_screen();
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.0.show_cursor();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_a_command_per_service() {
        let lines = retained_hint(
            "09:00:00",
            "ECSCluster/batch-ec2",
            "batch-ec2",
            &["log-agent".into()],
            "http://127.0.0.1:4000",
        );
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("log-agent") && lines[0].contains("deletionPolicy: Retain"), "{lines:?}");
        assert!(
            lines[1]
                .ends_with(r#"-d '{"cluster":"batch-ec2","force":true,"service":"log-agent"}' http://127.0.0.1:4000/"#),
            "{lines:?}"
        );
    }

    #[test]
    fn log_excerpts_keep_the_level_and_message() {
        let line = "2026-12-07T09:00:00Z  WARN reconcile{kind=\"ECSService\"}: ecs_operator::controller::policy: \
                    retryable error reason=\"KubernetesError\" error=adding the finalizer: ApiError: 422";
        assert_eq!(
            log_excerpt(line),
            "WARN retryable error reason=\"KubernetesError\" error=adding the finalizer: ApiError: 422"
        );
    }
}
