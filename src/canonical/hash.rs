//! The spec hash: a defined digest of canonical JSON.
//!
//! Why not `DefaultHasher`: its algorithm may change between Rust releases, and the hash is
//! stored in AWS tags and in status across operator upgrades, so it must be stable forever.
//! Canonical JSON has sorted object keys (serde_json's default map is a BTreeMap), so equal
//! values give equal bytes.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Hex characters kept: 80 bits is ample to tell a family's revisions apart and keeps tags and
/// `kubectl get` output short.
const HASH_LEN: usize = 20;

/// Stable short hash of a canonical value.
pub fn spec_hash<T: Serialize>(canonical: &T) -> Result<String, serde_json::Error> {
    // Going through `Value` sorts map keys regardless of the type's field order.
    let value = serde_json::to_value(canonical)?;
    let bytes = serde_json::to_vec(&value)?;
    let digest = Sha256::digest(&bytes);
    let mut hex = String::with_capacity(HASH_LEN);
    for byte in digest.iter().take(HASH_LEN / 2) {
        hex.push_str(&format!("{byte:02x}"));
    }
    Ok(hex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_vector() {
        // Pinned so that a change of algorithm or serialisation is caught: it would re-register
        // every task definition of every user.
        assert_eq!(spec_hash(&json!({"b": 1, "a": [true, null]})).unwrap(), "51705a2c9eb3e7e410a5");
    }

    #[test]
    fn key_order_does_not_matter() {
        let a = spec_hash(&json!({"x": 1, "y": {"p": "q", "r": "s"}})).unwrap();
        let b = spec_hash(&json!({"y": {"r": "s", "p": "q"}, "x": 1})).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), HASH_LEN);
    }
}
