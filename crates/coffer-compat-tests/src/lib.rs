//! Black-box compatibility tests live in `tests/`; this crate has no library code.
