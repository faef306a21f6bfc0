//! Figures kept for reading fast (this month's estimate, the committed spend) and computed
//! again by a job: when they are out of date, and the moment their refresh is keyed by.

use time::OffsetDateTime;

/// How long kept figures (an estimate, the committed spend) stand when nothing changed.
pub const FIGURES_STAND_FOR: time::Duration = time::Duration::hours(1);

/// Whether figures computed at `computed` (if any) are out of date at `now`, when the latest
/// change of a subscription was decided at `changed`: the moment its refresh is keyed by (one
/// refresh per change, or per hour), or none while they stand.
pub fn refresh_due(
    computed: Option<OffsetDateTime>,
    changed: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let hour = now
        .replace_minute(0)
        .unwrap_or(now)
        .replace_second(0)
        .unwrap_or(now)
        .replace_nanosecond(0)
        .unwrap_or(now);
    match (computed, changed) {
        (None, _) => Some(hour),
        (Some(at), Some(changed)) if changed > at => Some(changed),
        (Some(at), _) if now - at > FIGURES_STAND_FOR => Some(hour),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn kept_figures_stand_an_hour_or_until_a_change() {
        let now = datetime!(2026-12-03 10:25:12 UTC);
        // None yet: one per hour.
        assert_eq!(
            refresh_due(None, None, now),
            Some(datetime!(2026-12-03 10:00 UTC))
        );
        let made = datetime!(2026-12-03 10:00 UTC);
        assert_eq!(refresh_due(Some(made), None, now), None);
        // A change decided since: one for that change.
        let changed = datetime!(2026-12-03 10:20 UTC);
        assert_eq!(refresh_due(Some(made), Some(changed), now), Some(changed));
        // A change before it: it stands.
        let before = datetime!(2026-12-03 09:59 UTC);
        assert_eq!(refresh_due(Some(made), Some(before), now), None);
        // Over an hour old: once per hour.
        let old = datetime!(2026-12-03 09:20 UTC);
        let earlier = datetime!(2026-12-03 09:00 UTC);
        assert_eq!(
            refresh_due(Some(old), Some(earlier), now),
            Some(datetime!(2026-12-03 10:00 UTC))
        );
    }
}
