//! Durations and times of day as program files write them ("10m", "17:00"), and the zone every
//! deadline is read in. Parsed by hand so that a typo gets a reason a program author can act on,
//! in Chinese as well as English.

use std::fmt::Write as _;
use std::sync::LazyLock;

use jiff::SignedDuration;
use jiff::civil::Time;
use jiff::tz::{self, TimeZone};
use thiserror::Error;

use crate::i18n::{Describe, Lang};

/// Beijing time (北京时间), the zone of every wall-clock deadline. The bundled tzdb always has
/// it; the fixed +08:00 fallback is only there so that no code path can panic, and is exact
/// because Shanghai has kept +08:00 without daylight saving since 1991.
static SHANGHAI: LazyLock<TimeZone> = LazyLock::new(|| {
    TimeZone::get("Asia/Shanghai").unwrap_or_else(|_| TimeZone::fixed(tz::offset(8)))
});

/// The `Asia/Shanghai` zone that deadlines, dates and "the same day" are read in.
pub fn shanghai() -> TimeZone {
    SHANGHAI.clone()
}

/// Why a duration such as "10m" was rejected (时长格式错误).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    #[error("the duration is empty (write it like \"10m\", \"2h\", \"1d\" or \"90s\")")]
    Empty,
    #[error("expected a number at `{0}` (write it like \"10m\" or \"1h30m\")")]
    ExpectedNumber(char),
    #[error("the number has no unit (add s, m, h or d, as in \"10m\")")]
    MissingUnit,
    #[error("unknown unit `{0}` (use s, m, h or d)")]
    UnknownUnit(char),
    #[error("units must go from days to seconds, each at most once (as in \"1h30m\")")]
    UnitOrder,
    #[error("the duration is too large")]
    TooLarge,
}

impl Describe for DurationError {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => match self {
                Self::Empty => "时长为空（应写成 \"10m\"、\"2h\"、\"1d\" 或 \"90s\"）".into(),
                Self::ExpectedNumber(c) => {
                    format!("在 `{c}` 处应为数字（应写成 \"10m\" 或 \"1h30m\"）")
                }
                Self::MissingUnit => "数字缺少单位（s 秒、m 分、h 时、d 天，如 \"10m\"）".into(),
                Self::UnknownUnit(c) => format!("未知单位 `{c}`（可用 s、m、h、d）"),
                Self::UnitOrder => "单位须按天、时、分、秒的顺序书写，且每个单位最多一次".into(),
                Self::TooLarge => "时长过大".into(),
            },
        }
    }
}

/// Parses a duration written as numbers with units, largest first: "90s", "10m", "2h", "1d",
/// "1h30m". A day is 24 hours, which is exact in Asia/Shanghai (no daylight saving).
pub fn parse_duration(text: &str) -> Result<SignedDuration, DurationError> {
    const UNITS: [(char, i64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut chars = text.chars().peekable();
    let mut total: i64 = 0;
    // Index into UNITS of the smallest unit seen so far; the next must be smaller still.
    let mut next_unit = 0;
    while let Some(&first) = chars.peek() {
        if !first.is_ascii_digit() {
            return Err(DurationError::ExpectedNumber(first));
        }
        let mut number: i64 = 0;
        while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
            chars.next();
            number = number
                .checked_mul(10)
                .and_then(|n| n.checked_add(i64::from(digit)))
                .ok_or(DurationError::TooLarge)?;
        }
        let unit = chars.next().ok_or(DurationError::MissingUnit)?;
        let position = UNITS
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or(DurationError::UnknownUnit(unit))?;
        if position < next_unit {
            return Err(DurationError::UnitOrder);
        }
        next_unit = position + 1;
        let seconds = number
            .checked_mul(UNITS[position].1)
            .ok_or(DurationError::TooLarge)?;
        total = total.checked_add(seconds).ok_or(DurationError::TooLarge)?;
    }
    Ok(SignedDuration::from_secs(total))
}

/// Writes a duration the way program files do ("1h30m", "0m"), for messages and logs.
pub fn format_duration(duration: SignedDuration) -> String {
    let mut rest = duration.as_secs();
    let mut out = String::new();
    if rest < 0 {
        out.push('-');
        rest = rest.saturating_neg();
    }
    for (name, size) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
        let count = rest / size;
        rest %= size;
        if count > 0 {
            let _ = write!(out, "{count}{name}");
        }
    }
    if out.is_empty() || out == "-" {
        out = "0m".into();
    }
    out
}

/// Why a time of day such as "17:00" was rejected (时刻格式错误).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeOfDayError {
    #[error("write the time as HH:MM, as in \"17:00\"")]
    Format,
    #[error("hour {0} is out of range (00–23)")]
    Hour(u32),
    #[error("minute {0} is out of range (00–59)")]
    Minute(u32),
}

impl Describe for TimeOfDayError {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => match self {
                Self::Format => "时刻应写成 HH:MM，如 \"17:00\"".into(),
                Self::Hour(h) => format!("小时 {h} 超出范围（00–23）"),
                Self::Minute(m) => format!("分钟 {m} 超出范围（00–59）"),
            },
        }
    }
}

/// Parses a time of day written "HH:MM" (the hour may have one digit), in Beijing time.
pub fn parse_time_of_day(text: &str) -> Result<Time, TimeOfDayError> {
    let (hour, minute) = text.split_once(':').ok_or(TimeOfDayError::Format)?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hour) || hour.len() > 2 || !all_digits(minute) || minute.len() != 2 {
        return Err(TimeOfDayError::Format);
    }
    let hour: u32 = hour.parse().map_err(|_| TimeOfDayError::Format)?;
    let minute: u32 = minute.parse().map_err(|_| TimeOfDayError::Format)?;
    if hour > 23 {
        return Err(TimeOfDayError::Hour(hour));
    }
    if minute > 59 {
        return Err(TimeOfDayError::Minute(minute));
    }
    // Both are in range now, so the conversions and `Time::new` cannot fail; mapping the
    // errors keeps the function panic-free all the same.
    let hour = i8::try_from(hour).map_err(|_| TimeOfDayError::Hour(hour))?;
    let minute = i8::try_from(minute).map_err(|_| TimeOfDayError::Minute(minute))?;
    Time::new(hour, minute, 0, 0).map_err(|_| TimeOfDayError::Format)
}

/// Writes a time of day as "HH:MM", for messages.
pub fn format_time_of_day(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations_accept_each_unit_and_combinations() {
        assert_eq!(parse_duration("90s"), Ok(SignedDuration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(SignedDuration::from_mins(10)));
        assert_eq!(parse_duration("2h"), Ok(SignedDuration::from_hours(2)));
        assert_eq!(parse_duration("1d"), Ok(SignedDuration::from_hours(24)));
        assert_eq!(parse_duration("1h30m"), Ok(SignedDuration::from_mins(90)));
        assert_eq!(parse_duration("0m"), Ok(SignedDuration::ZERO));
    }

    #[test]
    fn durations_reject_malformed_text_with_a_reason() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert_eq!(parse_duration("10"), Err(DurationError::MissingUnit));
        assert_eq!(parse_duration("10x"), Err(DurationError::UnknownUnit('x')));
        assert_eq!(
            parse_duration("-5m"),
            Err(DurationError::ExpectedNumber('-'))
        );
        assert_eq!(parse_duration("10 m"), Err(DurationError::UnknownUnit(' ')));
        assert_eq!(parse_duration("30m1h"), Err(DurationError::UnitOrder));
        assert_eq!(parse_duration("1h1h"), Err(DurationError::UnitOrder));
        assert_eq!(
            parse_duration("99999999999999999999d"),
            Err(DurationError::TooLarge)
        );
        assert!(
            DurationError::MissingUnit
                .describe(Lang::Zh)
                .contains("单位")
        );
    }

    #[test]
    fn times_of_day_accept_hh_mm_and_reject_out_of_range_values() {
        assert_eq!(
            parse_time_of_day("17:00"),
            Ok(jiff::civil::time(17, 0, 0, 0))
        );
        assert_eq!(parse_time_of_day("9:05"), Ok(jiff::civil::time(9, 5, 0, 0)));
        assert_eq!(parse_time_of_day("25:00"), Err(TimeOfDayError::Hour(25)));
        assert_eq!(parse_time_of_day("12:60"), Err(TimeOfDayError::Minute(60)));
        assert_eq!(parse_time_of_day("1700"), Err(TimeOfDayError::Format));
        assert_eq!(parse_time_of_day("17:0"), Err(TimeOfDayError::Format));
        assert_eq!(parse_time_of_day("-1:00"), Err(TimeOfDayError::Format));
        assert!(TimeOfDayError::Hour(25).describe(Lang::Zh).contains("25"));
    }

    #[test]
    fn the_shanghai_zone_is_eight_hours_ahead_of_utc() {
        let ts: jiff::Timestamp = "2022-03-18T09:19:05Z".parse().expect("timestamp");
        let local = ts.to_zoned(shanghai());
        assert_eq!(local.hour(), 17);
        assert_eq!(local.offset(), tz::offset(8));
    }

    proptest! {
        #[test]
        fn formatted_durations_parse_back_to_themselves(seconds in 0i64..10_000_000) {
            let duration = SignedDuration::from_secs(seconds);
            prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }
    }
}
