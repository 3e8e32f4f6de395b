//! The 999 and 277CA writers: written models read back unchanged, and pass pyx12.
//!
//! The pyx12 checks run only when `X12VALIDATE` names a validator executable (exit 0 = no errors),
//! e.g. `X12VALIDATE=/work/shared/tools/x12validate cargo test -p rcm-x12 --test ack_writers`.

use chrono::{NaiveDate, NaiveTime};
use rcm_x12::X12Error;
use rcm_x12::syntax::{Delimiters, GroupHeader, InterchangeHeader, Usage};
use rcm_x12::x277ca::{
    self, BillingProvider, ClaimStatus, DateRange, Disposition, Document277ca, Group277ca, InformationReceiver,
    InformationSource, Interchange277ca, LineStatus, Patient, Procedure, Reference, StatusCode, StatusInfo, Totals,
    Transaction277ca,
};
use rcm_x12::x837p::{Name, PersonName};
use rcm_x12::x999::{
    self, Ack999, AckCode, AckStatus, AckedGroup, Context, Document999, ElementError, ElementPosition, Group999,
    GroupResponse, Interchange999, SegmentError, TransactionAck, TransactionResponse,
};
use rust_decimal::Decimal;
use std::str::FromStr;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn t(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).unwrap()
}

fn isa(ctl: u32) -> InterchangeHeader {
    let mut h = InterchangeHeader::new("CLEARINGHOUSE", "SUBMITTER01", ctl, d(2024, 3, 5), t(14, 30, 0));
    h.usage = Usage::Production;
    h
}

fn gs(functional_id: &str, ctl: u32, version: &str, time: NaiveTime) -> GroupHeader {
    GroupHeader {
        functional_id: functional_id.into(),
        sender_code: "CLEARINGHOUSE".into(),
        receiver_code: "SUBMITTER01".into(),
        date: d(2024, 3, 5),
        time,
        control_number: ctl,
        version: version.into(),
    }
}

/// Runs the validator named by `X12VALIDATE` on `text`; skips (with a note) when it is not set.
fn validate(name: &str, text: &str) {
    let Ok(tool) = std::env::var("X12VALIDATE") else {
        println!("note: X12VALIDATE not set, pyx12 check of {name} skipped");
        return;
    };
    let path = std::env::temp_dir().join(format!("rcm-x12-{}-{name}.x12", std::process::id()));
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

// ---------------------------------------------------------------------------------------------
// 999

fn doc999(interchanges: Vec<Interchange999>) -> Document999 {
    Document999 { interchanges, findings: vec![] }
}

fn one_group_999(ctl: u32, acks: Vec<Ack999>) -> Interchange999 {
    Interchange999 {
        header: isa(ctl),
        groups: vec![Group999 { header: gs("FA", ctl, "005010X231A1", t(14, 30, 0)), acks }],
    }
}

fn tx(id: &str, ctl: &str, code: AckCode, errors: &[&str], segment_errors: Vec<SegmentError>) -> TransactionAck {
    TransactionAck {
        transaction_id: id.into(),
        control_number: ctl.into(),
        implementation: Some("005010X222A1".into()),
        segment_errors,
        response: TransactionResponse { code, errors: errors.iter().map(|&e| e.into()).collect() },
    }
}

fn ack(ctl: &str, group: u32, transactions: Vec<TransactionAck>, code: AckCode, errors: &[&str]) -> Ack999 {
    let n = transactions.len() as u32;
    let accepted = transactions.iter().filter(|t| t.is_accepted()).count() as u32;
    Ack999 {
        control_number: ctl.into(),
        implementation: "005010X231A1".into(),
        group: AckedGroup { functional_id: "HC".into(), control_number: group, version: Some("005010X222A1".into()) },
        transactions,
        response: GroupResponse {
            code,
            included: n,
            received: n,
            accepted,
            errors: errors.iter().map(|&e| e.into()).collect(),
        },
    }
}

/// A rejected claim: NM1 in loop 2010 (BA) with a bad NM109, in the claim whose CLM01 is PCN-7.
fn nm1_error() -> SegmentError {
    SegmentError {
        segment_id: "NM1".into(),
        position: 17,
        loop_id: Some("2010".into()),
        code: Some("8".into()),
        contexts: vec![Context::business_unit("CLM01", "PCN-7")],
        element_errors: vec![ElementError {
            position: ElementPosition { element: 9, component: None, repeat: None },
            reference: Some(67),
            code: "7".into(),
            bad_data: Some("SECRETMEMBERID".into()),
            contexts: vec![],
        }],
    }
}

fn models_999() -> Vec<(&'static str, Document999)> {
    let accepted = Ack999::accept_all(
        "0001",
        "HC",
        1001,
        "005010X222A1",
        &[("837", "0001", Some("005010X222A1")), ("837", "0002", Some("005010X222A1")), ("837", "0003", None)],
    );

    let rejected = ack(
        "0002",
        1002,
        vec![tx("837", "0001", AckCode::Rejected, &["5"], vec![nm1_error()])],
        AckCode::Rejected,
        &[],
    );

    // A composite and repeating element, a situational trigger and element contexts.
    let detailed = SegmentError {
        segment_id: "SV1".into(),
        position: 40,
        loop_id: Some("2400".into()),
        code: Some("8".into()),
        contexts: vec![Context::business_unit("CLM01", "PCN-9"), Context::trigger("CLM", 30, Some("2300"))],
        element_errors: vec![
            ElementError {
                position: ElementPosition { element: 1, component: Some(2), repeat: None },
                reference: Some(234),
                code: "I12".into(),
                bad_data: Some("9921X".into()),
                contexts: vec![],
            },
            ElementError {
                position: ElementPosition { element: 7, component: Some(1), repeat: Some(2) },
                reference: Some(1328),
                code: "7".into(),
                bad_data: None,
                contexts: vec![Context {
                    name: "SITUATIONAL TRIGGER".into(),
                    reference: None,
                    segment_id: Some("HI".into()),
                    segment_position: Some(31),
                    loop_id: Some("2300".into()),
                    element_position: Some(ElementPosition { element: 1, component: Some(2), repeat: None }),
                    element_reference: Some(1271),
                }],
            },
        ],
    };
    let missing_seg = SegmentError {
        segment_id: "DTP".into(),
        position: 22,
        loop_id: Some("2300".into()),
        code: Some("3".into()),
        contexts: vec![],
        element_errors: vec![],
    };
    let partial = ack(
        "000000003",
        1003,
        vec![
            tx("837", "0001", AckCode::Accepted, &[], vec![]),
            tx("837", "0002", AckCode::AcceptedWithErrors, &[], vec![missing_seg]),
            tx("837", "0003", AckCode::Rejected, &["5", "4"], vec![detailed]),
            tx("837", "0004", AckCode::RejectedAssurance, &["I5"], vec![]),
        ],
        AckCode::PartiallyAccepted,
        &[],
    );
    // The whole group rejected for an envelope error, with no AK2 at all.
    let mut no_ak2 = ack("0004", 1004, vec![], AckCode::Rejected, &["5", "4"]);
    no_ak2.response.included = 2;
    no_ak2.response.received = 1;

    let mut two_groups = one_group_999(7, vec![accepted.clone()]);
    two_groups.groups.push(Group999 { header: gs("FA", 8, "005010X231A1", t(9, 5, 59)), acks: vec![rejected.clone()] });

    vec![
        ("999-accepted", doc999(vec![one_group_999(1, vec![accepted])])),
        ("999-rejected", doc999(vec![one_group_999(2, vec![rejected])])),
        ("999-partial", doc999(vec![one_group_999(3, vec![partial])])),
        ("999-group-rejected", doc999(vec![one_group_999(4, vec![no_ak2])])),
        ("999-two-groups", doc999(vec![two_groups])),
    ]
}

#[test]
fn written_999s_read_back_unchanged() {
    for (name, model) in models_999() {
        let text = x999::write_999(&model).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = x999::parse_999(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert!(back.findings.is_empty(), "{name}: {:?}\n{text}", back.findings);
        assert_eq!(back, model, "{name}\n{text}");
    }
}

#[test]
fn written_999s_pass_pyx12() {
    for (name, model) in models_999() {
        validate(name, &x999::write_999(&model).unwrap());
    }
}

#[test]
fn written_999_has_the_expected_segments() {
    let (_, model) = &models_999()[1];
    let text = x999::write_999(model).unwrap();
    let body: Vec<&str> = text.split('~').skip(2).collect();
    assert_eq!(
        body,
        [
            "ST*999*0002*005010X231A1",
            "AK1*HC*1002*005010X222A1",
            "AK2*837*0001*005010X222A1",
            "IK3*NM1*17*2010*8",
            "CTX*CLM01:PCN-7",
            "IK4*9*67*7*SECRETMEMBERID",
            "IK5*R*5",
            "AK9*R*1*1*0",
            "SE*9*0002",
            "GE*1*2",
            "IEA*1*000000002",
            ""
        ]
    );
}

#[test]
fn status_and_messages_of_a_partially_accepted_999() {
    let (_, model) = &models_999()[2];
    assert_eq!(model.status(), AckStatus::PartiallyAccepted);
    let a = model.acks().next().unwrap();
    let rejected: Vec<_> = a.rejected().map(|t| t.control_number.as_str()).collect();
    assert_eq!(rejected, ["0003", "0004"]);
    assert_eq!(a.transaction("0002").unwrap().status(), AckStatus::AcceptedWithErrors);
    let msg = a.to_string();
    assert!(msg.starts_with("batch 1003 (HC) partially accepted: 2 of 4 transaction sets accepted"), "{msg}");
    assert!(
        msg.contains("transaction 0002 (837) accepted with errors with IK3 DTP at 22 (loop 2300): code 3"),
        "{msg}"
    );
    assert!(msg.contains("element 01-2 (ref 234): code I12 (implementation pattern match failure)"), "{msg}");
    assert!(msg.contains("transaction 0004 (837) rejected because IK5 code I5"), "{msg}");
    // The bad data copies and business unit values are never shown, not even by Debug.
    let debug = format!("{model:?}");
    for secret in ["9921X", "PCN-9", "SECRETMEMBERID", "PCN-7"] {
        assert!(!msg.contains(secret) && !debug.contains(secret), "{secret}");
    }
    let (_, rejected_doc) = &models_999()[1];
    let all = format!("{rejected_doc:?} {}", rejected_doc.acks().next().unwrap());
    assert!(!all.contains("SECRETMEMBERID") && !all.contains("PCN-7"), "{all}");
}

#[test]
fn overall_999_status() {
    let models = models_999();
    assert_eq!(models[0].1.status(), AckStatus::Accepted);
    assert_eq!(models[1].1.status(), AckStatus::Rejected);
    assert_eq!(models[3].1.status(), AckStatus::Rejected);
    // One accepted group and one rejected group.
    assert_eq!(models[4].1.status(), AckStatus::PartiallyAccepted);
    let mut with_errors = models[0].1.clone();
    with_errors.interchanges[0].groups[0].acks[0].response.code = AckCode::AcceptedWithErrors;
    assert_eq!(with_errors.status(), AckStatus::AcceptedWithErrors);
    assert_eq!(doc999(vec![]).status(), AckStatus::Rejected);
}

#[test]
fn the_999_writer_refuses_what_it_cannot_write() {
    let (_, base) = &models_999()[1];
    let mut m = base.clone();
    m.interchanges[0].groups[0].acks[0].transactions[0].segment_errors[0].element_errors[0].bad_data =
        Some("A*B".into());
    let e = x999::write_999(&m).unwrap_err();
    assert!(matches!(&e, X12Error::Write { field, .. } if field == "IK404"), "{e}");
    assert!(!e.to_string().contains("A*B"), "{e}");

    let mut m = base.clone();
    m.interchanges[0].groups[0].acks[0].transactions[0].response.code = AckCode::PartiallyAccepted;
    assert!(matches!(x999::write_999(&m), Err(X12Error::Write { field, .. }) if field == "IK501"));

    let mut m = base.clone();
    m.interchanges[0].groups[0].acks[0].response.errors = vec!["1".into(); 6];
    assert!(matches!(x999::write_999(&m), Err(X12Error::Write { .. })));

    let mut m = base.clone();
    m.interchanges[0].groups[0].acks[0].group.version = None;
    assert!(matches!(x999::write_999(&m), Err(X12Error::Write { field, .. }) if field == "AK103"));

    assert!(matches!(x999::write_999(&doc999(vec![])), Err(X12Error::Write { .. })));
}

#[test]
fn a_999_with_other_delimiters() {
    let (_, model) = &models_999()[2];
    let delims = Delimiters { element: b'|', component: b'>', repetition: Some(b'!'), segment: b'\n' };
    let text = x999::write_999_with(model, delims).unwrap();
    assert!(text.contains("\nIK4|1>2|234|I12|9921X\n"), "{text}");
    assert_eq!(&x999::parse_999(text.as_bytes()).unwrap(), model);
    validate("999-other-delimiters", &text);
}

// ---------------------------------------------------------------------------------------------
// 277CA

fn stc(
    category: &str,
    code: &str,
    entity: Option<&str>,
    date: Option<NaiveDate>,
    action: &str,
    amount: Option<i64>,
) -> StatusInfo {
    StatusInfo {
        status: StatusCode::new(category, code, entity),
        additional: vec![],
        date,
        action: Some(action.into()),
        amount,
        message: None,
    }
}

fn person(last: &str, first: &str, middle: Option<&str>, suffix: Option<&str>) -> PersonName {
    PersonName {
        last: last.into(),
        first: Some(first.into()),
        middle: middle.map(Into::into),
        suffix: suffix.map(Into::into),
    }
}

fn claim(pcn: &str, statuses: Vec<StatusInfo>, dates: DateRange) -> ClaimStatus {
    ClaimStatus {
        patient_control_number: pcn.into(),
        statuses,
        payer_claim_control_number: None,
        clearinghouse_trace: None,
        bill_type: None,
        service_dates: Some(dates),
        lines: vec![],
    }
}

fn source(entity: &str, name: &str, id: &str, receivers: Vec<InformationReceiver>) -> InformationSource {
    InformationSource {
        entity: entity.into(),
        name: name.into(),
        id_qualifier: "PI".into(),
        id: id.into(),
        trace: Some("20240305001".into()),
        received: Some(d(2024, 3, 4)),
        processed: Some(d(2024, 3, 5)),
        receivers,
    }
}

fn receiver(
    trace: &str,
    statuses: Vec<StatusInfo>,
    totals: Totals,
    providers: Vec<BillingProvider>,
) -> InformationReceiver {
    InformationReceiver {
        name: Name::Organization { name: "OUR CLINIC BILLING".into() },
        id_qualifier: "46".into(),
        id: "SUBMITTER01".into(),
        trace: trace.into(),
        statuses,
        totals,
        providers,
    }
}

fn provider(name: Name, qualifier: &str, id: &str, patients: Vec<Patient>) -> BillingProvider {
    BillingProvider {
        name,
        id_qualifier: qualifier.into(),
        id: id.into(),
        trace: Some(format!("PRV{id}").into()),
        statuses: vec![stc("A1", "19", Some("PR"), None, "WQ", Some(35000))],
        secondary_id: None,
        totals: Totals::default(),
        patients,
    }
}

fn doc277(ctl: u32, transactions: Vec<Transaction277ca>) -> Document277ca {
    Document277ca {
        interchanges: vec![Interchange277ca {
            header: isa(ctl),
            groups: vec![Group277ca { header: gs("HN", ctl, "005010X214", t(14, 30, 15)), transactions }],
        }],
        findings: vec![],
    }
}

fn transaction(ctl: &str, sources: Vec<InformationSource>) -> Transaction277ca {
    Transaction277ca {
        control_number: ctl.into(),
        reference: format!("ACK{ctl}").into(),
        created_date: d(2024, 3, 5),
        created_time: t(14, 30, 15),
        sources,
    }
}

fn models_277() -> Vec<(&'static str, Document277ca)> {
    let day = DateRange::day(d(2024, 2, 20));
    let range = DateRange { from: d(2024, 2, 1), to: d(2024, 2, 3) };

    // 1. One accepted claim, the smallest complete 277CA.
    let single = doc277(
        11,
        vec![transaction(
            "0001",
            vec![source(
                "PR",
                "ACME HEALTH PLAN",
                "12345",
                vec![receiver(
                    "BATCH0001",
                    vec![stc("A1", "20", None, Some(d(2024, 3, 5)), "WQ", Some(12550))],
                    Totals { accepted_quantity: Some(1), accepted_amount: Some(12550), ..Totals::default() },
                    vec![provider(
                        Name::Organization { name: "GOOD CLINIC".into() },
                        "XX",
                        "1234567893",
                        vec![Patient {
                            name: person("DOE", "JANE", None, None),
                            id_qualifier: "MI".into(),
                            member_id: "MEMBER001".into(),
                            claims: vec![ClaimStatus {
                                payer_claim_control_number: Some("PAYER0001".into()),
                                ..claim(
                                    "PCN-0001",
                                    vec![stc("A2", "20", None, Some(d(2024, 3, 5)), "WQ", Some(12550))],
                                    day,
                                )
                            }],
                        }],
                    )],
                )],
            )],
        )],
    );

    // 2. A mixed batch: two providers (organization with NPI, person with tax id), several patients and
    // claims, a rejected claim with STC10/STC11 and a message, rejected lines, RD8 ranges, a second status.
    let mut rejected_claim = claim(
        "PCN-0002",
        vec![
            StatusInfo {
                additional: vec![StatusCode::new("A7", "509", None), StatusCode::new("A6", "35", Some("IL"))],
                message: Some("SUBSCRIBER ID INVALID".into()),
                ..stc("A7", "562", Some("85"), Some(d(2024, 3, 5)), "U", Some(40000))
            },
            stc("A3", "21", None, Some(d(2024, 3, 5)), "U", Some(40000)),
        ],
        range,
    );
    rejected_claim.clearinghouse_trace = Some("CH-TRACE-2".into());
    rejected_claim.lines = vec![
        LineStatus {
            procedure: Procedure {
                qualifier: "HC".into(),
                code: "99213".into(),
                modifiers: vec!["25".into(), "59".into()],
            },
            charge: 15000,
            revenue_code: None,
            units: Some(Decimal::ONE),
            statuses: vec![stc("A7", "454", None, Some(d(2024, 3, 5)), "U", None)],
            line_item_control_number: Some("LINE-1".into()),
            prescription_number: None,
            service_dates: Some(day),
        },
        LineStatus {
            procedure: Procedure { qualifier: "HC".into(), code: "J1100".into(), modifiers: vec![] },
            charge: 25000,
            revenue_code: None,
            units: Some(Decimal::from_str("2.5").unwrap()),
            statuses: vec![stc("A6", "453", Some("82"), Some(d(2024, 3, 5)), "U", None)],
            line_item_control_number: None,
            prescription_number: Some("RX123".into()),
            service_dates: Some(range),
        },
    ];
    let mut institutional =
        claim("PCN-0004", vec![stc("A2", "20", None, Some(d(2024, 3, 5)), "WQ", Some(990099))], range);
    institutional.bill_type = Some("131".into());
    institutional.payer_claim_control_number = Some("PAYER0004".into());
    institutional.lines = vec![LineStatus {
        procedure: Procedure { qualifier: "NU".into(), code: "0450".into(), modifiers: vec![] },
        charge: 990099,
        revenue_code: Some("0450".into()),
        units: Some(Decimal::from(3)),
        statuses: vec![stc("A5", "20", None, Some(d(2024, 3, 5)), "U", None)],
        line_item_control_number: Some("L-4".into()),
        prescription_number: None,
        service_dates: None,
    }];
    let mut org_provider = provider(
        Name::Organization { name: "GOOD CLINIC".into() },
        "XX",
        "1234567893",
        vec![
            Patient {
                name: person("DOE", "JANE", Some("Q"), Some("JR")),
                id_qualifier: "MI".into(),
                member_id: "MEMBER001".into(),
                claims: vec![
                    claim("PCN-0001", vec![stc("A1", "19", None, Some(d(2024, 3, 5)), "WQ", Some(12550))], day),
                    rejected_claim,
                ],
            },
            Patient {
                name: PersonName { last: "ROE".into(), ..PersonName::default() },
                id_qualifier: "II".into(),
                member_id: "UHI000002".into(),
                claims: vec![institutional],
            },
        ],
    );
    org_provider.secondary_id = Some(Reference { qualifier: "TJ".into(), value: "123456789".into() });
    org_provider.totals = Totals {
        accepted_quantity: Some(2),
        rejected_quantity: Some(1),
        accepted_amount: Some(1002649),
        rejected_amount: Some(40000),
    };
    let person_provider = provider(
        Name::Person(person("SMITH", "ALEX", Some("B"), Some("MD"))),
        "FI",
        "987654321",
        vec![Patient {
            name: person("POE", "EDGAR", None, None),
            id_qualifier: "MI".into(),
            member_id: "MEMBER003".into(),
            claims: vec![claim("PCN-0003", vec![stc("A2", "20", None, Some(d(2024, 3, 5)), "WQ", Some(7500))], day)],
        }],
    );
    let mixed = doc277(
        12,
        vec![transaction(
            "0002",
            vec![source(
                "PR",
                "ACME HEALTH PLAN",
                "12345",
                vec![receiver(
                    "BATCH0002",
                    vec![
                        stc("A1", "19", None, Some(d(2024, 3, 5)), "WQ", Some(1050149)),
                        stc("A3", "21", None, Some(d(2024, 3, 5)), "U", Some(40000)),
                    ],
                    Totals {
                        accepted_quantity: Some(3),
                        rejected_quantity: Some(1),
                        accepted_amount: Some(1010149),
                        rejected_amount: Some(40000),
                    },
                    vec![org_provider, person_provider],
                )],
            )],
        )],
    );

    // 3. Two transaction sets; the second from a clearinghouse, to a receiver that is a person, with a
    // claim the payer did not find (A4).
    let mut ch_receiver = receiver(
        "BATCH0004",
        vec![stc("A1", "20", None, Some(d(2024, 3, 6)), "WQ", Some(0))],
        Totals::default(),
        vec![],
    );
    ch_receiver.name = Name::Person(person("BILLER", "PAT", None, None));
    let lone = Patient {
        name: person("LONE", "LEE", None, None),
        id_qualifier: "MI".into(),
        member_id: "MEMBER009".into(),
        claims: vec![claim("PCN-0009", vec![stc("A4", "35", Some("IL"), Some(d(2024, 3, 6)), "U", Some(0))], day)],
    };
    ch_receiver.providers.push(provider(
        Name::Organization { name: "SMALL CLINIC".into() },
        "XX",
        "1111111112",
        vec![lone],
    ));
    let mut ch_source = source("AY", "CLEARING HOUSE INC", "CH001", vec![ch_receiver]);
    ch_source.id_qualifier = "46".into();
    let mut two = single.clone();
    two.interchanges[0].header.control_number = 13;
    two.interchanges[0].groups[0].header.control_number = 13;
    two.interchanges[0].groups[0].transactions.push(transaction("0003", vec![ch_source]));

    vec![("277ca-single", single), ("277ca-mixed", mixed), ("277ca-two-sets", two)]
}

#[test]
fn written_277cas_read_back_unchanged() {
    for (name, model) in models_277() {
        let text = x277ca::write_277ca(&model).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = x277ca::parse_277ca(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert!(back.findings.is_empty(), "{name}: {:?}\n{text}", back.findings);
        assert_eq!(back, model, "{name}\n{text}");
    }
}

#[test]
fn written_277cas_pass_pyx12() {
    for (name, model) in models_277() {
        validate(name, &x277ca::write_277ca(&model).unwrap());
    }
}

#[test]
fn flattened_claims_of_a_mixed_batch() {
    let (_, model) = &models_277()[1];
    let claims = model.claims();
    let summary: Vec<_> =
        claims.iter().map(|c| (c.patient_control_number.as_str(), c.accepted, c.disposition)).collect();
    assert_eq!(
        summary,
        [
            ("PCN-0001", true, Disposition::Accepted),
            ("PCN-0002", false, Disposition::Rejected),
            ("PCN-0004", true, Disposition::Accepted),
            ("PCN-0003", true, Disposition::Accepted),
        ]
    );
    let rejected = &claims[1];
    let codes: Vec<String> = rejected.statuses.iter().flat_map(|s| s.codes()).map(|c| c.to_string()).collect();
    assert_eq!(codes, ["A7:562:85", "A7:509", "A6:35:IL", "A3:21"]);
    assert_eq!(rejected.total_charge, Some(40000));
    assert_eq!(rejected.clearinghouse_trace.as_deref(), Some("CH-TRACE-2"));
    assert_eq!(rejected.billing_provider_npi.as_deref(), Some("1234567893"));
    assert_eq!(rejected.lines.len(), 2);
    assert_eq!(rejected.lines[0].disposition(), Disposition::Rejected);
    assert_eq!(rejected.lines[1].prescription_number.as_deref(), Some("RX123"));
    assert_eq!(claims[2].bill_type.as_deref(), Some("131"));
    assert_eq!(claims[2].patient_member_id, "UHI000002");
    // Tax id, not NPI.
    assert_eq!(claims[3].billing_provider_npi, None);
    assert_eq!(claims[3].batch_trace, "BATCH0002");
}

#[test]
fn claim_disposition_rule() {
    let s = |c: &str| stc(c, "20", None, None, "WQ", None);
    assert_eq!(x277ca::disposition(&[s("A1")]), Disposition::Accepted);
    assert_eq!(x277ca::disposition(&[s("A0"), s("A5")]), Disposition::Accepted);
    // A rejection anywhere wins, in a later STC or in STC10/STC11.
    assert_eq!(x277ca::disposition(&[s("A1"), s("A7")]), Disposition::Rejected);
    let mut extra = s("A2");
    extra.additional.push(StatusCode::new("A8", "21", None));
    assert_eq!(x277ca::disposition(&[extra]), Disposition::Rejected);
    for c in ["A3", "A4", "A6", "A7", "A8", "DR03", "E0"] {
        assert_eq!(x277ca::category_disposition(c), Disposition::Rejected, "{c}");
    }
    assert_eq!(x277ca::disposition(&[s("P1")]), Disposition::Other);
    assert_eq!(x277ca::disposition(&[]), Disposition::Other);
}

#[test]
fn the_277ca_writer_requires_the_2200c_status_the_reader_does_not() {
    // Read a real 277CA that has no billing provider STC: it reads, but cannot be written as it is.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ack/herophilus-assets/277CA Sample (Rejected).txt");
    let mut doc = x277ca::parse_277ca(&std::fs::read(path).unwrap()).unwrap();
    let e = x277ca::write_277ca(&doc).unwrap_err();
    assert!(matches!(&e, X12Error::Write { field, .. } if field == "2200C STC"), "{e}");
    // With a provider status it writes, passes pyx12, and reads back the same.
    let p = &mut doc.interchanges[0].groups[0].transactions[0].sources[0].receivers[0].providers[0];
    p.statuses.push(stc("A1", "20", None, None, "WQ", Some(19914)));
    let delims = Delimiters { component: b'|', ..Delimiters::default() };
    let text = x277ca::write_277ca_with(&doc, delims).unwrap();
    assert!(text.contains("STC*A7|562|85*20110311*WQ*199.14~"), "{text}");
    validate("277ca-from-fixture", &text);
    assert_eq!(x277ca::parse_277ca(text.as_bytes()).unwrap().interchanges, doc.interchanges);
}

#[test]
fn the_277ca_writer_refuses_elements_a_level_does_not_use() {
    let (_, base) = &models_277()[0];
    fn provider_status(m: &mut Document277ca) -> &mut StatusInfo {
        &mut m.interchanges[0].groups[0].transactions[0].sources[0].receivers[0].providers[0].statuses[0]
    }
    let mut m = base.clone();
    provider_status(&mut m).date = Some(d(2024, 1, 1));
    assert!(matches!(x277ca::write_277ca(&m), Err(X12Error::Write { field, .. }) if field == "2200C STC02"));
    let mut m = base.clone();
    provider_status(&mut m).message = Some("NO".into());
    assert!(matches!(x277ca::write_277ca(&m), Err(X12Error::Write { field, .. }) if field == "2200C STC12"));
    let mut m = base.clone();
    m.interchanges[0].groups[0].transactions[0].sources[0].receivers[0].statuses.clear();
    assert!(matches!(x277ca::write_277ca(&m), Err(X12Error::Write { field, .. }) if field == "2200B STC"));
    let mut m = base.clone();
    m.interchanges[0].groups[0].transactions[0].sources[0].receivers[0].providers[0].patients[0].claims[0]
        .service_dates = None;
    assert!(matches!(x277ca::write_277ca(&m), Err(X12Error::Write { field, .. }) if field == "2200D DTP*472"));
    let mut m = base.clone();
    m.interchanges[0].groups[0].transactions[0].sources[0].receivers[0].providers[0].patients[0].member_id =
        "MEM~BER".into();
    let e = x277ca::write_277ca(&m).unwrap_err();
    assert!(matches!(&e, X12Error::Write { field, .. } if field == "2100D NM109"), "{e}");
    assert!(!e.to_string().contains("MEM~BER"), "{e}");
}
