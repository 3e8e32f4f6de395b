//! Decimals read from their JSON text, and the rounding rule for money.
//!
//! FHIR decimals are JSON numbers. Exports written from floating point carry noise such as `786.3299999999999`;
//! reading them through `f64` would add more. Intake reads the number's text as a [`Decimal`] (up to 28
//! significant digits; longer fractions are rounded to fit) and converts money to cents by one rule:
//!
//! **Round to whole cents, half away from zero** (`786.3299999999999` → 78633, `0.005` → 1, `-1.005` → -101,
//! `2.345` → 235, `-0.004` → 0). This is the commercial rounding used on claim forms; it is symmetric, so a
//! reversal rounds to the negation of the original charge.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// The cents of an amount, rounded half away from zero; `None` when it does not fit in an `i64`.
pub fn decimal_to_cents(amount: Decimal) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    let cents = amount.checked_mul(Decimal::ONE_HUNDRED)?;
    cents.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).to_i64()
}

/// Reads a decimal from text in JSON number syntax (`-12.50`, `1e3`, `0.1E-2`); `None` for anything else or a
/// value out of [`Decimal`]'s range.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    if !is_json_number(text) {
        return None;
    }
    if text.bytes().any(|b| b == b'e' || b == b'E') {
        // Decimal::from_scientific wants a mantissa it can hold; very long mantissas are rounded first.
        let split = text.find(['e', 'E'])?;
        let (mantissa, exponent) = (&text[..split], &text[split + 1..]);
        let mantissa = Decimal::from_str(mantissa).ok()?;
        let exponent: i32 = exponent.parse().ok()?;
        if exponent.unsigned_abs() > 56 {
            // Beyond what 28 digits of precision can express either way.
            return if mantissa.is_zero() || exponent < 0 { Some(Decimal::ZERO) } else { None };
        }
        let mut value = mantissa;
        let ten = Decimal::TEN;
        if exponent >= 0 {
            for _ in 0..exponent {
                value = value.checked_mul(ten)?;
            }
        } else {
            for _ in 0..exponent.unsigned_abs() {
                value = value.checked_div(ten)?;
            }
        }
        return Some(value);
    }
    Decimal::from_str(text).ok()
}

/// Reads a decimal from the raw JSON text of a value: a number, or a string holding one (some exporters quote
/// decimals to keep their precision).
pub(crate) fn parse_json_decimal(raw: &str) -> Option<Decimal> {
    let raw = raw.trim();
    if raw.starts_with('"') {
        let text: String = serde_json::from_str(raw).ok()?;
        parse_decimal(text.trim())
    } else {
        parse_decimal(raw)
    }
}

/// The JSON number grammar: `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// An amount of cents as dollars for messages: `-1.05`, `786.33`.
pub(crate) fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(text: &str) -> Option<i64> {
        parse_decimal(text).and_then(decimal_to_cents)
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(cents("786.3299999999999"), Some(78633));
        assert_eq!(cents("1486.3899999999999"), Some(148639));
        assert_eq!(cents("0.005"), Some(1));
        assert_eq!(cents("-1.005"), Some(-101));
        assert_eq!(cents("2.345"), Some(235));
        assert_eq!(cents("2.344999"), Some(234));
        assert_eq!(cents("-0.004"), Some(0));
        assert_eq!(cents("0"), Some(0));
        assert_eq!(cents("140.52"), Some(14052));
        assert_eq!(cents("1433.78"), Some(143378));
    }

    #[test]
    fn reads_exponents_and_long_fractions() {
        assert_eq!(cents("1e2"), Some(10000));
        assert_eq!(cents("1.5E-2"), Some(2));
        assert_eq!(cents("-2.5e-3"), Some(0));
        assert_eq!(cents("12345678e-4"), Some(123457));
        assert_eq!(cents("1e-400"), Some(0));
        // More digits than a Decimal holds: rounded to fit, then to cents.
        assert_eq!(cents("0.1000000000000000055511151231257827021181583404541015625"), Some(10));
    }

    #[test]
    fn rejects_what_is_not_a_json_number() {
        for text in ["", "-", "1.", ".5", "01", "1e", "1e+", "+1", "1_000", "NaN", "Infinity", "1,5", " 1", "0x10"] {
            assert_eq!(parse_decimal(text), None, "{text:?}");
        }
    }

    #[test]
    fn out_of_range_is_none_not_a_panic() {
        assert_eq!(cents("1e400"), None);
        assert_eq!(cents("79228162514264337593543950335"), None); // fits a Decimal, not i64 cents
        assert_eq!(cents("99999999999999999999999999999999"), None);
        assert_eq!(cents("92233720368547758.07"), Some(i64::MAX));
        assert_eq!(cents("92233720368547758.08"), None);
    }

    #[test]
    fn quoted_decimals_are_read() {
        assert_eq!(parse_json_decimal("\"12.50\"").and_then(decimal_to_cents), Some(1250));
        assert_eq!(parse_json_decimal("\"abc\""), None);
        assert_eq!(parse_json_decimal("true"), None);
        assert_eq!(parse_json_decimal("{\"a\":1}"), None);
    }

    #[test]
    fn formats_cents() {
        assert_eq!(format_cents(78633), "786.33");
        assert_eq!(format_cents(-101), "-1.01");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(i64::MIN), "-92233720368547758.08");
    }
}
