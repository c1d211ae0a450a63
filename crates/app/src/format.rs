//! Small presentation helpers for pages: dates and device names.

/// `2026-11-29 10:04 UTC` for a Unix timestamp.
pub fn utc_minute(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// The time zone named `name` (IANA, e.g. `Europe/Berlin`), if it exists.
pub fn time_zone(name: &str) -> Option<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name).ok()
}

/// `2026-12-05T14:03:00+01:00`: a timestamp in the zone named `zone` (UTC
/// when unknown), as exports write it.
pub fn local_iso(unix: i64, zone: &str) -> String {
    let zone = time_zone(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_second(unix)
        .map(|t| {
            t.to_zoned(zone)
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

/// The first second of `day` (`YYYY-MM-DD`) in the zone named `zone`, or of
/// the day after it when `next` (an end bound, exclusive).
pub fn day_start(day: &str, zone: &str, next: bool) -> Option<i64> {
    let zone = time_zone(zone)?;
    let date: jiff::civil::Date = day.parse().ok()?;
    let date = if next { date.tomorrow().ok()? } else { date };
    Some(date.to_zoned(zone).ok()?.timestamp().as_second())
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The non-empty lines of a text field, trimmed (domains, paths, questions).
pub fn lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// "Firefox on Linux" from a `User-Agent` header.
pub fn device(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Chrome (headless)"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map_or("Unknown browser", |(_, name)| name);
    let os = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("CrOS", "ChromeOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map(|(_, name)| name);
    match os {
        Some(os) => format!("{browser} on {os}"),
        None => browser.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times_in_the_owner_zone() {
        // 2026-12-05 00:00 in Berlin is 23:00 UTC the day before.
        assert_eq!(
            day_start("2026-12-05", "Europe/Berlin", false),
            Some(1_796_425_200)
        );
        assert_eq!(day_start("2026-12-05", "UTC", true), Some(1_796_515_200));
        assert_eq!(day_start("2026-13-05", "UTC", false), None);
        assert_eq!(day_start("2026-12-05", "Mars/Olympus", false), None);
        assert_eq!(
            local_iso(1_796_425_200, "Europe/Berlin"),
            "2026-12-05T00:00:00+01:00"
        );
        assert_eq!(
            local_iso(1_796_425_200, "nowhere"),
            "2026-12-04T23:00:00+00:00"
        );
    }

    #[test]
    fn formats_timestamps_in_utc() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_minute(1_795_863_840), "2026-11-28 11:04 UTC");
    }

    #[test]
    fn names_common_devices() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let chrome_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device(firefox), "Firefox on Linux");
        assert_eq!(device(chrome_mac), "Chrome on macOS");
        assert_eq!(device(iphone), "Safari on iOS");
        assert_eq!(device(""), "Unknown browser");
    }
}
