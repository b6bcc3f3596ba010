//! Scripted outcomes of standalone tasks, so a test can make a one-off task (a database
//! migration) succeed or fail: per container image, a list of outcomes; the i-th container of
//! a standalone task started with that image gets the i-th outcome, and the last one repeats.
//! Images match exactly (no pattern): the image string as the task definition names it.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::state::State;

/// How one container of a standalone task ends: it exits with `exit_code` (and, if given,
/// `reason` as the container's reason) `run_seconds` after the task reached RUNNING
/// (default: `TaskTimings::standalone_run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskOutcome {
    pub exit_code: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TaskOutcome {
    /// Exits with `exit_code` after `run_seconds`, with no reason.
    pub fn exit(exit_code: i32, run_seconds: u64) -> Self {
        TaskOutcome { exit_code, run_seconds: Some(run_seconds), reason: None }
    }
}

/// One image's script and how many containers have drawn from it.
#[derive(Debug, Clone, Default)]
pub struct Script {
    outcomes: Vec<TaskOutcome>,
    drawn: usize,
}

pub type Scripts = HashMap<String, Script>;

/// A planned container exit: `after` the task reached RUNNING, with `exit_code` and `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedExit {
    pub after_ms: u64,
    pub exit_code: i32,
    pub reason: Option<String>,
}

/// Container.reason: "A short (1024 max characters) human-readable string" (botocore).
const MAX_REASON: usize = 1024;

/// Checks a script before it is stored.
pub fn validate(image: &str, outcomes: &[TaskOutcome]) -> Result<(), String> {
    if image.is_empty() {
        return Err("image must not be empty".to_string());
    }
    if outcomes.is_empty() {
        return Err("outcomes must list at least one outcome".to_string());
    }
    if outcomes.iter().any(|o| o.reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON)) {
        return Err(format!("reason must be at most {MAX_REASON} characters"));
    }
    Ok(())
}

impl State {
    /// Replaces `image`'s script; the next standalone task started with it gets the first outcome.
    pub fn set_task_outcomes(&mut self, image: &str, outcomes: Vec<TaskOutcome>) {
        self.task_outcomes.insert(image.to_string(), Script { outcomes, drawn: 0 });
    }

    /// The outcome the next standalone container running `image` gets, if `image` is scripted.
    pub fn draw_outcome(&mut self, image: &str) -> Option<PlannedExit> {
        let default_run = self.timings.standalone_run;
        let script = self.task_outcomes.get_mut(image)?;
        let outcome = script.outcomes.get(script.drawn).or(script.outcomes.last())?.clone();
        script.drawn += 1;
        let run = outcome.run_seconds.map_or(default_run, Duration::from_secs);
        Some(PlannedExit { after_ms: run.as_millis() as u64, exit_code: outcome.exit_code, reason: outcome.reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_drawn_in_order_and_the_last_repeats() {
        let mut st = State::new(&crate::config::SimConfig::for_tests()).expect("state");
        let reason = TaskOutcome { reason: Some("boom".into()), ..TaskOutcome::exit(1, 5) };
        st.set_task_outcomes("migrate:1", vec![reason, TaskOutcome::exit(0, 7)]);
        let codes: Vec<_> = (0..3).filter_map(|_| st.draw_outcome("migrate:1")).collect();
        assert_eq!(codes[0], PlannedExit { after_ms: 5_000, exit_code: 1, reason: Some("boom".into()) });
        assert_eq!(codes[1].exit_code, 0);
        assert_eq!(codes[2], codes[1], "the last outcome repeats");
        assert_eq!(st.draw_outcome("migrate:2"), None, "images match exactly");
        let default = TaskOutcome { exit_code: 3, run_seconds: None, reason: None };
        st.set_task_outcomes("migrate:1", vec![default]);
        assert_eq!(st.draw_outcome("migrate:1").map(|p| (p.after_ms, p.exit_code)), Some((10_000, 3)));
        assert!(validate("", &[TaskOutcome::exit(0, 1)]).is_err());
        assert!(validate("x", &[]).is_err());
    }
}
