//! What `ecs-operator diff` says about each object, and how it prints: one headline per object
//! (what the operator would do), a unified diff of the canonical forms under it, a summary, and
//! the exit status (0 nothing to do, 1 changes, 2 an error), as `diff` and
//! `terraform plan -detailed-exitcode` have it. Pure.

use std::fmt::Write;

use serde::Serialize;

/// What the operator would do about one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Nothing would be written; `note` says why when that is not obvious (Observe mode, a
    /// difference only reported).
    Nothing { note: Option<String> },
    /// The calls the operator would make, and the canonical forms before and after.
    Changes { actions: Vec<String>, before: String, after: String, before_label: String },
    /// The operator would wait (a reference that has not registered its revision yet).
    Waiting(String),
    /// The object could not be judged.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectReport {
    pub kind: &'static str,
    /// `namespace/name`.
    pub key: String,
    pub verdict: Verdict,
}

/// The canonical form of a spec as YAML, the text the diff compares.
pub fn canonical_yaml<T: Serialize>(value: &T) -> String {
    serde_yaml::to_string(value).unwrap_or_else(|e| format!("# cannot show: {e}\n"))
}

/// The exit status for `reports`: 2 when any failed, else 1 when any would change (or wait for
/// a reference to change first), else 0.
pub fn exit_code(reports: &[ObjectReport]) -> u8 {
    if reports.iter().any(|r| matches!(r.verdict, Verdict::Failed(_))) {
        2
    } else if reports.iter().any(|r| matches!(r.verdict, Verdict::Changes { .. } | Verdict::Waiting(_))) {
        1
    } else {
        0
    }
}

/// The report as printed: every object, then a one-line summary.
pub fn render(reports: &[ObjectReport]) -> String {
    let mut out = String::new();
    let (mut changes, mut nothing, mut failed) = (0, 0, 0);
    for report in reports {
        let head = format!("{} {}", report.kind, report.key);
        match &report.verdict {
            Verdict::Nothing { note } => {
                nothing += 1;
                let note = note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
                let _ = writeln!(out, "{head}: no changes{note}");
            }
            Verdict::Changes { actions, before, after, before_label } => {
                changes += 1;
                let _ = writeln!(out, "{head}: {}", actions.join("; "));
                let diff = similar::TextDiff::from_lines(before.as_str(), after.as_str());
                let unified = diff
                    .unified_diff()
                    .context_radius(3)
                    .header(before_label, &format!("{head} (spec, canonical)"))
                    .to_string();
                for line in unified.lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
            Verdict::Waiting(why) => {
                changes += 1;
                let _ = writeln!(out, "{head}: waits: {why}");
            }
            Verdict::Failed(message) => {
                failed += 1;
                let _ = writeln!(out, "{head}: error: {message}");
            }
        }
    }
    let _ = writeln!(out, "\n{changes} to change, {nothing} unchanged, {failed} failed");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(verdict: Verdict) -> ObjectReport {
        ObjectReport { kind: "ECSService", key: "default/web".into(), verdict }
    }

    #[test]
    fn exit_status_is_the_worst_verdict() {
        let nothing = report(Verdict::Nothing { note: None });
        let change = report(Verdict::Changes {
            actions: vec!["update (desiredCount)".into()],
            before: "desiredCount: 2\n".into(),
            after: "desiredCount: 3\n".into(),
            before_label: "ECS".into(),
        });
        let failed = report(Verdict::Failed("no cluster".into()));
        assert_eq!(exit_code(&[]), 0);
        assert_eq!(exit_code(std::slice::from_ref(&nothing)), 0);
        assert_eq!(exit_code(&[nothing.clone(), change.clone()]), 1);
        assert_eq!(exit_code(&[change.clone(), failed.clone(), nothing.clone()]), 2);
        let text = render(&[change, nothing, failed]);
        assert!(text.contains("ECSService default/web: update (desiredCount)\n"), "{text}");
        assert!(text.contains("  -desiredCount: 2\n  +desiredCount: 3\n"), "{text}");
        assert!(text.contains("ECSService default/web: no changes\n"), "{text}");
        assert!(text.contains("ECSService default/web: error: no cluster\n"), "{text}");
        assert!(text.ends_with("1 to change, 1 unchanged, 1 failed\n"), "{text}");
    }
}
