//! Parsed documents, kept per replica and keyed by their text.
//!
//! Clients send the same few operations over and over (an app has a few dozen), and parsing
//! one is a measurable part of a request's CPU (8% of the server's time on the household-detail
//! load of bench/peer). A text that parsed is kept here, so the next request with the same
//! text clones the parsed document instead of parsing it again. The checks that depend on the
//! request (`document::check`: the operation, limits, variables) still run on every request.
//!
//! Bounded in entries, in the size of each text and in the size of all texts kept (a parsed
//! document takes some ten times its text in memory), so a client sending endless distinct texts
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
/// All texts kept together (bytes).
pub const MAX_TOTAL_BYTES: usize = 1024 * 1024;

#[derive(Default)]
pub struct ParsedDocuments {
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    by_text: HashMap<Arc<str>, Arc<ExecutableDocument>>,
    /// The length of the texts in `by_text`, together.
    bytes: usize,
}

impl ParsedDocuments {
    /// The document parsed from `text`, if kept.
    pub fn get(&self, text: &str) -> Option<Arc<ExecutableDocument>> {
        self.entries.lock().ok()?.by_text.get(text).cloned()
    }

    /// Keeps the document parsed from `text`.
    pub fn put(&self, text: &str, doc: Arc<ExecutableDocument>) {
        if text.len() > MAX_TEXT_BYTES {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.by_text.contains_key(text) {
                return;
            }
            if entries.by_text.len() >= MAX_ENTRIES || entries.bytes + text.len() > MAX_TOTAL_BYTES
            {
                entries.by_text.clear();
                entries.bytes = 0;
            }
            entries.bytes += text.len();
            entries.by_text.insert(Arc::from(text), doc);
        }
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.by_text.len())
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
        // Texts of the largest size kept: never more than the total bound together.
        for i in 0..(2 * MAX_TOTAL_BYTES / MAX_TEXT_BYTES) {
            let text = format!("{{ f{i}{} }}", " ".repeat(MAX_TEXT_BYTES - 20));
            cache.put(&text, doc("{ a }"));
            let entries = cache.entries.lock().unwrap();
            let total: usize = entries.by_text.keys().map(|t| t.len()).sum();
            assert_eq!(total, entries.bytes);
            assert!(total <= MAX_TOTAL_BYTES);
            assert!(entries.by_text.contains_key(text.as_str()));
        }
    }
}
