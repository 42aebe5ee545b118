use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as stored in every `*_at` column.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
