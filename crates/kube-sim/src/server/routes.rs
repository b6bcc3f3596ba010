//! Request paths of the Kubernetes API, parsed into a [`Route`], and the query parameters the
//! handlers use.

use std::collections::HashMap;

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    Health,
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/<group>`
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`
    GroupVersion {
        group: String,
        version: String,
    },
    OpenApiV2,
    OpenApiV3Index,
    OpenApiV3 {
        group: String,
        version: String,
    },
    Resource(ResourcePath),
    /// `/_sim/<action>`: test-only controls.
    Admin(String),
}

/// A path under a group/version that names a resource, maybe an object and a subresource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub plural: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

pub fn parse(path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["version"] => Some(Route::Version),
        ["healthz" | "readyz" | "livez", ..] => Some(Route::Health),
        ["api"] => Some(Route::CoreVersions),
        ["apis"] => Some(Route::Groups),
        ["apis", group] => Some(Route::Group((*group).to_owned())),
        ["api", version] => Some(Route::GroupVersion { group: String::new(), version: (*version).to_owned() }),
        ["apis", group, version] => {
            Some(Route::GroupVersion { group: (*group).to_owned(), version: (*version).to_owned() })
        }
        ["openapi", "v2"] | ["swagger.json"] => Some(Route::OpenApiV2),
        ["openapi", "v3"] => Some(Route::OpenApiV3Index),
        ["openapi", "v3", "api", version] => {
            Some(Route::OpenApiV3 { group: String::new(), version: (*version).to_owned() })
        }
        ["openapi", "v3", "apis", group, version] => {
            Some(Route::OpenApiV3 { group: (*group).to_owned(), version: (*version).to_owned() })
        }
        ["_sim", action] => Some(Route::Admin((*action).to_owned())),
        ["api", version, rest @ ..] => resource("", version, rest),
        ["apis", group, version, rest @ ..] => resource(group, version, rest),
        _ => None,
    }
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Option<Route> {
    let own = |s: &&str| (*s).to_owned();
    let (namespace, rest) = match rest {
        // `/namespaces/<ns>` alone is the Namespace object itself, not a scope.
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some((*ns).to_owned()), tail),
        _ => (None, rest),
    };
    let (plural, name, subresource) = match rest {
        [plural] => (own(plural), None, None),
        [plural, name] => (own(plural), Some(own(name)), None),
        [plural, name, sub] => (own(plural), Some(own(name)), Some(own(sub))),
        _ => return None,
    };
    Some(Route::Resource(ResourcePath {
        group: group.to_owned(),
        version: version.to_owned(),
        namespace,
        plural,
        name,
        subresource,
    }))
}

/// Decoded query parameters (last value wins).
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(query: Option<&str>) -> Self {
        let mut map = HashMap::new();
        for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(decode(k), decode(v));
        }
        Self(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.0.get(key).map(String::as_str), Some("true" | "1"))
    }

    pub fn number(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.parse().ok())
    }
}

/// Percent-decoding of a query component (`+` is a space in forms).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(group: &str, ns: Option<&str>, plural: &str, name: Option<&str>, sub: Option<&str>) -> Route {
        Route::Resource(ResourcePath {
            group: group.into(),
            version: if group.is_empty() { "v1".into() } else { "v1alpha1".into() },
            namespace: ns.map(Into::into),
            plural: plural.into(),
            name: name.map(Into::into),
            subresource: sub.map(Into::into),
        })
    }

    #[test]
    fn paths() {
        assert_eq!(parse("/api/v1/namespaces"), Some(res("", None, "namespaces", None, None)));
        assert_eq!(parse("/api/v1/namespaces/default"), Some(res("", None, "namespaces", Some("default"), None)));
        assert_eq!(parse("/api/v1/namespaces/a/configmaps"), Some(res("", Some("a"), "configmaps", None, None)));
        assert_eq!(
            parse("/apis/g.io/v1alpha1/namespaces/a/things/x/status"),
            Some(res("g.io", Some("a"), "things", Some("x"), Some("status")))
        );
        assert_eq!(parse("/apis/g.io/v1alpha1/things"), Some(res("g.io", None, "things", None, None)));
        assert_eq!(parse("/apis"), Some(Route::Groups));
        assert_eq!(
            parse("/openapi/v3/apis/g.io/v1"),
            Some(Route::OpenApiV3 { group: "g.io".into(), version: "v1".into() })
        );
        assert_eq!(parse("/nothing/here"), None);
    }

    #[test]
    fn query_decoding() {
        let q = Query::parse(Some("labelSelector=app%3Dweb%2Ctier+in+(a)&watch=true&limit=5&x="));
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (a)"));
        assert!(q.flag("watch"));
        assert!(!q.flag("absent"));
        assert_eq!(q.number("limit"), Some(5));
        assert_eq!(q.get("x"), None);
    }
}
