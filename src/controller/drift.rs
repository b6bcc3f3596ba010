//! Drift as every kind reports it: the items a plan leaves in place, turned into
//! `status.drift` entries that keep their first-seen time across reconciles.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::Value;

use crate::canonical::FieldDiff;
use crate::crd::common::DriftEntry;

/// A difference between the spec and AWS, for `status.drift`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftItem {
    pub field: String,
    pub desired: Option<String>,
    pub actual: Option<String>,
}

impl DriftItem {
    /// From a canonical field difference, values as JSON text.
    pub fn from_diff(d: &FieldDiff) -> Self {
        Self {
            field: d.path.clone(),
            desired: d.desired.as_ref().map(Value::to_string),
            actual: d.actual.as_ref().map(Value::to_string),
        }
    }
}

/// Status entries for `items`, keeping `firstSeen` of differences already reported; None when
/// there is no drift (the field is left out of status).
pub fn entries(previous: &[DriftEntry], items: &[DriftItem], now: &Time) -> Option<Vec<DriftEntry>> {
    let entries: Vec<DriftEntry> = items
        .iter()
        .map(|d| DriftEntry {
            field: d.field.clone(),
            desired: d.desired.clone(),
            actual: d.actual.clone(),
            first_seen: previous
                .iter()
                .find(|p| p.field == d.field && p.actual == d.actual)
                .map(|p| p.first_seen.clone())
                .unwrap_or_else(|| now.clone()),
        })
        .collect();
    (!entries.is_empty()).then_some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        Time(s.parse().expect("time"))
    }

    #[test]
    fn first_seen_is_kept_while_the_difference_stays_the_same() {
        let item = DriftItem { field: "desiredCount".into(), desired: Some("3".into()), actual: Some("5".into()) };
        let first = entries(&[], std::slice::from_ref(&item), &t("2026-01-01T00:00:00Z")).expect("drift");
        let again = entries(&first, std::slice::from_ref(&item), &t("2026-01-01T00:05:00Z")).expect("drift");
        assert_eq!(again[0].first_seen, t("2026-01-01T00:00:00Z"));
        let moved = DriftItem { actual: Some("6".into()), ..item };
        let changed = entries(&first, &[moved], &t("2026-01-01T00:05:00Z")).expect("drift");
        assert_eq!(changed[0].first_seen, t("2026-01-01T00:05:00Z"), "a new actual value is a new difference");
        assert_eq!(entries(&first, &[], &t("2026-01-01T00:05:00Z")), None);
    }
}
