//! Arbitrary JSON as a spec through the canonicaliser, spec hash and diff (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ecs_operator_fuzz::canonical(data));
