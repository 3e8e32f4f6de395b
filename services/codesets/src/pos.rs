//! CMS place-of-service codes (two digits, 837P `CLM05-1`). Codes CMS lists as "Unassigned"
//! are not valid on a claim and are not answered.
//!
//! `facility` is the Physician Fee Schedule's facility / non-facility split (the facility rate
//! applies, e.g. 21 inpatient hospital, 02 telehealth outside the home; 11 office is
//! non-facility), as carried by the source table.

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaceOfService<'a> {
    pub code: &'a str,
    pub name: &'a str,
    /// Paid at the PFS facility rate.
    pub facility: bool,
}

/// An assigned place-of-service code: exactly two digits (spaces around allowed).
pub fn place_of_service(code: &str) -> Option<PlaceOfService<'static>> {
    let code = code.trim().as_bytes();
    if code.len() != 2 || !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    table()[usize::from((code[0] - b'0') * 10 + (code[1] - b'0'))]
}

/// Indexed by the code's number; the entries borrow the text compiled into the crate.
fn table() -> &'static [Option<PlaceOfService<'static>>; 100] {
    static TABLE: OnceLock<[Option<PlaceOfService<'static>>; 100]> = OnceLock::new();
    TABLE.get_or_init(|| build(include_str!("../data/place_of_service.tsv")))
}

fn build(tsv: &'static str) -> [Option<PlaceOfService<'static>>; 100] {
    let mut table = [None; 100];
    let rows = crate::tsv_rows("place_of_service.tsv", tsv, "pos_code\tfacility_type\tname\tdescription")
        .expect("shipped place-of-service file has its header");
    for (line, fields) in rows {
        let [code, facility_type, name, _description] = fields[..] else {
            panic!("place_of_service.tsv line {line}: expected 4 fields");
        };
        let number: usize = code.parse().unwrap_or_else(|_| panic!("place_of_service.tsv line {line}: code"));
        assert!(code.len() == 2 && number < 100, "place_of_service.tsv line {line}: two digits");
        let facility = match facility_type {
            "Unassigned" => continue,
            "Facility" => true,
            "Non-Facility" => false,
            other => panic!("place_of_service.tsv line {line}: facility type `{other}`"),
        };
        table[number] = Some(PlaceOfService { code, name, facility });
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigned_codes_only() {
        let office = place_of_service("11").unwrap();
        assert_eq!((office.code, office.name, office.facility), ("11", "Office", false));
        assert!(place_of_service(" 21 ").unwrap().facility);
        assert_eq!(place_of_service("99").unwrap().name, "Other Place of Service");
        for refused in ["28", "30", "98", "1", "011", "1a", "", "AB"] {
            assert_eq!(place_of_service(refused), None, "{refused:?}");
        }
        assert_eq!(table().iter().flatten().count(), 52);
    }
}
