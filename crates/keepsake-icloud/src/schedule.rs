//! Cron schedules for syncs (`--schedule "0 2 * * *"`): the five classic
//! fields (minute, hour, day of month, month, day of week) with `*`, lists,
//! ranges and steps, evaluated in the server's time zone, so "2 a.m." means
//! 2 a.m. where the server is. A day matches as cron has always had it: when
//! both day fields are restricted, either one matching is enough.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, ZonedDateTime};

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    text: String,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    days_restricted: bool,
    weekdays_restricted: bool,
}

impl Schedule {
    /// Parses `min hour dom month dow`; the error says which field is wrong.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "the schedule {text:?} needs five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\" for 2 a.m. daily"
            ));
        }
        let field = |i: usize, name: &str, lo: u32, hi: u32| {
            parse_field(fields[i], lo, hi).map_err(|e| {
                format!(
                    "the schedule {text:?} has a bad {name} field {:?}: {e}",
                    fields[i]
                )
            })
        };
        let minutes = field(0, "minute", 0, 59)?;
        let hours = field(1, "hour", 0, 23)?;
        let days = field(2, "day-of-month", 1, 31)?;
        let months = field(3, "month", 1, 12)?;
        let mut weekdays = field(4, "day-of-week", 0, 7)?;
        // 7 is Sunday too.
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1;
        }
        Ok(Schedule {
            text: text.to_string(),
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            weekdays: (weekdays & 0x7f) as u8,
            days_restricted: fields[2] != "*",
            weekdays_restricted: fields[4] != "*",
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first time strictly after `after` that the schedule names, in `tz`.
    pub fn next_after(&self, after: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let start = after.to_zoned_datetime(tz.clone());
        let mut date = start.date();
        let mut first_day = true;
        // Four years cover every 29 February.
        for _ in 0..(366 * 4 + 1) {
            if self.month_ok(date) && self.day_ok(date) {
                let from = if first_day {
                    Some((start.hour() as u32, start.minute() as u32 + 1))
                } else {
                    None
                };
                if let Some(t) = self.first_time_on(date, from, tz, after) {
                    return Some(t);
                }
            }
            date = date.checked_add(1.day()).ok()?;
            first_day = false;
        }
        None
    }

    fn month_ok(&self, d: Date) -> bool {
        self.months & (1 << d.month()) != 0
    }

    fn day_ok(&self, d: Date) -> bool {
        let dom = self.days & (1 << d.day()) != 0;
        let dow = self.weekdays & (1 << d.weekday().to_sunday_zero_offset()) != 0;
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        }
    }

    fn first_time_on(
        &self,
        date: Date,
        from: Option<(u32, u32)>,
        tz: &TimeZone,
        after: Timestamp,
    ) -> Option<Timestamp> {
        for h in 0..24u32 {
            if self.hours & (1 << h) == 0 {
                continue;
            }
            for m in 0..60u32 {
                if self.minutes & (1 << m) == 0 {
                    continue;
                }
                if let Some((fh, fm)) = from
                    && (h, m) < (fh, fm)
                {
                    continue;
                }
                let local = DateTime::from_parts(date, Time::new(h as i8, m as i8, 0, 0).ok()?);
                // A time the clocks skip (spring forward) runs as far past the
                // gap as it was into it, so the day's run is not lost; a
                // repeated one (fall back) runs once, the first time.
                let Ok(z): Result<ZonedDateTime, _> = local.to_zoned_datetime(tz.clone()) else {
                    continue;
                };
                if z.timestamp() > after {
                    return Some(z.timestamp());
                }
            }
        }
        None
    }
}

fn parse_field(text: &str, lo: u32, hi: u32) -> Result<u64, String> {
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().map_err(|_| format!("{s:?} is not a step"))?;
                if step == 0 {
                    return Err("a step of 0 never fires".into());
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (number(a, lo, hi)?, number(b, lo, hi)?)
        } else {
            let a = number(range, lo, hi)?;
            // "5/15" means from 5 to the end, every 15.
            (a, if step > 1 { hi } else { a })
        };
        if a > b {
            return Err(format!("the range {range:?} runs backwards"));
        }
        let mut v = a;
        while v <= b {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

fn number(text: &str, lo: u32, hi: u32) -> Result<u32, String> {
    let v: u32 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if v < lo || v > hi {
        return Err(format!("{v} is outside {lo}-{hi}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn next(schedule: &str, after: &str, tz: &str) -> String {
        let tz = TimeZone::get(tz).unwrap();
        let t = Schedule::parse(schedule)
            .unwrap()
            .next_after(at(after), &tz)
            .unwrap();
        t.to_zoned_datetime(tz)
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    #[test]
    fn daily_at_two_runs_at_two_local_time() {
        assert_eq!(
            next("0 2 * * *", "2026-12-07T10:00:00Z", "Europe/Paris"),
            "2026-12-08 02:00 CET"
        );
        assert_eq!(
            next("0 2 * * *", "2026-12-07T00:30:00Z", "Europe/Paris"),
            "2026-12-07 02:00 CET"
        );
    }

    #[test]
    fn the_next_run_is_strictly_after_now() {
        assert_eq!(
            next("*/15 * * * *", "2026-12-07T10:15:00Z", "UTC"),
            "2026-12-07 10:30 UTC"
        );
    }

    #[test]
    fn lists_ranges_and_weekdays() {
        // Weekdays at 9 and 17: from a Friday evening, next is Monday 9:00.
        assert_eq!(
            next("0 9,17 * * 1-5", "2026-12-11T18:00:00Z", "UTC"),
            "2026-12-14 09:00 UTC"
        );
        // Sunday as 7.
        assert_eq!(
            next("30 3 * * 7", "2026-12-07T00:00:00Z", "UTC"),
            "2026-12-13 03:30 UTC"
        );
        // Day of month or weekday, as cron has it.
        assert_eq!(
            next("0 0 1 * 3", "2026-12-07T00:00:00Z", "UTC"),
            "2026-12-09 00:00 UTC"
        );
    }

    #[test]
    fn leap_days_and_skipped_hours() {
        assert_eq!(
            next("0 12 29 2 *", "2026-12-07T00:00:00Z", "UTC"),
            "2028-02-29 12:00 UTC"
        );
        // 02:30 does not exist in Paris on 2027-03-28: that day's run is
        // not lost, it moves past the gap.
        assert_eq!(
            next("30 2 * * *", "2027-03-28T00:00:00Z", "Europe/Paris"),
            "2027-03-28 03:30 CEST"
        );
    }

    #[test]
    fn bad_schedules_say_which_field() {
        let e = Schedule::parse("0 25 * * *").unwrap_err();
        assert!(e.contains("hour") && e.contains("25"), "{e}");
        let e = Schedule::parse("0 2 * *").unwrap_err();
        assert!(e.contains("five fields"), "{e}");
        let e = Schedule::parse("*/0 * * * *").unwrap_err();
        assert!(e.contains("step"), "{e}");
        assert!(
            Schedule::parse("0 2 31 2 *")
                .unwrap()
                .next_after(at("2026-01-01T00:00:00Z"), &TimeZone::UTC)
                .is_none()
        );
    }
}
