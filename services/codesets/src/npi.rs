//! National Provider Identifier: ten digits, the tenth a Luhn check digit computed over the
//! card-issuer prefix `80840` followed by the first nine (CMS, "Requirements for the NPI check digit").

/// What is wrong with an NPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpiProblem {
    /// Not ten ASCII digits.
    Form,
    /// Ten digits whose last is not the check digit of `80840` and the first nine.
    CheckDigit,
}

/// What is wrong with `npi`, or `None` for a well-formed NPI.
pub fn npi_problem(npi: &str) -> Option<NpiProblem> {
    let b = npi.as_bytes();
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return Some(NpiProblem::Form);
    }
    let check = check_digit(&b[..9]);
    if u32::from(b[9] - b'0') == check { None } else { Some(NpiProblem::CheckDigit) }
}

/// The check digit of a nine-digit NPI base (digits only; anything else counts as 0).
pub fn npi_check_digit(base9: &str) -> u32 {
    check_digit(base9.as_bytes())
}

fn check_digit(base: &[u8]) -> u32 {
    // Luhn over "80840" + the base: from the right, every other digit starting with the rightmost
    // is doubled (9 taken off when above 9); the check digit brings the sum to a multiple of 10.
    let mut sum = 0u32;
    for (i, d) in b"80840".iter().chain(base).rev().enumerate() {
        let mut v = if d.is_ascii_digit() { u32::from(d - b'0') } else { 0 };
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_npis() {
        // The CMS example and other published test NPIs.
        for good in ["1234567893", "1245319599", "1003000126"] {
            assert_eq!(npi_problem(good), None, "{good}");
        }
        for bad in ["1234567890", "1245319598"] {
            assert_eq!(npi_problem(bad), Some(NpiProblem::CheckDigit), "{bad}");
        }
        for bad in ["", "123456789", "12345678931", "12345678a3", " 234567893"] {
            assert_eq!(npi_problem(bad), Some(NpiProblem::Form), "{bad:?}");
        }
        assert_eq!(npi_check_digit("123456789"), 3);
    }
}
