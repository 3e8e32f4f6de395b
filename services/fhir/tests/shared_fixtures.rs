//! Every file of the project's shared FHIR fixture set (`/work/shared/fixtures/fhir`, or the directory named by
//! `RCM_FHIR_FIXTURES`). Skipped, with a note, where that directory does not exist: it is not distributed.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use rcm_fhir::{FhirError, read_bundle};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_shared_fixture_reads() {
    let dir = std::env::var_os("RCM_FHIR_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/fixtures/fhir"));
    if !dir.is_dir() {
        eprintln!("note: {} does not exist; skipping the shared FHIR fixture test", dir.display());
        return;
    }
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no .json files under {}", dir.display());
    let (mut bundles, mut encounters) = (0, 0);
    for path in &files {
        let json = std::fs::read(path).unwrap();
        let top: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let resource_type = top["resourceType"].as_str().unwrap_or_default().to_owned();
        let result = read_bundle(&json);
        if resource_type == "Bundle" {
            let read = result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let ids: Vec<&str> = read.encounters.iter().map(|e| e.encounter_id.as_str()).collect();
            assert_eq!(ids, encounter_ids(&json), "{}", path.display());
            assert!(read.findings.is_empty(), "{}: {:?}", path.display(), read.findings);
            assert_no_phi_in_findings(&read, &phi_strings(&json));
            bundles += 1;
            encounters += read.encounters.len();
        } else {
            // The HL7 spec examples are single resources.
            assert_eq!(result.unwrap_err(), FhirError::NotABundle { resource_type }, "{}", path.display());
        }
    }
    eprintln!("{} files, {bundles} bundles, {encounters} encounters read from {}", files.len(), dir.display());
}
