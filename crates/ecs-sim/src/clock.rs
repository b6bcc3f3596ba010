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
    fn scaled_clock_runs_faster_than_real_time() {
        let clock = SimClock::new(ClockMode::Scaled { speed: 1000.0 });
        let t0 = clock.now_ms();
        std::thread::sleep(Duration::from_millis(5));
        assert!(clock.now_ms() >= t0 + 4_000);
    }
}
