//! Procedure modifiers: HCPCS Level II modifiers with their CMS descriptions, and the CPT
//! (Level I) modifier codes without descriptions (those are AMA-copyrighted).
//!
//! The anesthesia physical-status modifiers P1–P6 are in both lists; CMS publishes them with
//! descriptions in the Level II file, so they are answered as Level II with a description.

use std::sync::OnceLock;

/// Which list a modifier comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModifierLevel {
    /// CPT (Level I): code only, the description is licensed.
    Cpt,
    /// HCPCS Level II.
    Hcpcs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modifier<'a> {
    pub code: &'a str,
    pub level: ModifierLevel,
    /// `None` for CPT modifiers.
    pub description: Option<&'a str>,
}

/// A modifier by its two characters (any case, spaces around), or `None` if in neither list.
pub fn modifier(code: &str) -> Option<Modifier<'static>> {
    let code = code.trim();
    let table = table();
    table.binary_search_by(|m| cmp_ignore_case(m.code, code)).ok().map(|i| table[i])
}

fn cmp_ignore_case(known: &str, asked: &str) -> std::cmp::Ordering {
    known.bytes().cmp(asked.bytes().map(|b| b.to_ascii_uppercase()))
}

/// All modifiers, sorted by code; the entries borrow the text compiled into the crate.
fn table() -> &'static [Modifier<'static>] {
    static TABLE: OnceLock<Vec<Modifier<'static>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        build(include_str!("../data/modifiers_level2.tsv"), include_str!("../data/modifiers_cpt_codes_only.tsv"))
    })
}

fn build(level2: &'static str, cpt: &'static str) -> Vec<Modifier<'static>> {
    let mut table: Vec<Modifier<'static>> = Vec::new();
    let rows = crate::tsv_rows("modifiers_level2.tsv", level2, "modifier\tcategory\tdescription")
        .expect("shipped Level II modifier file has its header");
    for (line, fields) in rows {
        let [code, _category, description] = fields[..] else {
            panic!("modifiers_level2.tsv line {line}: expected 3 fields");
        };
        // KX is listed twice (two categories, one description): the first row stands.
        if !table.iter().any(|m| m.code == code) {
            table.push(Modifier { code, level: ModifierLevel::Hcpcs, description: Some(description) });
        }
    }
    let rows = crate::tsv_rows("modifiers_cpt_codes_only.tsv", cpt, "modifier")
        .expect("shipped CPT modifier file has its header");
    for (_, fields) in rows {
        let code = fields[0];
        if !table.iter().any(|m| m.code == code) {
            table.push(Modifier { code, level: ModifierLevel::Cpt, description: None });
        }
    }
    for m in &table {
        assert!(
            m.code.len() == 2 && m.code.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
            "shipped modifier `{}` is not two digits or capital letters",
            m.code
        );
    }
    table.sort_by(|a, b| a.code.cmp(b.code));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_modifiers() {
        let m59 = modifier("59").unwrap();
        assert_eq!((m59.level, m59.description), (ModifierLevel::Cpt, None));
        let xs = modifier(" xs ").unwrap();
        assert_eq!(xs.code, "XS");
        assert_eq!(xs.level, ModifierLevel::Hcpcs);
        assert!(xs.description.unwrap().starts_with("Separate structure"));
        let ga = modifier("GA").unwrap();
        assert_eq!(
            ga.description,
            Some("Waiver of liability statement issued as required by payer policy, individual case")
        );
        let p1 = modifier("P1").unwrap();
        assert_eq!((p1.level, p1.description), (ModifierLevel::Hcpcs, Some("A normal healthy patient")));
        assert_eq!(modifier("KX").unwrap().level, ModifierLevel::Hcpcs);
        for unknown in ["ZZ", "", "5", "591", "X"] {
            assert_eq!(modifier(unknown), None, "{unknown:?}");
        }
        let table = table();
        // 384 Level II rows with KX twice, plus the 43 CPT codes not also in Level II.
        assert_eq!(table.iter().filter(|m| m.level == ModifierLevel::Hcpcs).count(), 383);
        assert_eq!(table.iter().filter(|m| m.level == ModifierLevel::Cpt).count(), 43);
    }
}
