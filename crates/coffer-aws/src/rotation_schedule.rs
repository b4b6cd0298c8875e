//! Secrets Manager rotation schedules: `RotationRules` (`AutomaticallyAfterDays` or
//! `ScheduleExpression`, and `Duration`) parsed into a typed schedule, and the rotation windows
//! it opens. Pure: no clock, no I/O; the caller passes the instant to count from.
//!
//! What AWS documents, and this module follows:
//! - `AutomaticallyAfterDays` is 1..=1000 and excludes `ScheduleExpression`.
//! - `rate(N hour|hours|day|days)`: at least 4 hours, at most 999 days (the user guide's
//!   "maximum rotation period is 999 days", although `AutomaticallyAfterDays` allows 1000).
//! - `cron(Minutes Hours Day-of-month Month Day-of-week Year)` in UTC, Minutes `0` (windows open
//!   on the hour) and Year `*`; EventBridge's wildcards, with one of Day-of-month and
//!   Day-of-week `?`. Day-of-week counts SUN=1 … SAT=7.
//! - The window lasts `Duration` (`1h`..=`24h`); without it, one hour for a schedule in hours
//!   and to the end of the UTC day for a schedule in days. It must not reach into the next
//!   window or the next UTC day. Days-based rules (`AutomaticallyAfterDays`, `rate(N days)`)
//!   open their window at midnight UTC.
//!
//! Where AWS does not say, this module decides (and the tests pin it):
//! - `rate(N hours)`: the window opens at `after + N hours`, truncated to the hour. The guide's
//!   "starts at midnight" for hourly rates is ambiguous, so windows are not aligned to midnight,
//!   and the next-UTC-day limit (unknowable for floating windows) is not applied; `Duration`
//!   must only fit in `N` hours.
//! - A cron schedule "in hours" is one whose Hours field names more than one hour; its windows
//!   must be at least 4 hours apart, counting the gap across midnight (the guide's "as often as
//!   every four hours").
//! - The unit is singular exactly when the value is 1 (`rate(1 day)`, `rate(2 days)`), as
//!   EventBridge requires.
//! - Ranges do not wrap (`FRI-MON` is refused); `L`, `LW`, `nW` (Day-of-month) and `L`, `nL`,
//!   `n#k` (Day-of-week) follow Quartz, which EventBridge's cron is modelled on.
//! - An expression that matches no date at all (`cron(0 0 30 2 ? *)`) is refused.
//! - `Duration` without a schedule is refused rather than silently dropped.

use crate::error::{AwsError, MessageKey};
use crate::time::Timestamp;
use std::fmt;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The Gregorian calendar repeats every 400 years, and that span is a whole number of weeks, so
/// whichever days a cron expression matches, it matches one within any span this long.
const CYCLE_DAYS: i64 = 146_097;

/// `rate()`'s documented bounds, in hours.
const MIN_RATE_HOURS: u32 = 4;
const MAX_RATE_DAYS: u32 = 999;
const MAX_AFTER_DAYS: i64 = 1000;

/// One rotation window: Secrets Manager may rotate at any time in `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// When windows open. Each variant holds only values `RotationSchedule::parse` accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// `AutomaticallyAfterDays = N` (1..=1000).
    AfterDays(u16),
    /// `rate(N days)` (1..=999).
    RateDays(u16),
    /// `rate(N hours)` (4..=999 days' worth).
    RateHours(u16),
    Cron(Cron),
}

/// A validated rotation schedule and the length of its windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotationSchedule {
    schedule: Schedule,
    window_hours: u8,
}

impl RotationSchedule {
    /// `RotationRules`' three members, as the request carries them. `Ok(None)` when the rules
    /// set no schedule (neither `AutomaticallyAfterDays` nor `ScheduleExpression`).
    pub fn parse(
        automatically_after_days: Option<i64>,
        schedule_expression: Option<&str>,
        duration: Option<&str>,
    ) -> Result<Option<Self>, ScheduleError> {
        let schedule = match (automatically_after_days, schedule_expression) {
            (Some(_), Some(_)) => return Err(ScheduleError::BothSchedules),
            (None, None) if duration.is_some() => return Err(ScheduleError::DurationWithoutSchedule),
            (None, None) => return Ok(None),
            (Some(days), None) => match u16::try_from(days) {
                Ok(d) if (1..=MAX_AFTER_DAYS).contains(&days) => Schedule::AfterDays(d),
                _ => return Err(ScheduleError::AfterDays(days)),
            },
            (None, Some(expression)) => parse_expression(expression)
                .map_err(|problem| ScheduleError::Expression { expression: expression.to_owned(), problem })?,
        };
        let duration = duration.map(parse_duration).transpose()?;
        let (default_hours, limit_hours) = match &schedule {
            Schedule::AfterDays(_) | Schedule::RateDays(_) => (24, 24),
            Schedule::RateHours(n) => (1, u8::try_from(*n).unwrap_or(u8::MAX).min(24)),
            Schedule::Cron(cron) => (cron.default_window_hours(), cron.window_limit_hours()),
        };
        let window_hours = match duration {
            Some(hours) if hours > limit_hours => {
                return Err(ScheduleError::DurationTooLong { hours, limit: limit_hours });
            }
            Some(hours) => hours,
            None => default_hours,
        };
        Ok(Some(Self { schedule, window_hours }))
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// `Duration`, or the default window length when it was absent.
    pub fn window_hours(&self) -> u8 {
        self.window_hours
    }

    /// The first window that opens strictly after `after` (the last rotation, or when rotation
    /// was configured). Results saturate within a day of `Timestamp`'s range, some 292 million
    /// years out.
    pub fn next_window(&self, after: Timestamp) -> Window {
        let start = match &self.schedule {
            Schedule::AfterDays(n) | Schedule::RateDays(n) => {
                Timestamp(after.0.saturating_add(i64::from(*n) * DAY_MS)).truncate_to_day()
            }
            Schedule::RateHours(n) => truncate_to_hour(after.0.saturating_add(i64::from(*n) * HOUR_MS)),
            Schedule::Cron(cron) => cron.next_start(after),
        };
        Window { start, end: Timestamp(start.0.saturating_add(i64::from(self.window_hours) * HOUR_MS)) }
    }
}

fn truncate_to_hour(ms: i64) -> Timestamp {
    Timestamp(ms - ms.rem_euclid(HOUR_MS))
}

/// A rule that breaks one of the constraints above. `Display` is the message of the
/// `InvalidParameterException` Coffer answers with. AWS's own texts for these cases are not
/// recorded, so apart from the two `check_rules` in coffer-services already uses, they are
/// Coffer's wording: say what is wrong and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.")]
    BothSchedules,
    #[error("RotationRules.AutomaticallyAfterDays must be within 1-1000.")]
    AfterDays(i64),
    #[error("ScheduleExpression {expression} is invalid: {problem}.")]
    Expression { expression: String, problem: ExpressionProblem },
    #[error("RotationRules.Duration must be between 1h and 24h, written like \"3h\".")]
    Duration(String),
    #[error("RotationRules.Duration needs AutomaticallyAfterDays or ScheduleExpression to set the schedule.")]
    DurationWithoutSchedule,
    #[error(
        "RotationRules.Duration {hours}h is too long: the rotation window must not extend into the next rotation \
         window or the next UTC day, which allows at most {limit}h for this schedule."
    )]
    DurationTooLong { hours: u8, limit: u8 },
}

impl From<ScheduleError> for AwsError {
    fn from(e: ScheduleError) -> Self {
        AwsError::new("InvalidParameterException", MessageKey::Upper, e.to_string())
    }
}

/// Why a `ScheduleExpression` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpressionProblem {
    /// Neither `rate(Value Unit)` nor `cron(…)`.
    Form,
    RateValue,
    RateUnit,
    RateTooFrequent,
    RateTooLong,
    FieldCount(usize),
    MinutesNotZero,
    YearNotAny,
    Field(CronField),
    /// Not exactly one of Day-of-month and Day-of-week is `?`.
    DayFields,
    /// Two windows in one day, or across midnight, less than 4 hours apart.
    TooFrequent,
    NeverMatches,
}

impl fmt::Display for ExpressionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Form => {
                f.write_str("use rate(Value Unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year)")
            }
            Self::RateValue => f.write_str("the rate value must be a positive whole number"),
            Self::RateUnit => f.write_str("the rate unit must be hour or day for 1, hours or days otherwise"),
            Self::RateTooFrequent => f.write_str("the minimum is 4 hours"),
            Self::RateTooLong => f.write_str("the maximum is 999 days"),
            Self::FieldCount(n) => write!(
                f,
                "a cron expression has 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), this one has {n}"
            ),
            Self::MinutesNotZero => f.write_str("Minutes must be 0, because rotation windows open on the hour"),
            Self::YearNotAny => f.write_str("Year must be *"),
            Self::Field(field) => write!(f, "{} must be {}", field.name(), field.allowed()),
            Self::DayFields => f.write_str("exactly one of Day-of-month and Day-of-week must be ?"),
            Self::TooFrequent => f.write_str("rotation windows must be at least 4 hours apart"),
            Self::NeverMatches => f.write_str("it matches no date"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CronField {
    Hours,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl CronField {
    fn name(self) -> &'static str {
        match self {
            Self::Hours => "Hours",
            Self::DayOfMonth => "Day-of-month",
            Self::Month => "Month",
            Self::DayOfWeek => "Day-of-week",
        }
    }

    fn allowed(self) -> &'static str {
        match self {
            Self::Hours => "0-23 with , - * /",
            Self::DayOfMonth => "1-31 with , - * ? / L W",
            Self::Month => "1-12 or JAN-DEC with , - * /",
            Self::DayOfWeek => "1-7 or SUN-SAT with , - * ? / L #",
        }
    }
}

fn parse_expression(expression: &str) -> Result<Schedule, ExpressionProblem> {
    if let Some(inner) = expression.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
        parse_rate(inner)
    } else if let Some(inner) = expression.strip_prefix("cron(").and_then(|s| s.strip_suffix(')')) {
        Cron::parse(inner).map(Schedule::Cron)
    } else {
        Err(ExpressionProblem::Form)
    }
}

fn parse_rate(inner: &str) -> Result<Schedule, ExpressionProblem> {
    let mut parts = inner.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ExpressionProblem::Form);
    };
    // `u32::from_str` takes a leading `+`, which a rate does not.
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ExpressionProblem::RateValue);
    }
    let n: u32 = match value.parse() {
        Ok(0) => return Err(ExpressionProblem::RateValue),
        Ok(n) => n,
        // All digits, so only too large to parse.
        Err(_) => return Err(ExpressionProblem::RateTooLong),
    };
    let days = match (unit, n == 1) {
        ("hour", true) | ("hours", false) => false,
        ("day", true) | ("days", false) => true,
        _ => return Err(ExpressionProblem::RateUnit),
    };
    let hours = if days { n.saturating_mul(24) } else { n };
    if hours < MIN_RATE_HOURS {
        return Err(ExpressionProblem::RateTooFrequent);
    }
    if hours > MAX_RATE_DAYS * 24 {
        return Err(ExpressionProblem::RateTooLong);
    }
    // Both fit: at most 999 * 24 = 23 976.
    let n = u16::try_from(n).map_err(|_| ExpressionProblem::RateTooLong)?;
    Ok(if days { Schedule::RateDays(n) } else { Schedule::RateHours(n) })
}

fn parse_duration(duration: &str) -> Result<u8, ScheduleError> {
    duration
        .strip_suffix('h')
        .filter(|d| (1..=2).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<u8>().ok())
        .filter(|h| (1..=24).contains(h))
        .ok_or_else(|| ScheduleError::Duration(duration.to_owned()))
}

/// A validated `cron()` expression (Minutes `0`, Year `*`, so only these fields vary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cron {
    /// Bit `h` for each hour 0..=23.
    hours: u32,
    /// Bit `m` for each month 1..=12.
    months: u16,
    days: Days,
}

/// Day-of-month or Day-of-week, whichever is not `?`; the other field is implied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Days {
    OfMonth(MonthDays),
    OfWeek(WeekDays),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct MonthDays {
    /// Bit `d` for each day 1..=31.
    days: u32,
    /// `L`
    last: bool,
    /// `LW`
    last_weekday: bool,
    /// Bit `d` for each `dW`: the weekday nearest day `d`, within the month.
    nearest_weekday: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct WeekDays {
    /// Bit `w` for each weekday 1 (SUN)..=7 (SAT).
    days: u8,
    /// Bit `w` for each `wL`: the month's last such weekday.
    last: u8,
    /// `nth[w]` has bit `k` for each `w#k`: the month's k-th such weekday.
    nth: [u8; 8],
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const SUNDAY: u8 = 1;
const SATURDAY: u8 = 7;

impl Cron {
    fn parse(inner: &str) -> Result<Self, ExpressionProblem> {
        let fields: Vec<&str> = inner.split_whitespace().collect();
        let [minutes, hours, day_of_month, month, day_of_week, year] = fields[..] else {
            return Err(ExpressionProblem::FieldCount(fields.len()));
        };
        if minutes != "0" {
            return Err(ExpressionProblem::MinutesNotZero);
        }
        if year != "*" {
            return Err(ExpressionProblem::YearNotAny);
        }
        let bad = ExpressionProblem::Field;
        let hours = parse_set(hours, 0, 23, &[]).and_then(|b| u32::try_from(b).ok()).ok_or(bad(CronField::Hours))?;
        let months =
            parse_set(month, 1, 12, &MONTHS).and_then(|b| u16::try_from(b).ok()).ok_or(bad(CronField::Month))?;
        let days = match (day_of_month, day_of_week) {
            ("?", "?") => return Err(ExpressionProblem::DayFields),
            (dom, "?") => Days::OfMonth(parse_month_days(dom).ok_or(bad(CronField::DayOfMonth))?),
            ("?", dow) => Days::OfWeek(parse_week_days(dow).ok_or(bad(CronField::DayOfWeek))?),
            _ => return Err(ExpressionProblem::DayFields),
        };
        let cron = Self { hours, months, days };
        if cron.min_gap_hours() < 4 {
            return Err(ExpressionProblem::TooFrequent);
        }
        if !(0..CYCLE_DAYS).any(|day| cron.day_matches(day)) {
            return Err(ExpressionProblem::NeverMatches);
        }
        Ok(cron)
    }

    /// Whether a window opens exactly at `at`.
    pub fn matches(&self, at: Timestamp) -> bool {
        let ms = at.millis();
        if ms.rem_euclid(HOUR_MS) != 0 {
            return false;
        }
        let hour = ms.div_euclid(HOUR_MS);
        self.hours & (1 << hour.rem_euclid(24)) != 0 && self.day_matches(hour.div_euclid(24))
    }

    /// Whether the expression names more than one hour of the day: a schedule "in hours", whose
    /// default window is one hour, rather than one "in days", whose window runs to midnight.
    pub fn is_hourly(&self) -> bool {
        self.hours.count_ones() > 1
    }

    fn sorted_hours(&self) -> impl Iterator<Item = u8> + '_ {
        (0..24u8).filter(|h| self.hours & (1 << h) != 0)
    }

    fn default_window_hours(&self) -> u8 {
        if self.is_hourly() { 1 } else { self.window_limit_hours() }
    }

    /// The longest window that reaches neither the day's next window nor midnight.
    fn window_limit_hours(&self) -> u8 {
        let hours: Vec<u8> = self.sorted_hours().collect();
        hours.iter().zip(hours.iter().skip(1).chain([&24])).map(|(h, next)| next - h).min().unwrap_or(24)
    }

    /// The shortest time between two windows, counting from the day's last to the next day's
    /// first.
    fn min_gap_hours(&self) -> u8 {
        let hours: Vec<u8> = self.sorted_hours().collect();
        match (hours.first(), hours.last()) {
            (Some(first), Some(last)) if hours.len() > 1 => {
                hours.windows(2).map(|w| w[1] - w[0]).chain([first + 24 - last]).min().unwrap_or(24)
            }
            _ => 24,
        }
    }

    fn next_start(&self, after: Timestamp) -> Timestamp {
        let first_hour = after.millis().div_euclid(HOUR_MS) + 1;
        let first_day = first_hour.div_euclid(24);
        let from = first_hour.rem_euclid(24);
        (0..=CYCLE_DAYS)
            .find_map(|offset| {
                let day = first_day + offset;
                let candidates = if offset == 0 { self.hours >> from << from } else { self.hours };
                (candidates != 0 && self.day_matches(day)).then(|| {
                    let hour = day.saturating_mul(24).saturating_add(i64::from(candidates.trailing_zeros()));
                    Timestamp(hour.saturating_mul(HOUR_MS))
                })
            })
            .expect("Cron::parse refuses expressions that match no day in a 400-year cycle")
    }

    /// `day` counts days since 1970-01-01.
    fn day_matches(&self, day: i64) -> bool {
        let (year, month, dom) = civil_from_days(day);
        if self.months & (1 << month) == 0 {
            return false;
        }
        let len = days_in_month(year, month);
        let weekday = weekday(day);
        let weekday_of = |d: u8| ((i64::from(weekday) - 1 + i64::from(d) - i64::from(dom)).rem_euclid(7) + 1) as u8;
        match &self.days {
            Days::OfMonth(m) => {
                m.days & (1 << dom) != 0
                    || (m.last && dom == len)
                    || (m.last_weekday && dom == nearest_weekday(len, len, weekday_of(len)))
                    || (1..=len)
                        .any(|d| m.nearest_weekday & (1 << d) != 0 && dom == nearest_weekday(d, len, weekday_of(d)))
            }
            Days::OfWeek(w) => {
                let bit = 1 << weekday;
                w.days & bit != 0
                    || (w.last & bit != 0 && dom + 7 > len)
                    || w.nth[usize::from(weekday)] & (1 << ((dom - 1) / 7 + 1)) != 0
            }
        }
    }
}

/// Quartz's `dW`: day `d` if a weekday, else the Friday before or Monday after, never leaving
/// the month (so `1W` on a Saturday is Monday the 3rd).
fn nearest_weekday(d: u8, len: u8, weekday: u8) -> u8 {
    match weekday {
        SATURDAY if d == 1 => 3,
        SATURDAY => d - 1,
        SUNDAY if d == len => d - 2,
        SUNDAY => d + 1,
        _ => d,
    }
}

/// A comma-separated list of `*`, `v`, `a-b`, each optionally `/step`, as a bit set.
fn parse_set(field: &str, min: u8, max: u8, names: &[&str]) -> Option<u64> {
    field.split(',').try_fold(0u64, |bits, item| Some(bits | parse_item(item, min, max, names)?))
}

fn parse_item(item: &str, min: u8, max: u8, names: &[&str]) -> Option<u64> {
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some(parse_number(step)?)),
        None => (item, None),
    };
    let (low, high) = if range == "*" {
        (min, max)
    } else if let Some((a, b)) = range.split_once('-') {
        (parse_value(a, min, max, names)?, parse_value(b, min, max, names)?)
    } else {
        let a = parse_value(range, min, max, names)?;
        (a, if step.is_some() { max } else { a })
    };
    let step = step.unwrap_or(1);
    if low > high || step == 0 {
        return None;
    }
    Some((low..=high).step_by(usize::from(step)).fold(0, |bits, v| bits | 1 << v))
}

fn parse_number(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A number in `min..=max`, or a name (case-insensitive, as in Quartz) standing for `min + index`.
fn parse_value(s: &str, min: u8, max: u8, names: &[&str]) -> Option<u8> {
    let value = match parse_number(s) {
        Some(n) => n,
        None => min + u8::try_from(names.iter().position(|n| n.eq_ignore_ascii_case(s))?).ok()?,
    };
    (min..=max).contains(&value).then_some(value)
}

fn parse_month_days(field: &str) -> Option<MonthDays> {
    let mut days = MonthDays::default();
    for item in field.split(',') {
        match item {
            "L" => days.last = true,
            "LW" => days.last_weekday = true,
            _ => match item.strip_suffix('W') {
                Some(d) => days.nearest_weekday |= 1 << parse_value(d, 1, 31, &[])?,
                None => days.days |= u32::try_from(parse_item(item, 1, 31, &[])?).ok()?,
            },
        }
    }
    Some(days)
}

fn parse_week_days(field: &str) -> Option<WeekDays> {
    let mut days = WeekDays::default();
    for item in field.split(',') {
        if item == "L" {
            // Quartz: `L` alone in Day-of-week is the week's last day.
            days.days |= 1 << SATURDAY;
        } else if let Some((w, k)) = item.split_once('#') {
            let k = parse_number(k).filter(|k| (1..=5).contains(k))?;
            days.nth[usize::from(parse_value(w, 1, 7, &WEEKDAYS)?)] |= 1 << k;
        } else if let Some(w) = item.strip_suffix('L') {
            days.last |= 1 << parse_value(w, 1, 7, &WEEKDAYS)?;
        } else {
            days.days |= u8::try_from(parse_item(item, 1, 7, &WEEKDAYS)?).ok()?;
        }
    }
    Some(days)
}

/// `(year, month, day)` of the `days`-th day after 1970-01-01, proleptic Gregorian (Howard
/// Hinnant's `civil_from_days`). Our own rather than `time::Date` so that every `Timestamp`
/// has a date, not only years ±9999.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // In range by construction: day 1..=31, month 1..=12.
    let (day, month) = ((doy - (153 * mp + 2) / 5 + 1) as u8, (if mp < 10 { mp + 3 } else { mp - 9 }) as u8);
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// 1 (Sunday) ..= 7 (Saturday), AWS cron's numbering; 1970-01-01 was a Thursday.
fn weekday(days: i64) -> u8 {
    (days + 4).rem_euclid(7) as u8 + 1
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> Timestamp {
        Timestamp::from_utc(year, month, day, hour, minute, 0).unwrap()
    }

    fn rules(days: Option<i64>, expression: Option<&str>, duration: Option<&str>) -> RotationSchedule {
        RotationSchedule::parse(days, expression, duration).unwrap().unwrap()
    }

    fn expr(expression: &str) -> RotationSchedule {
        rules(None, Some(expression), None)
    }

    fn window(start: Timestamp, end: Timestamp) -> Window {
        Window { start, end }
    }

    fn problem(expression: &str) -> ExpressionProblem {
        match RotationSchedule::parse(None, Some(expression), None) {
            Err(ScheduleError::Expression { problem, .. }) => problem,
            other => panic!("{expression}: {other:?}"),
        }
    }

    fn duration_error(days: Option<i64>, expression: Option<&str>, duration: &str) -> ScheduleError {
        RotationSchedule::parse(days, expression, Some(duration)).unwrap_err()
    }

    #[test]
    fn no_schedule_is_none() {
        assert_eq!(RotationSchedule::parse(None, None, None), Ok(None));
    }

    #[test]
    fn after_days_opens_at_midnight_of_the_due_day_until_the_day_ends() {
        // 2024-01-31 + 30 days is 2024-03-01: February has 29 days in a leap year.
        let s = rules(Some(30), None, None);
        assert_eq!(s.schedule(), &Schedule::AfterDays(30));
        assert_eq!(s.window_hours(), 24);
        assert_eq!(s.next_window(at(2024, 1, 31, 15, 20)), window(at(2024, 3, 1, 0, 0), at(2024, 3, 2, 0, 0)));
        // The same in a common year lands on March 2.
        assert_eq!(s.next_window(at(2023, 1, 31, 15, 20)).start, at(2023, 3, 2, 0, 0));
        // Exactly at midnight: still N whole days later.
        assert_eq!(s.next_window(at(2024, 2, 1, 0, 0)).start, at(2024, 3, 2, 0, 0));
        assert_eq!(rules(Some(1000), None, None).next_window(at(2024, 1, 1, 0, 0)).start, at(2026, 9, 27, 0, 0));
        assert_eq!(
            rules(Some(1), None, Some("3h")).next_window(at(2024, 12, 31, 23, 59)),
            window(at(2025, 1, 1, 0, 0), at(2025, 1, 1, 3, 0))
        );
    }

    #[test]
    fn rate_in_days() {
        let s = expr("rate(1 day)");
        assert_eq!(s.schedule(), &Schedule::RateDays(1));
        assert_eq!(s.next_window(at(2024, 2, 28, 23, 59)), window(at(2024, 2, 29, 0, 0), at(2024, 3, 1, 0, 0)));
        let s = rules(None, Some("rate(10 days)"), Some("3h"));
        assert_eq!(s.next_window(at(2023, 12, 25, 10, 0)), window(at(2024, 1, 4, 0, 0), at(2024, 1, 4, 3, 0)));
        assert_eq!(expr("rate(999 days)").schedule(), &Schedule::RateDays(999));
        assert_eq!(rules(None, Some("rate(2 days)"), Some("24h")).window_hours(), 24);
    }

    #[test]
    fn rate_in_hours_truncates_to_the_hour() {
        let s = expr("rate(4 hours)");
        assert_eq!(s.schedule(), &Schedule::RateHours(4));
        assert_eq!(s.window_hours(), 1);
        // Across the year's end.
        assert_eq!(s.next_window(at(2024, 12, 31, 22, 30)), window(at(2025, 1, 1, 2, 0), at(2025, 1, 1, 3, 0)));
        assert_eq!(s.next_window(at(2024, 6, 1, 12, 0)).start, at(2024, 6, 1, 16, 0));
        let s = rules(None, Some("rate(4 hours)"), Some("4h"));
        assert_eq!(s.next_window(at(2024, 12, 31, 22, 30)), window(at(2025, 1, 1, 2, 0), at(2025, 1, 1, 6, 0)));
        // Longer than a day is still a schedule in hours: one-hour windows.
        let s = expr("rate(36 hours)");
        assert_eq!(s.next_window(at(2024, 2, 28, 13, 5)), window(at(2024, 3, 1, 1, 0), at(2024, 3, 1, 2, 0)));
        assert_eq!(rules(None, Some("rate(30 hours)"), Some("24h")).window_hours(), 24);
        // Before 1970, where the remainder is negative.
        assert_eq!(s.next_window(at(1969, 12, 31, 0, 30)).start, at(1970, 1, 1, 12, 0));
    }

    #[test]
    fn cron_last_day_of_month() {
        let s = expr("cron(0 16 L * ? *)");
        // A daily cron's window runs to midnight.
        assert_eq!(s.window_hours(), 8);
        assert_eq!(s.next_window(at(2024, 2, 10, 0, 0)), window(at(2024, 2, 29, 16, 0), at(2024, 3, 1, 0, 0)));
        assert_eq!(s.next_window(at(2023, 2, 10, 0, 0)).start, at(2023, 2, 28, 16, 0));
        // Strictly after: a window opening exactly then is not the next one.
        assert_eq!(s.next_window(at(2024, 2, 29, 16, 0)).start, at(2024, 3, 31, 16, 0));
        assert_eq!(s.next_window(Timestamp(at(2024, 4, 30, 16, 0).0 + 1)).start, at(2024, 5, 31, 16, 0));
        assert_eq!(s.next_window(at(2024, 4, 30, 15, 59)).start, at(2024, 4, 30, 16, 0));
        assert_eq!(s.next_window(at(2024, 12, 31, 17, 0)).start, at(2025, 1, 31, 16, 0));
    }

    #[test]
    fn cron_month_ends_and_leap_days() {
        // The 31st skips months without one.
        assert_eq!(expr("cron(0 0 31 * ? *)").next_window(at(2024, 4, 1, 0, 0)).start, at(2024, 5, 31, 0, 0));
        let s = expr("cron(0 0 29 FEB ? *)");
        assert_eq!(s, expr("cron(0 0 29 2 ? *)"));
        assert_eq!(s.window_hours(), 24);
        assert_eq!(s.next_window(at(2024, 1, 1, 0, 0)).start, at(2024, 2, 29, 0, 0));
        assert_eq!(s.next_window(at(2024, 3, 1, 0, 0)).start, at(2028, 2, 29, 0, 0));
        // 2100 is not a leap year.
        assert_eq!(s.next_window(at(2096, 3, 1, 0, 0)).start, at(2104, 2, 29, 0, 0));
        // 2000 is.
        assert_eq!(s.next_window(at(1997, 3, 1, 0, 0)).start, at(2000, 2, 29, 0, 0));
    }

    #[test]
    fn cron_day_of_week_lists_ranges_and_names() {
        // 2024-02-29 is a Thursday.
        let s = expr("cron(0 9 ? * MON,WED,FRI *)");
        assert_eq!(s, expr("cron(0 9 ? * 2,4,6 *)"));
        assert_eq!(s, expr("cron(0 9 ? * mon,Wed,fri *)"));
        assert_eq!(s.next_window(at(2024, 2, 29, 10, 0)).start, at(2024, 3, 1, 9, 0));
        assert_eq!(s.next_window(at(2024, 3, 1, 9, 0)).start, at(2024, 3, 4, 9, 0));
        let weekdays = expr("cron(0 12 ? * MON-FRI *)");
        assert_eq!(weekdays, expr("cron(0 12 ? * 2-6 *)"));
        assert_eq!(weekdays.next_window(at(2024, 3, 1, 12, 0)).start, at(2024, 3, 4, 12, 0));
        // SUN is 1 in AWS cron.
        assert_eq!(expr("cron(0 0 ? * 1 *)").next_window(at(2024, 2, 29, 0, 0)).start, at(2024, 3, 3, 0, 0));
        assert_eq!(expr("cron(0 0 ? * */2 *)"), expr("cron(0 0 ? * SUN,TUE,THU,SAT *)"));
        // `L` alone is Saturday.
        assert_eq!(expr("cron(0 0 ? * L *)"), expr("cron(0 0 ? * SAT *)"));
    }

    #[test]
    fn cron_nth_and_last_weekday() {
        let s = expr("cron(0 0 ? * MON#1 *)");
        assert_eq!(s, expr("cron(0 0 ? * 2#1 *)"));
        // 2024-01-01 is the first Monday; February's is the 5th (the 1st is a Thursday).
        assert_eq!(s.next_window(at(2023, 12, 31, 0, 0)).start, at(2024, 1, 1, 0, 0));
        assert_eq!(s.next_window(at(2024, 1, 1, 0, 0)).start, at(2024, 2, 5, 0, 0));
        // A fifth Thursday: February 2024 has one (the 29th); March and April do not, May does.
        let s = expr("cron(0 0 ? * THU#5 *)");
        assert_eq!(s.next_window(at(2024, 2, 1, 0, 0)).start, at(2024, 2, 29, 0, 0));
        assert_eq!(s.next_window(at(2024, 2, 29, 0, 0)).start, at(2024, 5, 30, 0, 0));
        // Last Friday.
        let s = expr("cron(0 0 ? * 6L *)");
        assert_eq!(s, expr("cron(0 0 ? * FRIL *)"));
        assert_eq!(s.next_window(at(2024, 2, 1, 0, 0)).start, at(2024, 2, 23, 0, 0));
        assert_eq!(s.next_window(at(2024, 2, 23, 0, 0)).start, at(2024, 3, 29, 0, 0));
        // A fifth Monday in February is rare (1 Feb a Monday in a leap year): 2016, then 2044.
        assert_eq!(expr("cron(0 0 ? FEB MON#5 *)").next_window(at(2016, 3, 1, 0, 0)).start, at(2044, 2, 29, 0, 0));
    }

    #[test]
    fn cron_nearest_weekday() {
        // 2024-06-15 is a Saturday: the Friday before.
        let s = expr("cron(0 10 15W * ? *)");
        assert_eq!(s.next_window(at(2024, 6, 1, 0, 0)).start, at(2024, 6, 14, 10, 0));
        // 2024-06-01 is a Saturday: `1W` does not leave the month, so Monday the 3rd.
        assert_eq!(expr("cron(0 10 1W * ? *)").next_window(at(2024, 5, 31, 0, 0)).start, at(2024, 6, 3, 10, 0));
        // 2024-08-31 is a Saturday: the last weekday is the 30th. 2024-09-30 is a Monday.
        let s = expr("cron(0 0 LW * ? *)");
        assert_eq!(s.next_window(at(2024, 8, 1, 0, 0)).start, at(2024, 8, 30, 0, 0));
        assert_eq!(s.next_window(at(2024, 8, 30, 0, 0)).start, at(2024, 9, 30, 0, 0));
        // `31W` in a 30-day month never matches that month.
        assert_eq!(expr("cron(0 0 31W * ? *)").next_window(at(2024, 9, 1, 0, 0)).start, at(2024, 10, 31, 0, 0));
    }

    #[test]
    fn cron_steps_and_ranges() {
        // Increments of hours restart each day, as the guide's cron(0 4/12 * * ? *) example says.
        let s = expr("cron(0 4/12 * * ? *)");
        assert_eq!(s.window_hours(), 1);
        assert_eq!(s.next_window(at(2024, 1, 1, 4, 0)), window(at(2024, 1, 1, 16, 0), at(2024, 1, 1, 17, 0)));
        assert_eq!(s.next_window(at(2024, 1, 1, 17, 0)).start, at(2024, 1, 2, 4, 0));
        assert_eq!(rules(None, Some("cron(0 4/12 * * ? *)"), Some("8h")).window_hours(), 8);
        assert_eq!(expr("cron(0 */6 * * ? *)"), expr("cron(0 0,6,12,18 * * ? *)"));
        assert_eq!(expr("cron(0 0-12/4 * * ? *)"), expr("cron(0 0,4,8,12 * * ? *)"));
        let s = expr("cron(0 8 1/7 * ? *)");
        assert_eq!(s.next_window(at(2024, 2, 22, 8, 0)).start, at(2024, 2, 29, 8, 0));
        assert_eq!(s.next_window(at(2024, 2, 29, 8, 0)).start, at(2024, 3, 1, 8, 0));
        let s = expr("cron(0 0 1 JAN-MAR/2 ? *)");
        assert_eq!(s, expr("cron(0 0 1 1,3 ? *)"));
        assert_eq!(s.next_window(at(2024, 1, 1, 0, 0)).start, at(2024, 3, 1, 0, 0));
        assert_eq!(s.next_window(at(2024, 3, 1, 0, 0)).start, at(2025, 1, 1, 0, 0));
        assert_eq!(expr("cron(0 0 1-5 * ? *)").next_window(at(2024, 1, 5, 0, 0)).start, at(2024, 2, 1, 0, 0));
        assert_eq!(expr("cron(0 0 1,15 * ? *)").next_window(at(2024, 1, 1, 0, 0)).start, at(2024, 1, 15, 0, 0));
        // A midnight daily window lasts the whole day.
        assert_eq!(expr("cron(0 0 * * ? *)").window_hours(), 24);
        assert_eq!(expr("cron(0 23 * * ? *)").window_hours(), 1);
    }

    #[test]
    fn invalid_rules() {
        assert_eq!(RotationSchedule::parse(Some(30), Some("rate(4 hours)"), None), Err(ScheduleError::BothSchedules));
        assert_eq!(RotationSchedule::parse(None, None, Some("3h")), Err(ScheduleError::DurationWithoutSchedule));
        for days in [0, -1, 1001, i64::MAX] {
            assert_eq!(RotationSchedule::parse(Some(days), None, None), Err(ScheduleError::AfterDays(days)));
        }
        for duration in ["25h", "0h", "3", "3 h", "h", "3H", "+3h", "-3h", "100h", "three hours", ""] {
            assert_eq!(
                RotationSchedule::parse(Some(1), None, Some(duration)),
                Err(ScheduleError::Duration(duration.into())),
                "{duration}"
            );
        }
    }

    #[test]
    fn duration_must_fit_before_the_next_window_and_midnight() {
        assert_eq!(
            duration_error(None, Some("rate(4 hours)"), "6h"),
            ScheduleError::DurationTooLong { hours: 6, limit: 4 }
        );
        assert_eq!(
            duration_error(None, Some("cron(0 20 * * ? *)"), "5h"),
            ScheduleError::DurationTooLong { hours: 5, limit: 4 }
        );
        // 16:00 + 12h would reach into the next UTC day.
        assert_eq!(
            duration_error(None, Some("cron(0 4/12 * * ? *)"), "12h"),
            ScheduleError::DurationTooLong { hours: 12, limit: 8 }
        );
        assert_eq!(
            duration_error(None, Some("cron(0 0,6,10 * * ? *)"), "5h"),
            ScheduleError::DurationTooLong { hours: 5, limit: 4 }
        );
        assert_eq!(rules(None, Some("cron(0 20 * * ? *)"), Some("4h")).window_hours(), 4);
        assert_eq!(rules(Some(7), None, Some("24h")).window_hours(), 24);
    }

    #[test]
    fn invalid_expressions() {
        use CronField::*;
        use ExpressionProblem::*;
        let cases: &[(&str, ExpressionProblem)] = &[
            ("rate(3 hours)", RateTooFrequent),
            ("rate(1 hour)", RateTooFrequent),
            ("rate(0 days)", RateValue),
            ("rate(0 hours)", RateValue),
            ("rate(-4 hours)", RateValue),
            ("rate(+4 hours)", RateValue),
            ("rate(4.5 hours)", RateValue),
            ("rate(1000 days)", RateTooLong),
            ("rate(23977 hours)", RateTooLong),
            ("rate(99999999999 days)", RateTooLong),
            ("rate(4 hour)", RateUnit),
            ("rate(1 days)", RateUnit),
            ("rate(4 minutes)", RateUnit),
            ("rate(4 Hours)", RateUnit),
            ("rate(4)", Form),
            ("rate(4 hours 2)", Form),
            ("rate 4 hours", Form),
            ("RATE(4 hours)", Form),
            (" rate(4 hours)", Form),
            ("", Form),
            ("daily", Form),
            ("cron(0 0 * * ?)", FieldCount(5)),
            ("cron(0 0 * * ? * *)", FieldCount(7)),
            ("cron()", FieldCount(0)),
            ("cron(5 0 * * ? *)", MinutesNotZero),
            ("cron(* 0 * * ? *)", MinutesNotZero),
            ("cron(0 0 * * ? 2024)", YearNotAny),
            ("cron(0 0 1 * MON *)", DayFields),
            ("cron(0 0 * * * *)", DayFields),
            ("cron(0 0 ? * ? *)", DayFields),
            ("cron(0 24 * * ? *)", Field(Hours)),
            ("cron(0 ? * * ? *)", Field(Hours)),
            ("cron(0 1, * * ? *)", Field(Hours)),
            ("cron(0 */0 * * ? *)", Field(Hours)),
            ("cron(0 6-2 * * ? *)", Field(Hours)),
            ("cron(0 0 32 * ? *)", Field(DayOfMonth)),
            ("cron(0 0 0 * ? *)", Field(DayOfMonth)),
            ("cron(0 0 32W * ? *)", Field(DayOfMonth)),
            ("cron(0 0 ? 13 * *)", Field(Month)),
            ("cron(0 0 1 JANUARY ? *)", Field(Month)),
            ("cron(0 0 ? * 8 *)", Field(DayOfWeek)),
            ("cron(0 0 ? * 0 *)", Field(DayOfWeek)),
            ("cron(0 0 ? * MON#6 *)", Field(DayOfWeek)),
            ("cron(0 0 ? * MON#0 *)", Field(DayOfWeek)),
            ("cron(0 0 ? * FRI-MON *)", Field(DayOfWeek)),
            ("cron(0 0,2 * * ? *)", TooFrequent),
            ("cron(0 * * * ? *)", TooFrequent),
            ("cron(0 1,22 * * ? *)", TooFrequent),
            ("cron(0 0 30 2 ? *)", NeverMatches),
            ("cron(0 0 31 APR,JUN ? *)", NeverMatches),
        ];
        for (expression, want) in cases {
            assert_eq!(problem(expression), *want, "{expression}");
        }
    }

    #[test]
    fn messages() {
        let e = RotationSchedule::parse(None, Some("rate(3 hours)"), None).unwrap_err();
        assert_eq!(e.to_string(), "ScheduleExpression rate(3 hours) is invalid: the minimum is 4 hours.");
        let e = RotationSchedule::parse(None, Some("cron(0 0 ? * 8 *)"), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ScheduleExpression cron(0 0 ? * 8 *) is invalid: Day-of-week must be 1-7 or SUN-SAT with , - * ? / L #."
        );
        let aws = AwsError::from(duration_error(None, Some("rate(4 hours)"), "6h"));
        assert_eq!(aws.code, "InvalidParameterException");
        assert_eq!(
            aws.message.as_deref(),
            Some(
                "RotationRules.Duration 6h is too long: the rotation window must not extend into the next rotation \
                 window or the next UTC day, which allows at most 4h for this schedule."
            )
        );
        assert_eq!(
            ScheduleError::AfterDays(0).to_string(),
            "RotationRules.AutomaticallyAfterDays must be within 1-1000."
        );
    }

    #[test]
    fn cron_matches_only_on_the_hour() {
        let Schedule::Cron(cron) = *expr("cron(0 9 ? * MON-FRI *)").schedule() else { panic!() };
        assert!(cron.matches(at(2024, 2, 29, 9, 0)));
        assert!(!cron.matches(Timestamp(at(2024, 2, 29, 9, 0).0 + 1)));
        assert!(!cron.matches(at(2024, 2, 29, 10, 0)));
        assert!(!cron.matches(at(2024, 3, 2, 9, 0)));
        assert!(!cron.is_hourly());
        let Schedule::Cron(cron) = *expr("cron(0 4/12 * * ? *)").schedule() else { panic!() };
        assert!(cron.is_hourly());
    }

    #[test]
    fn saturates_at_the_end_of_time() {
        let w = rules(Some(1000), None, None).next_window(Timestamp(i64::MAX - 1));
        assert!(w.end >= w.start);
        let w = expr("cron(0 0 ? * MON#1 *)").next_window(Timestamp(i64::MAX - 1));
        assert!(w.end >= w.start);
    }

    /// Instants from 1900 to 2300.
    fn instant() -> impl Strategy<Value = Timestamp> {
        (-2_208_988_800_000i64..10_413_792_000_000).prop_map(Timestamp)
    }

    fn bits(values: &std::collections::BTreeSet<u8>) -> String {
        values.iter().map(u8::to_string).collect::<Vec<_>>().join(",")
    }

    proptest! {
        #[test]
        fn civil_dates_agree_with_the_time_crate(days in -2_900_000i64..2_900_000) {
            let date = time::Date::from_julian_day(i32::try_from(days + 2_440_588).unwrap()).unwrap();
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!((y, m, d), (i64::from(date.year()), u8::from(date.month()), date.day()));
            prop_assert_eq!(weekday(days), date.weekday().number_from_sunday());
            prop_assert_eq!(days_in_month(y, m), date.month().length(date.year()));
        }

        #[test]
        fn days_based_windows(n in 1i64..=1000, after in instant(), duration in proptest::option::of(1u8..=24)) {
            let duration = duration.map(|h| format!("{h}h"));
            let s = rules(Some(n), None, duration.as_deref());
            let w = s.next_window(after);
            prop_assert!(w.start > after);
            prop_assert_eq!(w.start.0.rem_euclid(DAY_MS), 0);
            prop_assert_eq!(w.start, Timestamp(after.0 + n * DAY_MS).truncate_to_day());
            prop_assert!(w.end > w.start && w.end.0 - w.start.0 <= DAY_MS);
            if n <= 999 {
                let r = rules(None, Some(&format!("rate({n} {})", if n == 1 { "day" } else { "days" })), duration.as_deref());
                prop_assert_eq!(r.next_window(after), w);
            }
        }

        #[test]
        fn hours_based_windows(n in 4i64..=200, after in instant(), duration in 1u8..=24) {
            let s = rules(None, Some(&format!("rate({n} hours)")), None);
            let w = s.next_window(after);
            prop_assert!(w.start > after);
            prop_assert!(w.start.0 - after.0 <= n * HOUR_MS);
            prop_assert_eq!(w.start.0.rem_euclid(HOUR_MS), 0);
            prop_assert_eq!(w.end.0 - w.start.0, HOUR_MS);
            let explicit = RotationSchedule::parse(None, Some(&format!("rate({n} hours)")), Some(&format!("{duration}h")));
            prop_assert_eq!(explicit.is_ok(), i64::from(duration) <= n);
        }

        /// Crons written as plain lists, checked against the sets they were written from and
        /// the `time` crate's calendar rather than the parser's own reading.
        #[test]
        fn cron_windows_open_on_the_first_matching_hour(
            first in 0u8..4,
            step in 4u8..=24,
            months in proptest::collection::btree_set(1u8..=12, 1..=12),
            by_week in any::<bool>(),
            month_days in proptest::collection::btree_set(1u8..=28, 1..=5),
            week_days in proptest::collection::btree_set(1u8..=7, 1..=7),
            duration in proptest::option::of(1u8..=24),
            after in instant(),
        ) {
            let hours: std::collections::BTreeSet<u8> = (first..24).step_by(usize::from(step)).collect();
            let last = *hours.last().unwrap();
            prop_assume!(hours.len() == 1 || first + 24 - last >= 4);
            let (dom, dow) = if by_week { ("?".to_owned(), bits(&week_days)) } else { (bits(&month_days), "?".to_owned()) };
            let expression = format!("cron(0 {} {dom} {} {dow} *)", bits(&hours), bits(&months));
            let duration = duration.map(|h| format!("{h}h"));
            let Ok(Some(s)) = RotationSchedule::parse(None, Some(&expression), duration.as_deref()) else {
                let limit = hours.iter().zip(hours.iter().skip(1).chain([&24])).map(|(h, n)| n - h).min().unwrap();
                prop_assert!(duration.is_some_and(|d| d.trim_end_matches('h').parse::<u8>().unwrap() > limit));
                return Ok(());
            };
            let reference = |t: Timestamp| {
                let u = t.utc();
                t.0.rem_euclid(HOUR_MS) == 0
                    && hours.contains(&u.hour())
                    && months.contains(&u8::from(u.month()))
                    && if by_week { week_days.contains(&u.weekday().number_from_sunday()) } else { month_days.contains(&u.day()) }
            };
            let w = s.next_window(after);
            prop_assert!(w.start > after);
            prop_assert!(w.end > w.start);
            prop_assert!(reference(w.start), "{} after {}: {}", expression, after.iso8601(), w.start.iso8601());
            let Schedule::Cron(cron) = s.schedule() else { panic!() };
            prop_assert!(cron.matches(w.start));
            // No earlier whole hour matches (checked over the first two months).
            let mut hour = after.0.div_euclid(HOUR_MS) + 1;
            while hour * HOUR_MS < w.start.0 && hour * HOUR_MS - after.0 < 62 * DAY_MS {
                prop_assert!(!reference(Timestamp(hour * HOUR_MS)), "{} skipped {}", expression, Timestamp(hour * HOUR_MS).iso8601());
                hour += 1;
            }
            // The window ends by midnight and by the day's next window.
            let end_of_day = w.start.truncate_to_day().plus_days(1);
            prop_assert!(w.end <= end_of_day);
            let next = s.next_window(w.start);
            prop_assert!(w.end <= next.start);
        }

        #[test]
        fn special_crons_open_on_matching_hours(
            expression in proptest::sample::select(vec![
                "cron(0 16 L * ? *)", "cron(0 0 ? * MON#1 *)", "cron(0 0 ? * 6L *)", "cron(0 10 15W * ? *)",
                "cron(0 0 LW * ? *)", "cron(0 4/12 * * ? *)", "cron(0 8 1/7 * ? *)", "cron(0 0 29 2 ? *)",
                "cron(0 0 ? FEB MON#5 *)", "cron(0 */4 ? * SAT,SUN *)",
            ]),
            after in instant(),
        ) {
            let s = expr(expression);
            let w = s.next_window(after);
            let Schedule::Cron(cron) = s.schedule() else { panic!() };
            prop_assert!(w.start > after && w.end > w.start);
            prop_assert!(cron.matches(w.start));
            let mut hour = after.0.div_euclid(HOUR_MS) + 1;
            while hour * HOUR_MS < w.start.0 && hour * HOUR_MS - after.0 < 62 * DAY_MS {
                prop_assert!(!cron.matches(Timestamp(hour * HOUR_MS)));
                hour += 1;
            }
        }

        #[test]
        fn parse_never_panics(days in proptest::option::of(any::<i64>()), expression in proptest::option::of("(rate|cron)\\([ 0-9a-zA-Z*?/,#LW-]{0,30}\\)|.{0,20}"), duration in proptest::option::of(".{0,4}")) {
            if let Ok(Some(s)) = RotationSchedule::parse(days, expression.as_deref(), duration.as_deref()) {
                let w = s.next_window(Timestamp(1_700_000_000_000));
                prop_assert!(w.end > w.start);
            }
        }
    }
}
