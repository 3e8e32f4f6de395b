//! Shared by the submission service's tests.

use rcm_proto::common as pb;

/// A scrubbed claim `claim-<n>` for `payer` with two lines (99214, 83036) and a fresh patient
/// control number; `npi` is the billing provider's.
pub fn claim(n: u32, payer: &str, npi: &str) -> pb::Claim {
    let address = |line1: &str| pb::Address {
        line1: line1.into(),
        city: "Springfield".into(),
        state: "IL".into(),
        postal_code: "627011234".into(),
        ..Default::default()
    };
    pb::Claim {
        claim_id: format!("claim-{n}"),
        encounter_id: format!("enc-{n}"),
        patient: Some(pb::Patient {
            patient_id: format!("p-{n}"),
            name: Some(pb::PersonName { last: "Tester".into(), first: format!("Pat{n}"), ..Default::default() }),
            birth_date: format!("1970-05-{:02}", n % 28 + 1),
            gender: "F".into(),
            address: Some(address("2 Elm St")),
        }),
        coverage: Some(pb::Coverage {
            payer_id: payer.into(),
            payer_name: format!("Plan {payer}"),
            member_id: format!("MEM{n:06}"),
            relationship: "18".into(),
            claim_filing: "CI".into(),
            ..Default::default()
        }),
        billing_provider: Some(pb::Provider {
            npi: npi.into(),
            organization_name: "Good Clinic".into(),
            tax_id: "123456789".into(),
            address: Some(address("1 Main St")),
            ..Default::default()
        }),
        place_of_service: "11".into(),
        service_date: "2026-01-10".into(),
        diagnosis_codes: vec!["E11.9".into(), "I10".into()],
        lines: vec![
            pb::ServiceLine {
                line_id: format!("{n}-1"),
                procedure_code: "99214".into(),
                units: "1".into(),
                charge_cents: 15000 + n as i64 * 100,
                diagnosis_pointers: vec![1, 2],
                ..Default::default()
            },
            pb::ServiceLine {
                line_id: format!("{n}-2"),
                procedure_code: "83036".into(),
                units: "1".into(),
                charge_cents: 4500,
                diagnosis_pointers: vec![1],
                ..Default::default()
            },
        ],
        total_charge_cents: 15000 + n as i64 * 100 + 4500,
        patient_control_number: format!("PCN-{}", uuid::Uuid::now_v7().simple()),
        ..Default::default()
    }
}
