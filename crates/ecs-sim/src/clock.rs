//! The simulated clock. Every lifecycle decision reads time from here, never from the
//! system clock, so tests can run a rollout in milliseconds (speed or manual advance)
//! and get the same result every time.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How simulated time moves on its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// Simulated time runs at `speed` × real time (1.0 = real time).
    Scaled { speed: f64 },
    /// Simulated time stands still until advanced through the admin API.
    Manual,
}

/// Simulated wall-clock time in milliseconds since the Unix epoch.
#[derive(Debug)]
pub struct SimClock {
    mode: ClockMode,
    started_real: Instant,
    started_sim_ms: u64,
    advanced_ms: u64,
}

impl SimClock {
    /// Starts at the current real time so timestamps in responses look plausible.
    pub fn new(mode: ClockMode) -> Self {
        let epoch_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        SimClock { mode, started_real: Instant::now(), started_sim_ms: epoch_ms, advanced_ms: 0 }
    }

    pub fn now_ms(&self) -> u64 {
        let elapsed = match self.mode {
            ClockMode::Scaled { speed } => (self.started_real.elapsed().as_secs_f64() * speed * 1000.0) as u64,
            ClockMode::Manual => 0,
        };
        self.started_sim_ms + elapsed + self.advanced_ms
    }

    /// Jumps simulated time forward; works in both modes.
    pub fn advance(&mut self, by: Duration) {
        self.advanced_ms += by.as_millis() as u64;
    }
}

/// Real (wall-clock) time in milliseconds since the Unix epoch, for what AWS stamps with the
/// time a request or event happened rather than the simulated state: STS credential expiry,
/// EventBridge envelopes, SQS message timestamps.
pub fn wall_clock_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// ISO 8601 UTC for an epoch second, `2023-11-14T22:13:20Z` (days-from-civil inverse, Howard
/// Hinnant's algorithm): STS expirations, EventBridge `time`, CloudTrail `eventTime`.
pub fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// ISO 8601 UTC with milliseconds, `2020-01-23T17:57:34.402Z`: the timestamps inside ECS
/// event details ("UNIX timestamps in the response of a DescribeTasks action whereas in the
/// task state change event they are ISO string timestamps").
pub fn iso8601_ms(ms: u64) -> String {
    let secs = iso8601(ms / 1000);
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), ms % 1000)
}

/// AWS JSON protocols carry timestamps as fractional epoch seconds.
pub fn epoch_seconds(ms: u64) -> serde_json::Value {
    serde_json::json!(ms as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let mut clock = SimClock::new(ClockMode::Manual);
        let t0 = clock.now_ms();
        assert_eq!(clock.now_ms(), t0);
        clock.advance(Duration::from_secs(30));
        assert_eq!(clock.now_ms(), t0 + 30_000);
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_ms(1_579_802_254_402), "2020-01-23T17:57:34.402Z");
        assert_eq!(iso8601_ms(1_700_000_000_007), "2023-11-14T22:13:20.007Z");
    }

    #[test]
    fn scaled_clock_runs_faster_than_real_time() {
        let clock = SimClock::new(ClockMode::Scaled { speed: 1000.0 });
        let t0 = clock.now_ms();
        std::thread::sleep(Duration::from_millis(5));
        assert!(clock.now_ms() >= t0 + 4_000);
    }
}
