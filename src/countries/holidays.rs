//! The national public holidays (days off) of every country the distributor serves, as rules
//! shipped in the repository: fixed dates, days counted from Easter, the n-th weekday of a
//! month, and the holidays a country moves to the next Monday. Business days are the weekdays
//! that are none of them (tickets' due dates count them).
//!
//! Sources: each country's holiday law as summarised by its government calendar for 2025–2026.
//! Regional holidays and one-off decrees are not here; a holiday moved by a yearly decree (some of
//! Argentina's "trasladables") is kept on its usual rule.

use time::{Date, Duration, Month, Weekday};

/// How a holiday's date is found in a year.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// The same day every year.
    Fixed(Month, u8),
    /// The same day, from a year on (a holiday created by a recent law).
    FixedSince(Month, u8, i32),
    /// Days after (or before) Easter Sunday.
    Easter(i64),
    /// The n-th given weekday of the month (n = -1: the last).
    Nth(Month, i8, Weekday),
    /// The day, moved to the following Monday when it is not one (Colombia's Ley Emiliani).
    NextMonday(Month, u8),
    /// The day, and when it falls on a Saturday the Friday before, on a Sunday the Monday after
    /// (the United States' "observed" days).
    Observed(Month, u8),
    /// The day every six years from a year (Mexico's change of president).
    EverySixYearsFrom(Month, u8, i32),
}

use Month::*;
use Rule::*;
use Weekday::*;

/// The rules of `country` (ISO code); none for a country the distributor does not serve.
fn rules(country: &str) -> &'static [Rule] {
    match country {
        "AR" => &[
            Fixed(January, 1),
            Easter(-48),
            Easter(-47),
            Fixed(March, 24),
            Fixed(April, 2),
            Easter(-2),
            Fixed(May, 1),
            Fixed(May, 25),
            Fixed(June, 17),
            Fixed(June, 20),
            Fixed(July, 9),
            Nth(August, 3, Monday),
            Nth(October, 2, Monday),
            Nth(November, 4, Monday),
            Fixed(December, 8),
            Fixed(December, 25),
        ],
        "BR" => &[
            Fixed(January, 1),
            // Carnaval: the Monday and Tuesday before Ash Wednesday.
            Easter(-48),
            Easter(-47),
            Easter(-2),
            Fixed(April, 21),
            Fixed(May, 1),
            Easter(60),
            Fixed(September, 7),
            Fixed(October, 12),
            Fixed(November, 2),
            Fixed(November, 15),
            FixedSince(November, 20, 2024),
            Fixed(December, 25),
        ],
        "CL" => &[
            Fixed(January, 1),
            Easter(-2),
            Easter(-1),
            Fixed(May, 1),
            Fixed(May, 21),
            Fixed(June, 20),
            Fixed(June, 29),
            Fixed(July, 16),
            Fixed(August, 15),
            Fixed(September, 18),
            Fixed(September, 19),
            Fixed(October, 12),
            Fixed(October, 31),
            Fixed(November, 1),
            Fixed(December, 8),
            Fixed(December, 25),
        ],
        "CO" => &[
            Fixed(January, 1),
            NextMonday(January, 6),
            NextMonday(March, 19),
            Easter(-3),
            Easter(-2),
            Fixed(May, 1),
            // Ascension, Corpus Christi and the Sacred Heart, on their Mondays.
            Easter(43),
            Easter(64),
            Easter(71),
            NextMonday(June, 29),
            Fixed(July, 20),
            Fixed(August, 7),
            NextMonday(August, 15),
            NextMonday(October, 12),
            NextMonday(November, 1),
            NextMonday(November, 11),
            Fixed(December, 8),
            Fixed(December, 25),
        ],
        "CR" => &[
            Fixed(January, 1),
            Easter(-3),
            Easter(-2),
            Fixed(April, 11),
            Fixed(May, 1),
            Fixed(July, 25),
            Fixed(August, 2),
            Fixed(August, 15),
            Fixed(August, 31),
            Fixed(September, 15),
            Fixed(December, 1),
            Fixed(December, 25),
        ],
        "DO" => &[
            Fixed(January, 1),
            Fixed(January, 6),
            Fixed(January, 21),
            Fixed(January, 26),
            Fixed(February, 27),
            Easter(-2),
            Fixed(May, 1),
            Easter(60),
            Fixed(August, 16),
            Fixed(September, 24),
            Fixed(November, 6),
            Fixed(December, 25),
        ],
        "EC" => &[
            Fixed(January, 1),
            Easter(-48),
            Easter(-47),
            Easter(-2),
            Fixed(May, 1),
            Fixed(May, 24),
            Fixed(August, 10),
            Fixed(October, 9),
            Fixed(November, 2),
            Fixed(November, 3),
            Fixed(December, 25),
        ],
        "GT" => &[
            Fixed(January, 1),
            Easter(-3),
            Easter(-2),
            Easter(-1),
            Fixed(May, 1),
            Fixed(June, 30),
            Fixed(September, 15),
            Fixed(October, 20),
            Fixed(November, 1),
            Fixed(December, 25),
        ],
        "MX" => &[
            Fixed(January, 1),
            Nth(February, 1, Monday),
            Nth(March, 3, Monday),
            Fixed(May, 1),
            Fixed(September, 16),
            EverySixYearsFrom(October, 1, 2024),
            Nth(November, 3, Monday),
            Fixed(December, 25),
        ],
        "PA" => &[
            Fixed(January, 1),
            Fixed(January, 9),
            Easter(-48),
            Easter(-47),
            Easter(-2),
            Fixed(May, 1),
            Fixed(November, 3),
            Fixed(November, 5),
            Fixed(November, 10),
            Fixed(November, 28),
            Fixed(December, 8),
            Fixed(December, 25),
        ],
        "PE" => &[
            Fixed(January, 1),
            Easter(-3),
            Easter(-2),
            Fixed(May, 1),
            FixedSince(June, 7, 2022),
            Fixed(June, 29),
            FixedSince(July, 23, 2022),
            Fixed(July, 28),
            Fixed(July, 29),
            FixedSince(August, 6, 2024),
            Fixed(August, 30),
            Fixed(October, 8),
            Fixed(November, 1),
            Fixed(December, 8),
            FixedSince(December, 9, 2022),
            Fixed(December, 25),
        ],
        "PR" => &[
            Observed(January, 1),
            Observed(January, 6),
            Nth(January, 3, Monday),
            Nth(February, 3, Monday),
            Observed(March, 22),
            Easter(-2),
            Nth(May, -1, Monday),
            Observed(July, 4),
            Observed(July, 25),
            Nth(September, 1, Monday),
            Observed(November, 11),
            Nth(November, 4, Thursday),
            Observed(December, 25),
        ],
        "US" => &[
            Observed(January, 1),
            Nth(January, 3, Monday),
            Nth(February, 3, Monday),
            Nth(May, -1, Monday),
            Observed(June, 19),
            Observed(July, 4),
            Nth(September, 1, Monday),
            Nth(October, 2, Monday),
            Observed(November, 11),
            Nth(November, 4, Thursday),
            Observed(December, 25),
        ],
        "UY" => &[
            Fixed(January, 1),
            Fixed(January, 6),
            Easter(-48),
            Easter(-47),
            Easter(-3),
            Easter(-2),
            Fixed(April, 19),
            Fixed(May, 1),
            Fixed(May, 18),
            Fixed(June, 19),
            Fixed(July, 18),
            Fixed(August, 25),
            Fixed(October, 12),
            Fixed(November, 2),
            Fixed(December, 25),
        ],
        _ => &[],
    }
}

/// Easter Sunday of `year` (Gregorian; the anonymous algorithm of Meeus, Jones and Butcher).
pub fn easter(year: i32) -> Date {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = if month == 3 { March } else { April };
    Date::from_calendar_date(year, month, day as u8).unwrap_or(Date::MIN)
}

fn day(year: i32, month: Month, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, month, day).ok()
}

/// The date `rule` gives in `year`, if it is one that year.
fn date(rule: Rule, year: i32) -> Option<Date> {
    match rule {
        Fixed(m, d) => day(year, m, d),
        FixedSince(m, d, since) => (year >= since).then(|| day(year, m, d)).flatten(),
        EverySixYearsFrom(m, d, from) => (year >= from && (year - from) % 6 == 0)
            .then(|| day(year, m, d))
            .flatten(),
        Easter(offset) => Some(easter(year) + Duration::days(offset)),
        Nth(m, n, weekday) if n > 0 => {
            let first = day(year, m, 1)?;
            let ahead = (weekday.number_days_from_monday() as i64
                - first.weekday().number_days_from_monday() as i64)
                .rem_euclid(7);
            let found = first + Duration::days(ahead + 7 * (i64::from(n) - 1));
            (found.month() == m).then_some(found)
        }
        Nth(m, _, weekday) => {
            let last = day(year, m, m.length(year))?;
            let back = (last.weekday().number_days_from_monday() as i64
                - weekday.number_days_from_monday() as i64)
                .rem_euclid(7);
            Some(last - Duration::days(back))
        }
        NextMonday(m, d) => {
            let on = day(year, m, d)?;
            let ahead = (7 - on.weekday().number_days_from_monday() as i64) % 7;
            Some(on + Duration::days(ahead))
        }
        Observed(m, d) => {
            let on = day(year, m, d)?;
            Some(match on.weekday() {
                Saturday => on - Duration::days(1),
                Sunday => on + Duration::days(1),
                _ => on,
            })
        }
    }
}

/// Whether `on` is a national public holiday in `country`.
pub fn is_holiday(country: &str, on: Date) -> bool {
    rules(country)
        .iter()
        .any(|&rule| date(rule, on.year()) == Some(on))
}

/// Whether `on` is a business day in `country`: a weekday that is no public holiday.
pub fn is_business_day(country: &str, on: Date) -> bool {
    !matches!(on.weekday(), Saturday | Sunday) && !is_holiday(country, on)
}

/// The `n`-th business day in `country` after `from` (`from` itself not counted).
pub fn business_days_after(country: &str, from: Date, n: u32) -> Date {
    let mut on = from;
    let mut left = n;
    while left > 0 {
        on = on.next_day().unwrap_or(on);
        if is_business_day(country, on) {
            left -= 1;
        }
    }
    on
}

/// How many business days in `country` lie after `from` up to `to` (included); zero when `to`
/// is not after `from`.
pub fn business_days_between(country: &str, from: Date, to: Date) -> u32 {
    let mut on = from;
    let mut count = 0;
    while on < to {
        on = on.next_day().unwrap_or(to);
        if is_business_day(country, on) {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn easter_of_known_years() {
        assert_eq!(easter(2024), date!(2024 - 03 - 31));
        assert_eq!(easter(2025), date!(2025 - 04 - 20));
        assert_eq!(easter(2026), date!(2026 - 04 - 05));
        assert_eq!(easter(2027), date!(2027 - 03 - 28));
    }

    #[test]
    fn known_holidays_of_the_countries_served() {
        // Brazil: Carnaval (Monday and Tuesday), Tiradentes, Corpus Christi, Consciência Negra
        // from 2024 on.
        for d in [
            date!(2027 - 02 - 08),
            date!(2027 - 02 - 09),
            date!(2026 - 02 - 16),
        ] {
            assert!(is_holiday("BR", d), "{d}");
        }
        assert!(
            !is_holiday("BR", date!(2027 - 02 - 10)),
            "Ash Wednesday is worked"
        );
        assert!(is_holiday("BR", date!(2026 - 04 - 21)));
        assert!(
            is_holiday("BR", date!(2026 - 06 - 04)),
            "Corpus Christi 2026"
        );
        assert!(is_holiday("BR", date!(2024 - 11 - 20)));
        assert!(!is_holiday("BR", date!(2023 - 11 - 20)));
        // Mexico: Independence Day, the first Monday of February, the third of March and of
        // November, the change of president in 2024 and 2030 only.
        assert!(is_holiday("MX", date!(2026 - 09 - 16)));
        assert!(is_holiday("MX", date!(2026 - 02 - 02)));
        assert!(is_holiday("MX", date!(2026 - 03 - 16)));
        assert!(is_holiday("MX", date!(2026 - 11 - 16)));
        assert!(is_holiday("MX", date!(2024 - 10 - 01)));
        assert!(!is_holiday("MX", date!(2026 - 10 - 01)));
        assert!(
            !is_holiday("MX", date!(2026 - 04 - 03)),
            "Good Friday is worked in Mexico"
        );
        // Colombia moves Epiphany to Monday; Argentina's Carnival; Chile's Independence days.
        assert!(is_holiday("CO", date!(2026 - 01 - 12)));
        assert!(!is_holiday("CO", date!(2026 - 01 - 06)));
        assert!(is_holiday("AR", date!(2026 - 02 - 16)));
        assert!(is_holiday("CL", date!(2026 - 09 - 18)));
        // The United States: Thanksgiving, Memorial Day (the last Monday), July 4th observed on
        // the Friday when a Saturday.
        assert!(is_holiday("US", date!(2026 - 11 - 26)));
        assert!(is_holiday("US", date!(2026 - 05 - 25)));
        assert!(is_holiday("US", date!(2026 - 07 - 03)));
        // Peru's Battle of Junín since 2024; Uruguay's Tourism Week Thursday.
        assert!(is_holiday("PE", date!(2026 - 08 - 06)));
        assert!(is_holiday("UY", date!(2026 - 04 - 02)));
        // Every country served has its rules.
        for c in crate::countries::COUNTRIES {
            assert!(is_holiday(c.code, date!(2026 - 01 - 01)), "{}", c.code);
            assert!(is_holiday(c.code, date!(2026 - 12 - 25)), "{}", c.code);
        }
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // The Friday before Carnaval 2027 in Brazil: Monday and Tuesday are holidays, so the
        // second business day after it is Thursday.
        assert_eq!(
            business_days_after("BR", date!(2027 - 02 - 05), 2),
            date!(2027 - 02 - 11)
        );
        // The same Friday in Mexico: Monday and Tuesday.
        assert_eq!(
            business_days_after("MX", date!(2027 - 02 - 05), 2),
            date!(2027 - 02 - 09)
        );
        // Mexico, Monday 14 September 2026: Tuesday, then Thursday (the 16th is a holiday).
        assert_eq!(
            business_days_after("MX", date!(2026 - 09 - 14), 2),
            date!(2026 - 09 - 17)
        );
        // A ticket opened on a Saturday counts from Monday (in Chile the Tuesday after is the
        // Immaculate Conception).
        assert_eq!(
            business_days_after("CL", date!(2026 - 12 - 05), 2),
            date!(2026 - 12 - 09)
        );
        assert_eq!(
            business_days_between("BR", date!(2027 - 02 - 05), date!(2027 - 02 - 11)),
            2
        );
        assert_eq!(
            business_days_between("BR", date!(2027 - 02 - 11), date!(2027 - 02 - 05)),
            0
        );
    }
}
