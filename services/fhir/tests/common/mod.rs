//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rcm_fhir::{BundleEncounters, Encounter, Finding};
use serde_json::Value;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The ids of the Encounter resources of a bundle, in order (read independently of the crate, with Value).
pub fn encounter_ids(json: &[u8]) -> Vec<String> {
    let bundle: Value = serde_json::from_slice(json).expect("fixture is JSON");
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["resource"]["resourceType"] == "Encounter")
        .map(|e| e["resource"]["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Strings that would be PHI in a message: the patients' family and given names, birth dates, and street lines.
pub fn phi_strings(json: &[u8]) -> Vec<String> {
    let bundle: Value = serde_json::from_slice(json).expect("fixture is JSON");
    let mut out = Vec::new();
    let mut patients: Vec<&Value> = bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Patient")
        .collect();
    if bundle["resourceType"] != "Bundle" {
        patients
            .extend(bundle["contained"].as_array().into_iter().flatten().filter(|r| r["resourceType"] == "Patient"));
    }
    for p in patients {
        for name in p["name"].as_array().into_iter().flatten() {
            out.extend(name["family"].as_str().map(str::to_owned));
            out.extend(name["given"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned));
        }
        out.extend(p["birthDate"].as_str().map(str::to_owned));
        for a in p["address"].as_array().into_iter().flatten() {
            out.extend(a["line"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned));
        }
    }
    out.retain(|s| s.len() >= 3);
    out
}

pub fn all_findings(read: &BundleEncounters) -> impl Iterator<Item = &Finding> {
    read.findings.iter().chain(read.encounters.iter().flat_map(|e| &e.findings))
}

pub fn assert_no_phi_in_findings(read: &BundleEncounters, phi: &[String]) {
    for f in all_findings(read) {
        for s in phi {
            assert!(!f.message.contains(s.as_str()), "finding {} quotes PHI: {}", f.rule_id, f.message);
            assert!(!f.field.contains(s.as_str()), "finding {} field quotes PHI", f.rule_id);
        }
    }
}

pub fn has_finding(e: &Encounter, rule_id: &str, field: &str) -> bool {
    e.findings.iter().any(|f| f.rule_id == rule_id && f.field == field)
}

pub fn encounter<'a>(read: &'a BundleEncounters, id: &str) -> &'a Encounter {
    read.encounters.iter().find(|e| e.encounter_id == id).unwrap_or_else(|| panic!("no encounter {id}"))
}
