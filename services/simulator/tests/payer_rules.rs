//! The payer's rules beyond one file's first answer: duplicates across files and restarts (CO-18),
//! bundling (CO-97), 999 rejections of sets the reader does not take, reversals and split payments
//! in a later 835, and the seed. Every file written must read back with rcm-x12 without a finding
//! and balance; with `X12VALIDATE` set, pyx12 must find no error either.

use chrono::NaiveDate;
use rcm_simulator::adjudicate::{self, ClaimResult, Decision, Remit};
use rcm_simulator::answered::{FirstAnswered, NoAnsweredClaims};
use rcm_simulator::run::{answer_file_with, answer_pending, later_835_name};
use rcm_simulator::{Answer, SimulatorConfig, answer, answer_with};
use rcm_x12::x277ca;
use rcm_x12::x835::{self, Document835};
use rcm_x12::x837p::{self, Interchange837, Procedure, sample};
use rcm_x12::x999::{self, AckCode, AckStatus};
use std::collections::BTreeMap;
use std::path::Path;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The synthetic claims' service dates fall in 2026-01-05..2026-11-01.
fn today() -> NaiveDate {
    d(2026, 11, 20)
}

fn cfg() -> SimulatorConfig {
    SimulatorConfig { today: Some(today()), ..SimulatorConfig::default() }
}

fn text(ic: &Interchange837) -> String {
    x837p::write_837p(ic).unwrap()
}

/// Runs the validator named by `X12VALIDATE` on `text`; skips (with a note) when it is not set.
fn validate(name: &str, text: &str) {
    let Ok(tool) = std::env::var("X12VALIDATE") else {
        println!("note: X12VALIDATE not set, pyx12 check of {name} skipped");
        return;
    };
    let path = std::env::temp_dir().join(format!("rcm-sim-rules-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(&tool).arg(&path).output().expect("run the validator");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{name} fails validation:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Reads an 835 the simulator wrote: no finding at all, and every remittance balanced.
fn read_835(name: &str, text: &str) -> Document835 {
    let doc = x835::parse_835(text.as_bytes()).unwrap();
    assert!(doc.findings.is_empty(), "{name}: {:?}", doc.findings);
    for r in &doc.remittances {
        let paid: i64 = r.claims().map(|c| c.paid).sum();
        let plb: i64 = r.provider_adjustments.iter().flat_map(|p| &p.items).map(|i| i.amount).sum();
        assert_eq!(r.payment.amount, paid - plb, "{name}: BPR02 = sum of CLP04 less PLB");
        assert!(r.payment.amount >= 0);
        if r.payment.amount == 0 {
            assert_eq!((r.payment.handling.as_str(), r.payment.method.as_str()), ("H", "NON"));
        }
        for c in r.claims() {
            let adj: i64 = c.all_adjustments().map(|a| a.amount).sum();
            assert_eq!(c.charge - c.paid, adj, "{name}: CLP03 - CLP04 = sum of CAS");
            assert_eq!(c.charge, c.lines.iter().map(|l| l.charge).sum::<i64>(), "{name}: CLP03 = sum of SVC02");
        }
    }
    validate(name, text);
    doc
}

/// Checks every file of an answer reads back without findings.
fn check_answer(name: &str, a: &Answer) {
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    assert!(ack.findings.is_empty(), "{name}.999: {:?}", ack.findings);
    validate(&format!("{name}.999"), &a.ack999);
    if let Some(t) = &a.ack277ca {
        let ca = x277ca::parse_277ca(t.as_bytes()).unwrap();
        assert!(ca.findings.is_empty(), "{name}.277ca: {:?}", ca.findings);
        validate(&format!("{name}.277ca"), t);
    }
    if let Some(t) = &a.era835 {
        read_835(&format!("{name}.835"), t);
    }
    if let Some(t) = &a.later835 {
        read_835(&format!("{name}_2.835"), t);
    }
}

/// A frequency-1 claim the payer accepts, from a synthetic file.
fn known_claim(seed: u64) -> x837p::Claim {
    let ic = sample::interchange(seed, 1, 30);
    ic.groups[0].transactions[0]
        .claims
        .iter()
        .find(|c| c.frequency == "1" && adjudicate::front_door(c, today(), &cfg()).is_none())
        .cloned()
        .expect("a claim the payer accepts")
}

/// `claim` with these lines (code, modifiers, date), each with the first line's other fields.
fn with_lines(claim: &x837p::Claim, lines: &[(&str, &[&str], NaiveDate)]) -> x837p::Claim {
    let mut c = claim.clone();
    let template = c.lines[0].clone();
    c.lines = lines
        .iter()
        .enumerate()
        .map(|(i, (code, modifiers, date))| x837p::ServiceLine {
            procedure: Procedure {
                qualifier: "HC".into(),
                code: (*code).into(),
                modifiers: modifiers.iter().map(|m| (*m).into()).collect(),
            },
            charge: 10_000 + 1_000 * i as i64,
            service_date: *date,
            service_date_end: None,
            control_number: Some(format!("L{}", i + 1).into()),
            ..template.clone()
        })
        .collect();
    c.total_charge = c.lines.iter().map(|l| l.charge).sum();
    c.frequency = "1".into();
    c.payer_claim_control_number = None;
    c.prior_authorization = None;
    c.other_subscribers.clear();
    for l in &mut c.lines {
        l.adjudications.clear();
    }
    c.subscriber.payer_responsibility = "P".into();
    c
}

/// A file of one transaction set holding `claims`.
fn file_of(seed: u64, claims: Vec<x837p::Claim>) -> String {
    let mut ic = sample::interchange(seed, 1, 1);
    ic.groups[0].transactions[0].claims = claims;
    text(&ic)
}

fn result(a: &Answer, i: usize) -> &ClaimResult {
    a.claims[i].decision.result().expect("an adjudicated claim")
}

fn reasons(r: &ClaimResult) -> Vec<Vec<&str>> {
    r.lines.iter().map(|l| l.adjustments.iter().filter(|a| a.group == "CO").map(|a| a.reason).collect()).collect()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_text(path: &Path) -> String {
    String::from_utf8(read(path)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// CO-18

#[test]
fn a_claim_answered_before_is_denied_co18_in_later_files_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let outbound = dir.path().join("acme").join("outbound");
    let inbound = dir.path().join("acme").join("inbound");
    let answered = outbound.join("answered");
    std::fs::create_dir_all(&outbound).unwrap();
    let original = known_claim(5);
    // Given a file with a claim, answered
    std::fs::write(outbound.join("acme-000000001-P1.837"), file_of(1, vec![original.clone()])).unwrap();
    let first =
        answer_file_with(&outbound.join("acme-000000001-P1.837"), &inbound, &answered, &cfg()).unwrap().unwrap();
    assert!(first.claims[0].duplicate_of.is_none());
    assert!(reasons(result(&first, 0)).iter().flatten().all(|r| *r != "18"));
    // When the same claim comes again in a later file (a new patient control number, lines in
    // another order), with a replacement of it and a claim with other procedures
    let mut again = original.clone();
    again.patient_control_number = "AGAIN".into();
    again.lines.reverse();
    let replacement = x837p::Claim {
        patient_control_number: "REPL".into(),
        frequency: "7".into(),
        payer_claim_control_number: Some("PAYER-ICN".into()),
        ..original.clone()
    };
    let mut other = original.clone();
    other.patient_control_number = "OTHER".into();
    other.lines[0].procedure.code = if other.lines[0].procedure.code == "99213" { "99214" } else { "99213" }.into();
    std::fs::write(outbound.join("acme-000000002-P1.837"), file_of(2, vec![again, replacement, other])).unwrap();
    // (a restart between the two: the memory is on disk)
    let second =
        answer_file_with(&outbound.join("acme-000000002-P1.837"), &inbound, &answered, &cfg()).unwrap().unwrap();
    // Then the repeat is denied CO-18 on every line, naming the claim it repeats
    let dup = result(&second, 0);
    assert!(dup.is_denied());
    assert!(
        dup.lines
            .iter()
            .all(|l| l.adjustments == vec![adjudicate::Adj { group: "CO", reason: "18", amount: l.charge }])
    );
    assert_eq!(second.claims[0].duplicate_of, Some(FirstAnswered { file: "acme-000000001-P1.837".into(), claim: 0 }));
    // And the replacement and the other claim are not duplicates
    assert!(second.claims[1..].iter().all(|c| c.duplicate_of.is_none()));
    assert!(
        second.claims[1..].iter().all(|c| reasons(c.decision.result().unwrap()).iter().flatten().all(|r| *r != "18"))
    );
    check_answer("duplicate", &second);
    // And the 835 file says CO-18 too
    let era = read_835("duplicate.835", &read_text(&inbound.join("acme-000000002-P1.835")));
    let clp = era.remittances.iter().flat_map(|r| r.claims()).find(|c| c.patient_control_number == "AGAIN").unwrap();
    assert_eq!(clp.status, "4");
    assert!(clp.lines.iter().all(|l| l.adjustments.iter().all(|a| a.reason == "18")));
    // And a third file, answered by a new loop (as after a restart), still knows the first claim
    let mut third = original.clone();
    third.patient_control_number = "THIRD".into();
    std::fs::write(outbound.join("acme-000000003-P1.837"), file_of(3, vec![third])).unwrap();
    let config = SimulatorConfig { data_dir: dir.path().to_path_buf(), ..cfg() };
    assert_eq!(answer_pending(&config, "acme").unwrap(), vec!["acme-000000003-P1.837".to_string()]);
    let era = read_835("third.835", &read_text(&inbound.join("acme-000000003-P1.835")));
    assert!(era.remittances.iter().flat_map(|r| r.claims()).all(|c| c.status == "4"));
}

#[test]
fn a_file_answered_again_after_a_crash_gets_the_same_answers_and_no_claim_is_its_own_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let outbound = dir.path().join("acme").join("outbound");
    let inbound = dir.path().join("acme").join("inbound");
    std::fs::create_dir_all(&outbound).unwrap();
    // Given a file with a claim and its twin (same content, another patient control number)
    let claim = known_claim(6);
    let twin = x837p::Claim { patient_control_number: "TWIN".into(), ..claim.clone() };
    let name = "acme-000000001-P1.837";
    std::fs::write(outbound.join(name), file_of(1, vec![claim, twin])).unwrap();
    let config = SimulatorConfig { data_dir: dir.path().to_path_buf(), ..cfg() };
    // When it is answered, and answered again as after a crash before its marker
    answer_pending(&config, "acme").unwrap();
    let files = ["acme-000000001-P1.999", "acme-000000001-P1.277ca", "acme-000000001-P1.835"];
    let before: Vec<Vec<u8>> = files.iter().map(|f| read(&inbound.join(f))).collect();
    std::fs::remove_file(outbound.join("answered").join(name)).unwrap();
    for f in files {
        std::fs::remove_file(inbound.join(f)).unwrap();
    }
    assert_eq!(answer_pending(&config, "acme").unwrap(), vec![name.to_string()]);
    // Then the files are the same, byte for byte
    let after: Vec<Vec<u8>> = files.iter().map(|f| read(&inbound.join(f))).collect();
    assert_eq!(before, after);
    // And the first claim is paid as before, the twin a duplicate of it, both times
    let again = answer_file_with(&outbound.join(name), &inbound, &outbound.join("answered"), &config).unwrap().unwrap();
    assert!(again.claims[0].duplicate_of.is_none());
    assert_eq!(again.claims[1].duplicate_of, Some(FirstAnswered { file: name.into(), claim: 0 }));
    assert!(reasons(result(&again, 0)).iter().flatten().all(|r| *r != "18"));
    assert!(result(&again, 1).is_denied());
}

// ---------------------------------------------------------------------------------------------
// CO-97

#[test]
fn a_line_the_payer_bundles_into_another_of_the_same_date_is_denied_co97() {
    let base = known_claim(7);
    let day = d(2026, 6, 1);
    let other_day = d(2026, 6, 2);
    let decide = |c: &x837p::Claim| adjudicate::adjudicate(c, today(), &cfg(), false);
    // Given an injection with a new-patient visit the same day, then the injection is denied CO-97 (M15)
    let r = decide(&with_lines(&base, &[("99203", &["25"], day), ("96372", &[], day)]));
    assert_eq!(r.lines[1].adjustments, vec![adjudicate::Adj { group: "CO", reason: "97", amount: r.lines[1].charge }]);
    assert_eq!(r.lines[1].remarks, vec!["M15"]);
    assert!(r.lines[0].adjustments.iter().all(|a| a.reason != "97"));
    // And venipuncture with an established-patient visit
    let r = decide(&with_lines(&base, &[("36415", &[], day), ("99213", &[], day)]));
    assert_eq!(reasons(&r)[0], vec!["97"]);
    // Given the same codes on different dates, with a distinct-service modifier, or with an
    // established-patient visit for the injection, then nothing is bundled
    for lines in [
        vec![("99203", &["25"][..], day), ("96372", &[][..], other_day)],
        vec![("99203", &["25"][..], day), ("96372", &["XU"][..], day)],
        vec![("99213", &["25"][..], day), ("96372", &[][..], day)],
        vec![("96372", &[][..], day)],
    ] {
        let c = with_lines(&base, &lines);
        let r = decide(&c);
        assert!(reasons(&r).iter().flatten().all(|r| *r != "97"), "{lines:?}");
    }
    // And a bundled line reads back from the 835 with its CAS and remark
    let c = with_lines(&base, &[("99204", &["25"], day), ("96372", &[], day)]);
    let a = answer(&file_of(7, vec![c]), today()).unwrap();
    check_answer("bundled", &a);
    let era = x835::parse_835(a.era835.as_ref().unwrap().as_bytes()).unwrap();
    let line = &era.remittances[0].claims().next().unwrap().lines[1];
    assert_eq!(line.adjustments[0].reason, "97");
    assert_eq!(line.remarks[0].code, "M15");
}

#[test]
fn bundling_goes_beyond_ncci_and_no_pair_is_an_edit_a_modifier_cannot_bypass() {
    // Given the NCCI practitioner PTP edits the scrubber holds claims to
    let ptp = &rcm_codesets::ncci::Ncci::shipped().ptp;
    let date = d(2024, 8, 15);
    for b in adjudicate::BUNDLING {
        assert!(matches!(b.remark, "M15" | "M80"), "{b:?}");
        for (lo, hi) in b.into {
            let (lo, hi): (u32, u32) = (lo.parse().unwrap(), hi.parse().unwrap());
            for other in (lo..=hi).map(|n| n.to_string()) {
                // Then no pair of the policy is an NCCI edit that no modifier bypasses (the
                // scrubber would have stopped the claim, and the payer would never see it)
                for (c1, c2) in [(b.code, other.as_str()), (other.as_str(), b.code)] {
                    if let Some(e) = ptp.edit_of(c1, c2, date) {
                        assert!(e.modifier_allowed, "{c1}/{c2} is an NCCI edit with modifier indicator 0");
                    }
                }
            }
        }
    }
    // And the pair the demo bills (96372 with a new-patient visit, modifier 25 on the visit) is one
    // NCCI lets through with the modifier, and the payer bundles
    let e = ptp.edit_of("96372", "99203", date).expect("an NCCI edit with modifier indicator 1");
    assert!(e.modifier_allowed);
    let c = with_lines(&known_claim(8), &[("99203", &["25"], d(2026, 5, 4)), ("96372", &[], d(2026, 5, 4))]);
    assert_eq!(adjudicate::bundled(&c, 1).map(|b| b.code), Some("96372"));
}

// ---------------------------------------------------------------------------------------------
// 999

/// The text of `sent` with the `n`-th (0-based) segment starting with `id*` changed by `f`
/// (`None` removes it).
fn edit_segment(sent: &str, id: &str, n: usize, f: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut seen = 0;
    for seg in sent.split_inclusive('~') {
        let body = seg.trim_start();
        if body.starts_with(&format!("{id}*")) {
            if seen == n {
                seen += 1;
                if let Some(new) = f(seg) {
                    out.push_str(&new);
                }
                continue;
            }
            seen += 1;
        }
        out.push_str(seg);
    }
    out
}

fn two_sets() -> (Interchange837, String) {
    let ic = sample::interchange(21, 2, 3);
    let sent = text(&ic);
    (ic, sent)
}

#[test]
fn a_transaction_set_whose_se_count_is_wrong_is_rejected_and_goes_no_further() {
    // Given two transaction sets, the second with an SE01 one too high
    let (ic, sent) = two_sets();
    let broken = edit_segment(&sent, "SE", 1, |seg| {
        let mut parts: Vec<String> = seg.split('*').map(String::from).collect();
        parts[1] = (parts[1].parse::<u32>().unwrap() + 1).to_string();
        Some(parts.join("*"))
    });
    // When answered
    let a = answer(&broken, today()).unwrap();
    check_answer("se-count", &a);
    // Then the 999 rejects it with IK5 R 4 and accepts the first
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    let g = ack.acks().next().unwrap();
    assert_eq!(g.response.code, AckCode::PartiallyAccepted);
    let st02 = &ic.groups[0].transactions[1].control_number;
    let t = g.transaction(st02).unwrap();
    assert_eq!((t.response.code, t.response.errors.clone()), (AckCode::Rejected, vec!["4".into()]));
    assert_eq!(a.rejected_sets, vec![st02.clone()]);
    // And neither its claims' 277CA nor their 835 comes
    let ca = x277ca::parse_277ca(a.ack277ca.as_ref().unwrap().as_bytes()).unwrap();
    let first: Vec<_> = ic.groups[0].transactions[0].claims.iter().map(|c| c.patient_control_number.clone()).collect();
    assert_eq!(ca.claims().iter().map(|c| c.patient_control_number.clone()).collect::<Vec<_>>(), first);
    assert!(a.claims.iter().all(|c| first.contains(&c.patient_control_number)));
}

#[test]
fn a_transaction_set_that_is_not_an_837p_is_not_supported() {
    // Given a second set that says it is an 835, and a first that says it is an 837I
    let (ic, sent) = two_sets();
    let broken = edit_segment(&sent, "ST", 1, |seg| Some(seg.replacen("ST*837*", "ST*835*", 1)));
    let broken = edit_segment(&broken, "ST", 0, |seg| Some(seg.replacen("005010X222A1", "005010X223A2", 1)));
    let a = answer(&broken, today()).unwrap();
    check_answer("not-837p", &a);
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    let g = ack.acks().next().unwrap();
    let [first, second] = [0, 1].map(|i| g.transaction(&ic.groups[0].transactions[i].control_number).unwrap());
    assert_eq!((second.transaction_id.as_str(), second.response.errors.clone()), ("835", vec!["1".into()]));
    assert_eq!(first.response.errors, vec!["I6"]);
    assert_eq!(g.response.code, AckCode::Rejected);
    assert!(a.ack277ca.is_none() && a.claims.is_empty());
}

#[test]
fn a_missing_required_segment_is_named_in_ik3() {
    // Given a set without its BHT
    let (ic, sent) = two_sets();
    let broken = edit_segment(&sent, "BHT", 0, |_| None);
    let a = answer(&broken, today()).unwrap();
    check_answer("no-bht", &a);
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    let t = ack.acks().next().unwrap().transaction(&ic.groups[0].transactions[0].control_number).unwrap();
    assert!(t.is_rejected());
    assert_eq!(t.response.errors, vec!["5"]);
    assert_eq!((t.segment_errors[0].segment_id.as_str(), t.segment_errors[0].code.as_deref()), ("BHT", Some("3")));
}

#[test]
fn a_file_whose_envelope_is_broken_still_gets_a_999() {
    let (ic, sent) = two_sets();
    let [first, second] = [0, 1].map(|i| ic.groups[0].transactions[i].control_number.clone());

    // Given the second set without its SE: it is rejected (trailer missing), the first accepted
    let broken = edit_segment(&sent, "SE", 1, |_| None);
    assert!(rcm_x12::syntax::parse_interchanges(broken.as_bytes()).is_err(), "the envelope does not parse");
    let a = answer(&broken, today()).unwrap();
    check_answer("no-se", &a);
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    let g = ack.acks().next().unwrap();
    assert_eq!(g.transaction(&second).unwrap().response.errors, vec!["2"]);
    assert!(g.transaction(&first).unwrap().is_accepted());
    assert_eq!(a.rejected_sets, vec![second.clone()]);
    assert_eq!(a.claims.len(), 3);

    // Given a group without its GE: the group is rejected whole, and nothing else comes
    let broken = edit_segment(&sent, "GE", 0, |_| None);
    let a = answer(&broken, today()).unwrap();
    check_answer("no-ge", &a);
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    assert_eq!(ack.status(), AckStatus::Rejected);
    let g = ack.for_group(ic.groups[0].header.control_number).unwrap();
    assert_eq!(g.response.errors, vec!["3"]);
    assert!(g.transactions.is_empty());
    assert_eq!(a.rejected_sets, vec![first.clone(), second.clone()]);
    assert!(a.ack277ca.is_none() && a.era835.is_none() && a.claims.is_empty());

    // Given a GE that counts the wrong number of sets: rejected with AK905 5
    let broken = edit_segment(&sent, "GE", 0, |seg| Some(seg.replacen("GE*2*", "GE*3*", 1)));
    let a = answer(&broken, today()).unwrap();
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    assert_eq!(ack.acks().next().unwrap().response.errors, vec!["5"]);
    assert!(a.era835.is_none());

    // Given a file cut off in the middle of the second set: the first is answered
    let cut = &sent[..sent.match_indices("CLM*").nth(4).unwrap().0];
    let a = answer(cut, today()).unwrap();
    check_answer("cut", &a);
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    let g = ack.acks().next().unwrap();
    assert_eq!(g.response.code, AckCode::Rejected, "a group without GE is rejected");
    // (its group has no GE, so even the complete first set goes no further)
    assert!(a.claims.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Reversals and split payments

/// Every CLP of an 835 by patient control number, in file order.
fn clps(doc: &Document835) -> BTreeMap<String, Vec<x835::Claim>> {
    let mut out: BTreeMap<String, Vec<x835::Claim>> = BTreeMap::new();
    for c in doc.remittances.iter().flat_map(|r| r.claims()) {
        out.entry(c.patient_control_number.to_string()).or_default().push(c.clone());
    }
    out
}

#[test]
fn a_reversed_claim_is_negated_exactly_then_paid_again_for_less_in_a_later_835() {
    // Given a payer that reverses every paid claim
    let config = SimulatorConfig { reversal_per_100: 100, ..cfg() };
    let sent = text(&sample::interchange(61, 1, 40));
    // When it answers
    let a = answer_with(&sent, today(), &config, "f.837", &NoAnsweredClaims).unwrap();
    check_answer("reversal", &a);
    let first = clps(&read_835("reversal.835", a.era835.as_ref().unwrap()));
    let later_doc = read_835("reversal_2.835", a.later835.as_ref().expect("a later 835"));
    let later = clps(&later_doc);
    let mut reversed = 0;
    for c in &a.claims {
        let Decision::Accepted { payer_claim_control_number: pccn, result: Some(r), remit } = &c.decision else {
            continue;
        };
        let pcn = c.patient_control_number.to_string();
        let Remit::Reversed { corrected } = remit else {
            assert!(r.paid == 0, "every paid claim is reversed");
            assert!(!later.contains_key(&pcn));
            continue;
        };
        reversed += 1;
        // Then the first 835 pays it as adjudicated
        let [original] = &first[&pcn][..] else { panic!("one CLP in the first 835") };
        assert_eq!((original.status.as_str(), original.charge, original.paid), (r.status, r.charge, r.paid));
        // And the later one reverses exactly that, then pays the correction
        let [reversal, correction] = &later[&pcn][..] else { panic!("a reversal and a correction") };
        assert_eq!(reversal.status, "22");
        assert_eq!(reversal.payer_claim_control_number, *pccn);
        assert_eq!(correction.payer_claim_control_number, *pccn);
        assert_eq!(
            (reversal.charge, reversal.paid, reversal.patient_responsibility),
            (-original.charge, -original.paid, original.patient_responsibility.map(|p| -p))
        );
        for (rl, ol) in reversal.lines.iter().zip(&original.lines) {
            assert_eq!((rl.charge, rl.paid, rl.units.map(|u| -u)), (-ol.charge, -ol.paid, ol.units));
            let negated: Vec<_> =
                ol.adjustments.iter().map(|a| (a.group.clone(), a.reason.clone(), -a.amount)).collect();
            let got: Vec<_> = rl.adjustments.iter().map(|a| (a.group.clone(), a.reason.clone(), a.amount)).collect();
            assert_eq!(got, negated);
            assert_eq!(rl.control_number, ol.control_number);
        }
        assert_eq!(correction.status, corrected.status);
        assert_eq!((correction.charge, correction.paid), (corrected.charge, corrected.paid));
        assert!(corrected.paid < r.paid, "the correction pays less");
        assert!(corrected.lines.iter().zip(&r.lines).all(|(c, o)| c.allowed <= o.allowed));
    }
    assert!(reversed > 5, "{reversed} claims reversed");
    // And the later 835 pays nothing, carrying the difference forward (negative FB), balanced
    for r in &later_doc.remittances {
        let net: i64 = r.claims().map(|c| c.paid).sum();
        assert!(net < 0);
        assert_eq!(r.payment.amount, 0);
        let [plb] = &r.provider_adjustments[..] else { panic!("one PLB") };
        assert_eq!((plb.items[0].reason.as_str(), plb.items[0].amount), ("FB", net));
        assert_eq!(plb.items[0].reference.as_deref(), Some(r.trace.number.as_str()));
    }
    // And its payments have their own traces and control numbers
    let first_doc = x835::parse_835(a.era835.as_ref().unwrap().as_bytes()).unwrap();
    let traces: Vec<_> = first_doc.remittances.iter().map(|r| r.trace.number.clone()).collect();
    assert!(later_doc.remittances.iter().all(|r| !traces.contains(&r.trace.number)));
    assert_ne!(
        later_doc.remittances[0].interchange_control_number,
        first_doc.remittances[0].interchange_control_number
    );
}

#[test]
fn a_split_claim_is_paid_across_two_835s_that_add_up_to_one_payment() {
    let sent = text(&sample::interchange(62, 1, 40));
    // Given the same file answered whole, and by a payer that splits every claim it can
    let whole = answer_with(&sent, today(), &cfg(), "f.837", &NoAnsweredClaims).unwrap();
    let config = SimulatorConfig { split_payment_per_100: 100, ..cfg() };
    let split = answer_with(&sent, today(), &config, "f.837", &NoAnsweredClaims).unwrap();
    check_answer("split", &split);
    assert!(whole.later835.is_none());
    // Then the decisions are the same but for how they are paid
    for (w, s) in whole.claims.iter().zip(&split.claims) {
        assert_eq!(w.decision.result(), s.decision.result());
    }
    let one = clps(&read_835("whole.835", whole.era835.as_ref().unwrap()));
    let first = clps(&read_835("split.835", split.era835.as_ref().unwrap()));
    let later = clps(&read_835("split_2.835", split.later835.as_ref().unwrap()));
    let mut splits = 0;
    for c in &split.claims {
        let Decision::Accepted { result: Some(r), remit, payer_claim_control_number: pccn } = &c.decision else {
            continue;
        };
        let pcn = c.patient_control_number.to_string();
        let Remit::Split { at } = remit else {
            assert!(r.is_denied() || r.lines.len() < 2, "every claim with a payment and two lines is split");
            assert_eq!(first[&pcn], one[&pcn]);
            continue;
        };
        splits += 1;
        // And each part is a claim of its own lines, under the same CLP01 and CLP07
        let ([a], [b]) = (&first[&pcn][..], &later[&pcn][..]) else { panic!("one part in each 835") };
        assert_eq!((a.lines.len(), b.lines.len()), (*at, r.lines.len() - at));
        for part in [a, b] {
            assert_eq!(part.payer_claim_control_number, *pccn);
            assert_eq!(part.charge, part.lines.iter().map(|l| l.charge).sum::<i64>());
            assert_eq!(part.paid, part.lines.iter().map(|l| l.paid).sum::<i64>());
        }
        // And the parts add up to what one 835 paid
        let [w] = &one[&pcn][..] else { panic!() };
        assert_eq!(a.charge + b.charge, w.charge);
        assert_eq!(a.paid + b.paid, w.paid);
        assert_eq!(
            a.patient_responsibility.unwrap_or(0) + b.patient_responsibility.unwrap_or(0),
            w.patient_responsibility.unwrap_or(0)
        );
        let lines: Vec<_> = a.lines.iter().chain(&b.lines).cloned().collect();
        assert_eq!(lines, w.lines);
    }
    assert!(splits > 5, "{splits} claims split");
    let total = |m: &BTreeMap<String, Vec<x835::Claim>>| m.values().flatten().map(|c| c.paid).sum::<i64>();
    assert_eq!(total(&first) + total(&later), total(&one));
}

#[test]
fn the_file_loop_writes_the_later_835_under_a_name_that_sorts_after_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let outbound = dir.path().join("acme").join("outbound");
    std::fs::create_dir_all(&outbound).unwrap();
    std::fs::write(outbound.join("acme-000000001-P1.837"), text(&sample::interchange(63, 1, 20))).unwrap();
    let config = SimulatorConfig {
        data_dir: dir.path().to_path_buf(),
        split_payment_per_100: 50,
        reversal_per_100: 50,
        ..cfg()
    };
    answer_pending(&config, "acme").unwrap();
    let inbound = dir.path().join("acme").join("inbound");
    let mut eras: Vec<String> = std::fs::read_dir(&inbound)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".835"))
        .collect();
    eras.sort();
    assert_eq!(eras, vec!["acme-000000001-P1.835".to_string(), later_835_name("acme-000000001-P1")]);
    assert_eq!(later_835_name("acme-000000001-P1"), "acme-000000001-P1_2.835");
    for e in &eras {
        read_835(e, &read_text(&inbound.join(e)));
    }
    let marker = std::fs::read_to_string(outbound.join("answered").join("acme-000000001-P1.837")).unwrap();
    assert_eq!(marker, "answered: 999 277ca 835 acme-000000001-P1_2.835\n");
}

// ---------------------------------------------------------------------------------------------
// The seed

/// Answers `files` (name, content) in a fresh data directory with `config`; returns every file
/// written to inbound, by name.
fn run_through(files: &[(&str, String)], config: &SimulatorConfig) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let outbound = dir.path().join("acme").join("outbound");
    std::fs::create_dir_all(&outbound).unwrap();
    for (name, content) in files {
        std::fs::write(outbound.join(name), content).unwrap();
    }
    let config = SimulatorConfig { data_dir: dir.path().to_path_buf(), ..config.clone() };
    answer_pending(&config, "acme").unwrap();
    let inbound = dir.path().join("acme").join("inbound");
    std::fs::read_dir(&inbound)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), read(&e.path()))
        })
        .collect()
}

#[test]
fn the_same_files_and_seed_give_identical_answers_and_another_seed_other_decisions() {
    // Given two files, the second repeating a claim of the first, and a payer that splits and reverses
    let first = sample::interchange(71, 2, 30);
    let mut second = sample::interchange(72, 1, 10);
    let mut repeat = first.groups[0].transactions[0].claims[0].clone();
    repeat.patient_control_number = "REPEAT".into();
    second.groups[0].transactions[0].claims.push(repeat);
    let files = [("acme-000000001-P1.837", text(&first)), ("acme-000000002-P1.837", text(&second))];
    let config = SimulatorConfig { split_payment_per_100: 30, reversal_per_100: 30, ..cfg() };
    // When they are answered twice with the same seed
    let a = run_through(&files, &config);
    let b = run_through(&files, &config);
    // Then every file is the same, byte for byte
    assert!(a.len() >= 7, "{:?}", a.keys());
    assert_eq!(a, b);
    // And with another seed the payer decides otherwise
    let other = SimulatorConfig { seed: 42, ..config.clone() };
    let c = run_through(&files, &other);
    assert_eq!(a.keys().filter(|k| k.ends_with(".999")).count(), c.keys().filter(|k| k.ends_with(".999")).count());
    assert_ne!(a.get("acme-000000001-P1.835"), c.get("acme-000000001-P1.835"));
    let decisions = |config: &SimulatorConfig| {
        let a = answer_with(&text(&first), today(), config, "x", &NoAnsweredClaims).unwrap();
        a.claims.into_iter().map(|c| c.decision).collect::<Vec<_>>()
    };
    let (mine, theirs) = (decisions(&config), decisions(&other));
    let differ = mine.iter().zip(&theirs).filter(|(x, y)| x != y).count();
    assert!(differ > mine.len() / 2, "{differ} of {} decisions differ", mine.len());
    // And with the default seed and rates, the answer is the one `answer` gives
    assert_eq!(
        answer_with(&files[0].1, today(), &cfg(), "", &NoAnsweredClaims).unwrap(),
        answer(&files[0].1, today()).unwrap()
    );
}

#[test]
fn rates_are_settings() {
    // Given a payer that knows no member, then every claim is rejected at the front door
    let none = SimulatorConfig { unknown_member_per_100: 100, ..cfg() };
    let a = answer_with(&text(&sample::interchange(81, 1, 20)), today(), &none, "", &NoAnsweredClaims).unwrap();
    assert!(a.claims.iter().all(|c| match &c.decision {
        Decision::Rejected(r) => ["A3:33:IL", "A7:562:85", "A7:187"].contains(&r.status.to_string().as_str()),
        Decision::Accepted { .. } => false,
    }));
    assert!(a.era835.is_none());
    // Given a payer that denies every line for missing information, then no line is paid
    let strict = SimulatorConfig { missing_info_per_100: 100, ..cfg() };
    let a = answer_with(&text(&sample::interchange(82, 1, 20)), today(), &strict, "", &NoAnsweredClaims).unwrap();
    check_answer("strict", &a);
    for c in &a.claims {
        if let Some(r) = c.decision.result() {
            assert_eq!(r.paid, 0);
            assert!(r.lines.iter().all(|l| l.adjustments.iter().all(|a| a.group == "CO")));
        }
    }
    // Given a shorter timely-filing limit, then older claims are denied CO-29
    let short = SimulatorConfig { timely_filing_days: 30, ..cfg() };
    let a = answer_with(&text(&sample::interchange(83, 1, 20)), today(), &short, "", &NoAnsweredClaims).unwrap();
    assert!(
        a.claims.iter().filter_map(|c| c.decision.result()).any(|r| reasons(r).iter().flatten().any(|r| *r == "29"))
    );
}
