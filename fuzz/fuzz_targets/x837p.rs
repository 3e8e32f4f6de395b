//! Any bytes into the x837p reader: it must return a model or an error, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = rcm_x12::x837p::parse_837p(data);
});
