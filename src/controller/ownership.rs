//! Who owns an ECS resource, the same rule for every kind: the object that created (or adopted)
//! it, named `<namespace>/<name>` in the owner tag, beside the Kubernetes cluster's id. A
//! resource owned by another object is never taken over; one owned by nobody only when the
//! spec says `adopt: true`.

use kube::{Resource, ResourceExt};

use crate::controller::error::Error;
use crate::crd::common::{Tags, tags};

/// The owner tag's value for `obj`: `<namespace>/<name>`.
pub fn owner_of<K: Resource>(obj: &K) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// The ownership tags written on create (and on adoption) and kept on the resource.
pub fn ownership_tags(owner: &str, cluster_id: &str) -> Tags {
    [(tags::OWNER.to_owned(), owner.to_owned()), (tags::OWNER_CLUSTER.to_owned(), cluster_id.to_owned())].into()
}

/// Whether a resource carrying `found` tags is `owner`'s.
pub fn owned_by(found: &Tags, owner: &str) -> bool {
    found.get(tags::OWNER).map(String::as_str) == Some(owner)
}

/// Whether `owner` may manage the resource `what` (for example "ECS cluster web") that carries
/// `found` tags: yes when it owns it, or when nobody does and the spec adopts it.
pub fn check_ownership(what: &str, found: &Tags, owner: &str, adopt: bool) -> Result<(), Error> {
    match found.get(tags::OWNER) {
        Some(o) if o == owner => Ok(()),
        Some(other) => Err(Error::Conflict(format!("{what} is managed by {other}; it will not be taken over"))),
        None if adopt => Ok(()),
        None => Err(Error::Conflict(format!(
            "{what} exists and was not created by ecs-operator; set spec.adopt: true to manage it"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> Tags {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn ownership_tags_name_the_owner_and_the_kubernetes_cluster() {
        let t = ownership_tags("ns/web", "prod-k8s");
        assert_eq!(t, map(&[(tags::OWNER, "ns/web"), (tags::OWNER_CLUSTER, "prod-k8s")]));
    }

    #[test]
    fn an_owned_resource_is_kept_another_owners_refused_and_an_unowned_one_only_adopted() {
        let mine = map(&[(tags::OWNER, "ns/web")]);
        assert!(owned_by(&mine, "ns/web") && !owned_by(&mine, "ns/api") && !owned_by(&Tags::new(), "ns/web"));
        assert!(check_ownership("ECS cluster web", &mine, "ns/web", false).is_ok());
        let taken = check_ownership("ECS cluster web", &mine, "ns/api", true).unwrap_err().to_string();
        assert!(taken.contains("ECS cluster web is managed by ns/web"), "{taken}");
        let unowned = check_ownership("ECS service a", &Tags::new(), "ns/a", false).unwrap_err().to_string();
        assert!(unowned.contains("set spec.adopt: true"), "{unowned}");
        assert!(check_ownership("ECS service a", &Tags::new(), "ns/a", true).is_ok());
    }
}
