//! Synthetic encounters for the demo and the pipeline tests. Made up from small lists by a seeded
//! generator: no real person's data. The same seed gives the same encounters, so two runs give
//! the same totals. A few carry deliberate problems, as real practices send them: a billing NPI
//! with a wrong check digit (scrubbing rejects it) and visits coded only in SNOMED CT (they wait
//! for a coder).

use rcm_proto::common::{Address, Coverage, Encounter, Patient, PersonName, Provider, ServiceLine, SourceCode};
use rcm_x12::x837p::sample::{Rng, npi_check_digit};

const LAST: &[&str] =
    &["Rivera", "Okafor", "O'Neil", "Nguyen", "Kowalski", "Haddad", "Lindqvist", "Moreau", "Tanaka", "Abara"];
const FIRST: &[&str] = &["Ana", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo"];
const CITIES: &[(&str, &str, &str)] = &[
    ("Springfield", "IL", "62701"),
    ("Albany", "NY", "12207"),
    ("Austin", "TX", "78701"),
    ("Portland", "OR", "97201"),
];
/// ICD-10-CM codes (FY2026, billable) and how a clinician's note might name them.
const DIAGNOSES: &[(&str, &str)] = &[
    ("E119", "type 2 diabetes mellitus without complications"),
    ("I10", "essential hypertension"),
    ("J069", "acute upper respiratory infection"),
    ("M5450", "low back pain"),
    ("R051", "acute cough"),
    ("K219", "gastroesophageal reflux disease"),
    ("N390", "urinary tract infection"),
    ("E785", "hyperlipidemia"),
    ("J45909", "asthma, uncomplicated"),
    ("M1711", "primary osteoarthritis of the right knee"),
    ("F329", "major depressive disorder, single episode"),
    ("R0602", "shortness of breath"),
];
/// Findings a note may deny (they must not become diagnoses).
const DENIED: &[&str] = &["chest pain", "fever", "nausea", "headache"];
/// CPT numbers only (their descriptions are licensed and not shipped).
const PROCEDURES: &[&str] =
    &["99213", "99214", "99203", "99204", "93000", "71046", "97110", "97140", "20610", "96372", "11721"];
const PAYERS: &[(&str, &str, &str)] = &[
    ("ACME1", "Acme Health Plan", "CI"),
    ("MCR01", "Medicare Part B", "MB"),
    ("BLU01", "Blue Plan of the Lakes", "BL"),
];

fn npi(rng: &mut Rng, valid: bool) -> String {
    let base = format!("1{}", rng.digits(8));
    let check = npi_check_digit(&base);
    let check = if valid { check } else { (check + 1) % 10 };
    format!("{base}{check}")
}

fn address(rng: &mut Rng, zip9: bool) -> Address {
    let (city, state, zip) = rng.pick(CITIES);
    Address {
        line1: format!("{} {} St", rng.range(1, 9999), rng.pick(&["Main", "Oak", "Elm", "Park"])),
        city: city.into(),
        state: state.into(),
        postal_code: if zip9 { format!("{zip}{}", rng.digits(4)) } else { zip.into() },
        ..Address::default()
    }
}

fn name(rng: &mut Rng) -> PersonName {
    PersonName { last: (rng.pick(LAST)).into(), first: (rng.pick(FIRST)).into(), ..PersonName::default() }
}

/// The practices of a tenant: a few billing providers, fixed by the tenant's name.
fn practice(tenant: &str, k: u64) -> Provider {
    let mut rng = Rng::new(tenant.bytes().fold(k, |a, b| a.wrapping_mul(31).wrapping_add(b as u64)));
    Provider {
        npi: npi(&mut rng, true),
        organization_name: format!("{} Family Medicine {}", tenant.to_uppercase(), k + 1),
        tax_id: rng.digits(9).to_string(),
        taxonomy: "207Q00000X".into(),
        address: Some(address(&mut rng, true)),
        ..Provider::default()
    }
}

/// Encounter `index` of a run for `tenant`. `run` only goes into ids.
pub fn encounter(tenant: &str, run: &str, seed: u64, index: usize) -> Encounter {
    let tenant_seed =
        tenant.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0x9E37_79B9) ^ tenant_seed);
    // Recent visits, relative to today, so the payer's timely-filing rule does not deny them.
    let service_date = chrono::Utc::now().date_naive() - chrono::Duration::days(rng.range(5, 60) as i64);
    let birth = chrono::NaiveDate::from_ymd_opt(1945, 1, 1).expect("date")
        + chrono::Duration::days(rng.range(0, 25_000) as i64);
    let (payer_id, payer_name, filing) = rng.pick(PAYERS);
    let mut billing = practice(tenant, rng.range(0, 2));
    let broken_npi = rng.chance(3);
    if broken_npi {
        billing.npi = npi(&mut rng, false);
    }
    let snomed_only = !broken_npi && rng.chance(3);
    // Some sources send the note but no diagnosis codes: coding suggests them from the note.
    let note_only = !broken_npi && !snomed_only && rng.chance(5);
    let n_dx = rng.range(1, 4) as usize;
    let mut diagnoses: Vec<String> = Vec::new();
    let mut assessed: Vec<&str> = Vec::new();
    while diagnoses.len() < n_dx {
        let (code, phrase) = rng.pick(DIAGNOSES);
        if !diagnoses.iter().any(|d| d == code) {
            diagnoses.push(code.to_string());
            assessed.push(phrase);
        }
    }
    let clinical_note = format!(
        "Established patient seen in clinic. Denies {}. Assessment: {}. Plan: continue current management, follow up as needed.",
        rng.pick(DENIED),
        assessed.join("; ")
    );
    // Codes as a practice bills them: an office visit, a procedure, or both (one of each at most,
    // so the demo's claims do not trip NCCI bundling edits), with modifier 25 on the visit when a
    // procedure was done the same day.
    let visits: Vec<&str> = PROCEDURES.iter().copied().filter(|c| c.starts_with("992")).collect();
    let procedures: Vec<&str> = PROCEDURES.iter().copied().filter(|c| !c.starts_with("992")).collect();
    let codes: Vec<&str> = match rng.range(0, 3) {
        0 => vec![rng.pick(&visits)],
        1 => vec![rng.pick(&procedures)],
        _ => vec![rng.pick(&visits), rng.pick(&procedures)],
    };
    let with_procedure = codes.iter().any(|c| !c.starts_with("992"));
    let lines = codes
        .iter()
        .enumerate()
        .map(|(k, code)| ServiceLine {
            line_id: (k + 1).to_string(),
            procedure_code: if snomed_only { String::new() } else { code.to_string() },
            modifiers: if !snomed_only && with_procedure && code.starts_with("992") {
                vec!["25".to_string()]
            } else {
                Vec::new()
            },
            source: snomed_only.then(|| SourceCode {
                system: "http://snomed.info/sct".into(),
                code: "185349003".into(),
                display: "Encounter for check up".into(),
            }),
            units: "1".into(),
            unit: "UN".into(),
            diagnosis_pointers: vec![1 + (k % n_dx) as u32],
            service_date: service_date.to_string(),
            ..ServiceLine::default()
        })
        .collect();
    Encounter {
        encounter_id: format!("{run}-{tenant}-{index:06}"),
        patient: Some(Patient {
            patient_id: format!("MRN{}", rng.digits(7)),
            name: Some(name(&mut rng)),
            birth_date: birth.to_string(),
            gender: (rng.pick(&["F", "M"])).into(),
            address: Some(address(&mut rng, false)),
        }),
        coverage: Some(Coverage {
            payer_id: payer_id.into(),
            payer_name: payer_name.into(),
            member_id: format!("M{}", rng.digits(9)),
            group_number: rng.digits(6).to_string(),
            relationship: "18".into(),
            claim_filing: filing.into(),
            payer_responsibility: "P".into(),
            ..Coverage::default()
        }),
        billing_provider: Some(billing),
        rendering_provider: rng.chance(50).then(|| Provider {
            npi: npi(&mut rng, true),
            person: Some(name(&mut rng)),
            taxonomy: "207Q00000X".into(),
            ..Provider::default()
        }),
        place_of_service: "11".into(),
        service_date: service_date.to_string(),
        diagnosis_codes: if snomed_only || note_only { Vec::new() } else { diagnoses },
        conditions: if snomed_only {
            vec![SourceCode {
                system: "http://snomed.info/sct".into(),
                code: "44054006".into(),
                display: "Diabetes mellitus type 2".into(),
            }]
        } else {
            Vec::new()
        },
        clinical_note: if snomed_only { String::new() } else { clinical_note },
        lines,
        source: "grpc".into(),
        frequency_code: "1".into(),
        ..Encounter::default()
    }
}
