//! Any bytes into the x835 reader: it must return a model or an error, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = rcm_x12::x835::parse_835(data);
});
