//! What local mode's live view shows, as pure functions of the objects listed: one row per
//! object, the changes between two listings, and the frame drawn on a terminal. The loop that
//! lists and draws is in `watch`.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

/// One object as the view shows it. Empty strings print as "-".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    /// The task definition revision it runs or registered (`web:3`).
    pub revision: String,
    /// Tasks running of those desired (`2/3`); for a cluster, its running tasks.
    pub running: String,
    /// The rollout state, task phase or ECS status; "deleting" while it is being deleted.
    pub state: String,
    /// The Ready condition; None before the first status.
    pub ready: Option<bool>,
    pub reason: String,
    pub message: String,
}

/// Every field of a row, named, in the order the view prints them.
fn fields(row: &Row) -> [(&'static str, String); 5] {
    let ready = match row.ready {
        Some(true) => "True",
        Some(false) => "False",
        None => "Unknown",
    };
    [
        ("revision", row.revision.clone()),
        ("running", row.running.clone()),
        ("state", row.state.clone()),
        ("Ready", ready.to_owned()),
        ("reason", row.reason.clone()),
    ]
}

/// The row of `obj`, a listed object of `kind` (its JSON as the API server returns it).
pub fn row(kind: &str, obj: &Value) -> Row {
    let text = |pointer: &str| match obj.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let of = |running: &str, desired: &str| match (text(running), text(desired)) {
        (r, d) if r.is_empty() && d.is_empty() => String::new(),
        (r, d) => format!("{}/{}", or_zero(r), or_zero(d)),
    };
    let (revision, running, mut state) = match kind {
        "TaskDefinition" => {
            let (family, revision) = (text("/status/family"), text("/status/revision"));
            let shown =
                if family.is_empty() || revision.is_empty() { String::new() } else { format!("{family}:{revision}") };
            (shown, String::new(), String::new())
        }
        "ECSService" | "ECSExpressService" => {
            let mut state = text("/status/rolloutState");
            let stage = text("/status/deployment/lifecycleStage");
            if !stage.is_empty() && state == "IN_PROGRESS" {
                state = format!("{state} ({stage})");
            }
            (text("/status/taskDefinition"), of("/status/runningCount", "/status/desiredCount"), state)
        }
        "ECSCluster" => (String::new(), text("/status/runningTasksCount"), text("/status/status")),
        "ECSTask" => {
            let tasks = obj.pointer("/status/tasks").and_then(Value::as_array).cloned().unwrap_or_default();
            let running = tasks.iter().filter(|t| t["lastStatus"] == "RUNNING").count();
            let counted = if tasks.is_empty() { String::new() } else { format!("{running}/{}", tasks.len()) };
            (text("/status/taskDefinition"), counted, text("/status/phase"))
        }
        _ => (String::new(), String::new(), text("/status/status")),
    };
    if obj.pointer("/metadata/deletionTimestamp").is_some() {
        state = "deleting".into();
    }
    let condition = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
    let field = |k: &str| condition.and_then(|c| c[k].as_str()).unwrap_or_default().to_owned();
    let ready = condition.map(|c| c["status"] == "True");
    Row { revision, running, state, ready, reason: field("reason"), message: field("message") }
}

fn or_zero(s: String) -> String {
    if s.is_empty() { "0".into() } else { s }
}

/// What changed from `before` to `after`, worded for a change line ("revision web:2 → web:3").
/// The reason is the line's own last word: named only when nothing else changed.
pub fn changes(before: &Row, after: &Row) -> Vec<String> {
    let all: Vec<(&str, String)> = fields(before)
        .into_iter()
        .zip(fields(after))
        .filter(|(b, a)| b.1 != a.1)
        .map(|((name, b), (_, a))| (name, format!("{name} {} → {}", dash(&b), dash(&a))))
        .collect();
    let others = all.iter().any(|(name, _)| *name != "reason");
    all.into_iter().filter(|(name, _)| !others || *name != "reason").map(|(_, c)| c).collect()
}

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

/// A row as one line of text: kind/name padded to `width`, then its fields, and the Ready
/// message when it is not Ready.
pub fn line(name: &str, row: &Row, width: usize) -> String {
    let ready = match row.ready {
        Some(true) => "Ready",
        Some(false) => "NotReady",
        None => "pending",
    };
    let mut out = format!(
        "{name:<width$}  {:<22} {:>7}  {:<24} {:<8} {}",
        dash(&row.revision),
        dash(&row.running),
        dash(&row.state),
        ready,
        row.reason
    );
    // Why it is not Ready; or why it runs nothing (a DAEMON service with no instance).
    let runs_nothing = row.running.ends_with("/0");
    if (row.ready == Some(false) || runs_nothing) && !row.message.is_empty() {
        out.push_str(": ");
        out.push_str(&row.message);
    }
    out
}

/// The view's memory: the last rows, when each changed, and the recent change lines.
#[derive(Default)]
pub struct View {
    rows: BTreeMap<String, Row>,
    changed: BTreeMap<String, Instant>,
    recent: VecDeque<String>,
    ready_line: String,
}

/// Change lines kept for the terminal's "recent changes".
const RECENT_KEPT: usize = 8;

/// How long a changed row stays highlighted on a terminal.
const HIGHLIGHT: Duration = Duration::from_secs(10);

impl View {
    /// Takes a new listing; returns the change lines, each stamped with `clock` (HH:MM:SS):
    /// new objects, changed ones (with what changed), removed ones, then the Ready count when
    /// it moved. Nothing when nothing changed.
    pub fn update(&mut self, rows: BTreeMap<String, Row>, clock: &str, now: Instant) -> Vec<String> {
        let width = rows.keys().chain(self.rows.keys()).map(String::len).max().unwrap_or(0);
        let mut lines = Vec::new();
        let mut compact = Vec::new();
        for (name, row) in &rows {
            let what = match self.rows.get(name) {
                None => "new".to_owned(),
                Some(before) if before == row => continue,
                Some(before) => match changes(before, row) {
                    // Only the message moved (a count inside it): shown, not worded.
                    c if c.is_empty() => "message".to_owned(),
                    c => c.join(", "),
                },
            };
            self.changed.insert(name.clone(), now);
            lines.push(format!("{clock}  {}  [{what}]", line(name, row, width)));
            // The terminal shows the row itself above: its recent list says only what changed.
            compact.push(format!("{clock}  {name}  {what}"));
        }
        for name in self.rows.keys().filter(|n| !rows.contains_key(*n)) {
            lines.push(format!("{clock}  {name:<width$}  deleted"));
            compact.push(format!("{clock}  {name}  deleted"));
        }
        self.changed.retain(|name, _| rows.contains_key(name));
        self.rows = rows;
        let ready = self.rows.values().filter(|r| r.ready == Some(true)).count();
        let ready_line = format!("{ready}/{} Ready", self.rows.len());
        if ready_line != self.ready_line {
            lines.push(format!("{clock}  {ready_line}"));
            compact.push(format!("{clock}  {ready_line}"));
            self.ready_line = ready_line;
        }
        for l in compact {
            self.remember(l);
        }
        lines
    }

    /// Keeps a line (a change, a warning, a hint) for the terminal's "recent" section.
    pub fn remember(&mut self, line: String) {
        self.recent.push_back(line);
        while self.recent.len() > RECENT_KEPT {
            self.recent.pop_front();
        }
    }

    pub fn all_ready(&self) -> bool {
        !self.rows.is_empty() && self.rows.values().all(|r| r.ready == Some(true))
    }

    /// The terminal frame: a title, the table (rows changed in the last few seconds marked
    /// with `*` and, with colours, highlighted), the recent lines and `footer`; every line cut
    /// to `columns`.
    pub fn frame(&self, title: &str, footer: &[String], columns: usize, now: Instant) -> Vec<String> {
        let width = self.rows.keys().map(String::len).max().unwrap_or(0).max("KIND/NAME".len());
        let mut out = vec![format!("{title}   {}", self.ready_line), String::new()];
        let header = format!(
            "  {:<width$}  {:<22} {:>7}  {:<24} {:<8} {}",
            "KIND/NAME", "REVISION", "RUNNING", "STATE", "READY", "REASON"
        );
        out.push(console::style(header).bold().to_string());
        for (name, row) in &self.rows {
            let fresh = self.changed.get(name).is_some_and(|at| now.duration_since(*at) < HIGHLIGHT);
            let text = format!("{} {}", if fresh { "*" } else { " " }, line(name, row, width));
            let text = console::truncate_str(&text, columns, "…").into_owned();
            let styled = match (fresh, row.ready) {
                (true, _) => console::style(text).yellow().bold(),
                (false, Some(false)) => console::style(text).red(),
                (false, _) => console::style(text),
            };
            out.push(styled.to_string());
        }
        out.push(String::new());
        out.push(console::style("recent").bold().to_string());
        if self.recent.is_empty() {
            out.push("  (no change yet)".into());
        }
        out.extend(self.recent.iter().map(|l| console::truncate_str(&format!("  {l}"), columns, "…").into_owned()));
        out.push(String::new());
        out.extend(footer.iter().map(|l| console::truncate_str(l, columns, "…").into_owned()));
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn service(rollout: &str, td: &str, running: i64, ready: &str, reason: &str) -> Value {
        json!({
            "metadata": {"name": "web"},
            "status": {
                "taskDefinition": td, "desiredCount": 2, "runningCount": running, "rolloutState": rollout,
                "conditions": [{"type": "Ready", "status": ready, "reason": reason, "message": "rolling out"}],
            },
        })
    }

    #[test]
    fn rows_show_revision_counts_state_and_ready() {
        let r = row("ECSService", &service("IN_PROGRESS", "web:3", 1, "False", "RolloutInProgress"));
        assert_eq!((r.revision.as_str(), r.running.as_str(), r.state.as_str()), ("web:3", "1/2", "IN_PROGRESS"));
        assert_eq!((r.ready, r.reason.as_str()), (Some(false), "RolloutInProgress"));
        let td = json!({"status": {"family": "web", "revision": 3, "conditions": [{"type": "Ready", "status": "True", "reason": "Registered"}]}});
        assert_eq!(row("TaskDefinition", &td).revision, "web:3");
        let task = json!({"status": {"phase": "Running", "taskDefinition": "migrate:1",
            "tasks": [{"lastStatus": "RUNNING"}, {"lastStatus": "PENDING"}],
            "conditions": [{"type": "Ready", "status": "False", "reason": "Running"}]}});
        let t = row("ECSTask", &task);
        assert_eq!((t.running.as_str(), t.state.as_str(), t.ready), ("1/2", "Running", Some(false)));
        let deleting =
            json!({"metadata": {"deletionTimestamp": "2026-12-07T09:00:00Z"}, "status": {"status": "ACTIVE"}});
        assert_eq!(row("ECSCluster", &deleting).state, "deleting");
        assert_eq!(row("ECSCluster", &json!({})), Row::default(), "no status yet");
    }

    #[test]
    fn change_lines_say_what_changed_and_the_ready_count() {
        let mut view = View::default();
        let at = Instant::now();
        let listing = |rows: &[(&str, Value)]| {
            rows.iter().map(|(n, v)| (format!("ECSService/{n}"), row("ECSService", v))).collect::<BTreeMap<_, _>>()
        };
        let first = view.update(
            listing(&[("web", service("COMPLETED", "web:2", 2, "True", "RolloutComplete"))]),
            "09:00:00",
            at,
        );
        assert_eq!(first.len(), 2, "{first:?}");
        assert!(first[0].starts_with("09:00:00  ECSService/web") && first[0].ends_with("[new]"), "{first:?}");
        assert_eq!(first[1], "09:00:00  1/1 Ready");
        let same = view.update(
            listing(&[("web", service("COMPLETED", "web:2", 2, "True", "RolloutComplete"))]),
            "09:00:01",
            at,
        );
        assert!(same.is_empty(), "nothing changed: {same:?}");
        let next = listing(&[("web", service("IN_PROGRESS", "web:3", 1, "False", "RolloutInProgress"))]);
        let rolled = view.update(next, "09:00:02", at);
        assert!(
            rolled[0].contains(
                "[revision web:2 → web:3, running 2/2 → 1/2, state COMPLETED → IN_PROGRESS, Ready True → False]"
            ),
            "{rolled:?}"
        );
        assert!(
            rolled[0].contains("NotReady RolloutInProgress: rolling out"),
            "the message when not Ready: {rolled:?}"
        );
        assert_eq!(rolled[1], "09:00:02  0/1 Ready");
        let gone = view.update(BTreeMap::new(), "09:00:03", at);
        assert_eq!(gone, ["09:00:03  ECSService/web  deleted", "09:00:03  0/0 Ready"]);
    }

    #[test]
    fn the_frame_marks_fresh_changes_and_fits_the_terminal() {
        let mut view = View::default();
        let start = Instant::now();
        let one = |v: Value| BTreeMap::from([("ECSService/web".to_owned(), row("ECSService", &v))]);
        view.update(one(service("COMPLETED", "web:2", 2, "True", "RolloutComplete")), "09:00:00", start);
        let frame = view.frame("ecs-operator local", &["logs: /tmp/operator.log".into()], 60, start);
        let table = frame.iter().find(|l| l.contains("ECSService/web")).expect("the row");
        assert!(table.starts_with("* "), "fresh: {table}");
        assert!(console::measure_text_width(table) <= 60, "cut to the terminal: {table}");
        assert!(frame.last().is_some_and(|l| l.contains("operator.log")), "{frame:?}");
        let later = view.frame("ecs-operator local", &[], 200, start + HIGHLIGHT);
        let table = later.iter().find(|l| l.contains("ECSService/web")).expect("the row");
        assert!(table.starts_with("  "), "no longer fresh: {table}");
        assert!(later[0].ends_with("1/1 Ready"), "{later:?}");
    }
}
