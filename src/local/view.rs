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
    // One line per object, whatever the message holds.
    let field = |k: &str| condition.and_then(|c| c[k].as_str()).unwrap_or_default().replace(['\n', '\r'], " ");
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

/// Column widths that fit every row (and the table's headings).
#[derive(Debug, Clone, Copy)]
pub struct Widths {
    name: usize,
    revision: usize,
    running: usize,
    state: usize,
}

impl Widths {
    pub fn of<'a>(rows: impl Iterator<Item = (&'a String, &'a Row)>) -> Self {
        let mut w = Self { name: "KIND/NAME".len(), revision: 8, running: 7, state: 5 };
        for (name, row) in rows {
            w.name = w.name.max(name.chars().count());
            w.revision = w.revision.max(row.revision.chars().count());
            w.running = w.running.max(row.running.chars().count());
            w.state = w.state.max(row.state.chars().count());
        }
        w
    }
}

/// Six cells laid out in columns `widths` wide (the running count right-aligned).
fn cells_in_columns(cells: [&str; 6], widths: Widths) -> String {
    let Widths { name: n, revision: r, running: c, state: s } = widths;
    let [name, revision, running, state, ready, reason] = cells;
    format!("{name:<n$}  {revision:<r$}  {running:>c$}  {state:<s$}  {ready:<8} {reason}")
}

/// A row as one line of text, in columns `widths` wide: kind/name, its fields, and the Ready
/// message when it is not Ready.
pub fn line(name: &str, row: &Row, widths: Widths) -> String {
    let ready = match row.ready {
        Some(true) => "Ready",
        Some(false) => "NotReady",
        None => "pending",
    };
    let mut out =
        cells_in_columns([name, dash(&row.revision), dash(&row.running), dash(&row.state), ready, &row.reason], widths);
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
        let widths = Widths::of(rows.iter().chain(self.rows.iter()));
        let width = widths.name;
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
            lines.push(format!("{clock}  {}  [{what}]", line(name, row, widths)));
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

    /// The terminal frame, for a terminal `columns` wide and `rows` high: the title, `footer`
    /// (where things are) and `notes` (commands to copy, whole however long) first, so that
    /// they stay in view; then the table, rows changed in the last few seconds marked `*`
    /// (and, with colours, highlighted); then the recent changes. What does not fit is cut
    /// from the bottom. Every other line is cut to the width, one column short, so that
    /// clearing the rest of the line never erases its last character.
    pub fn frame(
        &self,
        title: &str,
        footer: &[String],
        notes: &[String],
        (columns, rows): (usize, usize),
        now: Instant,
    ) -> Vec<String> {
        let cut = |l: &str| console::truncate_str(l, columns.saturating_sub(1), "…").into_owned();
        let mut top = vec![cut(&format!("{title}   {}", self.ready_line))];
        top.extend(footer.iter().map(|l| cut(l)));
        top.push(String::new());
        for note in notes {
            top.push(console::style(note).cyan().to_string());
        }
        if !notes.is_empty() {
            top.push(String::new());
        }
        let widths = Widths::of(self.rows.iter());
        let header =
            format!("  {}", cells_in_columns(["KIND/NAME", "REVISION", "RUNNING", "STATE", "READY", "REASON"], widths));
        let mut table = vec![console::style(cut(&header)).bold().to_string()];
        for (name, row) in &self.rows {
            let fresh = self.changed.get(name).is_some_and(|at| now.duration_since(*at) < HIGHLIGHT);
            let text = cut(&format!("{} {}", if fresh { "*" } else { " " }, line(name, row, widths)));
            let styled = match (fresh, row.ready) {
                (true, _) => console::style(text).yellow().bold(),
                (false, Some(false)) => console::style(text).red(),
                (false, _) => console::style(text),
            };
            table.push(styled.to_string());
        }
        let mut bottom = vec![String::new(), console::style("recent").bold().to_string()];
        if self.recent.is_empty() {
            bottom.push("  (no change yet)".into());
        }
        bottom.extend(self.recent.iter().map(|l| cut(&format!("  {l}"))));
        // One row short of the terminal, so that the last newline does not scroll it.
        let screen_rows = |l: &String| console::measure_text_width(l).div_ceil(columns.max(1)).max(1);
        let mut room = rows.saturating_sub(1).saturating_sub(top.iter().map(screen_rows).sum());
        let mut out = top;
        if table.len() > room {
            let shown = room.saturating_sub(1);
            let hidden = table.len() - shown;
            out.extend(table.into_iter().take(shown));
            out.push(format!("… {hidden} more rows: make the terminal taller"));
            return out;
        }
        room -= table.len();
        out.extend(table);
        out.extend(bottom.into_iter().take(room));
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
        let many: BTreeMap<String, Row> = (0..30)
            .map(|i| {
                (
                    format!("ECSService/web-{i:02}"),
                    row("ECSService", &service("COMPLETED", "web:2", 2, "True", "RolloutComplete")),
                )
            })
            .collect();
        view.update(many, "09:00:00", start);
        let footer = ["log       /tmp/operator.log".to_owned()];
        let hint = format!("curl {}", "x".repeat(150));
        let frame = view.frame("ecs-operator local", &footer, std::slice::from_ref(&hint), (60, 24), start);
        assert!(frame[0].ends_with("30/30 Ready") && frame[1].contains("operator.log"), "paths first: {frame:?}");
        assert!(frame.iter().any(|l| console::strip_ansi_codes(l) == hint), "the hint whole: {frame:?}");
        let table = frame.iter().find(|l| l.contains("ECSService/web-00")).expect("a row");
        assert!(console::strip_ansi_codes(table).starts_with("* "), "fresh: {table}");
        let screen: usize = frame.iter().map(|l| console::measure_text_width(l).div_ceil(60).max(1)).sum();
        assert!(screen <= 23, "fits 24 rows with the hint wrapped: {screen} rows: {frame:#?}");
        assert!(frame.iter().all(|l| l.contains("curl") || console::measure_text_width(l) < 60), "{frame:#?}");
        assert!(frame.last().is_some_and(|l| l.contains("more rows: make the terminal taller")), "{frame:?}");
        let later = view.frame("ecs-operator local", &footer, &[], (200, 60), start + HIGHLIGHT);
        let table = later.iter().find(|l| l.contains("ECSService/web-00")).expect("a row");
        assert!(console::strip_ansi_codes(table).starts_with("  "), "no longer fresh: {table}");
        assert!(later.iter().any(|l| l.contains("recent")), "room for the recent changes: {later:?}");
    }
}
