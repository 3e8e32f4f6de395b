//! The rule on real-world 835 samples (the X12 library's public fixtures): every claim of every file
//! the reader accepts gets an outcome consistent with its CLP02 and amounts, and the event message
//! carries every adjustment of the claim.

use rcm_remittance::decide::{self, Outcome};
use rcm_remittance::era;
use rcm_x12::x835;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.file_name().is_some_and(|n| n != "SOURCES.md" && n != ".gitattributes") {
            out.push(p);
        }
    }
}

#[test]
fn every_fixture_claim_gets_a_consistent_outcome() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../x12/tests/fixtures/835");
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    paths.sort();
    assert!(!paths.is_empty(), "the X12 library's 835 fixtures are in {}", dir.display());

    let mut by_outcome = std::collections::BTreeMap::new();
    let mut claims = 0;
    for path in &paths {
        let Ok(doc) = x835::parse_835(&std::fs::read(path).unwrap()) else { continue };
        for r in &doc.remittances {
            for c in r.claims() {
                claims += 1;
                let remit = era::claim_remit(c);
                let outcome = decide::adjudicate(&remit);
                *by_outcome.entry(outcome.as_str()).or_insert(0) += 1;
                let name = path.display();
                match c.status.as_str() {
                    "22" => assert_eq!(outcome, Outcome::Reversal, "{name}"),
                    "4" => assert_eq!(outcome, Outcome::Denied, "{name}"),
                    _ => {}
                }
                if outcome == Outcome::Paid {
                    assert!(!remit.all_adjustments().any(decide::is_reducing), "{name}");
                    assert!(!remit.lines.iter().any(decide::line_denied), "{name}");
                }
                if outcome == Outcome::PartiallyPaid {
                    assert!(remit.paid_cents != 0 || decide::patient_responsibility(&remit) != 0, "{name}");
                }
                let message = decide::remittance_message(&remit, "f.835", "T");
                let cas: i64 = c.all_adjustments().map(|a| a.amount).sum();
                assert_eq!(message.adjustments.iter().map(|a| a.amount_cents).sum::<i64>(), cas, "{name}");
                assert_eq!(message.adjustments.len(), c.all_adjustments().count(), "{name}");
            }
        }
    }
    assert!(claims > 20, "only {claims} claims read from the fixtures");
    assert!(by_outcome.contains_key("paid") && by_outcome.contains_key("denied"), "{by_outcome:?}");
}
