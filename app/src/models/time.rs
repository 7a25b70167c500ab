//! Showing stored times (Unix milliseconds) the same way on the server and in
//! the browser, so hydration sees identical text.

/// `2026-11-28 17:02 UTC`.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1_000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3_600,
        (of_day % 3_600) / 60
    )
}

/// How long before `now` the time `at` was, coarsely: "just now", "5 minutes
/// ago", "3 hours ago", "12 days ago". For times written only now and then
/// (a key's last use), where a minute means nothing.
pub fn coarse_ago(now: i64, at: i64) -> String {
    let minutes = (now - at).max(0) / 60_000;
    let (n, unit) = match minutes {
        0 => return "just now".to_owned(),
        1..=59 => (minutes, "minute"),
        60..=2_879 => (minutes / 60, "hour"),
        _ => (minutes / 1_440, "day"),
    };
    let plural = if n == 1 { "" } else { "s" };
    format!("{n} {unit}{plural} ago")
}

/// How long something took: `12 ms`, or `under 1 ms` (stored as 0).
pub fn format_latency(ms: i64) -> String {
    if ms < 1 {
        "under 1 ms".to_owned()
    } else {
        format!("{ms} ms")
    }
}

/// `2026-11-28T17:02`: a `datetime-local` input's value, read as UTC.
pub fn format_input_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1_000);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}",
        of_day / 3_600,
        (of_day % 3_600) / 60
    )
}

/// A `datetime-local` input's value (`2026-11-28T17:02`, seconds optional,
/// a space allowed for the `T`) read as UTC, in Unix milliseconds.
pub fn parse_input_utc(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = text.split_once(['T', ' '])?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mut t = time.splitn(3, ':');
    let hour: i64 = t.next()?.parse().ok()?;
    let minute: i64 = t.next()?.parse().ok()?;
    let second: i64 = match t.next() {
        // `17:02:05.250`: the fraction is dropped.
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    let valid = (1970..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..60).contains(&second);
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // 2026-02-31 would land in March: not a date.
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    Some(((days * 86_400) + hour * 3_600 + minute * 60 + second) * 1_000)
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::{coarse_ago, format_input_utc, format_latency, format_utc, parse_input_utc};

    #[test]
    fn input_times_read_as_utc_and_back() {
        // 2026-11-28T17:02:00Z
        assert_eq!(parse_input_utc("2026-11-28T17:02"), Some(1_795_885_320_000));
        assert_eq!(
            parse_input_utc("2026-11-28 17:02:59"),
            Some(1_795_885_379_000)
        );
        assert_eq!(format_input_utc(1_795_885_379_999), "2026-11-28T17:02");
        assert_eq!(parse_input_utc("2000-02-29T00:00"), Some(951_782_400_000));
        assert_eq!(parse_input_utc("1970-01-01T00:00"), Some(0));
        for bad in [
            "",
            "yesterday",
            "2026-02-30T10:00",
            "2026-13-01T10:00",
            "2026-11-28",
            "2026-11-28T24:00",
            "1969-12-31T23:59",
        ] {
            assert_eq!(parse_input_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn latencies_under_a_millisecond_say_so() {
        assert_eq!(format_latency(0), "under 1 ms");
        assert_eq!(format_latency(1), "1 ms");
        assert_eq!(format_latency(1_250), "1250 ms");
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        // 2026-11-28T17:02:59.999Z
        assert_eq!(format_utc(1_795_885_379_999), "2026-11-28 17:02 UTC");
        // A leap day.
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn coarse_times_round_down() {
        let now = 1_795_885_379_999;
        assert_eq!(coarse_ago(now, now), "just now");
        assert_eq!(
            coarse_ago(now, now + 5_000),
            "just now",
            "a clock a little ahead"
        );
        assert_eq!(coarse_ago(now, now - 59_999), "just now");
        assert_eq!(coarse_ago(now, now - 60_000), "1 minute ago");
        assert_eq!(coarse_ago(now, now - 59 * 60_000), "59 minutes ago");
        assert_eq!(coarse_ago(now, now - 61 * 60_000), "1 hour ago");
        assert_eq!(coarse_ago(now, now - 47 * 3_600_000), "47 hours ago");
        assert_eq!(coarse_ago(now, now - 49 * 3_600_000), "2 days ago");
    }
}
