//! The simulator's answer to 837P files: what it writes reads back with rcm-x12, every claim is
//! acknowledged, the payer's decisions follow the stated rules and depend only on the claims'
//! content, and (with `X12VALIDATE` set) pyx12 finds no error in the answers.

use chrono::NaiveDate;
use rcm_simulator::adjudicate::{self, ClaimResult, Decision};
use rcm_simulator::{SimulatorConfig, answer};
use rcm_x12::x277ca::{self, Disposition};
use rcm_x12::x835;
use rcm_x12::x837p::{self, Interchange837, sample};
use rcm_x12::x999::{self, AckCode, AckStatus};
use std::collections::BTreeMap;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The synthetic claims' service dates fall in 2026-01-05..2026-11-01.
fn today() -> NaiveDate {
    d(2026, 11, 20)
}

fn cfg() -> SimulatorConfig {
    SimulatorConfig::default()
}

fn corpus(seed: u64, sets: usize, claims: usize) -> Interchange837 {
    sample::interchange(seed, sets, claims)
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
    let path = std::env::temp_dir().join(format!("rcm-sim-{}-{name}", std::process::id()));
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

fn check_balanced(r: &ClaimResult) {
    let adj: i64 = r.lines.iter().flat_map(|l| &l.adjustments).map(|a| a.amount).sum();
    assert_eq!(r.charge - r.paid, adj, "CLP03 - CLP04 = sum of CAS");
    assert_eq!(r.charge, r.lines.iter().map(|l| l.charge).sum::<i64>());
    assert_eq!(r.paid, r.lines.iter().map(|l| l.paid).sum::<i64>());
    for l in &r.lines {
        let line_adj: i64 = l.adjustments.iter().map(|a| a.amount).sum();
        assert_eq!(l.charge - l.paid, line_adj, "SVC02 - SVC03 = sum of line CAS");
        assert!(l.paid >= 0 && l.adjustments.iter().all(|a| a.amount > 0));
        if let Some(co45) = l.adjustments.iter().find(|a| a.reason == "45") {
            let pct = co45.amount * 100 / l.charge;
            assert!((19..=45).contains(&pct), "contractual {pct}%");
        }
    }
    let pr: i64 = r.lines.iter().map(|l| l.patient_responsibility()).sum();
    assert_eq!(r.patient_responsibility, pr);
}

#[test]
fn every_claim_is_acknowledged_and_the_answers_read_back() {
    // Given a file of two transaction sets of synthetic claims
    let ic = corpus(7, 2, 40);
    let sent = text(&ic);
    // When the simulator answers it
    let a = answer(&sent, today()).unwrap();
    // Then the 999 accepts both sets of our group
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    assert!(ack.findings.is_empty(), "{:?}", ack.findings);
    assert_eq!(ack.status(), AckStatus::Accepted);
    let group = ack.for_group(ic.groups[0].header.control_number).expect("the 999 answers our group");
    assert_eq!(group.transactions.len(), 2);
    assert!(a.rejected_sets.is_empty());
    // And the 277CA has every claim, accepted with a payer claim control number or rejected with codes
    let ca = x277ca::parse_277ca(a.ack277ca.as_ref().unwrap().as_bytes()).unwrap();
    assert!(ca.findings.is_empty(), "{:?}", ca.findings);
    let acks = ca.claims();
    assert_eq!(acks.len(), 80);
    let by_pcn: BTreeMap<_, _> = acks.iter().map(|c| (c.patient_control_number.clone(), c)).collect();
    assert_eq!(by_pcn.len(), 80, "one acknowledgement per claim");
    for claim in &a.claims {
        let ack = by_pcn[&claim.patient_control_number];
        match &claim.decision {
            Decision::Accepted { payer_claim_control_number, .. } => {
                assert!(ack.accepted);
                assert_eq!(ack.payer_claim_control_number.as_ref(), Some(payer_claim_control_number));
            }
            Decision::Rejected(r) => {
                assert_eq!(ack.disposition, Disposition::Rejected);
                assert_eq!(ack.statuses[0].status, r.status);
                assert!(ack.payer_claim_control_number.is_none());
            }
        }
    }
    // And the batch trace is the BHT03 of each set
    let traces: Vec<_> = acks.iter().map(|c| c.batch_trace.clone()).collect();
    assert!(traces.contains(&ic.groups[0].transactions[0].reference));
    assert!(traces.contains(&ic.groups[0].transactions[1].reference));
    // And the 835 pays the accepted claims: CLP01 our PCN, CLP07 the 277CA's REF*1K, lines echo
    // REF*6R, and it balances
    let era = x835::parse_835(a.era835.as_ref().expect("an 835").as_bytes()).unwrap();
    assert!(era.is_clean(), "{:?}", era.findings);
    let sent_lines: BTreeMap<_, _> = ic.groups[0]
        .transactions
        .iter()
        .flat_map(|t| &t.claims)
        .map(|c| {
            (c.patient_control_number.clone(), c.lines.iter().map(|l| l.control_number.clone()).collect::<Vec<_>>())
        })
        .collect();
    let mut paid_claims = 0;
    for r in &era.remittances {
        let paid: i64 = r.claims().map(|c| c.paid).sum();
        assert_eq!(r.payment.amount, paid, "BPR02 = sum of CLP04");
        for c in r.claims() {
            paid_claims += 1;
            let ack = by_pcn[&c.patient_control_number];
            assert_eq!(ack.payer_claim_control_number.as_deref(), Some(c.payer_claim_control_number.as_str()));
            let adj: i64 = c.all_adjustments().map(|a| a.amount).sum();
            assert_eq!(c.charge - c.paid, adj);
            let lines: Vec<_> = c.lines.iter().map(|l| l.control_number.clone()).collect();
            assert_eq!(lines, sent_lines[&c.patient_control_number]);
        }
    }
    let adjudicated =
        a.claims.iter().filter(|c| matches!(c.decision, Decision::Accepted { result: Some(_), .. })).count();
    assert_eq!(paid_claims, adjudicated, "every adjudicated claim is in the 835");
    validate("answer.999", &a.ack999);
    validate("answer.277ca", a.ack277ca.as_ref().unwrap());
    validate("answer.835", a.era835.as_ref().unwrap());
}

#[test]
fn the_835_reads_back_with_the_amounts_the_payer_decided() {
    let a = answer(&text(&corpus(31, 1, 40)), today()).unwrap();
    let era = x835::parse_835(a.era835.as_ref().unwrap().as_bytes()).unwrap();
    assert!(era.is_clean(), "{:?}", era.findings);
    let read: BTreeMap<_, _> =
        era.remittances.iter().flat_map(|r| r.claims()).map(|c| (c.patient_control_number.clone(), c)).collect();
    for c in &a.claims {
        let Decision::Accepted { result: Some(r), .. } = &c.decision else { continue };
        let e = read[&c.patient_control_number];
        assert_eq!((e.status.as_str(), e.charge, e.paid), (r.status, r.charge, r.paid));
        assert_eq!(e.patient_responsibility.unwrap_or(0), r.patient_responsibility);
        for (el, rl) in e.lines.iter().zip(&r.lines) {
            let adj: Vec<_> =
                el.adjustments.iter().map(|a| (a.group.to_string(), a.reason.to_string(), a.amount)).collect();
            let want: Vec<_> =
                rl.adjustments.iter().map(|a| (a.group.to_string(), a.reason.to_string(), a.amount)).collect();
            assert_eq!(adj, want);
            let remarks: Vec<_> = el.remarks.iter().map(|r| r.code.to_string()).collect();
            assert_eq!(remarks, rl.remarks);
        }
    }
    validate("outcomes.835", a.era835.as_ref().unwrap());
}

#[test]
fn denials_and_a_notification_only_835_pass_pyx12() {
    // Given claims the payer denies entirely (timely filing, no authorization)
    let mut ic = corpus(41, 1, 4);
    for c in &mut ic.groups[0].transactions[0].claims {
        c.frequency = "1".into();
        c.payer_claim_control_number = None;
        for l in &mut c.lines {
            l.service_date = d(2025, 2, 3);
            l.service_date_end = None;
            l.adjudications.clear();
        }
        c.other_subscribers.clear();
    }
    let a = answer(&text(&ic), today()).unwrap();
    if let Some(era) = &a.era835 {
        let doc = x835::parse_835(era.as_bytes()).unwrap();
        assert!(doc.is_clean(), "{:?}", doc.findings);
        for r in &doc.remittances {
            assert_eq!(r.payment.amount, 0);
            assert_eq!(r.payment.handling, "H");
            assert!(r.claims().all(|c| c.status == "4"));
        }
        validate("denied.835", era);
    }
}

#[test]
fn outcomes_depend_on_claim_content_only() {
    // Given the same claims sent twice with new patient control numbers, control numbers and dates
    let first = corpus(11, 1, 60);
    let mut second = first.clone();
    second.header.control_number += 500;
    second.header.date = d(2026, 11, 15);
    second.groups[0].header.control_number += 500;
    for (i, c) in second.groups[0].transactions[0].claims.iter_mut().enumerate() {
        c.patient_control_number = format!("NEW-PCN-{i}").into();
    }
    second.groups[0].transactions[0].control_number = "9999".into();
    // When both are answered
    let a = answer(&text(&first), today()).unwrap();
    let b = answer(&text(&second), today()).unwrap();
    // Then every claim gets the same decision, payer claim control number and amounts
    assert_eq!(a.claims.len(), b.claims.len());
    for (x, y) in a.claims.iter().zip(&b.claims) {
        assert_eq!(x.decision, y.decision);
    }
    // And answering the same file again gives the same bytes
    assert_eq!(answer(&text(&first), today()).unwrap(), a);
}

#[test]
fn identical_claims_in_one_file_get_distinct_payer_claim_control_numbers() {
    let mut ic = corpus(3, 1, 1);
    let mut twin = ic.groups[0].transactions[0].claims[0].clone();
    twin.patient_control_number = "TWIN".into();
    ic.groups[0].transactions[0].claims.push(twin);
    let a = answer(&text(&ic), today()).unwrap();
    let pccns: Vec<_> = a
        .claims
        .iter()
        .filter_map(|c| match &c.decision {
            Decision::Accepted { payer_claim_control_number, .. } => Some(payer_claim_control_number.clone()),
            Decision::Rejected(_) => None,
        })
        .collect();
    if pccns.len() == 2 {
        assert_ne!(pccns[0], pccns[1]);
    }
}

/// A claim the payer knows: a member id that is not among the unknown ones.
fn known_claim(seed: u64) -> x837p::Claim {
    let ic = corpus(seed, 1, 30);
    ic.groups[0].transactions[0]
        .claims
        .iter()
        .find(|c| {
            c.frequency == "1"
                && adjudicate::front_door(c, today(), &cfg()).is_none()
                && c.prior_authorization.is_none()
        })
        .cloned()
        .expect("a claim the payer accepts")
}

#[test]
fn the_front_door_rejects_bad_npis_future_dates_and_unknown_members() {
    let good = known_claim(5);
    assert!(adjudicate::front_door(&good, today(), &cfg()).is_none());

    // Given a billing NPI whose check digit is wrong
    let mut bad_npi = good.clone();
    let last = bad_npi.billing_provider.npi.pop().unwrap();
    bad_npi.billing_provider.npi.push(if last == '0' { '1' } else { '0' });
    let r = adjudicate::front_door(&bad_npi, today(), &cfg()).unwrap();
    assert_eq!(r.status.to_string(), "A7:562:85");

    // Given a service date after today
    let mut future = good.clone();
    future.lines[0].service_date = d(2026, 12, 1);
    assert_eq!(adjudicate::front_door(&future, today(), &cfg()).unwrap().status.to_string(), "A7:187");

    // Given many members, a few are unknown to the payer (and always the same ones)
    let mut unknown = 0;
    for i in 0..1000 {
        let mut c = good.clone();
        c.subscriber.member_id = format!("M{i:09}").into();
        if let Some(r) = adjudicate::front_door(&c, today(), &cfg()) {
            assert_eq!(r.status.to_string(), "A3:33:IL");
            unknown += 1;
        }
    }
    assert!((10..=60).contains(&unknown), "{unknown} unknown members of 1000");
}

#[test]
fn the_835_rules_timely_filing_authorization_and_balancing() {
    let good = known_claim(9);

    // Given a claim a year and a half old, when adjudicated, then every line is denied CO-29
    let mut old = good.clone();
    for l in &mut old.lines {
        l.service_date = d(2025, 3, 1);
        l.service_date_end = None;
    }
    let r = adjudicate::adjudicate(&old, today(), &cfg(), false);
    assert_eq!(r.status, "4");
    assert_eq!(r.paid, 0);
    assert!(
        r.lines.iter().all(|l| l.adjustments == vec![adjudicate::Adj { group: "CO", reason: "29", amount: l.charge }])
    );
    check_balanced(&r);

    // Given an MRI without a prior authorization, then CO-197 with M62; with one, it is not denied for it
    let mut mri = good.clone();
    mri.lines.truncate(1);
    mri.lines[0].procedure = x837p::Procedure { qualifier: "HC".into(), code: "72148".into(), modifiers: vec![] };
    mri.total_charge = mri.lines[0].charge;
    let r = adjudicate::adjudicate(&mri, today(), &cfg(), false);
    assert_eq!(r.lines[0].adjustments[0].reason, "197");
    assert_eq!(r.lines[0].remarks, vec!["M62"]);
    assert_eq!(r.status, "4");
    mri.prior_authorization = Some("AUTH1".into());
    let r = adjudicate::adjudicate(&mri, today(), &cfg(), false);
    assert!(r.lines[0].adjustments.iter().all(|a| a.reason != "197"));
    check_balanced(&r);
}

#[test]
fn a_large_corpus_has_paid_partially_paid_denied_and_rejected_claims_that_all_balance() {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for seed in 0..8 {
        let a = answer(&text(&corpus(100 + seed, 1, 50)), today()).unwrap();
        for c in &a.claims {
            match &c.decision {
                Decision::Rejected(r) => {
                    *kinds.entry("rejected").or_default() += 1;
                    *reasons.entry(r.status.to_string()).or_default() += 1;
                }
                Decision::Accepted { result: None, .. } => *kinds.entry("void").or_default() += 1,
                Decision::Accepted { result: Some(r), .. } => {
                    check_balanced(r);
                    let kind = if r.is_denied() {
                        "denied"
                    } else if r.is_partially_paid() {
                        "partially_paid"
                    } else {
                        "paid"
                    };
                    *kinds.entry(kind).or_default() += 1;
                    for adj in r.lines.iter().flat_map(|l| &l.adjustments) {
                        *reasons.entry(format!("{}-{}", adj.group, adj.reason)).or_default() += 1;
                    }
                }
            }
        }
    }
    println!("{kinds:?}\n{reasons:?}");
    for k in ["paid", "partially_paid", "denied", "rejected"] {
        assert!(kinds.get(k).copied().unwrap_or(0) > 0, "no {k} claim in {kinds:?}");
    }
    for r in ["CO-45", "PR-1", "PR-2", "PR-3", "CO-16", "CO-50"] {
        assert!(reasons.contains_key(r), "no {r} in {reasons:?}");
    }
}

#[test]
fn a_transaction_set_that_cannot_be_read_is_rejected_and_the_other_accepted() {
    // Given two transaction sets, the second with a claim charge that is not a number
    let ic = corpus(21, 2, 3);
    let sent = text(&ic);
    let second = sent.match_indices("ST*837*").nth(1).unwrap().0;
    let clm = second + sent[second..].find("CLM*").unwrap();
    let pcn = sent[clm + 4..].split('*').next().unwrap();
    let amount = clm + 4 + pcn.len() + 1;
    let end = amount + sent[amount..].find(['*', '~']).unwrap();
    let broken = format!("{}ABC{}", &sent[..amount], &sent[end..]);
    // When answered
    let a = answer(&broken, today()).unwrap();
    // Then the 999 rejects the second set at its CLM segment and accepts the first
    let ack = x999::parse_999(a.ack999.as_bytes()).unwrap();
    let g = ack.acks().next().unwrap();
    assert_eq!(g.response.code, AckCode::PartiallyAccepted);
    let st02 = &ic.groups[0].transactions[1].control_number;
    assert_eq!(a.rejected_sets, vec![st02.clone()]);
    let t = g.transaction(st02).unwrap();
    assert!(t.is_rejected());
    assert_eq!(t.segment_errors[0].segment_id, "CLM");
    assert_eq!(t.segment_errors[0].element_errors[0].position.element, 2);
    assert!(g.transaction(&ic.groups[0].transactions[0].control_number).unwrap().is_accepted());
    // And only the first set's claims are in the 277CA
    let ca = x277ca::parse_277ca(a.ack277ca.as_ref().unwrap().as_bytes()).unwrap();
    assert_eq!(ca.claims().len(), 3);
    validate("partial.999", &a.ack999);
}

#[test]
fn garbage_gets_no_answer() {
    assert!(answer("this is not X12", today()).is_err());
}

#[test]
fn the_file_loop_answers_each_file_once_and_remembers_it() {
    let dir = tempfile::tempdir().unwrap();
    let outbound = dir.path().join("acme").join("outbound");
    std::fs::create_dir_all(&outbound).unwrap();
    std::fs::write(outbound.join("acme-000000001-P1.837"), text(&corpus(1, 1, 5))).unwrap();
    std::fs::write(outbound.join("junk.837"), "not x12").unwrap();
    std::fs::write(outbound.join("notes.txt"), "ignored").unwrap();
    let config = SimulatorConfig {
        data_dir: dir.path().to_path_buf(),
        poll_interval_ms: 10,
        today: Some(today()),
        ..SimulatorConfig::default()
    };

    let done = rcm_simulator::run::answer_pending(&config, "acme").unwrap();
    assert_eq!(done, vec!["acme-000000001-P1.837".to_string(), "junk.837".to_string()]);
    let inbound = dir.path().join("acme").join("inbound");
    assert!(inbound.join("acme-000000001-P1.999").exists());
    assert!(inbound.join("acme-000000001-P1.277ca").exists());
    assert!(!inbound.join("junk.999").exists(), "garbage gets no answer");
    let marker = std::fs::read_to_string(outbound.join("answered").join("junk.837")).unwrap();
    assert!(marker.starts_with("not answered"), "{marker}");

    // A second pass (or a restart) answers nothing again
    std::fs::remove_file(inbound.join("acme-000000001-P1.999")).unwrap();
    assert!(rcm_simulator::run::answer_pending(&config, "acme").unwrap().is_empty());
    assert!(!inbound.join("acme-000000001-P1.999").exists());
    // A tenant without an outbound directory has nothing to answer
    assert!(rcm_simulator::run::answer_pending(&config, "other").unwrap().is_empty());
}

#[test]
fn a_replacement_is_adjudicated_again_and_a_void_is_accepted_with_nothing_to_pay() {
    // Given a claim the payer knows, sent again as a replacement and as a void of its payer claim
    let original = known_claim(8);
    let as_frequency = |f: &str| x837p::Claim {
        frequency: f.into(),
        payer_claim_control_number: Some("PAYER-ICN-1".into()),
        ..original.clone()
    };
    // When the payer decides them
    let replacement = adjudicate::decide(&as_frequency("7"), 0, today(), &cfg(), false);
    let void = adjudicate::decide(&as_frequency("8"), 0, today(), &cfg(), false);
    // Then the replacement is accepted and adjudicated on its own (frequency is part of its content)
    let Decision::Accepted { result: Some(r), payer_claim_control_number, .. } = &replacement else {
        panic!("a replacement is adjudicated: {replacement:?}")
    };
    assert_eq!(r.lines.len(), original.lines.len());
    let Decision::Accepted { payer_claim_control_number: first, .. } =
        adjudicate::decide(&original, 0, today(), &cfg(), false)
    else {
        panic!("the original is accepted")
    };
    assert_ne!(payer_claim_control_number, &first, "the replacement gets a control number of its own");
    // And the void is accepted with nothing to adjudicate, so no 835 comes for it
    assert!(matches!(void, Decision::Accepted { result: None, .. }), "{void:?}");
    let mut ic = corpus(8, 1, 1);
    ic.groups[0].transactions[0].claims = vec![as_frequency("8")];
    let a = answer(&text(&ic), today()).unwrap();
    assert!(a.era835.is_none());
    assert!(a.ack277ca.is_some());
}
