//! Writes a synthetic 837P interchange to stdout: `cargo run --example gen837 -- SEED TRANSACTIONS CLAIMS`.
fn main() {
    let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let (seed, t, c) =
        (args.first().copied().unwrap_or(1), args.get(1).copied().unwrap_or(1), args.get(2).copied().unwrap_or(5));
    let ic = rcm_x12::x837p::sample::interchange(seed, t as usize, c as usize);
    print!("{}", rcm_x12::x837p::write_837p(&ic).expect("write"));
}
