//! TagResource / UntagResource / ListTagsForResource for clusters, services, task
//! definitions, capacity providers and tasks, addressed by ARN.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, ErrorKind};
use crate::protocol::{Req, Tags, arn_resource, parse_tags, tags_json};
use crate::services::ServiceKey;
use crate::state::State;
use crate::task_definitions::parse_td_ident;

fn not_found() -> ApiError {
    ApiError::new(ErrorKind::ResourceNotFound, "The specified resource is not found.")
}

impl State {
    /// The tag map of the resource an ARN names.
    fn tags_mut(&mut self, arn: &str) -> ApiResult<&mut Tags> {
        if !arn.starts_with("arn:") {
            return Err(ApiError::invalid(format!("Invalid ARN: {arn}")));
        }
        let res = arn_resource(arn);
        let (kind, rest) = res.split_once('/').ok_or_else(|| ApiError::invalid(format!("Invalid ARN: {arn}")))?;
        match kind {
            "cluster" => match self.clusters.get_mut(rest) {
                // AWS refuses tag calls on a deleted cluster (TagResource and ListTagsForResource,
                // as cloud-nuke issue 145 and terraform-provider-aws PR 35524 quote it).
                Some(c) if !c.is_active() => Err(ApiError::invalid(
                    "The specified cluster is inactive. Specify an active cluster and try again.",
                )),
                Some(c) => Ok(&mut c.tags),
                None => Err(ApiError::cluster_not_found()),
            },
            "service" => {
                // botocore ecs service-2.json, TagResourceRequest.resourceArn: "If you try to tag
                // a service with a short ARN, you receive an InvalidParameterException error."
                // (The message is the one AWS sends for ListTagsForResource too.)
                let (cluster, name) = rest
                    .split_once('/')
                    .ok_or_else(|| ApiError::invalid("Long arn format must be used for tagging operations"))?;
                let key = ServiceKey { cluster: cluster.to_string(), name: name.to_string() };
                self.services.get_mut(&key).map(|s| &mut s.tags).ok_or_else(not_found)
            }
            "task-definition" => {
                let (family, rev) = parse_td_ident(rest)?;
                let rev = rev.ok_or_else(not_found)?;
                self.families
                    .get_mut(&family)
                    .and_then(|f| f.revisions.get_mut(&rev))
                    .map(|r| &mut r.tags)
                    .ok_or_else(not_found)
            }
            "capacity-provider" => self.capacity_providers.get_mut(rest).map(|p| &mut p.tags).ok_or_else(not_found),
            "task" => {
                let id = rest.rsplit('/').next().unwrap_or(rest);
                self.tasks.get_mut(id).map(|t| &mut t.tags).ok_or_else(not_found)
            }
            _ => Err(ApiError::invalid(format!("Unsupported resource type in ARN: {arn}"))),
        }
    }

    pub(crate) fn tag_resource(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let new = parse_tags(r.array("tags")?)?;
        let tags = self.tags_mut(r.str("resourceArn")?)?;
        let mut merged = tags.clone();
        merged.extend(new);
        if merged.len() > 50 {
            return Err(ApiError::invalid("Too many tags. A resource can have at most 50 tags."));
        }
        *tags = merged;
        Ok(json!({}))
    }

    pub(crate) fn untag_resource(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let keys = r.str_list("tagKeys")?;
        let tags = self.tags_mut(r.str("resourceArn")?)?;
        for k in keys {
            tags.remove(&k);
        }
        Ok(json!({}))
    }

    pub(crate) fn list_tags_for_resource(&mut self, body: &Value) -> ApiResult<Value> {
        let r = Req(body);
        let tags = self.tags_mut(r.str("resourceArn")?)?;
        Ok(json!({"tags": tags_json(tags)}))
    }
}
