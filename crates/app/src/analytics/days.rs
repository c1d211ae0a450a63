//! Calendar days as analytics counts them: days since 1970-01-01 at the
//! account's UTC offset, written `YYYY-MM-DD`.

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` (years 2000–2999) to a day number; `None` for anything else,
/// including dates that do not exist (2026-02-30).
pub fn parse(raw: &str) -> Option<i64> {
    let b = raw.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = raw.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(2000..3000).contains(&y) || !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let day = days_from_civil(y, m, d);
    (civil_from_days(day) == (y, m, d)).then_some(day)
}

/// A day number as `YYYY-MM-DD`.
pub fn format(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A day number as `Dec 5`.
pub fn short(day: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_, m, d) = civil_from_days(day);
    let month = usize::try_from(m - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("");
    format!("{month} {d}")
}

/// Today's day number at `offset_minutes` from UTC.
pub fn today(now: i64, offset_minutes: i64) -> i64 {
    (now + offset_minutes * 60).div_euclid(86_400)
}

/// The Unix second a local day starts.
pub fn start(day: i64, offset_minutes: i64) -> i64 {
    day * 86_400 - offset_minutes * 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_impossible_ones_are_refused() {
        assert_eq!(parse("1970-01-01"), None);
        assert_eq!(
            parse("2026-12-05").map(format).as_deref(),
            Some("2026-12-05")
        );
        assert_eq!(
            parse("2024-02-29").map(format).as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(parse("2026-02-29"), None);
        assert_eq!(parse("2026-13-01"), None);
        assert_eq!(parse("2026-1-01"), None);
        assert_eq!(parse("２０２６-01-01"), None);
        assert_eq!(short(parse("2026-12-05").unwrap_or(0)), "Dec 5");
    }
}
