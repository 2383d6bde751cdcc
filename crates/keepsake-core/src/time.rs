//! Time as Keepsake stores it: integer milliseconds since the Unix epoch, UTC.
//!
//! One representation in both database engines keeps the SQL identical and the
//! ordering exact. `localDateTime` (Immich's wall-clock time written as if it
//! were UTC) uses the same type; the civil-date arithmetic here is what the
//! storage template and the timeline's month buckets need.

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// A calendar date and time of day, without a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The UTC calendar fields of this instant.
    pub fn civil(self) -> Civil {
        let days = self.0.div_euclid(86_400_000);
        let ms_of_day = self.0.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (ms_of_day / 3_600_000) as u32,
            minute: (ms_of_day / 60_000 % 60) as u32,
            second: (ms_of_day / 1000 % 60) as u32,
            millis: (ms_of_day % 1000) as u32,
        }
    }

    pub fn from_civil(c: Civil) -> Timestamp {
        let days = days_from_civil(c.year, c.month, c.day);
        Timestamp(
            days * 86_400_000
                + c.hour as i64 * 3_600_000
                + c.minute as i64 * 60_000
                + c.second as i64 * 1000
                + c.millis as i64,
        )
    }

    /// The first instant of this timestamp's UTC month: the timeline bucket key.
    pub fn month_start(self) -> Timestamp {
        let c = self.civil();
        Timestamp::from_civil(Civil {
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            millis: 0,
            ..c
        })
    }

    /// The first instant of the month after this one.
    pub fn next_month_start(self) -> Timestamp {
        let c = self.civil();
        let (year, month) = if c.month == 12 {
            (c.year + 1, 1)
        } else {
            (c.year, c.month + 1)
        };
        Timestamp::from_civil(Civil {
            year,
            month,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            millis: 0,
        })
    }

    /// ISO 8601 in UTC with milliseconds, as Immich's JSON dates look: `2019-07-12T18:15:12.000Z`.
    pub fn to_iso(self) -> String {
        let c = self.civil();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
        )
    }

    /// Parses ISO 8601 / RFC 3339 date-times as clients send them: `Z` or `±hh:mm`
    /// offsets, optional fractions, or no offset at all (read as UTC), or a bare date.
    pub fn parse_iso(text: &str) -> Option<Timestamp> {
        Timestamp::parse_iso_with_offset(text).map(|(t, _)| t)
    }

    /// Like [`Timestamp::parse_iso`], also returning the offset east of UTC in
    /// minutes when the text carried one (`Z` counts as 0).
    pub fn parse_iso_with_offset(text: &str) -> Option<(Timestamp, Option<i32>)> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let s = text.get(range)?;
            if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year = num(0..4)?;
        let month = num(5..7)? as u32;
        let day = num(8..10)? as u32;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let mut civil = Civil {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            millis: 0,
        };
        let mut rest = &text[10..];
        if rest.is_empty() {
            return Some((Timestamp::from_civil(civil), None));
        }
        if !(rest.starts_with('T') || rest.starts_with(' ') || rest.starts_with('t'))
            || rest.len() < 6
        {
            return None;
        }
        let time = &rest[1..];
        let tnum = |r: std::ops::Range<usize>| -> Option<u32> {
            let s = time.get(r)?;
            if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        civil.hour = tnum(0..2)?;
        if time.as_bytes().get(2) != Some(&b':') {
            return None;
        }
        civil.minute = tnum(3..5)?;
        rest = &time[5..];
        if let Some(after) = rest.strip_prefix(':') {
            civil.second = after.get(0..2).and_then(|s| s.parse().ok())?;
            rest = &after[2..];
            if let Some(frac) = rest.strip_prefix('.').or_else(|| rest.strip_prefix(',')) {
                let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).collect();
                if digits.is_empty() {
                    return None;
                }
                let padded = format!("{:0<3}", &digits[..digits.len().min(3)]);
                civil.millis = padded.parse().ok()?;
                rest = &frac[digits.len()..];
            }
        }
        if civil.hour > 23 || civil.minute > 59 || civil.second > 60 {
            return None;
        }
        let base = Timestamp::from_civil(civil).0;
        let offset_ms = match rest {
            "" => return Some((Timestamp(base), None)),
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let body = rest[1..].replace(':', "");
                if body.len() != 4 || !body.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let hours: i64 = body[0..2].parse().ok()?;
                let minutes: i64 = body[2..4].parse().ok()?;
                sign * (hours * 3_600_000 + minutes * 60_000)
            }
        };
        Some((
            Timestamp(base - offset_ms),
            Some((offset_ms / 60_000) as i32),
        ))
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact over the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips_and_offsets_are_applied() {
        let t = Timestamp::parse_iso("2026-11-23T06:15:32.226Z").unwrap();
        assert_eq!(t.to_iso(), "2026-11-23T06:15:32.226Z");
        assert_eq!(t.0, 1_795_414_532_226);
        let shifted = Timestamp::parse_iso("2019-07-12T18:15:12+02:00").unwrap();
        assert_eq!(shifted.to_iso(), "2019-07-12T16:15:12.000Z");
        assert_eq!(
            Timestamp::parse_iso_with_offset("2019-07-12T18:15:12-05:30")
                .unwrap()
                .1,
            Some(-330)
        );
        assert_eq!(
            Timestamp::parse_iso_with_offset("2019-07-12T18:15:12")
                .unwrap()
                .1,
            None
        );
        assert_eq!(
            Timestamp::parse_iso("2019-07-12").unwrap().to_iso(),
            "2019-07-12T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::parse_iso("1969-12-31T23:59:59.5Z").unwrap().0,
            -500
        );
        for bad in [
            "",
            "2019-13-01",
            "2019-02-30T00:00:00Z",
            "yesterday",
            "2019-07-12T25:00:00Z",
            "2019-07-12T10:00:00+5",
        ] {
            assert_eq!(Timestamp::parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn month_boundaries() {
        let t = Timestamp::parse_iso("2020-02-29T23:59:59.999Z").unwrap();
        assert_eq!(t.month_start().to_iso(), "2020-02-01T00:00:00.000Z");
        assert_eq!(t.next_month_start().to_iso(), "2020-03-01T00:00:00.000Z");
        let dec = Timestamp::parse_iso("1999-12-05T00:00:00Z").unwrap();
        assert_eq!(dec.next_month_start().to_iso(), "2000-01-01T00:00:00.000Z");
    }
}
