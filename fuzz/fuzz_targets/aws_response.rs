//! Arbitrary bytes as a Describe* response body through the SDK, conversions and status
//! builders (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ecs_operator_fuzz::aws_response(data));
