//! Reading AWS JSON 1.1 request bodies and writing the shapes every operation shares:
//! typed field access that answers with AWS's error types, ARNs, tag lists and
//! nextToken pagination. No simulator state lives here.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, ErrorKind};

/// A request body with typed accessors. A field of the wrong JSON type is a
/// SerializationException, which is what AWS answers before the operation runs.
#[derive(Debug, Clone, Copy)]
pub struct Req<'a>(pub &'a Value);

fn wrong_type(key: &str, expected: &str) -> ApiError {
    ApiError::new(ErrorKind::Serialization, format!("field {key} must be {expected}"))
}

impl<'a> Req<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub fn opt_str(&self, key: &str) -> ApiResult<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(wrong_type(key, "a string")),
        }
    }

    /// A required string; AWS reports a missing required member as InvalidParameterException.
    pub fn str(&self, key: &str) -> ApiResult<&'a str> {
        self.opt_str(key)?.ok_or_else(|| ApiError::invalid(format!("{key} is required.")))
    }

    pub fn opt_i64(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| wrong_type(key, "an integer")),
        }
    }

    pub fn opt_bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(key, "a boolean")),
        }
    }

    pub fn opt_array(&self, key: &str) -> ApiResult<Option<&'a Vec<Value>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(wrong_type(key, "a list")),
        }
    }

    pub fn array(&self, key: &str) -> ApiResult<&'a [Value]> {
        Ok(self.opt_array(key)?.map(Vec::as_slice).unwrap_or(&[]))
    }

    pub fn str_list(&self, key: &str) -> ApiResult<Vec<String>> {
        self.array(key)?
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| wrong_type(key, "a list of strings")))
            .collect()
    }

    /// `include: ["TAGS", ...]` on describe calls.
    pub fn includes(&self, what: &str) -> ApiResult<bool> {
        Ok(self.str_list("include")?.iter().any(|s| s == what))
    }
}

/// Region and account, used to build every ARN.
#[derive(Debug, Clone)]
pub struct Identity {
    pub region: String,
    pub account: String,
}

impl Identity {
    pub fn arn(&self, resource: &str) -> String {
        format!("arn:aws:ecs:{}:{}:{}", self.region, self.account, resource)
    }

    pub fn cluster_arn(&self, name: &str) -> String {
        self.arn(&format!("cluster/{name}"))
    }

    pub fn service_arn(&self, cluster: &str, name: &str) -> String {
        self.arn(&format!("service/{cluster}/{name}"))
    }

    pub fn task_arn(&self, cluster: &str, id: &str) -> String {
        self.arn(&format!("task/{cluster}/{id}"))
    }

    pub fn task_definition_arn(&self, family: &str, revision: u32) -> String {
        self.arn(&format!("task-definition/{family}:{revision}"))
    }

    pub fn capacity_provider_arn(&self, name: &str) -> String {
        self.arn(&format!("capacity-provider/{name}"))
    }

    /// The Cloud Map namespace a Service Connect `namespace` names, as ECS reports it: its ARN,
    /// `arn:aws:servicediscovery:<region>:<account>:namespace/ns-<16 characters>`. An ARN is
    /// returned as is. For a name, the id is derived from the name alone (the simulator has no
    /// Cloud Map), so the same name always gives the same ARN, whether it came from a service's
    /// `serviceConnectConfiguration` or from a cluster's `serviceConnectDefaults`.
    ///
    /// botocore ecs service-2.json, ServiceConnectConfiguration.namespace: "The namespace name or
    /// full Amazon Resource Name (ARN) of the Cloud Map namespace"; DescribeServices reports the
    /// namespace of each deployment by ARN.
    pub fn namespace_arn(&self, name_or_arn: &str) -> String {
        if name_or_arn.starts_with("arn:") {
            return name_or_arn.to_string();
        }
        format!("arn:aws:servicediscovery:{}:{}:namespace/{}", self.region, self.account, namespace_id(name_or_arn))
    }

    /// The identity every simulated call is made as.
    pub fn caller_arn(&self) -> String {
        format!("arn:aws:iam::{}:user/ecs-sim", self.account)
    }
}

/// A Cloud Map namespace id for `name`: `ns-` and 16 lowercase letters and digits, like
/// Cloud Map's, derived from the name by a fixed hash (FNV-1a, then SplitMix64 per character)
/// so it is the same in every run and every build.
fn namespace_id(name: &str) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let mut id = String::from("ns-");
    for _ in 0..16 {
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        id.push(char::from(ALPHABET[(z % 36) as usize]));
    }
    id
}

/// The resource part of an ECS ARN (`cluster/x`, `service/c/s`, ...), or the input
/// unchanged when it is not an ARN.
pub fn arn_resource(ident: &str) -> &str {
    if ident.starts_with("arn:") { ident.splitn(6, ':').nth(5).unwrap_or(ident) } else { ident }
}

/// A cluster given by name or ARN.
pub fn cluster_name(ident: &str) -> String {
    let res = arn_resource(ident);
    res.strip_prefix("cluster/").unwrap_or(res).to_string()
}

/// A service given by name, by old-style ARN (`service/name`) or by new-style ARN
/// (`service/cluster/name`). Returns (cluster named in the ARN, service name).
pub fn service_ident(ident: &str) -> (Option<String>, String) {
    let res = arn_resource(ident);
    match res.strip_prefix("service/") {
        Some(rest) => match rest.split_once('/') {
            Some((cluster, name)) => (Some(cluster.to_string()), name.to_string()),
            None => (None, rest.to_string()),
        },
        None => (None, res.to_string()),
    }
}

/// The (cluster, service, id) of an ARN of a service's `kind` of resource,
/// `arn:...:<kind>/<cluster>/<service>/<id>` (service deployments, service revisions).
pub fn service_scoped_arn(arn: &str, kind: &str) -> Option<(String, String, String)> {
    let rest = arn_resource(arn).strip_prefix(kind)?.strip_prefix('/')?;
    let mut parts = rest.splitn(3, '/');
    let (cluster, service, id) = (parts.next()?, parts.next()?, parts.next()?);
    if !arn.starts_with("arn:") || cluster.is_empty() || service.is_empty() || id.is_empty() {
        return None;
    }
    Some((cluster.to_string(), service.to_string(), id.to_string()))
}

/// ECS names: letters, digits, hyphens and underscores, 1 to 255 characters.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub type Tags = BTreeMap<String, String>;

/// Parses `[{key, value}]`, checking AWS's tag limits.
pub fn parse_tags(list: &[Value]) -> ApiResult<Tags> {
    let mut tags = Tags::new();
    for item in list {
        let r = Req(item);
        let key = r.str("key")?;
        let value = r.opt_str("value")?.unwrap_or("");
        check_tag(key, value)?;
        tags.insert(key.to_string(), value.to_string());
    }
    if tags.len() > 50 {
        return Err(ApiError::invalid("Too many tags. A resource can have at most 50 tags."));
    }
    Ok(tags)
}

fn check_tag(key: &str, value: &str) -> ApiResult<()> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err(ApiError::invalid("Tag keys must be between 1 and 128 characters."));
    }
    if value.chars().count() > 256 {
        return Err(ApiError::invalid("Tag values must be at most 256 characters."));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(ApiError::invalid("Tag keys beginning with 'aws:' are reserved."));
    }
    Ok(())
}

pub fn tags_json(tags: &Tags) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}

/// One page of `items` and the token for the next, if any. Tokens are opaque to callers;
/// here they encode the offset, checked so that a token from elsewhere is rejected.
pub fn paginate<T: Clone>(
    items: &[T],
    max_results: Option<i64>,
    default_max: usize,
    limit: usize,
    next_token: Option<&str>,
) -> ApiResult<(Vec<T>, Option<String>)> {
    let max = match max_results {
        None => default_max,
        Some(n) if n >= 1 && (n as usize) <= limit => n as usize,
        Some(n) => return Err(ApiError::invalid(format!("maxResults must be between 1 and {limit}, got {n}."))),
    };
    let start = match next_token {
        None => 0,
        Some(t) => decode_token(t).ok_or_else(|| ApiError::invalid("Invalid nextToken."))?,
    };
    let end = (start + max).min(items.len());
    let page = items.get(start.min(items.len())..end).map(<[T]>::to_vec).unwrap_or_default();
    let token = (end < items.len()).then(|| encode_token(end));
    Ok((page, token))
}

fn encode_token(offset: usize) -> String {
    let raw = format!("ecs-sim:{offset}");
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<usize> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..token.len()).step_by(2).map(|i| token.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect();
    let text = String::from_utf8(bytes?).ok()?;
    text.strip_prefix("ecs-sim:")?.parse().ok()
}

/// A random version 4 UUID (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`), as SQS message ids
/// and EventBridge event ids are.
pub fn uuid_v4(rng: &mut fastrand::Rng) -> String {
    let mut h: Vec<char> = (0..32).map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0')).collect();
    h[12] = '4';
    h[16] = char::from_digit(8 + rng.u32(0..4), 16).unwrap_or('8');
    let s: String = h.into_iter().collect();
    format!("{}-{}-{}-{}-{}", &s[0..8], &s[8..12], &s[12..16], &s[16..20], &s[20..32])
}

/// A canonical text of a JSON value (object keys sorted at every level), used to decide
/// whether two requests carrying the same client token are the same request.
pub fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&map[k.as_str()])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_idents() {
        assert_eq!(service_ident("web"), (None, "web".to_string()));
        assert_eq!(
            service_ident("arn:aws:ecs:us-east-1:1:service/prod/web"),
            (Some("prod".to_string()), "web".to_string())
        );
        assert_eq!(service_ident("arn:aws:ecs:us-east-1:1:service/web"), (None, "web".to_string()));
        assert_eq!(cluster_name("arn:aws:ecs:us-east-1:1:cluster/prod"), "prod");
    }

    #[test]
    fn namespace_arns() {
        let ident = Identity { region: "us-east-1".into(), account: "123456789012".into() };
        let arn = ident.namespace_arn("shop");
        assert_eq!(arn, "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-ux968byu2gnrwz8t", "fixed");
        assert!(arn.starts_with("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-"), "{arn}");
        let id = arn.rsplit('/').next().unwrap().trim_start_matches("ns-");
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{id}");
        assert_eq!(ident.namespace_arn("shop"), arn, "a name always gives the same ARN");
        assert_ne!(ident.namespace_arn("shop2"), arn);
        assert_eq!(ident.namespace_arn(&arn), arn, "an ARN is kept as is");
    }

    #[test]
    fn pagination_walks_every_item_once() {
        let items: Vec<u32> = (0..25).collect();
        let mut seen = vec![];
        let mut token = None;
        loop {
            let (page, next) = paginate(&items, Some(10), 100, 100, token.as_deref()).unwrap();
            seen.extend(page);
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen, items);
        assert!(paginate(&items, None, 100, 100, Some("zz")).is_err());
        assert!(paginate(&items, Some(0), 100, 100, None).is_err());
    }

    #[test]
    fn canonical_ignores_key_order() {
        let a = serde_json::json!({"b": 1, "a": [{"y": 1, "x": 2}]});
        let b = serde_json::json!({"a": [{"x": 2, "y": 1}], "b": 1});
        assert_eq!(canonical(&a), canonical(&b));
    }
}
