//! Decoding of the Kubernetes protobuf encoding for the few kinds clients send that way.
//!
//! client-go sends built-in objects as protobuf when its content type is set so; Helm's
//! release storage does this for Secrets and ConfigMaps. kube-sim answers in JSON (every such
//! client also accepts JSON), so only request bodies need decoding, and only for the kinds
//! listed here. Field numbers come from k8s.io/api `generated.proto`.

use serde_json::{Map, Value, json};

/// The envelope every protobuf body starts with: "k8s\0".
const MAGIC: &[u8] = b"k8s\x00";

pub fn is_protobuf(content_type: &str) -> bool {
    content_type.starts_with("application/vnd.kubernetes.protobuf")
}

/// Decodes a protobuf body into the JSON object it stands for.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let payload = body.strip_prefix(MAGIC).ok_or("missing the k8s protobuf envelope")?;
    // runtime.Unknown: 1 typeMeta, 2 raw, 3 contentEncoding, 4 contentType.
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), Vec::new());
    for field in Fields::new(payload) {
        match field? {
            (1, Wire::Bytes(type_meta)) => {
                for f in Fields::new(type_meta) {
                    match f? {
                        (1, Wire::Bytes(b)) => api_version = text(b)?,
                        (2, Wire::Bytes(b)) => kind = text(b)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(b)) => raw = b.to_vec(),
            _ => {}
        }
    }
    let mut object = match (api_version.as_str(), kind.as_str()) {
        ("v1", "Secret") => secret(&raw)?,
        ("v1", "ConfigMap") => config_map(&raw)?,
        _ => {
            return Err(format!(
                "kube-sim decodes protobuf only for v1 Secret and ConfigMap, not {api_version} {kind}"
            ));
        }
    };
    object["apiVersion"] = json!(api_version);
    object["kind"] = json!(kind);
    Ok(object)
}

fn secret(raw: &[u8]) -> Result<Value, String> {
    let mut out = Map::new();
    let (mut data, mut string_data) = (Map::new(), Map::new());
    for field in Fields::new(raw) {
        match field? {
            (1, Wire::Bytes(b)) => {
                out.insert("metadata".into(), object_meta(b)?);
            }
            (2, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                data.insert(k, json!(base64(&v)));
            }
            (3, Wire::Bytes(b)) => {
                out.insert("type".into(), json!(text(b)?));
            }
            (4, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                string_data.insert(k, json!(text(&v)?));
            }
            (5, Wire::Varint(v)) => {
                out.insert("immutable".into(), json!(v != 0));
            }
            _ => {}
        }
    }
    if !data.is_empty() {
        out.insert("data".into(), Value::Object(data));
    }
    if !string_data.is_empty() {
        out.insert("stringData".into(), Value::Object(string_data));
    }
    Ok(Value::Object(out))
}

fn config_map(raw: &[u8]) -> Result<Value, String> {
    let mut out = Map::new();
    let (mut data, mut binary) = (Map::new(), Map::new());
    for field in Fields::new(raw) {
        match field? {
            (1, Wire::Bytes(b)) => {
                out.insert("metadata".into(), object_meta(b)?);
            }
            (2, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                data.insert(k, json!(text(&v)?));
            }
            (3, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                binary.insert(k, json!(base64(&v)));
            }
            (4, Wire::Varint(v)) => {
                out.insert("immutable".into(), json!(v != 0));
            }
            _ => {}
        }
    }
    if !data.is_empty() {
        out.insert("data".into(), Value::Object(data));
    }
    if !binary.is_empty() {
        out.insert("binaryData".into(), Value::Object(binary));
    }
    Ok(Value::Object(out))
}

/// The ObjectMeta fields a client may set; server-owned ones are recomputed anyway.
fn object_meta(raw: &[u8]) -> Result<Value, String> {
    let mut meta = Map::new();
    let (mut labels, mut annotations, mut finalizers) = (Map::new(), Map::new(), Vec::new());
    for field in Fields::new(raw) {
        match field? {
            (1, Wire::Bytes(b)) => {
                meta.insert("name".into(), json!(text(b)?));
            }
            (2, Wire::Bytes(b)) => {
                meta.insert("generateName".into(), json!(text(b)?));
            }
            (3, Wire::Bytes(b)) => {
                meta.insert("namespace".into(), json!(text(b)?));
            }
            (5, Wire::Bytes(b)) => {
                meta.insert("uid".into(), json!(text(b)?));
            }
            (6, Wire::Bytes(b)) => {
                meta.insert("resourceVersion".into(), json!(text(b)?));
            }
            (11, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                labels.insert(k, json!(text(&v)?));
            }
            (12, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                annotations.insert(k, json!(text(&v)?));
            }
            (14, Wire::Bytes(b)) => finalizers.push(json!(text(b)?)),
            _ => {}
        }
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    if !finalizers.is_empty() {
        meta.insert("finalizers".into(), Value::Array(finalizers));
    }
    Ok(Value::Object(meta))
}

/// A map entry message: 1 key (string), 2 value (bytes or string).
fn map_entry(raw: &[u8]) -> Result<(String, Vec<u8>), String> {
    let (mut key, mut value) = (String::new(), Vec::new());
    for field in Fields::new(raw) {
        match field? {
            (1, Wire::Bytes(b)) => key = text(b)?,
            (2, Wire::Bytes(b)) => value = b.to_vec(),
            _ => {}
        }
    }
    Ok((key, value))
}

fn text(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "a protobuf string field is not UTF-8".to_owned())
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A field's wire value: varints and length-delimited bytes are all these kinds use.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Iterator over (field number, value) of a protobuf message.
struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Self { rest }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.rest.split_first().ok_or("truncated varint")?;
            self.rest = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint too long".into())
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Wire<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let item = (|| {
            let key = self.varint()?;
            let (number, wire_type) = (key >> 3, key & 7);
            let value = match wire_type {
                0 => Wire::Varint(self.varint()?),
                2 => {
                    let len = usize::try_from(self.varint()?).map_err(|_| "length overflows")?;
                    if len > self.rest.len() {
                        return Err("truncated length-delimited field".to_owned());
                    }
                    let (bytes, rest) = self.rest.split_at(len);
                    self.rest = rest;
                    Wire::Bytes(bytes)
                }
                1 | 5 => {
                    let width = if wire_type == 1 { 8 } else { 4 };
                    if width > self.rest.len() {
                        return Err("truncated fixed-width field".to_owned());
                    }
                    self.rest = &self.rest[width..];
                    Wire::Fixed
                }
                other => return Err(format!("unsupported protobuf wire type {other}")),
            };
            Ok((number, value))
        })();
        if item.is_err() {
            // Stop after an error: the rest cannot be framed.
            self.rest = &[];
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![((number << 3) | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn decodes_a_helm_style_secret() {
        let labels = [field(1, b"owner"), field(2, b"helm")].concat();
        let meta = [field(1, b"sh.helm.release.v1.x.v1"), field(11, &labels)].concat();
        let data = [field(1, b"release"), field(2, b"\x00\x01")].concat();
        let secret = [field(1, &meta), field(2, &data), field(3, b"helm.sh/release.v1")].concat();
        let type_meta = [field(1, b"v1"), field(2, b"Secret")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &secret)].concat();
        let v = decode(&body).unwrap();
        assert_eq!(v["kind"], "Secret");
        assert_eq!(v["metadata"]["name"], "sh.helm.release.v1.x.v1");
        assert_eq!(v["metadata"]["labels"]["owner"], "helm");
        assert_eq!(v["data"]["release"], "AAE=");
        assert_eq!(v["type"], "helm.sh/release.v1");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(b"k8s\x00\x0a\xff").is_err());
        assert!(decode(b"nope").is_err());
    }
}
