//! Giving the system back memory the allocator keeps after the program freed it.
//!
//! glibc's allocator returns freed memory to the system only from the top of its heap; after a burst (a
//! thousand new sessions, each looked up in /proc, their files read) megabytes of freed pages below a
//! live allocation stay resident for good. `malloc_trim(0)` hands every whole free page back. The daemon
//! calls it after saving its state, which happens once a burst of changes has been handled (at most every
//! 200 ms while they last, never while idle), so an idle daemon stays as small as its live data.

use std::sync::atomic::{AtomicU64, Ordering};

/// How long after the last state save of a burst its leftovers are handed back once more: the blocking
/// threads the burst started end 10 s after their last job (tokio's keep-alive), and what they held is
/// freed only then.
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(12);

/// Hand freed pages back once more [`SETTLE`] after the latest call, if no other call came since (so a
/// burst of saves ends in one late release, and an idle daemon schedules nothing). Must be called within
/// a tokio runtime. The task ends with `None` when a later call superseded it, else what
/// [`release_freed`] said.
pub fn release_when_settled() -> tokio::task::JoinHandle<Option<bool>> {
    static LATEST: AtomicU64 = AtomicU64::new(0);
    release_when_settled_after(&LATEST)
}

/// [`release_when_settled`], counting calls in `latest`.
fn release_when_settled_after(latest: &'static AtomicU64) -> tokio::task::JoinHandle<Option<bool>> {
    let this = latest.fetch_add(1, Ordering::Relaxed) + 1;
    tokio::spawn(async move {
        tokio::time::sleep(SETTLE).await;
        if latest.load(Ordering::Relaxed) != this {
            return None;
        }
        tokio::task::spawn_blocking(release_freed).await.ok()
    })
}

/// Hands the allocator's free pages back to the system; whether it gave anything back. Blocking (it walks
/// the heap): call it from a blocking thread. Elsewhere than glibc it does nothing: other allocators
/// return memory themselves or have no such call.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_freed() -> bool {
    // SAFETY: `malloc_trim` takes no pointers and touches only glibc's own free lists, under its locks.
    unsafe { nix::libc::malloc_trim(0) == 1 }
}

/// Hands the allocator's free pages back to the system (nothing to do with this allocator).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[tokio::test(start_paused = true)]
    async fn only_the_latest_of_a_burst_releases_once_settled() {
        static LATEST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let early = super::release_when_settled_after(&LATEST);
        let late = super::release_when_settled_after(&LATEST);
        tokio::time::advance(super::SETTLE / 2).await;
        assert!(!early.is_finished() && !late.is_finished());
        assert_eq!(early.await.unwrap(), None);
        assert!(late.await.unwrap().is_some());
    }

    #[test]
    fn freed_memory_can_be_released_and_the_heap_stays_usable() {
        let blocks: Vec<Vec<u8>> = (0..512).map(|i| vec![i as u8; 16 * 1024]).collect();
        let kept: Vec<&Vec<u8>> = blocks.iter().step_by(64).collect();
        let sum: usize = kept.iter().map(|b| b[0] as usize).sum();
        drop(kept);
        drop(blocks);
        super::release_freed();
        let again = vec![7u8; 1 << 20];
        assert_eq!(again[1 << 19], 7);
        assert!(sum > 0);
    }
}
