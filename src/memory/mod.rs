//! Giving the system back memory a long-running daemon holds without using it.
//!
//! Two kinds of pages stay resident after the work that touched them is over:
//!
//! - **Freed heap** ([`heap`]): glibc's allocator returns freed memory to the system only from the top of
//!   its heap, so after a burst (a thousand new sessions, each looked up in /proc, their files read)
//!   megabytes of freed pages below a live allocation stay resident for good.
//! - **Code and read-only data** ([`code`]): the kernel maps an executable's pages in windows and whole
//!   page-cache folios around each page touched, so start-up or one burst leaves nearly all of the
//!   executable and its libraries mapped (6 of the 6.6 MB of code), most of it not run again soon.
//!
//! [`settle`] hands both back, once the work is over: the engine keeps a [`SettleSchedule`], told each time
//! it saved its state (which happens once a burst of changes has been handled, at most every 200 ms while
//! they last, never while idle) and once when it starts. It settles [`SETTLE_AFTER_QUIET`] after the last
//! save, or at the latest [`SETTLE_AT_LEAST_EVERY`] after the first one not yet followed by a settle (steady
//! work). So an idle daemon holds its live data and the code it runs, and nothing from the last burst.
//! What is handed back costs little to get again: code is mapped again from the page cache at its next
//! use (a minor fault), and the allocator asks the system for fresh pages.

pub mod code;
pub mod heap;

use std::time::Duration;

use tokio::time::Instant;

/// Quiet after the last piece of work before settling.
pub const SETTLE_AFTER_QUIET: Duration = Duration::from_secs(1);

/// Under steady work, the longest a settle is put off.
pub const SETTLE_AT_LEAST_EVERY: Duration = Duration::from_secs(60);

/// What [`settle`] gave back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Released {
    /// The allocator handed free pages back.
    pub heap: bool,
    /// Bytes of clean file-backed mappings unmapped (0 where this is not supported).
    pub code_bytes: usize,
}

/// Hands freed heap pages back and unmaps the code and read-only data nothing is running. Blocking (it
/// walks the heap and reads `/proc/self/smaps`): call it from a blocking thread.
pub fn settle() -> Released {
    let released = Released {
        heap: heap::release_freed(),
        code_bytes: code::release_mapped(),
    };
    tracing::trace!(
        heap = released.heap,
        code_bytes = released.code_bytes,
        "memory settled"
    );
    released
}

/// When to [`settle`]: [`SETTLE_AFTER_QUIET`] after the last piece of work, and no later than
/// [`SETTLE_AT_LEAST_EVERY`] after the first piece not yet followed by a settle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettleSchedule {
    /// The first piece of work since the last settle.
    first: Option<Instant>,
    due: Option<Instant>,
}

impl SettleSchedule {
    /// A piece of work (a burst handled, start-up) ended at `now`.
    pub fn work_done(&mut self, now: Instant) {
        let first = *self.first.get_or_insert(now);
        self.due = Some((now + SETTLE_AFTER_QUIET).min(first + SETTLE_AT_LEAST_EVERY));
    }

    /// When to settle (None: nothing happened since the last time).
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The settle ran; wait for the next piece of work.
    pub fn settled(&mut self) {
        *self = SettleSchedule::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_due_before_any_work() {
        assert_eq!(SettleSchedule::default().due(), None);
    }

    #[test]
    fn a_burst_settles_once_quiet_after_its_last_piece() {
        let t0 = Instant::now();
        let mut s = SettleSchedule::default();
        s.work_done(t0);
        assert_eq!(s.due(), Some(t0 + SETTLE_AFTER_QUIET));
        let t1 = t0 + Duration::from_millis(200);
        s.work_done(t1);
        assert_eq!(s.due(), Some(t1 + SETTLE_AFTER_QUIET));
        s.settled();
        assert_eq!(s.due(), None);
    }

    #[test]
    fn steady_work_settles_at_least_every_interval() {
        let t0 = Instant::now();
        let mut s = SettleSchedule::default();
        let mut t = t0;
        while t < t0 + SETTLE_AT_LEAST_EVERY * 2 {
            s.work_done(t);
            t += Duration::from_millis(200);
        }
        assert_eq!(s.due(), Some(t0 + SETTLE_AT_LEAST_EVERY));
        s.settled();
        s.work_done(t);
        assert_eq!(s.due(), Some(t + SETTLE_AFTER_QUIET));
    }

    #[test]
    fn settling_leaves_the_process_working() {
        let blocks: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 * 1024]).collect();
        drop(blocks);
        let released = settle();
        if cfg!(target_os = "linux") {
            assert!(released.code_bytes > 0);
        }
        let again = vec![7u8; 1 << 20];
        assert_eq!(again[1 << 19], 7);
    }
}
