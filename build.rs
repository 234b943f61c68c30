//! Release executables on glibc ≥ 2.36 are linked with packed relative relocations (`DT_RELR`).
//!
//! A position-independent executable carries one 24-byte relocation record for every pointer in its data
//! (vtables, string tables, static slices): 1.2 MB of `.rela.dyn` in palingenesis, all of it applied at
//! each start. `-z pack-relative-relocs` stores the same information as a bitmap of a few kilobytes, so the
//! executable is smaller and fewer pages are touched at start, while the executable keeps its address
//! randomisation. The dynamic loader must understand `DT_RELR` (glibc 2.36 and later), so the flag is
//! passed only when the C toolchain can link with it and the glibc it links against is new enough — that is,
//! when the executable is built where it will run, as `cargo install` and `cargo build --release` do.
//! Debug and test builds are left alone.
//!
//! Release executables linked by the LLD that rustc ships (the default linker on x86_64 Linux since Rust
//! 1.90) also get identical code folding (`--icf=all`): generic code instantiated for many types often
//! compiles to the same machine code, kept once. The flag is passed only when rustc is known to link with
//! its own LLD (no custom linker or linker flavour in the flags) and a probe link with that LLD accepts it.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    let native = std::env::var("HOST").ok() == std::env::var("TARGET").ok();
    if release && linux_gnu && native && glibc_has_relr() && linker_accepts_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    if release && linux_gnu && native && bundled_lld_accepts_icf() {
        println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
    }
}

/// rustc links x86_64 Linux executables with its own LLD (through `cc -fuse-ld=lld` and the `gcc-ld`
/// folder of its sysroot) unless told otherwise; that LLD links a trivial program with `--icf=all`.
fn bundled_lld_accepts_icf() -> bool {
    let x86_64 = std::env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let custom = flags.contains("linker") || flags.contains("link-self-contained");
    let custom =
        custom || std::env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some();
    if !x86_64 || custom || !rustc_links_with_lld() {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let gcc_ld = Path::new(&sysroot).join("lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld");
    if !gcc_ld.join("ld.lld").exists() {
        return false;
    }
    probe_link(&[
        &format!("-B{}", gcc_ld.display()),
        "-fuse-ld=lld",
        "-Wl,--icf=all",
    ])
}

/// Rust 1.90 and later link with LLD by default on x86_64 Linux.
fn rustc_links_with_lld() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("--version").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut version = text
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (version.next().unwrap_or(0), version.next().unwrap_or(0));
    (major, minor) >= (1, 90)
}

/// `getconf GNU_LIBC_VERSION` says "glibc 2.36" or later.
fn glibc_has_relr() -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 36)
}

/// The C compiler driver rustc links with (`cc`) links a trivial program with the flag.
fn linker_accepts_relr() -> bool {
    probe_link(&["-Wl,-z,pack-relative-relocs"])
}

/// `cc` links a trivial program with `args`.
fn probe_link(args: &[&str]) -> bool {
    let Ok(out_dir) = std::env::var("OUT_DIR") else {
        return false;
    };
    let dir = Path::new(&out_dir);
    let source = dir.join("link_probe.c");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    Command::new("cc")
        .args(args)
        .arg(&source)
        .arg("-o")
        .arg(dir.join("link_probe"))
        .output()
        .is_ok_and(|out| out.status.success())
}
