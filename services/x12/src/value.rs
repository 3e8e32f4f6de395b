//! Element values: X12 decimals as integer cents, dates, times and control numbers.

use chrono::{Datelike, NaiveDate, NaiveTime};
use rust_decimal::Decimal;

/// Parses an X12 decimal (`R` type: `12`, `12.5`, `-0.05`, `.5`) as integer cents.
/// More than two decimal places are accepted only when the extra digits are zeros.
pub fn parse_cents(v: &str) -> Result<i64, &'static str> {
    let b = v.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return Err("is not a decimal amount");
    }
    let mut whole: i64 = 0;
    let mut i = 0;
    let mut any = false;
    while i < digits.len() && digits[i].is_ascii_digit() {
        whole = whole
            .checked_mul(10)
            .and_then(|w| w.checked_add((digits[i] - b'0') as i64))
            .ok_or("is too large an amount")?;
        i += 1;
        any = true;
    }
    let mut frac: i64 = 0;
    if i < digits.len() {
        if digits[i] != b'.' {
            return Err("is not a decimal amount");
        }
        i += 1;
        let mut places = 0;
        while i < digits.len() {
            let d = digits[i];
            if !d.is_ascii_digit() {
                return Err("is not a decimal amount");
            }
            if places < 2 {
                frac = frac * 10 + (d - b'0') as i64;
            } else if d != b'0' {
                return Err("has more than two decimal places, which cents cannot hold");
            }
            places += 1;
            i += 1;
            any = true;
        }
        if places == 1 {
            frac *= 10;
        }
    }
    if !any {
        return Err("is not a decimal amount");
    }
    let cents = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or("is too large an amount")?;
    Ok(if neg { -cents } else { cents })
}

/// Writes cents as the shortest X12 decimal: `12550` as `125.5`, `10000` as `100`.
pub fn write_cents(out: &mut String, cents: i64) {
    let buf = itoa_buf(cents.unsigned_abs() / 100);
    if cents < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&buf.0[buf.1..]).expect("digits"));
    let frac = (cents.unsigned_abs() % 100) as u8;
    if frac != 0 {
        out.push('.');
        out.push((b'0' + frac / 10) as char);
        if !frac.is_multiple_of(10) {
            out.push((b'0' + frac % 10) as char);
        }
    }
}

/// Formats cents as a decimal string for display and JSON (`125.50`).
pub fn cents_to_string(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

fn itoa_buf(mut n: u64) -> ([u8; 20], usize) {
    let mut buf = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    (buf, i)
}

/// Parses a decimal quantity (units, percentages).
pub fn parse_decimal(v: &str) -> Result<Decimal, &'static str> {
    v.parse::<Decimal>().map_err(|_| "is not a decimal number")
}

fn digits<const N: usize>(v: &[u8]) -> Option<u32> {
    if v.len() != N {
        return None;
    }
    let mut n = 0u32;
    for &b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (b - b'0') as u32;
    }
    Some(n)
}

/// Parses a CCYYMMDD date.
pub fn parse_date(v: &str) -> Result<NaiveDate, &'static str> {
    let b = v.as_bytes();
    if b.len() != 8 {
        return Err("is not a CCYYMMDD date");
    }
    let (y, m, d) = (digits::<4>(&b[..4]), digits::<2>(&b[4..6]), digits::<2>(&b[6..]));
    match (y, m, d) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d).ok_or("is not a real calendar date"),
        _ => Err("is not a CCYYMMDD date"),
    }
}

/// Parses the ISA's YYMMDD date (years 00-99 as 2000-2099).
pub fn parse_date6(v: &str) -> Result<NaiveDate, &'static str> {
    let b = v.as_bytes();
    match (b.len() == 6).then(|| (digits::<2>(&b[..2]), digits::<2>(&b[2..4]), digits::<2>(&b[4..]))) {
        Some((Some(y), Some(m), Some(d))) => {
            NaiveDate::from_ymd_opt(2000 + y as i32, m, d).ok_or("is not a real calendar date")
        }
        _ => Err("is not a YYMMDD date"),
    }
}

/// Parses HHMM, HHMMSS or HHMMSSD.. times (fractions of seconds are dropped).
pub fn parse_time(v: &str) -> Result<NaiveTime, &'static str> {
    let b = v.as_bytes();
    if b.len() < 4 || b.len() > 8 || b.len() == 5 {
        return Err("is not an HHMM or HHMMSS time");
    }
    let h = digits::<2>(&b[..2]).ok_or("is not an HHMM time")?;
    let m = digits::<2>(&b[2..4]).ok_or("is not an HHMM time")?;
    let s = if b.len() >= 6 { digits::<2>(&b[4..6]).ok_or("is not an HHMMSS time")? } else { 0 };
    if b.len() > 6 && !b[6..].iter().all(u8::is_ascii_digit) {
        return Err("is not an HHMMSSDD time");
    }
    NaiveTime::from_hms_opt(h, m, s).ok_or("is not a real time of day")
}

/// Parses a numeric control number of at most `max_digits` digits.
pub fn parse_control(v: &str, max_digits: usize) -> Result<u32, &'static str> {
    if v.is_empty() || v.len() > max_digits || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a numeric control number");
    }
    v.parse::<u32>().map_err(|_| "is not a numeric control number")
}

/// Writes CCYYMMDD.
pub fn write_date(out: &mut String, d: NaiveDate) {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        out.push_str("00000000");
        return;
    }
    let (y, m, dd) = (y as u32, d.month(), d.day());
    for n in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10, m / 10, m % 10, dd / 10, dd % 10] {
        out.push((b'0' + n as u8) as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_exact_cents() {
        assert_eq!(parse_cents("125.5"), Ok(12550));
        assert_eq!(parse_cents("-0.05"), Ok(-5));
        assert_eq!(parse_cents(".5"), Ok(50));
        assert_eq!(parse_cents("100"), Ok(10000));
        assert_eq!(parse_cents("100.000"), Ok(10000));
        assert!(parse_cents("1.005").is_err());
        assert!(parse_cents("").is_err());
        assert!(parse_cents("-").is_err());
        assert!(parse_cents("1e5").is_err());
        assert!(parse_cents("99999999999999999999").is_err());
    }

    #[test]
    fn amounts_write_in_shortest_form_and_read_back() {
        for c in [0i64, 1, 10, 99, 100, 12550, 12555, -305, i64::MAX / 1000] {
            let mut s = String::new();
            write_cents(&mut s, c);
            assert_eq!(parse_cents(&s), Ok(c), "{s}");
        }
        let mut s = String::new();
        write_cents(&mut s, 12550);
        assert_eq!(s, "125.5");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_date("20240229").unwrap(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert!(parse_date("20230229").is_err());
        assert!(parse_date("2024022").is_err());
        assert_eq!(parse_time("1230").unwrap(), NaiveTime::from_hms_opt(12, 30, 0).unwrap());
        assert_eq!(parse_time("051225").unwrap(), NaiveTime::from_hms_opt(5, 12, 25).unwrap());
        assert!(parse_time("2561").is_err());
        let mut s = String::new();
        write_date(&mut s, NaiveDate::from_ymd_opt(2024, 1, 5).unwrap());
        assert_eq!(s, "20240105");
    }
}
