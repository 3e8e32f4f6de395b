//! Suggester speed: every labelled note (`tests/notes/labelled_notes.jsonl`) through
//! `Suggester::suggest`, reported as notes per second, and all of them as one long note (bytes per
//! second). Run:
//! `cargo bench -p rcm-coding --bench suggest`. Building the suggester (lexicon and the full
//! ICD-10-CM description index) is timed once, outside the measurement.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rcm_codesets::icd10cm::Icd10Cm;
use std::hint::black_box;
use std::time::Instant;

const LABELLED_NOTES: &str = include_str!("../tests/notes/labelled_notes.jsonl");

fn notes() -> Vec<String> {
    LABELLED_NOTES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let value: serde_json::Value = serde_json::from_str(l).expect("a labelled note");
            value["note"].as_str().expect("a note text").to_string()
        })
        .collect()
}

fn bench_suggest(c: &mut Criterion) {
    let icd = Icd10Cm::shipped();
    let started = Instant::now();
    let suggester = rcm_coding::handlers::shipped_suggester(icd).expect("the shipped lexicon builds");
    let codes = icd.newest().len();
    eprintln!("suggester built in {:.0} ms over {codes} codes", started.elapsed().as_secs_f64() * 1e3);
    let notes = notes();
    let bytes: usize = notes.iter().map(String::len).sum();
    eprintln!("{} notes, {:.0} bytes on average", notes.len(), bytes as f64 / notes.len() as f64);

    // A plain timing first, so that the figure is printed as notes per second.
    // `cargo test --all-targets` runs benches once as tests (no `--bench`): one round then.
    let rounds = if std::env::args().any(|a| a == "--bench") { 200 } else { 1 };
    let started = Instant::now();
    for _ in 0..rounds {
        for note in &notes {
            black_box(suggester.suggest(black_box(note), &[], 10));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{:.0} notes/s ({:.1} µs per note)",
        (rounds * notes.len()) as f64 / seconds,
        seconds * 1e6 / (rounds * notes.len()) as f64
    );

    let mut group = c.benchmark_group("suggest");
    group.throughput(Throughput::Elements(notes.len() as u64));
    group.bench_function("labelled_notes", |b| {
        b.iter(|| {
            for note in &notes {
                black_box(suggester.suggest(black_box(note), &[], 10));
            }
        })
    });
    // One long note (every labelled note, one after another): how the time grows with length.
    let long_note = notes.join("\n\n");
    group.throughput(Throughput::Bytes(long_note.len() as u64));
    group.bench_function("one_long_note", |b| b.iter(|| black_box(suggester.suggest(black_box(&long_note), &[], 10))));
    group.finish();
}

criterion_group!(benches, bench_suggest);
criterion_main!(benches);
