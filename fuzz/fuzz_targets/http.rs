#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assert!(scep::internal::http(data)));
