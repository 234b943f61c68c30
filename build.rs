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
    let Ok(out_dir) = std::env::var("OUT_DIR") else {
        return false;
    };
    let dir = Path::new(&out_dir);
    let source = dir.join("relr_probe.c");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    Command::new("cc")
        .arg("-Wl,-z,pack-relative-relocs")
        .arg(&source)
        .arg("-o")
        .arg(dir.join("relr_probe"))
        .output()
        .is_ok_and(|out| out.status.success())
}
