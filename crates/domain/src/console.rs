//! The administrators' dashboard: how the service stands, and the last 30
//! days' sign-ins and downloads.

use serde::{Deserialize, Serialize};

/// Days the activity charts cover, today included.
pub const ACTIVITY_DAYS: i64 = 30;

/// One day's activity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayActivity {
    /// Unix seconds at 00:00 UTC.
    pub day: i64,
    /// Completed sign-ins (with a second factor where one is set up).
    pub sign_ins: i64,
    pub downloads: i64,
}

/// The dashboard's figures, as they are now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub organisations_active: i64,
    pub organisations_suspended: i64,
    pub organisations_ended: i64,
    /// Members with a verified email address.
    pub members: i64,
    pub administrators: i64,
    pub resources_published: i64,
    pub resources_draft: i64,
    pub resources_archived: i64,
    /// Messages not yet closed, and of them those nobody has touched.
    pub messages_open: i64,
    pub messages_new: i64,
    /// Published resources whose review date has passed, and those due
    /// within 30 days.
    pub reviews_overdue: i64,
    pub reviews_due: i64,
    /// Open data-rights requests past their due date, and those due
    /// within [`crate::rights::DUE_SOON_DAYS`] days.
    pub rights_overdue: i64,
    pub rights_due_soon: i64,
    /// The last [`ACTIVITY_DAYS`] days, oldest first, every day present.
    pub days: Vec<DayActivity>,
}

/// Every one of the [`ACTIVITY_DAYS`] days up to `today` (Unix seconds at
/// 00:00 UTC), oldest first, with the counts `known` has for it and zero
/// for the rest.
pub fn fill_days(today: i64, known: &[DayActivity]) -> Vec<DayActivity> {
    (0..ACTIVITY_DAYS)
        .map(|back| today - (ACTIVITY_DAYS - 1 - back) * crate::library::DAY)
        .map(|day| {
            known
                .iter()
                .find(|d| d.day == day)
                .copied()
                .unwrap_or(DayActivity {
                    day,
                    ..DayActivity::default()
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::DAY;

    #[test]
    fn every_day_is_present_oldest_first() {
        let today = 20_000 * DAY;
        let known = [
            DayActivity {
                day: today,
                sign_ins: 3,
                downloads: 1,
            },
            DayActivity {
                day: today - 29 * DAY,
                sign_ins: 1,
                downloads: 0,
            },
            // Outside the window: left out.
            DayActivity {
                day: today - 30 * DAY,
                sign_ins: 9,
                downloads: 9,
            },
        ];
        let days = fill_days(today, &known);
        assert_eq!(days.len(), 30);
        assert_eq!(days[0].day, today - 29 * DAY);
        assert_eq!(days[0].sign_ins, 1);
        assert_eq!(days[29], known[0]);
        assert_eq!(days.iter().map(|d| d.sign_ins).sum::<i64>(), 4);
    }
}

/// One kind of personal data the next retention run would delete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRow {
    /// What it is, as a person reads it.
    pub what: String,
    pub count: i64,
    /// The oldest item's date, Unix seconds.
    pub oldest: Option<i64>,
}
