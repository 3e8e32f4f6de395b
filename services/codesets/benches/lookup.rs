//! Latency of ICD-10-CM `search` and `get` over the full FY2026 set, and HCPCS lookups, with
//! a query mix a coder produces: codes as written on a superbill, code starts, one to three
//! words, unfinished last words. Each query is timed on its own; percentiles per kind.
//! Also prints the load time and heap size of the shipped sets, the NCCI tables and the MCE.
//!
//! cargo bench -p rcm-codesets --bench lookup

use std::hint::black_box;
use std::io::Read;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rcm_codesets::hcpcs::Hcpcs;
use rcm_codesets::icd10cm::{Icd10Cm, Version};
use rcm_codesets::mce::Mce;
use rcm_codesets::ncci::Ncci;

const LIMIT: usize = 20;
const ROUNDS: usize = 5;

/// xorshift64*: a fixed query mix from run to run without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

fn words(description: &str) -> Vec<String> {
    description.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Typed queries: (kind, query).
fn query_mix(v: &Version) -> Vec<(&'static str, String)> {
    let all: Vec<_> = v.iter().collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut mix = Vec::new();
    for _ in 0..200 {
        let c = all[rng.below(all.len())];
        mix.push(("exact code", if rng.below(2) == 0 { c.dotted() } else { c.code.to_lowercase() }));
        let cut = 2 + rng.below(c.code.len() - 1);
        mix.push(("code prefix", c.code[..cut].to_owned()));
        let w = words(all[rng.below(all.len())].description);
        mix.push(("1 word", w[rng.below(w.len())].clone()));
        if w.len() >= 2 {
            let i = rng.below(w.len() - 1);
            mix.push(("2 words", format!("{} {}", w[i], w[i + 1])));
        }
        if w.len() >= 3 {
            let picks = [rng.below(w.len()), rng.below(w.len()), rng.below(w.len())];
            mix.push(("3 words", picks.map(|i| w[i].as_str()).join(" ")));
        }
        let last = &w[rng.below(w.len())];
        let partial = &last[..last.len().min(1 + rng.below(5))];
        let lead = if w.len() > 1 && rng.below(2) == 0 { format!("{} ", w[0]) } else { String::new() };
        mix.push(("partial word", format!("{lead}{partial}")));
    }
    for typed in [
        "type 2 diabetes",
        "diabetes without compl",
        "essential hypertension",
        "chest pain",
        "low back pain",
        "copd exac",
        "urinary tract infection",
        "major depressive disorder",
        "anxiety",
        "hyperlipidemia",
        "vitamin d deficiency",
        "atrial fibrillation",
        "ckd stage 3",
        "sprain of right ankle",
        "fracture of neck of right fem",
        "otitis media",
        "covid",
        "pneumonia",
        "obesity",
        "screening colon",
        "encounter for immunization",
        "headache",
        "hyp",
        "diab",
        "f",
        "of",
    ] {
        mix.push(("typed phrase", typed.to_owned()));
    }
    mix
}

fn percentiles(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "  {label:<14} n={:>5}  p50 {:>8.1} µs  p99 {:>8.1} µs  max {:>8.1} µs",
        times.len(),
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        times[times.len() - 1].as_secs_f64() * 1e6
    );
}

fn main() {
    let started = Instant::now();
    let icd = Icd10Cm::shipped();
    let icd_load = started.elapsed();
    let started = Instant::now();
    let mut gz = Vec::new();
    flate2::read::GzDecoder::new(&include_bytes!("../data/icd10cm_fy2026_codes.tsv.gz")[..])
        .read_to_end(&mut gz)
        .unwrap();
    let text = String::from_utf8(gz).unwrap();
    let unzipped = started.elapsed();
    let one = Version::from_tsv(
        "FY2026",
        NaiveDate::from_ymd_opt(2025, 10, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 9, 30),
        &text,
        include_str!("../data/icd10cm_fy2026_chapters_blocks.tsv"),
    )
    .unwrap();
    let one_load = started.elapsed();
    drop(one);
    let started = Instant::now();
    let hcpcs = Hcpcs::shipped();
    let hcpcs_load = started.elapsed();
    let started = Instant::now();
    let ncci = Ncci::shipped();
    let ncci_load = started.elapsed();
    let started = Instant::now();
    let mce = Mce::shipped();
    let mce_load = started.elapsed();

    println!("load");
    println!("  ICD-10-CM FY2025 + FY2026 (shipped(), two threads): {:.0} ms", icd_load.as_secs_f64() * 1e3);
    println!(
        "  ICD-10-CM FY2026 alone: {:.0} ms (gunzip {:.0} ms)",
        one_load.as_secs_f64() * 1e3,
        unzipped.as_secs_f64() * 1e3
    );
    println!("  HCPCS: {:.0} ms", hcpcs_load.as_secs_f64() * 1e3);
    println!(
        "  NCCI {} (PTP streamed from gzip, MUE and AOC beside it): {:.0} ms",
        ncci.quarter.name,
        ncci_load.as_secs_f64() * 1e3
    );
    println!("  MCE {}: {:.0} ms", mce.name(), mce_load.as_secs_f64() * 1e3);
    println!("heap");
    for v in icd.versions() {
        println!(
            "  ICD-10-CM {}: {} codes, {} index words, {:.1} MiB",
            v.name(),
            v.len(),
            v.word_count(),
            v.heap_bytes() as f64 / (1024.0 * 1024.0)
        );
    }
    println!("  HCPCS: {} codes, {:.1} MiB", hcpcs.len(), hcpcs.heap_bytes() as f64 / (1024.0 * 1024.0));
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
    println!(
        "  NCCI PTP: {} edits, {:.1} MiB; MUE: {} codes, {:.2} MiB; AOC: {} add-on codes, {:.2} MiB",
        ncci.ptp.len(),
        mib(ncci.ptp.heap_bytes()),
        ncci.mue.len(),
        mib(ncci.mue.heap_bytes()),
        ncci.aoc.len(),
        mib(ncci.aoc.heap_bytes())
    );
    println!("  MCE: {} codes, {:.2} MiB", mce.len(), mib(mce.heap_bytes()));

    let v = icd.versions().iter().find(|v| v.name() == "FY2026").unwrap();
    let mix = query_mix(v);
    let mut kinds: Vec<&str> = Vec::new();
    for (kind, _) in &mix {
        if !kinds.contains(kind) {
            kinds.push(kind);
        }
    }
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); kinds.len()];
    let mut all = Vec::new();
    let mut results = 0usize;
    for _ in 0..ROUNDS {
        for (kind, query) in &mix {
            let started = Instant::now();
            let found = black_box(v.search(black_box(query), LIMIT));
            let took = started.elapsed();
            results += found.len();
            by_kind[kinds.iter().position(|k| k == kind).unwrap()].push(took);
            all.push(took);
        }
    }
    println!("ICD-10-CM FY2026 search, limit {LIMIT}, {} queries x {ROUNDS} rounds ({results} results)", mix.len());
    for (kind, times) in kinds.iter().zip(by_kind) {
        percentiles(kind, times);
    }
    percentiles("all", all);

    let codes: Vec<String> = mix.iter().filter(|(k, _)| *k == "exact code").map(|(_, q)| q.clone()).collect();
    let mut times = Vec::new();
    for _ in 0..ROUNDS * 10 {
        for code in &codes {
            let started = Instant::now();
            assert!(black_box(v.get(black_box(code))).is_some());
            times.push(started.elapsed());
        }
        let started = Instant::now();
        black_box(v.get(black_box("Z99.99")));
        times.push(started.elapsed());
    }
    println!("ICD-10-CM FY2026 get");
    percentiles("get", times);

    let hcpcs_mix = ["J3490", "j1100", "G0", "E07", "wheelchair", "inj", "oxygen conc", "ambulance service", "glucose"];
    let mut search_times = Vec::new();
    let mut get_times = Vec::new();
    for _ in 0..ROUNDS * 20 {
        for q in hcpcs_mix {
            let started = Instant::now();
            black_box(hcpcs.search(black_box(q), LIMIT));
            search_times.push(started.elapsed());
        }
        for code in ["A0021", "J3490", "G0008", "E0100", "A4397"] {
            let started = Instant::now();
            black_box(hcpcs.get(black_box(code)));
            get_times.push(started.elapsed());
        }
    }
    println!("HCPCS");
    percentiles("search", search_times);
    percentiles("get", get_times);
}
