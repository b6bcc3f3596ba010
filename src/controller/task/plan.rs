//! What an ECSTask does next, from its status and its current attempt's tasks as ECS describes
//! them (pure: the clock is passed in). A Job's rules: an attempt succeeds when every task
//! stopped with every essential container exiting 0; a failed attempt is retried after a
//! growing back-off until `backoffLimit` retries are spent; past `activeDeadlineSeconds` the
//! running tasks are stopped and the run has failed.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use crate::crd::task::{ECSTaskStatus, TaskPhase, TaskRecord};

/// The longest wait before a retry (a Job's).
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(360);

/// The spec's limits and the operator's retry pace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub backoff_limit: i32,
    pub active_deadline: Option<Duration>,
    pub ttl_after_finished: Option<Duration>,
    pub retry_base: Duration,
}

/// The next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The run is over; the object goes at `expires` (ttlSecondsAfterFinished), if set.
    Finished { expires: Option<Time> },
    /// Start attempt `attempt` now.
    Start { attempt: i32 },
    /// Attempt `attempt` starts at `until`, after the back-off.
    BackOff { attempt: i32, until: Time },
    /// The attempt's tasks are still moving; look again, by `deadline` at the latest.
    Follow { deadline: Option<Time> },
    /// Every task stopped and every essential container exited 0.
    Succeeded,
    /// The attempt failed (`why`); the run has failed too when `exhausted`.
    AttemptFailed { why: String, exhausted: bool },
    /// Past the deadline: these tasks are stopped, and the run has failed.
    DeadlineExceeded { stop: Vec<String> },
    /// The failures so far already spend the retries (backoffLimit was lowered): the run has
    /// failed.
    OutOfRetries,
}

/// The next step for a run whose status is `status` and whose current attempt's tasks ECS
/// describes as `tasks` (empty: the attempt has not started).
pub fn next_step(
    status: &ECSTaskStatus,
    tasks: &[TaskRecord],
    essential: &[String],
    limits: &Limits,
    now: &Time,
) -> Step {
    if matches!(status.phase, Some(TaskPhase::Succeeded | TaskPhase::Failed)) {
        let expires = match (&status.completion_time, limits.ttl_after_finished) {
            (Some(done), Some(ttl)) => Some(Time(after(done.0, ttl))),
            _ => None,
        };
        return Step::Finished { expires };
    }
    let deadline = match (&status.start_time, limits.active_deadline) {
        (Some(start), Some(limit)) => Some(Time(after(start.0, limit))),
        _ => None,
    };
    let failed = status.failed.unwrap_or(0);
    // Tasks that all stopped are judged first: one that succeeded just before the deadline
    // succeeded (a late look must not turn it into a missed deadline).
    if !tasks.is_empty() && tasks.iter().all(|t| t.last_status.as_deref() == Some("STOPPED")) {
        return match tasks.iter().find_map(|t| failure(t, essential)) {
            None => Step::Succeeded,
            Some(why) => Step::AttemptFailed { why, exhausted: exhausted(failed + 1, limits.backoff_limit) },
        };
    }
    if deadline.as_ref().is_some_and(|d| d.0 <= now.0) {
        let stop = tasks.iter().filter(|t| !stopping(t)).map(|t| t.task_arn.clone()).collect();
        return Step::DeadlineExceeded { stop };
    }
    if !tasks.is_empty() {
        return Step::Follow { deadline };
    }
    // backoffLimit may have been lowered below the failures so far.
    if failed > 0 && exhausted(failed, limits.backoff_limit) {
        return Step::OutOfRetries;
    }
    let attempt = failed + 1;
    if failed > 0
        && let Some(last) = &status.last_failure_time
    {
        let until = Time(after(last.0, retry_wait(limits.retry_base, failed)));
        if until.0 > now.0 {
            return Step::BackOff { attempt, until };
        }
    }
    Step::Start { attempt }
}

/// Whether `failed` failed attempts spend a `backoff_limit` of retries.
pub fn exhausted(failed: i32, backoff_limit: i32) -> bool {
    failed > backoff_limit
}

/// The wait before the retry that follows `failed` failed attempts: the base, doubled for each
/// failure after the first, at most [`MAX_RETRY_WAIT`].
pub fn retry_wait(base: Duration, failed: i32) -> Duration {
    let doublings = u32::try_from(failed.saturating_sub(1)).unwrap_or(0).min(16);
    base.saturating_mul(2u32.saturating_pow(doublings)).min(MAX_RETRY_WAIT)
}

/// Whether ECS is stopping the task or has stopped it.
pub fn stopping(task: &TaskRecord) -> bool {
    task.last_status.as_deref() == Some("STOPPED") || task.desired_status.as_deref() == Some("STOPPED")
}

/// Why a stopped task failed, or None when it stopped because its essential containers exited
/// and every one of them exited 0. A task stopped for another reason (someone's StopTask, a
/// Spot interruption, a failure to start) failed, whatever its containers returned; so did one
/// that reports none of the essential containers. With no known essential container, every
/// container must have exited 0.
pub fn failure(task: &TaskRecord, essential: &[String]) -> Option<String> {
    let id = task.task_arn.rsplit('/').next().unwrap_or(&task.task_arn);
    let why_stopped = || match (&task.stop_code, &task.stopped_reason) {
        (Some(code), Some(reason)) => format!("{code}: {reason}"),
        (code, reason) => code.clone().or(reason.clone()).unwrap_or_else(|| "no reason given".into()),
    };
    if task.stop_code.as_deref() != Some("EssentialContainerExited") {
        return Some(format!("task {id} stopped before its essential containers finished ({})", why_stopped()));
    }
    let judged: Vec<_> =
        task.containers.iter().filter(|c| essential.is_empty() || essential.contains(&c.name)).collect();
    if judged.is_empty() {
        return Some(format!("task {id} reports none of the essential containers ({})", essential.join(", ")));
    }
    for container in judged {
        match container.exit_code {
            Some(0) => {}
            Some(code) => {
                let reason = container.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
                return Some(format!(
                    "task {id}: essential container {:?} exited with code {code}{reason}",
                    container.name
                ));
            }
            None => {
                return Some(format!(
                    "task {id}: essential container {:?} has no exit code ({})",
                    container.name,
                    why_stopped()
                ));
            }
        }
    }
    None
}

fn after(t: Timestamp, d: Duration) -> Timestamp {
    SignedDuration::try_from(d).ok().and_then(|d| t.checked_add(d).ok()).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::task::ContainerRecord;

    fn t(s: &str) -> Time {
        Time(s.parse().unwrap_or_else(|e| panic!("time {s}: {e}")))
    }

    fn limits() -> Limits {
        Limits {
            backoff_limit: 2,
            active_deadline: None,
            ttl_after_finished: None,
            retry_base: Duration::from_secs(10),
        }
    }

    fn task(last: &str, exits: &[(&str, Option<i32>)]) -> TaskRecord {
        TaskRecord {
            task_arn: "arn:aws:ecs:us-east-1:1:task/apps/abc".into(),
            last_status: Some(last.into()),
            desired_status: Some(if last == "STOPPED" { "STOPPED" } else { "RUNNING" }.into()),
            stop_code: (last == "STOPPED").then(|| "EssentialContainerExited".into()),
            containers: exits
                .iter()
                .map(|(name, code)| ContainerRecord { name: (*name).into(), exit_code: *code, ..Default::default() })
                .collect(),
            ..Default::default()
        }
    }

    fn running_status(failed: i32) -> ECSTaskStatus {
        ECSTaskStatus {
            phase: Some(TaskPhase::Running),
            failed: Some(failed),
            start_time: Some(t("2026-01-01T00:00:00Z")),
            ..Default::default()
        }
    }

    const NOW: &str = "2026-01-01T00:01:00Z";

    #[test]
    fn an_attempt_succeeds_when_every_essential_container_exits_zero() {
        let essential = vec!["migrate".to_owned()];
        let done = [task("STOPPED", &[("migrate", Some(0)), ("log-router", Some(137))])];
        assert_eq!(next_step(&running_status(0), &done, &essential, &limits(), &t(NOW)), Step::Succeeded);
        let failed = [task("STOPPED", &[("migrate", Some(3)), ("log-router", Some(0))])];
        let step = next_step(&running_status(0), &failed, &essential, &limits(), &t(NOW));
        let Step::AttemptFailed { why, exhausted: false } = step else { panic!("{step:?}") };
        assert!(why.contains("\"migrate\" exited with code 3"), "{why}");
        let moving = [task("RUNNING", &[("migrate", None)])];
        assert_eq!(
            next_step(&running_status(0), &moving, &essential, &limits(), &t(NOW)),
            Step::Follow { deadline: None }
        );
        // A task stopped before its container ran (TaskFailedToStart) has no exit code: failed.
        let unstarted = [task("STOPPED", &[("migrate", None)])];
        assert!(matches!(
            next_step(&running_status(0), &unstarted, &essential, &limits(), &t(NOW)),
            Step::AttemptFailed { .. }
        ));
        // Stopped by someone (StopTask, a Spot interruption): failed, whatever the exit code.
        let mut stopped = task("STOPPED", &[("migrate", Some(0))]);
        stopped.stop_code = Some("UserInitiated".into());
        let step = next_step(&running_status(0), &[stopped], &essential, &limits(), &t(NOW));
        let Step::AttemptFailed { why, .. } = step else { panic!("{step:?}") };
        assert!(why.contains("UserInitiated"), "{why}");
        // A task without the essential container (another revision) proves nothing.
        let other = [task("STOPPED", &[("web", Some(0))])];
        assert!(matches!(
            next_step(&running_status(0), &other, &essential, &limits(), &t(NOW)),
            Step::AttemptFailed { .. }
        ));
    }

    #[test]
    fn failures_are_retried_with_a_growing_back_off_up_to_the_limit() {
        let failed = [task("STOPPED", &[("migrate", Some(1))])];
        let essential = vec!["migrate".to_owned()];
        let step = next_step(&running_status(2), &failed, &essential, &limits(), &t(NOW));
        assert!(matches!(step, Step::AttemptFailed { exhausted: true, .. }), "third failure, limit 2: {step:?}");
        let mut status = running_status(1);
        status.phase = Some(TaskPhase::Pending);
        status.last_failure_time = Some(t("2026-01-01T00:00:55Z"));
        assert_eq!(
            next_step(&status, &[], &essential, &limits(), &t(NOW)),
            Step::BackOff { attempt: 2, until: t("2026-01-01T00:01:05Z") }
        );
        status.failed = Some(2);
        assert_eq!(
            next_step(&status, &[], &essential, &limits(), &t(NOW)),
            Step::BackOff { attempt: 3, until: t("2026-01-01T00:01:15Z") },
            "the second retry waits twice as long"
        );
        assert_eq!(
            next_step(&status, &[], &essential, &limits(), &t("2026-01-01T00:01:15Z")),
            Step::Start { attempt: 3 }
        );
        assert_eq!(retry_wait(Duration::from_secs(10), 12), MAX_RETRY_WAIT);
        assert_eq!(
            next_step(&ECSTaskStatus::default(), &[], &essential, &limits(), &t(NOW)),
            Step::Start { attempt: 1 }
        );
    }

    #[test]
    fn the_deadline_stops_what_still_runs_and_ttl_follows_completion() {
        let limits = Limits { active_deadline: Some(Duration::from_secs(30)), ..limits() };
        let tasks = [task("RUNNING", &[("migrate", None)]), task("STOPPED", &[("migrate", Some(0))])];
        let step = next_step(&running_status(0), &tasks, &[], &limits, &t(NOW));
        assert_eq!(step, Step::DeadlineExceeded { stop: vec![tasks[0].task_arn.clone()] });
        // A run that finished before anyone looked succeeded, deadline or not.
        let done = [task("STOPPED", &[("migrate", Some(0))])];
        assert_eq!(next_step(&running_status(0), &done, &[], &limits, &t(NOW)), Step::Succeeded);
        let mut waiting = running_status(1);
        waiting.phase = Some(TaskPhase::Pending);
        assert_eq!(next_step(&waiting, &[], &[], &limits, &t(NOW)), Step::DeadlineExceeded { stop: vec![] });
        let early = next_step(&running_status(0), &tasks[..1], &[], &limits, &t("2026-01-01T00:00:10Z"));
        assert_eq!(early, Step::Follow { deadline: Some(t("2026-01-01T00:00:30Z")) });
        let finished = ECSTaskStatus {
            phase: Some(TaskPhase::Succeeded),
            completion_time: Some(t("2026-01-01T00:00:40Z")),
            ..Default::default()
        };
        let ttl = Limits { ttl_after_finished: Some(Duration::from_secs(100)), ..limits };
        assert_eq!(
            next_step(&finished, &[], &[], &ttl, &t(NOW)),
            Step::Finished { expires: Some(t("2026-01-01T00:02:20Z")) }
        );
    }
}
