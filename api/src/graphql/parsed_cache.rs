//! Parsed documents, kept per replica and keyed by their text.
//!
//! Clients send the same few operations over and over (an app has a few dozen), and parsing
//! one is a measurable part of a request's CPU (8% of the server's time on the household-detail
//! load of bench/peer). A text that parsed is kept here, so the next request with the same
//! text clones the parsed document instead of parsing it again. The checks that depend on the
//! request (`document::check`: the operation, limits, variables) still run on every request.
//!
//! Bounded in entries and in the size of each text, so a client sending endless distinct texts
//! only costs what parsing them would have cost: once full, the cache is emptied and filled
//! again by what is sent next. A cache, not shared state: every replica parses the same texts
//! to the same documents.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_graphql::parser::types::ExecutableDocument;

/// Distinct texts kept.
pub const MAX_ENTRIES: usize = 512;
/// Longest text kept (bytes); longer ones are parsed each time.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

#[derive(Default)]
pub struct ParsedDocuments {
    entries: Mutex<HashMap<Arc<str>, Arc<ExecutableDocument>>>,
}

impl ParsedDocuments {
    /// The document parsed from `text`, if kept.
    pub fn get(&self, text: &str) -> Option<Arc<ExecutableDocument>> {
        self.entries.lock().ok()?.get(text).cloned()
    }

    /// Keeps the document parsed from `text`.
    pub fn put(&self, text: &str, doc: Arc<ExecutableDocument>) {
        if text.len() > MAX_TEXT_BYTES {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(text) {
                entries.clear();
            }
            entries.insert(Arc::from(text), doc);
        }
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Arc<ExecutableDocument> {
        Arc::new(async_graphql::parser::parse_query(text).unwrap())
    }

    #[test]
    fn kept_documents_are_found_by_their_exact_text_and_the_cache_stays_bounded() {
        let cache = ParsedDocuments::default();
        cache.put("{ a }", doc("{ a }"));
        assert!(cache.get("{ a }").is_some());
        assert!(cache.get("{ a } ").is_none());
        for i in 0..(MAX_ENTRIES + 10) {
            let text = format!("{{ f{i} }}");
            cache.put(&text, doc(&text));
            assert!(cache.len() <= MAX_ENTRIES);
        }
        let long = format!("{{ a{} }}", " ".repeat(MAX_TEXT_BYTES));
        cache.put(&long, doc("{ a }"));
        assert!(cache.get(&long).is_none());
    }
}
