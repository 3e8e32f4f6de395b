//! The real bundles copied into tests/fixtures (see tests/fixtures/SOURCES.md).

mod common;

use common::*;
use rcm_fhir::{FhirError, Severity, read_bundle, rules};

const ALFONZO: &str = "Alfonzo975_Hickle134_cd3d3588-94fc-b980-9e94-0390d989d921.json";
const DINO: &str = "Dino214_Parisian75_40d82b80-b682-cd8b-da6d-396809878641.json";
const BENNETT: &str = "Bennett146_Swaniawski813_704c9750-f6e6-473b-ee83-fbd48e07fe3f.json";
const CMS1500: &str = "claim-example-cms1500-medical.json";

#[test]
fn every_copied_bundle_reads_with_one_encounter_per_encounter_resource() {
    for name in [ALFONZO, DINO, BENNETT] {
        let json = fixture(name);
        let read = read_bundle(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ids: Vec<&str> = read.encounters.iter().map(|e| e.encounter_id.as_str()).collect();
        assert_eq!(ids, encounter_ids(&json), "{name}");
        assert!(!ids.is_empty());
        assert!(read.findings.is_empty(), "{name}: bundle findings {:?}", read.findings);
        for e in &read.encounters {
            assert_eq!(e.source, "fhir");
            assert_eq!(e.service_date.len(), 10, "{name} {}", e.encounter_id);
            let patient = e.patient.as_ref().expect("patient");
            assert!(!patient.patient_id.is_empty());
            // Synthea codes conditions in SNOMED CT only: no ICD-10-CM, and the encounter says so.
            assert!(e.diagnosis_codes.is_empty());
            assert!(has_finding(e, rules::DIAGNOSIS_NOT_ICD10CM, "diagnosis_codes"));
            for (n, line) in e.lines.iter().enumerate() {
                assert_eq!(line.line_id, (n + 1).to_string());
                assert_eq!(line.unit, "UN");
                assert_eq!(line.units, "1");
                assert_eq!(line.service_date, e.service_date);
                assert!(line.diagnosis_pointers.is_empty());
                // No CPT/HCPCS in Synthea: every line keeps its source code for coding.
                assert!(line.procedure_code.is_empty());
                assert!(line.source.as_ref().is_some_and(|s| !s.code.is_empty() && !s.system.is_empty()));
            }
        }
        assert_no_phi_in_findings(&read, &phi_strings(&json));
    }
}

#[test]
fn alfonzo_collection_bundle_known_encounter() {
    let read = read_bundle(&fixture(ALFONZO)).unwrap();
    assert_eq!(read.encounters.len(), 8);
    let e = encounter(&read, "e3c851b0-b8a6-d4d8-a554-249f86b587da");
    assert_eq!(e.service_date, "2019-03-28");
    assert_eq!(e.place_of_service, "11");
    assert_eq!(e.clinical_note, "Encounter type: General examination of patient (procedure).");

    let patient = e.patient.as_ref().unwrap();
    assert_eq!(patient.patient_id, "cd3d3588-94fc-b980-9e94-0390d989d921");
    assert_eq!(patient.birth_date, "1994-01-20");
    assert_eq!(patient.gender, "M");
    assert_eq!(patient.name.as_ref().unwrap().last, "Hickle134");
    assert_eq!(patient.address.as_ref().unwrap().postal_code, "01749");

    // SNOMED CT evidence, no ICD-10-CM.
    assert!(e.diagnosis_codes.is_empty());
    assert_eq!(e.conditions.len(), 3);
    assert!(e.conditions.iter().any(|c| c.system == "http://snomed.info/sct"
        && c.code == "10939881000119104"
        && c.display == "Unhealthy alcohol drinking behavior (finding)"));

    // 11 claim items: 3 restate the diagnoses, 8 are lines.
    assert_eq!(e.lines.len(), 8);
    let visit = &e.lines[0];
    assert_eq!(visit.source.as_ref().unwrap().code, "162673000");
    assert_eq!(visit.charge_cents, 0);
    assert!(has_finding(e, rules::CHARGE_MISSING, "lines[0].charge_cents"));
    let flu = &e.lines[1];
    assert_eq!(flu.source.as_ref().unwrap().system, "http://hl7.org/fhir/sid/cvx");
    assert_eq!(flu.source.as_ref().unwrap().code, "140");
    assert_eq!(flu.charge_cents, 14052);
    assert_eq!(e.lines.iter().map(|l| l.charge_cents).sum::<i64>(), 324042);
    // Claim.total is 786.3299999999999: kept visible as a finding with both amounts.
    let total = e.findings.iter().find(|f| f.rule_id == rules::CLAIM_TOTAL_MISMATCH).expect("total finding");
    assert!(total.message.contains("total 786.33"), "{}", total.message);
    assert!(total.message.contains("3240.42"), "{}", total.message);
    assert_eq!(total.severity, Severity::Warning as i32);

    let coverage = e.coverage.as_ref().unwrap();
    assert_eq!(coverage.payer_name, "UnitedHealthcare");
    assert_eq!(coverage.claim_filing, "CI");
    assert_eq!(coverage.payer_responsibility, "P");
    assert!(coverage.member_id.is_empty());
    assert!(has_finding(e, rules::MEMBER_ID_MISSING, "coverage.member_id"));

    // In-bundle Organization (no NPI) and Practitioner (NPI failing the check digit).
    let billing = e.billing_provider.as_ref().unwrap();
    assert_eq!(billing.organization_name, "ORTHOPAEDIC ASSOCIATES OF MARLBORO, PC");
    assert_eq!(billing.address.as_ref().unwrap().city, "MARLBOROUGH");
    assert!(has_finding(e, rules::NPI_MISSING, "billing_provider.npi"));
    let rendering = e.rendering_provider.as_ref().unwrap();
    assert_eq!(rendering.npi, "9999911899");
    assert_eq!(rendering.person.as_ref().unwrap().last, "Bogisich202");
    let npi = e.findings.iter().find(|f| f.rule_id == rules::NPI_CHECK_DIGIT).expect("check digit finding");
    assert_eq!(npi.field, "rendering_provider.npi");
    assert_eq!(npi.severity, Severity::Error as i32);
    assert!(!e.findings.iter().any(|f| f.rule_id == rules::REFERENCE_UNRESOLVED));
}

#[test]
fn alfonzo_diagnosis_items_are_not_lines() {
    let read = read_bundle(&fixture(ALFONZO)).unwrap();
    // Claim: the visit item plus two items restating the encounter's two conditions.
    let e = encounter(&read, "6f99b26c-f24e-684f-2f97-c436eedce83b");
    assert_eq!(e.service_date, "2012-03-15");
    assert_eq!(e.lines.len(), 1);
    assert_eq!(e.lines[0].source.as_ref().unwrap().code, "162673000");
    let codes: Vec<&str> = e.conditions.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["224299000", "741062008"]);
    assert_eq!(e.coverage.as_ref().unwrap().payer_name, "Cigna Health");
}

#[test]
fn dino_transaction_bundle_with_conditional_references() {
    let read = read_bundle(&fixture(DINO)).unwrap();
    assert_eq!(read.encounters.len(), 16);

    let er = encounter(&read, "4fd6d042-4136-6a61-4eb6-77a41745b776");
    assert_eq!(er.place_of_service, "23");
    assert_eq!(er.service_date, "2009-01-08");
    assert!(er.clinical_note.contains("Reason: Appendicitis."), "{}", er.clinical_note);
    // Practitioner and Organization are not in the bundle: NPI from the conditional reference, name from display.
    let rendering = er.rendering_provider.as_ref().unwrap();
    assert_eq!(rendering.npi, "9999996793");
    assert!(rendering.person.is_none());
    assert!(has_finding(er, rules::REFERENCE_UNRESOLVED, "rendering_provider"));
    assert!(!has_finding(er, rules::NPI_CHECK_DIGIT, "rendering_provider.npi"), "9999996793 passes the check");
    let billing = er.billing_provider.as_ref().unwrap();
    assert_eq!(billing.organization_name, "BAYSTATE MEDICAL CENTER");
    assert!(has_finding(er, rules::REFERENCE_UNRESOLVED, "billing_provider"));
    assert!(has_finding(er, rules::NPI_MISSING, "billing_provider.npi"));
    let coverage = er.coverage.as_ref().unwrap();
    assert_eq!(coverage.payer_name, "Medicaid");
    assert_eq!(coverage.claim_filing, "MC");

    let inpatient = encounter(&read, "5f61d40d-e18a-f630-f39d-1204d94286f5");
    assert_eq!(inpatient.place_of_service, "21");

    // NO_INSURANCE is no payer.
    let self_pay = encounter(&read, "56e9625f-ce41-7f7d-1049-c5ea8a0c3dae");
    assert!(self_pay.coverage.is_none());
    let payer = self_pay.findings.iter().find(|f| f.rule_id == rules::PAYER_MISSING).expect("payer finding");
    assert_eq!(payer.field, "coverage.payer");
    assert!(payer.message.contains("NO_INSURANCE"));

    // Two pharmacy claims are reported, the institutional claim's items are the lines (one RxNorm drug priced).
    let with_drugs = encounter(&read, "daeb3b1b-78f0-409a-de5c-da269c2276fd");
    assert_eq!(with_drugs.findings.iter().filter(|f| f.rule_id == rules::CLAIM_NOT_MAPPED).count(), 2);
    let charges: Vec<i64> = with_drugs.lines.iter().map(|l| l.charge_cents).collect();
    assert_eq!(charges, [0, 386, 19778]);
    assert_eq!(with_drugs.lines[2].source.as_ref().unwrap().code, "1870230");
}

#[test]
fn bennett_encounter_without_claim_keeps_its_conditions() {
    let read = read_bundle(&fixture(BENNETT)).unwrap();
    assert_eq!(read.encounters.len(), 6);
    let e = encounter(&read, "19574d1a-6523-84c1-5f69-f97ab92fa21b");
    assert_eq!(e.service_date, "2008-12-09");
    assert!(e.lines.is_empty());
    assert!(has_finding(e, rules::NO_LINES, "lines"));
    assert!(e.coverage.is_none());
    assert!(has_finding(e, rules::PAYER_MISSING, "coverage.payer"));
    assert_eq!(e.conditions.len(), 2);
}

#[test]
fn a_single_resource_is_not_a_bundle_and_the_error_names_no_patient() {
    let json = fixture(CMS1500);
    let err = read_bundle(&json).unwrap_err();
    assert_eq!(err, FhirError::NotABundle { resource_type: "Claim".to_owned() });
    let message = err.to_string();
    let phi = phi_strings(&json);
    assert!(phi.iter().any(|s| s == "Ashcraft"), "the fixture has a contained patient: {phi:?}");
    for s in &phi {
        assert!(!message.contains(s.as_str()), "{message}");
    }
}

/// Cutting a real bundle anywhere, or damaging bytes, gives an error or findings, never a panic, and never PHI.
#[test]
fn damaged_real_bundle_never_panics_or_leaks() {
    let json = fixture(BENNETT);
    let phi = phi_strings(&json);
    let step = json.len() / 200;
    for cut in (0..json.len()).step_by(step) {
        let err = read_bundle(&json[..cut]).unwrap_err();
        assert!(matches!(err, FhirError::InvalidJson { .. }), "cut at {cut}: {err}");
        for s in &phi {
            assert!(!err.to_string().contains(s.as_str()));
        }
    }
    for at in (0..json.len()).step_by(step) {
        for byte in [b'"', b'}', b'9', b'[', b'x'] {
            let mut damaged = json.clone();
            damaged[at] = byte;
            match read_bundle(&damaged) {
                Ok(read) => assert_no_phi_in_findings(&read, &phi),
                Err(err) => {
                    for s in &phi {
                        assert!(!err.to_string().contains(s.as_str()), "{err}");
                    }
                }
            }
        }
    }
}
