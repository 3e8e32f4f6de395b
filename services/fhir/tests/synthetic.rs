//! Hand-written bundles for what the real fixtures do not have: CPT/HCPCS and ICD-10-CM codes, Coverage
//! resources, valid NPIs, decimal edge cases, broken references and broken input.

mod common;

use common::*;
use rcm_fhir::{FhirError, Severity, read_bundle, rules};

/// A bundle of the given resources (raw JSON), each with fullUrl `urn:uuid:<id>` unless it names its own.
fn bundle(resources: &[&str]) -> Vec<u8> {
    let entries: Vec<String> = resources
        .iter()
        .map(|r| {
            // Values serde_json cannot hold (1e400) leave the entry without a fullUrl.
            let value: serde_json::Value = serde_json::from_str(r).unwrap_or_default();
            let url = match value["id"].as_str() {
                Some(id) if value["resourceType"] == "Coverage" => format!("http://example.org/fhir/Coverage/{id}"),
                Some(id) => format!("urn:uuid:{id}"),
                None => String::new(),
            };
            // The resource's text is kept as written so that its numbers stay as typed.
            format!(r#"{{"fullUrl":"{url}","resource":{r}}}"#)
        })
        .collect();
    format!(r#"{{"resourceType":"Bundle","type":"collection","entry":[{}]}}"#, entries.join(",")).into_bytes()
}

const PATIENT: &str = r#"{"resourceType":"Patient","id":"p1",
  "name":[{"use":"nickname","given":["Nick"]},
          {"use":"official","family":"Secretfamily","given":["Secretgiven","Middlename"],"suffix":["Jr"]}],
  "gender":"female","birthDate":"1980-02-03",
  "address":[{"line":["1 Main St","Apt 2"],"city":"Springfield","state":"IL","postalCode":"62701","country":"US"}]}"#;
const PRACTITIONER: &str = r#"{"resourceType":"Practitioner","id":"pr1",
  "identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}],
  "name":[{"family":"Docfamily","given":["Docgiven"]}]}"#;
const ORGANIZATION: &str = r#"{"resourceType":"Organization","id":"org1","name":"Springfield Clinic",
  "identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1245319599"},
                {"system":"urn:oid:2.16.840.1.113883.4.4","value":"12-3456789"}],
  "address":[{"line":["9 Elm St"],"city":"Springfield","state":"IL","postalCode":"62702"}]}"#;
const PAYER: &str = r#"{"resourceType":"Organization","id":"payer1","name":"Medicare Part B"}"#;
const COVERAGE: &str = r#"{"resourceType":"Coverage","id":"cov1","status":"active","subscriberId":"MEM123",
  "beneficiary":{"reference":"urn:uuid:p1"},"subscriber":{"reference":"urn:uuid:p1"},
  "relationship":{"coding":[{"code":"self"}]},"payor":[{"reference":"Organization/payer1"}],
  "class":[{"type":{"coding":[{"code":"group"}]},"value":"GRP9"},{"type":{"coding":[{"code":"plan"}]},"value":"PL1"}]}"#;
const ENCOUNTER: &str = r#"{"resourceType":"Encounter","id":"e1","status":"finished",
  "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
  "type":[{"text":"Office visit"}],"reasonCode":[{"text":"Knee pain"}],
  "subject":{"reference":"urn:uuid:p1"},
  "participant":[{"individual":{"reference":"urn:uuid:pr1"}}],
  "period":{"start":"2024-05-06T09:00:00-05:00"},"serviceProvider":{"reference":"urn:uuid:org1"}}"#;
const KNEE: &str = r#"{"resourceType":"Condition","id":"c1","encounter":{"reference":"urn:uuid:e1"},
  "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"M17.11","display":"Unilateral primary osteoarthritis, right knee"},
                    {"system":"http://snomed.info/sct","code":"239873007","display":"Osteoarthritis of knee"}]}}"#;
const DIABETES: &str = r#"{"resourceType":"Condition","id":"c2","encounter":{"reference":"urn:uuid:e1"},
  "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"E11.9"}],"text":"Type 2 diabetes"}}"#;
const CLAIM: &str = r#"{"resourceType":"Claim","id":"cl1","type":{"coding":[{"code":"professional"}]},
  "diagnosis":[{"sequence":1,"diagnosisReference":{"reference":"urn:uuid:c1"}},
               {"sequence":2,"diagnosisReference":{"reference":"urn:uuid:c2"},"type":[{"coding":[{"code":"principal"}]}]}],
  "insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/cov1"}}],
  "item":[
    {"sequence":1,"diagnosisSequence":[1],"encounter":[{"reference":"urn:uuid:e1"}],
     "productOrService":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"99213"}]},
     "modifier":[{"coding":[{"code":"25"}]}],"net":{"value":786.3299999999999,"currency":"USD"}},
    {"sequence":2,"productOrService":{"coding":[{"system":"https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets","code":"j1100"}]},
     "unitPrice":{"value":0.005,"currency":"USD"}},
    {"sequence":3,"productOrService":{"coding":[{"system":"http://snomed.info/sct","code":"387713003","display":"Surgical procedure"}]},
     "net":{"value":-1.005,"currency":"USD"}},
    {"sequence":4,"productOrService":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"20610"}]},
     "quantity":{"value":2.0},"unitPrice":{"value":12.345,"currency":"USD"}}],
  "total":{"value":810.02,"currency":"USD"}}"#;

#[test]
fn a_complete_encounter_maps_without_findings() {
    let json = bundle(&[PATIENT, PRACTITIONER, ORGANIZATION, PAYER, COVERAGE, ENCOUNTER, KNEE, DIABETES, CLAIM]);
    let read = read_bundle(&json).unwrap();
    assert!(read.findings.is_empty(), "{:?}", read.findings);
    assert_eq!(read.encounters.len(), 1);
    let e = &read.encounters[0];
    assert!(e.findings.is_empty(), "{:#?}", e.findings);

    assert_eq!(e.encounter_id, "e1");
    assert_eq!(e.source, "fhir");
    assert_eq!(e.service_date, "2024-05-06");
    assert_eq!(e.place_of_service, "11");
    assert_eq!(e.clinical_note, "Encounter type: Office visit. Reason: Knee pain.");

    let p = e.patient.as_ref().unwrap();
    let name = p.name.as_ref().unwrap();
    assert_eq!(
        (name.last.as_str(), name.first.as_str(), name.middle.as_str(), name.suffix.as_str()),
        ("Secretfamily", "Secretgiven", "Middlename", "Jr")
    );
    assert_eq!((p.gender.as_str(), p.birth_date.as_str()), ("F", "1980-02-03"));
    assert_eq!(p.address.as_ref().unwrap().line2, "Apt 2");

    let billing = e.billing_provider.as_ref().unwrap();
    assert_eq!(billing.npi, "1245319599");
    assert_eq!(billing.tax_id, "123456789");
    assert_eq!(billing.organization_name, "Springfield Clinic");
    let rendering = e.rendering_provider.as_ref().unwrap();
    assert_eq!(rendering.npi, "1234567893");
    assert_eq!(rendering.person.as_ref().unwrap().last, "Docfamily");

    // The Coverage resource the Claim points at, with the payer Organization resolved.
    let c = e.coverage.as_ref().unwrap();
    assert_eq!(c.payer_name, "Medicare Part B");
    assert_eq!(c.claim_filing, "MB");
    assert_eq!(c.member_id, "MEM123");
    assert_eq!(c.group_number, "GRP9");
    assert_eq!(c.relationship, "18");
    assert_eq!(c.payer_responsibility, "P");

    // Principal first, dots removed; every coding kept as evidence.
    assert_eq!(e.diagnosis_codes, ["E119", "M1711"]);
    let evidence: Vec<(&str, &str)> = e.conditions.iter().map(|c| (c.system.as_str(), c.code.as_str())).collect();
    assert_eq!(
        evidence,
        [
            ("http://hl7.org/fhir/sid/icd-10-cm", "E11.9"),
            ("http://hl7.org/fhir/sid/icd-10-cm", "M17.11"),
            ("http://snomed.info/sct", "239873007")
        ]
    );
    assert_eq!(e.conditions[0].display, "Type 2 diabetes", "the concept's text when the coding has no display");

    let codes: Vec<&str> = e.lines.iter().map(|l| l.procedure_code.as_str()).collect();
    assert_eq!(codes, ["99213", "J1100", "", "20610"]);
    assert_eq!(e.lines[0].modifiers, ["25"]);
    // Money from the JSON text, rounded half away from zero: 786.3299999999999, 0.005, -1.005, 2 × 12.345.
    let charges: Vec<i64> = e.lines.iter().map(|l| l.charge_cents).collect();
    assert_eq!(charges, [78633, 1, -101, 2469]);
    assert_eq!(e.lines[3].units, "2");
    let source = e.lines[2].source.as_ref().unwrap();
    assert_eq!((source.system.as_str(), source.code.as_str()), ("http://snomed.info/sct", "387713003"));
    assert!(e.lines[0].source.is_none());
    // Line 1 points at its diagnosis (M17.11, second); the others at the first four codes.
    assert_eq!(e.lines[0].diagnosis_pointers, [2]);
    assert_eq!(e.lines[1].diagnosis_pointers, [1, 2]);
    for (n, line) in e.lines.iter().enumerate() {
        assert_eq!(line.line_id, (n + 1).to_string());
        assert_eq!(line.service_date, "2024-05-06");
    }
}

#[test]
fn unresolved_references_become_findings_and_keep_what_the_reference_says() {
    let encounter = r#"{"resourceType":"Encounter","id":"e1","class":{"code":"EMER"},
      "subject":{"reference":"urn:uuid:p1"},"period":{"start":"2024-01-02"},
      "participant":[{"individual":{"reference":"Practitioner/not-here","display":"Dr. Secretdoctor"}}],
      "serviceProvider":{"reference":"Organization?identifier=http://hl7.org/fhir/sid/us-npi%7C1234567890","display":"Clinic"}}"#;
    let claim = r#"{"resourceType":"Claim","id":"cl1","insurance":[{"coverage":{"display":"Aetna"}}],
      "diagnosis":[{"sequence":1,"diagnosisReference":{"reference":"Condition/gone"}}],
      "item":[{"sequence":1,"encounter":[{"reference":"Encounter/e1"}],"net":{"value":10}}]}"#;
    let json = bundle(&[PATIENT, encounter, claim]);
    let read = read_bundle(&json).unwrap();
    let e = &read.encounters[0];
    assert_eq!(e.place_of_service, "23");

    let rendering = e.rendering_provider.as_ref().unwrap();
    assert!(rendering.npi.is_empty() && rendering.person.is_none());
    assert!(has_finding(e, rules::REFERENCE_UNRESOLVED, "rendering_provider"));
    assert!(has_finding(e, rules::NPI_MISSING, "rendering_provider.npi"));

    // The NPI comes out of the (percent-encoded) conditional reference, and its check digit is wrong.
    let billing = e.billing_provider.as_ref().unwrap();
    assert_eq!((billing.npi.as_str(), billing.organization_name.as_str()), ("1234567890", "Clinic"));
    assert!(has_finding(e, rules::REFERENCE_UNRESOLVED, "billing_provider"));
    let check = e.findings.iter().find(|f| f.rule_id == rules::NPI_CHECK_DIGIT).unwrap();
    assert_eq!((check.field.as_str(), check.severity), ("billing_provider.npi", Severity::Error as i32));

    assert!(has_finding(e, rules::REFERENCE_UNRESOLVED, "conditions"));
    assert_eq!(e.coverage.as_ref().unwrap().payer_name, "Aetna");
    assert_eq!(e.lines.len(), 1);
    assert_eq!(e.lines[0].charge_cents, 1000);
    assert_no_phi_in_findings(&read, &["Secretdoctor".to_owned(), "Secretfamily".to_owned()]);
}

#[test]
fn missing_payer_is_a_finding_not_an_error() {
    let encounter = r#"{"resourceType":"Encounter","id":"e1","class":{"code":"XYZ"},"subject":{"reference":"urn:uuid:p1"},
      "period":{"start":"2024-01-02T10:00:00Z"}}"#;
    let procedure = r#"{"resourceType":"Procedure","id":"pr1","status":"completed","encounter":{"reference":"urn:uuid:e1"},
      "code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"36415"}]}}"#;
    let not_done = r#"{"resourceType":"Procedure","id":"pr2","status":"not-done","encounter":{"reference":"urn:uuid:e1"},
      "code":{"text":"Venipuncture"}}"#;
    let read = read_bundle(&bundle(&[PATIENT, encounter, procedure, not_done])).unwrap();
    let e = &read.encounters[0];
    assert!(e.coverage.is_none());
    let payer = e.findings.iter().find(|f| f.rule_id == rules::PAYER_MISSING).unwrap();
    assert_eq!((payer.field.as_str(), payer.severity), ("coverage.payer", Severity::Error as i32));
    assert_eq!(e.place_of_service, "11");
    let pos = e.findings.iter().find(|f| f.rule_id == rules::PLACE_OF_SERVICE_DEFAULTED).unwrap();
    assert!(!pos.message.contains("XYZ"), "only known codes are quoted");
    assert!(has_finding(e, rules::PROVIDER_MISSING, "billing_provider"));
    // Lines from Procedures when there is no Claim or ChargeItem; the not-done one is reported, not billed.
    assert_eq!(e.lines.len(), 1);
    assert_eq!(e.lines[0].procedure_code, "36415");
    assert!(has_finding(e, rules::CHARGE_MISSING, "lines[0].charge_cents"));
    assert!(has_finding(e, rules::PROCEDURE_NOT_DONE, "lines"));
    assert!(has_finding(e, rules::DIAGNOSIS_NOT_ICD10CM, "diagnosis_codes"));
}

#[test]
fn coverage_without_member_id_and_charge_items() {
    let coverage = r#"{"resourceType":"Coverage","id":"cov1","beneficiary":{"reference":"urn:uuid:p1"},
      "relationship":{"coding":[{"code":"child"}]},"payor":[{"display":"Acme Medicaid Plan"}],
      "period":{"start":"2020-01-01","end":"2030-12-31"}}"#;
    let expired = r#"{"resourceType":"Coverage","id":"cov0","subscriberId":"OLD","beneficiary":{"reference":"urn:uuid:p1"},
      "payor":[{"display":"Old Payer"}],"period":{"end":"2019-12-31"}}"#;
    let encounter = r#"{"resourceType":"Encounter","id":"e1","class":{"code":"HH"},"subject":{"reference":"urn:uuid:p1"},
      "period":{"start":"2024-01-02"}}"#;
    let charge = r#"{"resourceType":"ChargeItem","id":"ch1","context":{"reference":"urn:uuid:e1"},
      "code":{"coding":[{"system":"urn:oid:2.16.840.1.113883.6.285","code":"G0299"}]},
      "quantity":{"value":1.50},"priceOverride":{"value":"99.995","currency":"USD"}}"#;
    let read = read_bundle(&bundle(&[PATIENT, expired, coverage, encounter, charge])).unwrap();
    let e = &read.encounters[0];
    assert_eq!(e.place_of_service, "12");
    let c = e.coverage.as_ref().unwrap();
    assert_eq!(
        (c.payer_name.as_str(), c.claim_filing.as_str(), c.relationship.as_str()),
        ("Acme Medicaid Plan", "MC", "19")
    );
    let member = e.findings.iter().find(|f| f.rule_id == rules::MEMBER_ID_MISSING).unwrap();
    assert_eq!(member.field, "coverage.member_id");
    assert_eq!(e.lines.len(), 1);
    assert_eq!(e.lines[0].procedure_code, "G0299");
    assert_eq!(e.lines[0].units, "1.5");
    assert_eq!(e.lines[0].charge_cents, 10000);
}

#[test]
fn malformed_json_reports_position_only() {
    let json = b"{\"resourceType\":\"Bundle\",\n\"entry\":[{\"resource\":{\"resourceType\":\"Patient\",\n\"name\":[{\"family\":\"Secretfamily\" \"given\":[]}]}}]}";
    let err = read_bundle(json).unwrap_err();
    assert_eq!(err, FhirError::InvalidJson { kind: "syntax error", line: 3, column: 34 });
    assert!(!err.to_string().contains("Secretfamily"), "{err}");
    assert!(err.to_string().contains("line 3"), "{err}");

    let truncated = &json[..60];
    assert!(matches!(read_bundle(truncated), Err(FhirError::InvalidJson { kind: "unexpected end of input", .. })));
    assert!(matches!(read_bundle(b""), Err(FhirError::InvalidJson { .. })));
    assert!(matches!(read_bundle(b"\xff\xfe{}"), Err(FhirError::InvalidJson { .. })));
    // A string value that is not valid JSON inside (bad escape) quotes nothing either.
    let err = read_bundle(br#"{"resourceType":"Bundle","x":"Secretfamily\q"}"#).unwrap_err();
    assert!(!err.to_string().contains("Secretfamily"));
}

#[test]
fn not_a_bundle_and_no_patient() {
    let err = read_bundle(PATIENT.as_bytes()).unwrap_err();
    assert_eq!(err, FhirError::NotABundle { resource_type: "Patient".to_owned() });
    assert!(!err.to_string().contains("Secret"));

    let err = read_bundle(br#"{"resourceType":"Secretfamily Secretgiven"}"#).unwrap_err();
    assert!(matches!(err, FhirError::NotABundle { .. }));
    assert!(!err.to_string().contains("Secret"), "{err}");
    assert!(matches!(read_bundle(b"[1,2]"), Err(FhirError::NotABundle { .. })));
    assert!(matches!(read_bundle(b"{}"), Err(FhirError::NotABundle { .. })));
    assert!(matches!(read_bundle(br#"{"resourceType":7}"#), Err(FhirError::NotABundle { .. })));

    let err = read_bundle(br#"{"resourceType":"Bundle","entry":{"resource":{}}}"#).unwrap_err();
    assert!(matches!(err, FhirError::MalformedBundle { line: 1, .. }), "{err}");

    let no_patient = bundle(&[r#"{"resourceType":"Encounter","id":"e1"}"#]);
    assert_eq!(read_bundle(&no_patient).unwrap_err(), FhirError::NoPatient);
    assert_eq!(read_bundle(br#"{"resourceType":"Bundle"}"#).unwrap_err(), FhirError::NoPatient);
}

#[test]
fn resources_of_the_wrong_shape_are_findings() {
    // An R5-style Encounter (class is a list), a Claim whose items are not a list, an entry that is a string.
    let r5_encounter = r#"{"resourceType":"Encounter","id":"e1","class":[{"coding":[{"code":"AMB"}]}],
      "subject":{"reference":"urn:uuid:p1"}}"#;
    let bad_claim = r#"{"resourceType":"Claim","id":"cl1","item":{"sequence":1}}"#;
    let bad_patient = r#"{"resourceType":"Patient","id":"p2","name":[{"family":"Secretother"}],"birthDate":19800203}"#;
    let mut json = String::from_utf8(bundle(&[PATIENT, r5_encounter, bad_claim, bad_patient])).unwrap();
    json = json.replacen(r#""entry":["#, r#""entry":["Secretstring",{"request":{"method":"DELETE"}},"#, 1);
    let read = read_bundle(json.as_bytes()).unwrap();

    assert_eq!(read.encounters.len(), 1, "the unreadable Encounter is still an encounter");
    let e = &read.encounters[0];
    assert_eq!(e.encounter_id, "e1");
    assert!(has_finding(e, rules::RESOURCE_UNREADABLE, "encounter"));
    assert_eq!(e.patient.as_ref().unwrap().patient_id, "p1");

    let bundle_rules: Vec<(&str, &str)> =
        read.findings.iter().map(|f| (f.rule_id.as_str(), f.field.as_str())).collect();
    assert_eq!(
        bundle_rules,
        [
            (rules::RESOURCE_UNREADABLE, "entry[0]"),
            (rules::ENTRY_SKIPPED, "entry[1]"),
            (rules::RESOURCE_UNREADABLE, "entry[4]"),
            (rules::RESOURCE_UNREADABLE, "entry[5]"),
        ]
    );
    assert!(read.findings[2].message.contains("Claim/cl1"));
    assert_no_phi_in_findings(&read, &["Secretother".to_owned(), "Secretstring".to_owned(), "19800203".to_owned()]);
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let mut json = b"\xEF\xBB\xBF".to_vec();
    json.extend(bundle(&[PATIENT, ENCOUNTER]));
    assert_eq!(read_bundle(&json).unwrap().encounters.len(), 1);
}

#[test]
fn claims_that_belong_to_no_encounter_are_reported() {
    let e1 = r#"{"resourceType":"Encounter","id":"e1","class":{"code":"AMB"},"subject":{"reference":"urn:uuid:p1"},"period":{"start":"2024-01-02"}}"#;
    let e2 = r#"{"resourceType":"Encounter","id":"e2","class":{"code":"VR"},"subject":{"reference":"urn:uuid:p1"},"period":{"start":"2024-01-03"}}"#;
    let orphan = r#"{"resourceType":"Claim","id":"cl9","item":[{"sequence":1,"net":{"value":5}}]}"#;
    let read = read_bundle(&bundle(&[PATIENT, e1, e2, orphan])).unwrap();
    assert_eq!(read.encounters.len(), 2);
    assert_eq!(read.encounters[1].place_of_service, "02");
    assert_eq!(read.findings.len(), 1);
    assert_eq!(read.findings[0].rule_id, rules::UNLINKED);
    assert!(read.findings[0].message.contains("Claim/cl9"));

    // With a single Encounter, a Claim without encounter references belongs to it.
    let read = read_bundle(&bundle(&[PATIENT, e1, orphan])).unwrap();
    assert!(read.findings.is_empty());
    assert_eq!(read.encounters[0].lines[0].charge_cents, 500);
}

#[test]
fn odd_inputs_never_panic() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let inputs: Vec<Vec<u8>> = vec![
        b"null".to_vec(),
        b"0".to_vec(),
        b"\"Bundle\"".to_vec(),
        deep.into_bytes(),
        br#"{"resourceType":"Bundle","entry":null}"#.to_vec(),
        br#"{"resourceType":"Bundle","entry":[null,1,[],{"resource":null},{"resource":[]},{"resource":{"resourceType":null}}]}"#.to_vec(),
        bundle(&[PATIENT, r#"{"resourceType":"Encounter"}"#]),
        bundle(&[PATIENT, r##"{"resourceType":"Encounter","id":"e","period":{"start":"2024-02"},"subject":{"reference":""},
            "participant":[{"individual":{}}],"serviceProvider":{"reference":"#x"},"diagnosis":[{"condition":{"reference":"?"}}]}"##]),
        bundle(&[PATIENT, r#"{"resourceType":"Encounter","id":"e","period":{"start":"2024-02-30Tx"}}"#,
            r#"{"resourceType":"Claim","id":"c","item":[{"encounter":[{"reference":"urn:uuid:e"}],"net":{"value":1e400},
              "quantity":{"value":-3},"unitPrice":{"value":"x"}},{"unitPrice":{"value":79228162514264337593543950335},
              "quantity":{"value":79228162514264337593543950335},"factor":1e10}],"total":{"value":"NaN","currency":"€€"}}"#]),
        bundle(&[r#"{"resourceType":"Patient","id":"p1","name":[{"given":[null,"A"],"family":null}],"address":null}"#,
            r#"{"resourceType":"Encounter","id":"e","subject":{"identifier":{"value":"x"}},"class":{"code":"€"}}"#]),
    ];
    for input in inputs {
        let _ = read_bundle(&input);
    }
}

#[test]
fn unusable_numbers_and_dates_are_findings() {
    let encounter =
        r#"{"resourceType":"Encounter","id":"e","class":{"code":"AMB"},"period":{"start":"2024-02-30T10:00:00Z"}}"#;
    let claim = r#"{"resourceType":"Claim","id":"c","total":{"value":"NaN"},"item":[
        {"encounter":[{"reference":"urn:uuid:e"}],"net":{"value":1e400},"quantity":{"value":-3}},
        {"unitPrice":{"value":79228162514264337593543950335,"currency":"EUR"}},
        {"unitPrice":{"value":"2.50"},"quantity":{"value":3},"factor":0.5}]}"#;
    let read = read_bundle(&bundle(&[PATIENT, encounter, claim])).unwrap();
    let e = &read.encounters[0];
    assert!(e.service_date.is_empty());
    assert!(has_finding(e, rules::SERVICE_DATE_MISSING, "service_date"));
    assert!(has_finding(e, rules::MONEY_INVALID, "lines[0].charge_cents"));
    assert!(has_finding(e, rules::QUANTITY_INVALID, "lines[0].units"));
    assert!(has_finding(e, rules::MONEY_INVALID, "lines[1].charge_cents"));
    assert!(has_finding(e, rules::CURRENCY_NOT_USD, "lines[1].charge_cents"));
    assert!(has_finding(e, rules::MONEY_INVALID, "lines"), "the unusable Claim.total");
    let charges: Vec<i64> = e.lines.iter().map(|l| l.charge_cents).collect();
    assert_eq!(charges, [0, 0, 375], "2.50 × 3 × 0.5");
    assert_eq!(e.lines[0].units, "1");
    assert_eq!(e.lines[2].units, "3");
}
