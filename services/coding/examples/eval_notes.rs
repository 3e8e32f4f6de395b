//! Prints the suggester's evaluation on a labelled notes file (default: the crate's own), and the
//! notes it got wrong: `cargo run -p rcm-coding --release --example eval_notes [FILE] [--json]`;
//! or the suggestions for one note: `... --example eval_notes -- --note "TEXT"`.

#[path = "../tests/support/icd10cm.rs"]
mod icd10cm;

use rcm_coding::suggest::{Suggester, evaluate};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let path = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/notes/labelled_notes.jsonl").to_string());
    let codes = icd10cm::icd10cm_codes();
    let suggester = Suggester::with_shipped_lexicon(codes.iter().map(|(c, d, b)| (c.as_str(), d.as_str(), *b)))?;
    if let Some(at) = args.iter().position(|a| a == "--note") {
        let note = args.get(at + 1).ok_or("--note needs a text")?;
        for s in suggester.suggest(note, &[], 10) {
            let evidence: Vec<String> = s.evidence.iter().map(|e| format!("{:?}@{}", e.text, e.start)).collect();
            let history = if s.history { " (history)" } else { "" };
            println!("{} {:.2}{history} {} <- {}", s.code, s.confidence, s.description, evidence.join(", "));
        }
        return Ok(());
    }
    let jsonl = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let report = evaluate(&suggester, &jsonl)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
        return Ok(());
    }
    print!("{report}");
    let (concepts, phrases) = suggester.lexicon_size();
    println!("lexicon: {concepts} codes, {phrases} phrases");
    for note in
        report.notes.iter().filter(|n| !n.principal_first || !n.missed.is_empty() || !n.negation_errors.is_empty())
    {
        let got: Vec<String> = note.suggested.iter().take(5).map(|(c, p)| format!("{c} {p:.2}")).collect();
        println!(
            "{:<6} {:<8} expected {:<40} missed {:<24} negation errors {:<10} got {}",
            note.id,
            note.split,
            note.expected.join(" "),
            note.missed.join(" "),
            note.negation_errors.join(" "),
            got.join(", ")
        );
    }
    Ok(())
}
