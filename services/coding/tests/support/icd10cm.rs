//! The ICD-10-CM code set for the suggester's tests, evaluation and benchmark: read in this one
//! place so that it can move to `rcm_codesets::icd10cm::Icd10Cm::shipped()` in one change.

use std::io::Read;

/// `(code, description, billable)` for every FY2026 ICD-10-CM code, from the gzip TSV at
/// `RCM_ICD10CM_CODES` (default `/work/shared/data/icd10cm/codes.tsv.gz`; columns code,
/// code_dotted, billable, kind, parent, description).
pub fn icd10cm_codes() -> Vec<(String, String, bool)> {
    let path = std::env::var("RCM_ICD10CM_CODES").unwrap_or_else(|_| "/work/shared/data/icd10cm/codes.tsv.gz".into());
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).unwrap_or_else(|e| panic!("read {path}: {e}"));
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 6, "{path}: {line}");
            (fields[0].to_string(), fields[5].to_string(), fields[2] == "1")
        })
        .collect()
}
