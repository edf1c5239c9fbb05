#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| resend_workflows_fuzz::headers(data));
