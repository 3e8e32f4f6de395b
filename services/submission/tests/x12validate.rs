//! pyx12 over what the submission service writes (an 837P batch from pipeline claims of every
//! shape) and over the simulator's answers to it. Runs when `X12VALIDATE` names the validator
//! (`just test` sets it); skipped with a note otherwise.

use chrono::NaiveDate;
use rcm_proto::common as pb;
use rcm_submission::config::TradingPartner;
use rcm_submission::decide::{self, ControlNumbers};
use rcm_x12::syntax::Usage;
use rcm_x12::x837p;

fn validate(name: &str, text: &str) -> bool {
    let Ok(tool) = std::env::var("X12VALIDATE") else {
        println!("note: X12VALIDATE not set, pyx12 check of {name} skipped");
        return false;
    };
    let path = std::env::temp_dir().join(format!("rcm-sub-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(&tool).arg(&path).output().expect("run the validator");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{name} fails validation:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

fn address(line1: &str, zip: &str) -> pb::Address {
    pb::Address {
        line1: line1.into(),
        line2: String::new(),
        city: "Springfield".into(),
        state: "IL".into(),
        postal_code: zip.into(),
        country: String::new(),
    }
}

fn person(last: &str, first: &str) -> pb::PersonName {
    pb::PersonName { last: last.into(), first: first.into(), ..Default::default() }
}

/// Claims of every shape the pipeline makes.
fn claims() -> Vec<pb::Claim> {
    let org = pb::Provider {
        npi: "1234567893".into(),
        organization_name: "Good Clinic & Co., P.C.".into(),
        tax_id: "12-3456789".into(),
        taxonomy: "207Q00000X".into(),
        address: Some(address("1 Main St, Suite #4", "62701-1234")),
        ..Default::default()
    };
    let solo = pb::Provider {
        npi: "1245319599".into(),
        person: Some(pb::PersonName {
            last: "Núñez".into(),
            first: "José".into(),
            middle: "Á".into(),
            suffix: "JR".into(),
        }),
        tax_id: "987654321".into(),
        address: Some(address("9 Oak Ave", "627019999")),
        ..Default::default()
    };
    let base = |n: u32, provider: &pb::Provider| pb::Claim {
        other_coverages: Default::default(),
        prior_adjudications: Default::default(),
        claim_id: format!("c{n}"),
        encounter_id: format!("e{n}"),
        patient: Some(pb::Patient {
            patient_id: format!("p{n}"),
            name: Some(person("O'Brien~Smith", "Ann*Marie")),
            birth_date: "1980-02-29".into(),
            gender: "F".into(),
            address: Some(address("2 Elm St", "62702")),
        }),
        coverage: Some(pb::Coverage {
            payer_id: "BCBS01".into(),
            payer_name: "Blue Plan: Lakes".into(),
            member_id: format!("XYZ{n:06}"),
            group_number: "GRP1".into(),
            relationship: "18".into(),
            claim_filing: "BL".into(),
            payer_responsibility: "P".into(),
            ..Default::default()
        }),
        billing_provider: Some(provider.clone()),
        rendering_provider: Some(pb::Provider {
            npi: "1245319599".into(),
            person: Some(person("Kim", "Lee")),
            taxonomy: "207R00000X".into(),
            ..Default::default()
        }),
        referring_provider: None,
        place_of_service: "11".into(),
        service_date: "2026-01-12".into(),
        prior_authorization: String::new(),
        diagnosis_codes: vec!["E11.9".into(), "I10".into(), "Z00.00".into()],
        lines: vec![
            pb::ServiceLine {
                line_id: format!("{n}-1"),
                procedure_code: "99214".into(),
                modifiers: vec!["25".into()],
                units: "1".into(),
                charge_cents: 18000,
                diagnosis_pointers: vec![1, 2],
                ..Default::default()
            },
            pb::ServiceLine {
                line_id: format!("{n}-2"),
                procedure_code: "97110".into(),
                modifiers: vec!["GP".into(), "59".into()],
                units: "2".into(),
                charge_cents: 9000,
                diagnosis_pointers: vec![3],
                service_date: "2026-01-12".into(),
                service_date_end: "2026-01-14".into(),
                unit: "UN".into(),
                ..Default::default()
            },
        ],
        total_charge_cents: 27000,
        frequency_code: String::new(),
        payer_claim_control_number: String::new(),
        patient_control_number: format!("PCN-{n:04}"),
        version: 1,
    };
    let mut out = vec![base(1, &org), base(2, &org)];
    // A child on a parent's plan, with a referring provider and a prior authorization.
    let mut child = base(3, &org);
    let cov = child.coverage.as_mut().unwrap();
    cov.relationship = "19".into();
    cov.subscriber_name = Some(person("Parent", "Pat"));
    cov.subscriber_birth_date = "1960-07-04".into();
    cov.subscriber_gender = "M".into();
    cov.subscriber_address = Some(address("2 Elm St", "62702"));
    child.referring_provider =
        Some(pb::Provider { npi: "1234567893".into(), person: Some(person("Ref", "Erin")), ..Default::default() });
    child.prior_authorization = "AUTH-123".into();
    child.lines[0].procedure_code = "72148".into();
    child.lines[0].modifiers.clear();
    out.push(child);
    // A person as billing provider, a replacement claim, another place of service on a line.
    let mut corrected = base(4, &solo);
    corrected.frequency_code = "7".into();
    corrected.payer_claim_control_number = "PAYER-CCN-1".into();
    corrected.lines[1].place_of_service = "02".into();
    out.push(corrected);
    // A spouse without subscriber address or birth date.
    let mut spouse = base(5, &solo);
    let cov = spouse.coverage.as_mut().unwrap();
    cov.relationship = "01".into();
    cov.subscriber_name = Some(person("Spouse", "Sam"));
    out.push(spouse);
    // A void of a claim the payer has, as the second version of it.
    let mut void = base(6, &org);
    void.frequency_code = "8".into();
    void.payer_claim_control_number = "PAYER-CCN-6".into();
    void.version = 2;
    out.push(void);
    out
}

#[test]
fn a_batch_and_the_simulators_answers_pass_pyx12() {
    let mapped: Vec<x837p::Claim> = claims().iter().map(|c| decide::to_x12_claim(c).unwrap()).collect();
    let parties = TradingPartner {
        submitter_id: "RCMSUBMITTER".into(),
        submitter_name: "RCM Billing Service".into(),
        submitter_contact: "EDI Desk".into(),
        submitter_phone: "800-555-0100".into(),
        receiver_id: "RCMCLEARING".into(),
        receiver_name: "Demo Clearinghouse".into(),
        usage: Usage::Test,
        ..TradingPartner::default()
    };
    let ctl = ControlNumbers { interchange: 17, group: 17, transaction: 17 };
    let now = NaiveDate::from_ymd_opt(2026, 1, 20).unwrap().and_hms_opt(8, 5, 0).unwrap();
    let ic = decide::build_interchange(&parties, ctl, "0190f0e0a1b2c3d4e5f60718293a4b5c", now, mapped);
    let text = x837p::write_837p(&ic).unwrap();
    let back = x837p::parse_837p(text.as_bytes()).unwrap();
    assert!(back.findings.is_empty(), "{:?}", back.findings);
    assert_eq!(back.claims().count(), 6);
    let frequencies: Vec<(&str, Option<&str>)> =
        back.claims().map(|c| (c.frequency.as_str(), c.payer_claim_control_number.as_deref())).collect();
    assert!(frequencies.contains(&("7", Some("PAYER-CCN-1"))), "{frequencies:?}");
    assert!(frequencies.contains(&("8", Some("PAYER-CCN-6"))), "{frequencies:?}");
    validate("batch.837", &text);

    let answer = rcm_simulator::answer(&text, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()).unwrap();
    assert!(answer.rejected_sets.is_empty());
    validate("batch.999", &answer.ack999);
    validate("batch.277ca", answer.ack277ca.as_deref().unwrap());
    validate("batch.835", answer.era835.as_deref().expect("an 835 for the accepted claims"));
}
