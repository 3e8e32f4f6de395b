//! Parse speed of the 835 reader on a generated file.
//!
//! `cargo run --release -p rcm-x12 --example x835_speed -- [MEGABYTES] [--runs N] [--write FILE]`
//! generates an 835 of about MEGABYTES (default 50) with `x835::generate`, then times `parse_835`
//! over it (best of N runs, default 5) and prints MB/s, by wall clock and by this thread's CPU time (the
//! latter is what to look at on a shared machine). With `--write FILE` it also saves the file; with
//! `--read FILE` it times the parse of that file instead; with `--like FIXTURE` the file is made of
//! that 835's claims repeated (its payment and PLBs scaled to match) instead of generated ones; with
//! `--bench` the file is the one the criterion bench (`benches/x12.rs`) parses for that size.

use rcm_x12::syntax::parse_interchanges;
use rcm_x12::x835::{generate, parse_835, write_835};
use std::time::Instant;

/// CPU time of this thread (Linux `schedstat`), so that other load on the machine does not count.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mb: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(50.0);
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let out = flag("--write");
    let text = if let Some(path) = flag("--read") {
        std::fs::read_to_string(path).expect("read file")
    } else if let Some(path) = flag("--like") {
        like(path, mb)
    } else if args.iter().any(|a| a == "--bench") {
        bench_file(mb)
    } else {
        let t = Instant::now();
        let text = generate::sample_835_of_size((mb * 1e6) as usize, 42).expect("generated remittance writes");
        println!("generated {:.1} MB in {:.2} s", text.len() as f64 / 1e6, t.elapsed().as_secs_f64());
        text
    };
    if let Some(path) = out {
        std::fs::write(path, &text).expect("write file");
        println!("wrote {path}");
    }
    let runs: usize = flag("--runs").and_then(|r| r.parse().ok()).unwrap_or(5);
    let mut best = f64::MAX;
    let mut best_cpu = f64::MAX;
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_seconds());
        let doc = parse_835(text.as_bytes()).expect("generated 835 parses");
        let s = t.elapsed().as_secs_f64();
        if let (Some(c0), Some(c1)) = (c, cpu_seconds()) {
            best_cpu = best_cpu.min(c1 - c0);
        }
        if !doc.findings.is_empty() && best == f64::MAX {
            println!("{} findings, the first: {}", doc.findings.len(), doc.findings[0]);
        }
        best = best.min(s);
        drop(doc);
    }
    let mb = text.len() as f64 / 1e6;
    println!("parse_835: best of {runs} runs {:.1} ms wall, {:.0} MB/s", best * 1e3, mb / best);
    if best_cpu < f64::MAX {
        println!("parse_835: best of {runs} runs {:.1} ms thread CPU time, {:.0} MB/s", best_cpu * 1e3, mb / best_cpu);
    }
}

/// The 835 of `benches/x12.rs` for `mb` MB: `sample_835` with seed 7, on one line.
fn bench_file(mb: f64) -> String {
    let one = generate::sample_835(2_000, 7).expect("generate an 835");
    let per_claim = one.len() / 2_000;
    let claims = ((mb * 1e6) as usize / per_claim + 1).max(2_000);
    let text = generate::sample_835(claims, 7).expect("generate an 835").replace('\n', "");
    println!("bench file: {claims} claims, {:.1} MB", text.len() as f64 / 1e6);
    text
}

/// About `mb` MB of 835 made of the claims of the (single-remittance) 835 at `path`, repeated.
fn like(path: &str, mb: f64) -> String {
    let input = std::fs::read(path).expect("read fixture");
    let file = parse_interchanges(&input).expect("fixture envelopes");
    let ic = &file.interchanges[0];
    let mut r = parse_835(&input).expect("fixture reads").remittances.remove(0);
    let one = write_835(&ic.header, &ic.groups[0].header, std::slice::from_ref(&r)).expect("writes").len();
    let times = ((mb * 1e6) / one as f64).max(1.0) as i64;
    let (groups, plbs) = (r.claim_groups.clone(), r.provider_adjustments.clone());
    for _ in 1..times {
        r.claim_groups.extend(groups.iter().cloned());
        r.provider_adjustments.extend(plbs.iter().cloned());
    }
    r.payment.amount *= times;
    let text = write_835(&ic.header, &ic.groups[0].header, &[r]).expect("writes");
    println!("{path} x{times}: {:.1} MB", text.len() as f64 / 1e6);
    text
}
