//! National Provider Identifier checks.
//!
//! An NPI is ten digits; the tenth is a Luhn check digit computed over the card-issuer prefix `80840` followed by
//! the first nine digits (CMS, "Requirements for the NPI check digit").

/// What is wrong with an NPI, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpiProblem {
    /// Not ten ASCII digits.
    Format,
    /// Ten digits whose last is not the Luhn check digit of `80840` + the first nine.
    CheckDigit,
}

/// Checks an NPI: `Ok(())` for ten digits with a correct check digit.
pub fn check_npi(npi: &str) -> Result<(), NpiProblem> {
    match rcm_codesets::npi::npi_problem(npi) {
        None => Ok(()),
        Some(rcm_codesets::npi::NpiProblem::Form) => Err(NpiProblem::Format),
        Some(rcm_codesets::npi::NpiProblem::CheckDigit) => Err(NpiProblem::CheckDigit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_npis() {
        // The CMS worked example, and NPIs from the published NPPES examples.
        assert_eq!(check_npi("1234567893"), Ok(()));
        assert_eq!(check_npi("1245319599"), Ok(()));
        assert_eq!(check_npi("1003000126"), Ok(()));
    }

    #[test]
    fn rejects_wrong_check_digits() {
        assert_eq!(check_npi("1234567890"), Err(NpiProblem::CheckDigit));
        assert_eq!(check_npi("1234567894"), Err(NpiProblem::CheckDigit));
        // Synthea's synthetic 99999… NPIs mostly fail the check.
        assert_eq!(check_npi("9999911899"), Err(NpiProblem::CheckDigit));
    }

    #[test]
    fn every_nine_digit_stem_has_exactly_one_check_digit() {
        for stem in ["123456789", "999991189", "000000000", "999999999", "100300012"] {
            let valid = (0..10).filter(|d| check_npi(&format!("{stem}{d}")).is_ok()).count();
            assert_eq!(valid, 1, "{stem}");
        }
    }

    #[test]
    fn rejects_bad_formats() {
        for npi in ["", "123456789", "12345678901", "123456789X", "12345 6789", "１２３４５６７８９３"] {
            assert_eq!(check_npi(npi), Err(NpiProblem::Format), "{npi:?}");
        }
    }
}
