//! Heap pages the allocator keeps after the program freed them: `malloc_trim(0)` hands every whole free
//! page back (see [`super`] for when).

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
