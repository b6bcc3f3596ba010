//! The account's ACTIVE task definition revisions, listed once for every TaskDefinition.
//!
//! Revisions are immutable: what can change under a steady TaskDefinition is which of its
//! family's revisions are ACTIVE (one deregistered or deleted, another writer's registered) and
//! their tags. One paginated ListTaskDefinitions (status ACTIVE, every family, 100 a page)
//! answers the first question for every TaskDefinition at once; a steady object describes its
//! revision only when that answer changed or its tags are due a look.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use std::time::Instant;

use super::ecs::{AwsResult, EcsApi};
use super::error::AwsError;

/// A listing of ACTIVE revisions by family.
#[derive(Clone)]
pub struct Listed {
    /// When the listing started: a check made after it saw a newer state than it can show.
    pub started: Instant,
    /// `arn:…:task-definition/`: what each family's ARNs start with.
    prefix: Arc<str>,
    /// Revision numbers of each family, newest first.
    families: Arc<HashMap<String, Vec<i64>>>,
}

impl Listed {
    /// Groups ARNs (`arn:…:task-definition/family:revision`) by family.
    pub fn from_arns(started: Instant, arns: &[String]) -> Self {
        let mut prefix = String::new();
        let mut families: HashMap<String, Vec<i64>> = HashMap::new();
        for arn in arns {
            let Some((head, tail)) = arn.split_once(":task-definition/") else { continue };
            let Some((family, revision)) = tail.rsplit_once(':') else { continue };
            let Ok(revision) = revision.parse::<i64>() else { continue };
            if prefix.is_empty() {
                prefix = format!("{head}:task-definition/");
            }
            families.entry(family.to_owned()).or_default().push(revision);
        }
        for revisions in families.values_mut() {
            revisions.sort_unstable_by(|a, b| b.cmp(a));
            revisions.shrink_to_fit();
        }
        Self { started, prefix: prefix.into(), families: Arc::new(families) }
    }

    /// The family's ACTIVE revision ARNs, newest first (as a ListTaskDefinitions of the family
    /// sorted DESC answers).
    pub fn active(&self, family: &str) -> Vec<String> {
        let revisions = self.families.get(family).map(Vec::as_slice).unwrap_or_default();
        revisions.iter().map(|r| format!("{}{family}:{r}", self.prefix)).collect()
    }

    /// What a family's ACTIVE revisions are, in one number: equal fingerprints, same set.
    pub fn fingerprint(&self, family: &str) -> u64 {
        fingerprint(&self.active(family))
    }
}

/// The fingerprint of a family's ACTIVE revision ARNs (order does not matter).
pub fn fingerprint(arns: &[String]) -> u64 {
    let mut sorted: Vec<&String> = arns.iter().collect();
    sorted.sort();
    let mut hasher = DefaultHasher::new();
    sorted.hash(&mut hasher);
    hasher.finish()
}

/// How long a failed listing is answered with its error before it is tried again: readers
/// queued behind a throttled listing must not each list the whole account again.
const FAILURE_HOLD: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Last {
    listed: Option<Listed>,
    failed: Option<(Instant, AwsError)>,
}

/// The shared listing, refreshed when a reader needs it fresher than it is; readers that
/// arrive while it is being listed wait for that listing.
#[derive(Clone)]
pub struct RevisionList {
    ecs: Arc<dyn EcsApi>,
    last: Arc<tokio::sync::Mutex<Last>>,
}

impl RevisionList {
    pub fn new(ecs: Arc<dyn EcsApi>) -> Self {
        Self { ecs, last: Arc::default() }
    }

    /// The ACTIVE revisions, listed at most `max_age` ago.
    pub async fn fresh(&self, max_age: Duration) -> AwsResult<Listed> {
        let mut last = self.last.lock().await;
        if let Some(listed) = last.listed.as_ref()
            && listed.started.elapsed() < max_age
        {
            return Ok(listed.clone());
        }
        if let Some((at, e)) = &last.failed
            && at.elapsed() < FAILURE_HOLD
        {
            return Err(e.clone());
        }
        let started = Instant::now();
        match self.ecs.list_active_revisions().await {
            Ok(arns) => {
                let listed = Listed::from_arns(started, &arns);
                *last = Last { listed: Some(listed.clone()), failed: None };
                Ok(listed)
            }
            Err(e) => {
                last.failed = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_family_newest_first() {
        let arn = |f: &str, r: i64| format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{f}:{r}");
        let listed =
            Listed::from_arns(Instant::now(), &[arn("web", 1), arn("web", 3), arn("api", 2), "garbage".into()]);
        assert_eq!(listed.active("web"), vec![arn("web", 3), arn("web", 1)]);
        assert_eq!(listed.active("api"), vec![arn("api", 2)]);
        assert!(listed.active("worker").is_empty());
        assert_eq!(listed.fingerprint("web"), fingerprint(&[arn("web", 1), arn("web", 3)]));
        assert_ne!(listed.fingerprint("web"), fingerprint(&[arn("web", 3)]));
        // A family named like another's prefix is its own.
        let listed = Listed::from_arns(Instant::now(), &[arn("web", 1), arn("web-canary", 1)]);
        assert_eq!(listed.active("web"), vec![arn("web", 1)]);
    }
}
