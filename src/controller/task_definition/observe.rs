//! Reads what AWS has for a TaskDefinition: the revision for the current spec hash (from status,
//! or found by its tags after a crash or a spec change), our older ACTIVE revisions and other
//! writers' revisions in the family. Also detects families owned by someone else.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::TaskDefinitionStatus;

use super::plan::{Desired, Observed, Revision};
use crate::aws::convert::task_definition::task_definition_spec_from_sdk;
use crate::aws::ecs::{DescribedTaskDefinition, EcsApi, revision_of};
use crate::canonical::task_definition::task_definition_hash;
use crate::controller::error::Error;
use crate::crd::common::tags;
use crate::crd::task_definition::TaskDefinitionStatus as Status;

/// How many unknown revisions to inspect when looking for ours by tag. A crash leaves at most
/// a revision or two behind; a family with a long foreign history should not cost 100 calls.
pub const TAG_SEARCH_LIMIT: usize = 10;

/// Status for a revision that no longer exists at all.
pub const DELETED: &str = "DELETED";

pub async fn observe(
    ecs: &dyn EcsApi,
    status: Option<&Status>,
    desired: &Desired,
    owner: &str,
    adopt: bool,
) -> Result<Observed, Error> {
    Ok(observe_listed(ecs, None, status, desired, owner, adopt).await?.0)
}

/// [`observe`], with the family's ACTIVE revisions already `listed` (newest first) or listed
/// here; also that list, for the steady check.
pub async fn observe_listed(
    ecs: &dyn EcsApi,
    listed: Option<Vec<String>>,
    status: Option<&Status>,
    desired: &Desired,
    owner: &str,
    adopt: bool,
) -> Result<(Observed, Vec<String>), Error> {
    let history = status.and_then(|s| s.revisions.clone()).unwrap_or_default();
    let known: BTreeMap<&str, Option<&str>> =
        history.iter().map(|r| (r.task_definition_arn.as_str(), r.spec_hash.as_deref())).collect();
    let active = match listed {
        Some(active) => active,
        None => ecs.list_task_definitions(&desired.family, TaskDefinitionStatus::Active).await?,
    };

    let recorded = status
        .filter(|s| s.spec_hash.as_deref() == Some(desired.spec_hash.as_str()))
        .and_then(|s| s.task_definition_arn.as_deref());
    let current = match recorded {
        Some(arn) => Some(match ecs.describe_task_definition(arn).await? {
            Some(described) => revision(&described),
            None => Revision {
                arn: arn.to_owned(),
                revision: revision_of(arn).unwrap_or(0),
                status: DELETED.into(),
                tags: BTreeMap::new(),
            },
        }),
        None => {
            let sharing = Sharing { adopt, shares_family: adopt || !history.is_empty() };
            find_by_tag(ecs, &active, &known, desired, owner, sharing).await?
        }
    };

    let current_arn = current.as_ref().map(|c| c.arn.as_str());
    let older_active = history
        .iter()
        .filter(|r| r.status.as_deref() == Some("ACTIVE") && Some(r.task_definition_arn.as_str()) != current_arn)
        .filter(|r| active.contains(&r.task_definition_arn))
        .map(|r| Revision {
            arn: r.task_definition_arn.clone(),
            revision: r.revision,
            status: "ACTIVE".into(),
            tags: BTreeMap::new(),
        })
        .collect();
    let newest_ours = history.iter().map(|r| r.revision).chain(current.as_ref().map(|c| c.revision)).max().unwrap_or(0);
    let foreign_newer = active
        .iter()
        .filter(|arn| !known.contains_key(arn.as_str()) && Some(arn.as_str()) != current_arn)
        .filter(|arn| revision_of(arn).is_some_and(|r| r > newest_ours))
        .cloned()
        .collect();
    Ok((Observed { current, older_active, foreign_newer }, active))
}

/// What an object may do with revisions of its family that the operator did not register.
#[derive(Debug, Clone, Copy)]
struct Sharing {
    /// `spec.adopt`: an untagged revision whose content is the spec's is taken as the spec's
    /// revision (it is tagged, never registered again).
    adopt: bool,
    /// Register beside untagged revisions (adopting, or the family is already the object's).
    shares_family: bool,
}

/// Looks through the family's ACTIVE revisions, newest first, for one carrying our owner tag and
/// the current spec hash: a revision registered just before a crash, or one registered for
/// this spec earlier; when adopting, also an untagged one whose content is the spec's (a family
/// brought in by `ecs-operator import`). Refuses families owned by another object, and families
/// with revisions the operator did not create unless adoption is allowed.
async fn find_by_tag(
    ecs: &dyn EcsApi,
    active: &[String],
    known: &BTreeMap<&str, Option<&str>>,
    desired: &Desired,
    owner: &str,
    sharing: Sharing,
) -> Result<Option<Revision>, Error> {
    let candidates = active
        .iter()
        // A revision we recorded with another hash cannot be the one we look for.
        .filter(|arn| known.get(arn.as_str()).is_none_or(|hash| *hash == Some(desired.spec_hash.as_str())))
        .take(TAG_SEARCH_LIMIT);
    for arn in candidates {
        let Some(described) = ecs.describe_task_definition(arn).await? else { continue };
        let found = revision(&described);
        match found.tags.get(tags::OWNER) {
            Some(o) if o == owner && found.tags.get(tags::SPEC_HASH) == Some(&desired.spec_hash) => {
                return Ok(Some(found));
            }
            Some(o) if o == owner => {}
            Some(other) => {
                return Err(Error::Conflict(format!(
                    "task definition family {:?} is managed by {other} (revision {}); pick another spec.family",
                    desired.family, found.revision
                )));
            }
            None if sharing.adopt
                && content_hash(&described, &desired.family).as_deref() == Some(desired.spec_hash.as_str()) =>
            {
                return Ok(Some(found));
            }
            None if !sharing.shares_family => {
                return Err(Error::Conflict(format!(
                    "task definition family {:?} already has revisions not created by ecs-operator (revision {}); \
                     set spec.adopt: true to register into it",
                    desired.family, found.revision
                )));
            }
            None => {}
        }
    }
    Ok(None)
}

/// The spec hash of a described revision's content: the hash of the spec it stands for.
fn content_hash(described: &DescribedTaskDefinition, family: &str) -> Option<String> {
    let spec = task_definition_spec_from_sdk(&described.task_definition, &described.tags).ok()?;
    task_definition_hash(&spec, family).ok()
}

pub fn revision(described: &DescribedTaskDefinition) -> Revision {
    let td = &described.task_definition;
    Revision {
        arn: td.task_definition_arn.clone().unwrap_or_default(),
        revision: i64::from(td.revision),
        status: td.status.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_else(|| "ACTIVE".into()),
        tags: described
            .tags
            .iter()
            .filter_map(|t| Some((t.key.clone()?, t.value.clone().unwrap_or_default())))
            .collect(),
    }
}
