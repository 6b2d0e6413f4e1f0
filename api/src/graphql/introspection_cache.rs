//! Answers to introspection-only queries, kept per replica.
//!
//! The standard introspection query (GraphiQL on every page load, codegen, Python `gql`)
//! builds a ~0.5 MB answer and costs 30–40 ms of CPU; an anonymous client repeating it could
//! take most of a core. Its answer depends on nothing but the schema and the request's text
//! (query, operation name, variables), so it is computed once per replica and then served
//! from memory. Only answers without errors are kept, at most [`MAX_ENTRIES`] of them: a
//! client varying the text cannot grow the cache without bound. A cache, not shared state:
//! every replica builds the same answers from the same schema.
use std::{collections::HashMap, sync::Mutex};

use actix_web::web::Bytes;
use sha2::{Digest, Sha256};

/// Distinct introspection requests kept (the standard query and its few variants fit many
/// times over; anything beyond is computed each time).
pub const MAX_ENTRIES: usize = 16;

#[derive(Default)]
pub struct IntrospectionCache {
    entries: Mutex<HashMap<[u8; 32], Bytes>>,
}

/// The key of a request: SHA-256 over its parts, each length-prefixed.
pub fn key(query: &str, operation_name: Option<&str>, variables: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in [query, operation_name.unwrap_or(""), variables] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

impl IntrospectionCache {
    pub fn get(&self, key: &[u8; 32]) -> Option<Bytes> {
        self.entries.lock().ok()?.get(key).cloned()
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn put(&self, key: [u8; 32], body: Bytes) {
        if let Ok(mut entries) = self.entries.lock()
            && (entries.len() < MAX_ENTRIES || entries.contains_key(&key))
        {
            entries.insert(key, body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_at_most_its_bound_and_keys_differ_by_every_part() {
        let cache = IntrospectionCache::default();
        for i in 0..(MAX_ENTRIES + 5) {
            cache.put(key(&format!("q{i}"), None, "{}"), Bytes::from_static(b"x"));
        }
        assert_eq!(cache.entries.lock().unwrap().len(), MAX_ENTRIES);
        assert_ne!(key("ab", None, "c"), key("a", Some("b"), "c"));
        assert_ne!(key("q", None, "{}"), key("q", None, "{\"x\":1}"));
    }
}
