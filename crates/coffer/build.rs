//! `coffer run` sits on every process start, and loading the binary is part of that: a
//! position-independent executable of this size carries ~59 000 relative relocations that
//! the dynamic loader applies at every start. Packed (RELR, glibc ≥ 2.36, binutils ≥ 2.38)
//! they take 17 KiB instead of 1.4 MiB and start measurably faster (docs/benchmarks.md),
//! while the binary stays PIE (address-space randomization kept).
fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
}
