//! Heap tuning for a long-running controller on glibc.
//!
//! Most of the heap is the watch caches; on top of them come short bursts: a relist of
//! thousands of objects, a batch of DescribeServices answers. glibc keeps what a burst freed
//! (in up to eight arenas per core, one per thread that met contention) and hands back to the
//! kernel only the free top of each heap, so resident memory ratchets up to the largest burst
//! seen. A process that spends its time waiting on APIs needs no more than two arenas, and an
//! occasional `malloc_trim` returns the free pages in the middle of the heap as well. Other
//! platforms and allocators are left alone.

use std::time::Duration;

/// How often free heap pages go back to the kernel: a trim is cheap next to the interval.
pub const TRIM_INTERVAL: Duration = Duration::from_secs(10);

/// Call before the async runtime starts its threads: arenas are assigned as threads first
/// allocate.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a malloc parameter; M_ARENA_MAX takes any positive value.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns freed heap pages to the kernel every `every`, forever (spawn it; it stops with the
/// runtime).
pub async fn return_free_pages(every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        trim();
    }
}

fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it is safe to call while other threads allocate.
    unsafe {
        libc::malloc_trim(0);
    }
}
