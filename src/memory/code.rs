//! Unmapping the pages of code and read-only data nothing is running.
//!
//! A private, read-only file mapping whose pages were never copied (no `Anonymous` pages in
//! `/proc/self/smaps`) holds exactly what the file holds. `MADV_DONTNEED` on it drops the page-table
//! entries and nothing else: the pages stay in the page cache, and the next instruction fetched from one
//! maps it again (a minor fault, no disk read). So it is as safe as the kernel reclaiming those pages under
//! memory pressure, which it may do at any time; the difference is that the resident size shows what the
//! daemon runs rather than what its start-up once touched.
//!
//! Only the files the program runs from are touched: the executable and its shared libraries (files with
//! an executable mapping), their code and read-only data. Left alone: any other file a library may have
//! mapped, writable mappings, shared mappings, mappings with copied pages (the loader's relocated data,
//! `.data.rel.ro`, which would revert to the file's unrelocated bytes; a debugger's breakpoints), and
//! anything not backed by a file (`[vdso]`, stacks, the heap).

use std::collections::HashSet;
use std::ops::Range;

/// One mapping as its `smaps` header and `Anonymous` line describe it.
struct Mapping<'a> {
    range: Range<usize>,
    perms: &'a [u8],
    /// Device and inode: the file mapped (inode 0: none).
    file: (&'a str, &'a str),
    path: &'a str,
    /// Bytes copied from the file into private pages (unknown until the `Anonymous` line is read).
    copied: Option<bool>,
}

impl Mapping<'_> {
    fn is_file(&self) -> bool {
        self.file.1 != "0" && self.path.starts_with('/')
    }

    fn is_executable(&self) -> bool {
        self.is_file() && self.perms.get(2) == Some(&b'x')
    }

    /// Private, not writable, backed by a file, none of its pages copied.
    fn is_clean_read_only(&self) -> bool {
        self.is_file()
            && self.perms.len() == 4
            && self.perms[0] == b'r'
            && self.perms[1] == b'-'
            && self.perms[3] == b'p'
            && self.copied == Some(false)
    }
}

/// Address ranges of the clean, private, read-only mappings of the executable and its libraries in `smaps`
/// (the text of `/proc/<pid>/smaps`): the ones [`release_mapped`] may unmap.
pub fn clean_file_mappings(smaps: &str) -> Vec<Range<usize>> {
    let mut mappings: Vec<Mapping> = Vec::new();
    for line in smaps.lines() {
        if let Some(mapping) = mapping_header(line) {
            mappings.push(mapping);
        } else if let Some(value) = line.strip_prefix("Anonymous:")
            && let Some(last) = mappings.last_mut()
            && last.copied.is_none()
        {
            last.copied = Some(value.split_whitespace().next() != Some("0"));
        }
    }
    let run_from: HashSet<(&str, &str)> = mappings
        .iter()
        .filter(|m| m.is_executable())
        .map(|m| m.file)
        .collect();
    mappings
        .into_iter()
        .filter(|m| m.is_clean_read_only() && run_from.contains(&m.file))
        .map(|m| m.range)
        .collect()
}

/// A mapping's header line (`start-end perms offset dev inode path`). None for the lines of fields below a
/// header.
fn mapping_header(line: &str) -> Option<Mapping<'_>> {
    let mut fields = line.split_whitespace();
    let (start, end) = fields.next()?.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    let perms = fields.next()?.as_bytes();
    let (_offset, dev, inode) = (fields.next()?, fields.next()?, fields.next()?);
    Some(Mapping {
        range: start..end,
        perms,
        file: (dev, inode),
        path: fields.next().unwrap_or(""),
        copied: None,
    })
}

/// Unmaps this process's clean file mappings ([`clean_file_mappings`]); the bytes of address space
/// advised. Blocking (it reads `/proc/self/smaps`).
#[cfg(target_os = "linux")]
pub fn release_mapped() -> usize {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    clean_file_mappings(&smaps)
        .into_iter()
        .filter(|range| unmap_pages(range.clone()))
        .map(|range| range.len())
        .sum()
}

/// Unmaps nothing: only Linux is known to keep the pages in its cache for the next fault.
#[cfg(not(target_os = "linux"))]
pub fn release_mapped() -> usize {
    0
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn unmap_pages(range: Range<usize>) -> bool {
    // SAFETY: the range is a whole mapping of this process, private, read-only and with no copied pages
    // (checked just before from smaps), so its contents are the file's: MADV_DONTNEED only drops the
    // page-table entries, and the next access maps the same bytes again from the page cache. No Rust
    // reference can observe a difference.
    unsafe {
        nix::libc::madvise(
            range.start as *mut nix::libc::c_void,
            range.len(),
            nix::libc::MADV_DONTNEED,
        ) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0a0000000-55d0a0283000 r--p 00000000 fe:01 1234 /usr/bin/palingenesis
Size:               2572 kB
Rss:                1068 kB
Anonymous:             0 kB
55d0a0283000-55d0a0913000 r-xp 00283000 fe:01 1234 /usr/bin/palingenesis
Size:               6720 kB
Rss:                6096 kB
Anonymous:             0 kB
55d0a0913000-55d0a096e000 r--p 00913000 fe:01 1234 /usr/bin/palingenesis
Size:                364 kB
Anonymous:           364 kB
55d0a096e000-55d0a0975000 rw-p 0096e000 fe:01 1234 /usr/bin/palingenesis
Anonymous:            28 kB
55d0a1000000-55d0a1400000 rw-p 00000000 00:00 0 [heap]
Anonymous:          3788 kB
7f0000000000-7f0000100000 r-xp 00028000 fe:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                1060 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd
7f0000200000-7f0000201000 r--s 00000000 00:05 77 /dev/shm/shared
Anonymous:             0 kB
7f0000210000-7f0000211000 r--p 00000000 fe:01 555 /var/lib/some/data.db
Anonymous:             0 kB
7f0000300000-7f0000301000 r-xp 00000000 00:00 0 [vdso]
Anonymous:             0 kB
7f0000400000-7f0000401000 r-xp 00000000 fe:01 1234 /usr/bin/palingenesis (deleted)
Anonymous:             4 kB
";

    #[test]
    fn only_the_clean_read_only_mappings_of_the_program_and_its_libraries_are_picked() {
        assert_eq!(
            clean_file_mappings(SMAPS),
            vec![
                0x55d0a0000000..0x55d0a0283000,
                0x55d0a0283000..0x55d0a0913000,
                0x7f0000000000..0x7f0000100000,
            ]
        );
    }

    #[test]
    fn garbage_and_truncated_text_pick_nothing() {
        assert!(clean_file_mappings("").is_empty());
        assert!(clean_file_mappings("not smaps\nAnonymous: 0 kB\n").is_empty());
        // A header whose fields never came (the file was cut short) is not taken on trust.
        assert!(
            clean_file_mappings("55d0a0000000-55d0a0283000 r-xp 0 fe:01 1 /bin/x\n").is_empty()
        );
    }

    /// The test process's own code is unmapped, runs on, and is mapped again by running it.
    #[cfg(target_os = "linux")]
    #[test]
    fn unmapped_code_runs_on() {
        let resident = || {
            let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
            let clean = clean_file_mappings(&smaps);
            let mut total = 0usize;
            let mut in_clean = false;
            for line in smaps.lines() {
                if let Some(mapping) = mapping_header(line) {
                    in_clean = clean.contains(&mapping.range);
                } else if let Some(v) = line.strip_prefix("Rss:")
                    && in_clean
                {
                    total += v
                        .split_whitespace()
                        .next()
                        .unwrap()
                        .parse::<usize>()
                        .unwrap();
                }
            }
            total
        };
        let before = resident();
        assert!(release_mapped() > 0);
        let after = resident();
        assert!(
            after < before,
            "{after} kB resident after, {before} kB before"
        );
        // Code and constant data from every part of the program still work.
        let text: String = (0..100).map(|i| format!("{i:x}")).collect();
        assert_eq!(clean_file_mappings(SMAPS).len(), 3);
        assert!(serde_json::from_str::<serde_json::Value>("{\"a\":[1,2]}").is_ok());
        assert_eq!(text.len(), 16 + 84 * 2);
    }
}
