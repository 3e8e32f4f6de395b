//! Any bytes into the x999 reader: it must return a model or an error, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = rcm_x12::x999::parse_999(data);
});
