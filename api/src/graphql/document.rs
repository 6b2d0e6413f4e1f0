//! Checks on a GraphQL document before anything runs, for every transport.
//!
//! Every request is hostile until checked, anonymous ones included, so the checks are ordered
//! by cost and each one bounds the work of the next:
//!
//! 1. [`scan_nesting`]: one pass over the characters, no allocation. The parser recurses once
//!    per bracket, so a 4 KB document of `[[[[…]]]]` would overflow a worker's stack; nothing
//!    deeper than [`MAX_NESTING`] reaches it.
//! 2. The parser itself (once: the parsed document is handed to async-graphql).
//! 3. [`check`]: the operation to run (a known `operationName`, or exactly one operation),
//!    the expanded selection (fields after spreading fragments, counted with memoisation, so a
//!    640-byte fragment bomb is refused in microseconds instead of costing minutes of CPU),
//!    duplicated fields, aliases and depth after expansion (introspection gets its own, larger
//!    depth so that the standard introspection query of GraphiQL, codegen or `gql` works), and
//!    control characters in every string input, literal or variable, named by field.
use std::collections::HashMap;

use async_graphql::{
    Name, Positioned, Variables,
    parser::types::{
        DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition,
        OperationType, Selection, SelectionSet,
    },
};
use async_graphql_value::{ConstValue, Value};

use crate::{
    config::Limits,
    error::code::{
        BAD_USER_INPUT, GRAPHQL_PARSE_FAILED as PARSE_FAILED,
        GRAPHQL_VALIDATION_FAILED as VALIDATION_FAILED,
    },
    graphql::parsed_cache::ParsedDocuments,
    text,
};

/// Deepest bracket nesting (`{`, `[`, `(`) a document may have. Selections are limited to
/// `Limits::max_depth` (and introspection to [`INTROSPECTION_MAX_DEPTH`]) later; this bound only
/// keeps the parser's recursion far from the stack's end, whatever the body limit allows.
pub const MAX_NESTING: usize = 64;

/// Depth allowed inside `__schema` / `__type` when introspection is on: the standard
/// introspection query (graphql-js `getIntrospectionQuery`, with its nine `ofType` levels) is
/// 15 deep.
pub const INTROSPECTION_MAX_DEPTH: usize = 20;

/// Why a document was refused: a code from API.md's vocabulary, a message for people and, for
/// bad input, the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl Refusal {
    fn parse(message: impl Into<String>) -> Self {
        Self {
            code: PARSE_FAILED,
            message: message.into(),
            field: None,
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: VALIDATION_FAILED,
            message: message.into(),
            field: None,
        }
    }

    /// The error as async-graphql reports it (for a response body).
    pub fn to_server_error(&self) -> async_graphql::ServerError {
        let mut err = async_graphql::ServerError::new(self.message.clone(), None);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", self.code);
        if let Some(field) = &self.field {
            ext.set("field", field.as_str());
        }
        err.extensions = Some(ext);
        err
    }
}

/// Refuses documents nested deeper than [`MAX_NESTING`] brackets, before the parser sees them.
/// Strings, block strings and comments are skipped as the GraphQL lexer would.
pub fn scan_nesting(query: &str) -> Result<(), Refusal> {
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                loop {
                    if i >= bytes.len() {
                        return Ok(()); // unterminated: the parser reports it
                    }
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 2;
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Refusal::parse(format!(
                        "the document is nested more than {MAX_NESTING} brackets deep"
                    )));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Scans, parses and checks a document; on success the parsed document is ready to be handed
/// to async-graphql (`Request::set_parsed_query`) together with the type of the operation
/// that will run.
pub fn parse_and_check(
    query: &str,
    operation_name: Option<&str>,
    variables: &Variables,
    limits: &Limits,
) -> Result<(ExecutableDocument, OperationType), Refusal> {
    let doc = parse(query, limits)?;
    let ty = check(&doc, operation_name, variables, limits)?;
    Ok((doc, ty))
}

/// [`parse_and_check`] with the documents parsed before (`parsed_cache`): a text parsed once
/// is not parsed again; the checks, which depend on the request, run every time.
pub fn parse_and_check_kept(
    query: &str,
    operation_name: Option<&str>,
    variables: &Variables,
    limits: &Limits,
    kept: &ParsedDocuments,
) -> Result<(ExecutableDocument, OperationType), Refusal> {
    // Only texts within the limits were kept (`parse` checks them first), and the limits
    // do not change while the process runs.
    let doc = match kept.get(query) {
        Some(doc) => doc,
        None => {
            let doc = std::sync::Arc::new(parse(query, limits)?);
            kept.put(query, doc.clone());
            doc
        }
    };
    let ty = check(&doc, operation_name, variables, limits)?;
    Ok((ExecutableDocument::clone(&doc), ty))
}

/// Scans and parses a document (the checks before the parser, then the parser).
fn parse(query: &str, limits: &Limits) -> Result<ExecutableDocument, Refusal> {
    if query.trim().is_empty() {
        return Err(Refusal::parse("no query given"));
    }
    if query.chars().count() > limits.max_document_chars {
        return Err(Refusal::invalid(format!(
            "the document is longer than {} characters",
            limits.max_document_chars
        )));
    }
    scan_nesting(query)?;
    async_graphql::parser::parse_query(query).map_err(|e| Refusal::parse(e.to_string()))
}

/// The checks on a parsed document (see the module documentation).
pub fn check(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    limits: &Limits,
) -> Result<OperationType, Refusal> {
    let operation = select_operation(doc, operation_name)?;
    let mut shape = Shape::new(&doc.fragments);
    let expanded = shape.count(&operation.selection_set.node)?;
    if expanded > limits.max_fields as u64 {
        return Err(Refusal::invalid(format!(
            "the query selects {} fields once fragments are spread; at most {} are allowed",
            if expanded == u64::MAX {
                "too many".to_string()
            } else {
                expanded.to_string()
            },
            limits.max_fields
        )));
    }
    // The expansion is now known to be small, so walking it for real is cheap.
    let mut walk = Walk::default();
    walk.set(&doc.fragments, &operation.selection_set.node, 0, false)?;
    if walk.duplicates > limits.max_duplicate_fields {
        return Err(Refusal::invalid(format!(
            "the query selects the same field more than once {} times; at most {} are allowed",
            walk.duplicates, limits.max_duplicate_fields
        )));
    }
    if walk.aliases > limits.max_aliases {
        return Err(Refusal::invalid(format!(
            "at most {} aliases per document (fragments counted where they are spread)",
            limits.max_aliases
        )));
    }
    if walk.data_depth > limits.max_depth {
        return Err(Refusal::invalid(format!(
            "the query is nested deeper than {} levels",
            limits.max_depth
        )));
    }
    if walk.introspection_depth > INTROSPECTION_MAX_DEPTH.max(limits.max_depth) {
        return Err(Refusal::invalid(format!(
            "the introspection query is nested deeper than {INTROSPECTION_MAX_DEPTH} levels"
        )));
    }
    check_text(doc, operation, variables)?;
    Ok(operation.ty)
}

fn select_operation<'d>(
    doc: &'d ExecutableDocument,
    operation_name: Option<&str>,
) -> Result<&'d OperationDefinition, Refusal> {
    match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), None) => Ok(&op.node),
        (DocumentOperations::Single(_), Some(name)) => Err(Refusal::invalid(format!(
            "the document has no operation named \"{name}\" (its only operation is anonymous)"
        ))),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name).map(|op| &op.node).ok_or_else(|| {
                Refusal::invalid(format!("the document has no operation named \"{name}\""))
            })
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            Ok(&ops.values().next().expect("one operation").node)
        }
        (DocumentOperations::Multiple(_), None) => Err(Refusal::invalid(
            "the document has several operations: say which one to run with operationName",
        )),
    }
}

fn is_introspection(name: &str) -> bool {
    name == "__schema" || name == "__type"
}

/// Whether the operation reads the schema only (`__schema`, `__type`, `__typename` at its
/// root, fragments included): its answer then depends on nothing but the schema and the
/// request's text, so it can be served from `graphql::introspection_cache`.
pub fn reads_schema_only(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    query_with_root_fields(doc, operation_name, &|name| {
        is_introspection(name) || name == "__typename"
    })
}

/// Whether the operation is a query whose root fields are all `dashboard` (or
/// `__typename`): a candidate for `graphql::response_cache`.
pub fn reads_dashboards_only(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    query_with_root_fields(doc, operation_name, &|name| {
        name == "dashboard" || name == "__typename"
    })
}

/// Whether the operation is a query and every field at its root (fragments included) is one
/// that `allowed` accepts.
fn query_with_root_fields(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    allowed: &dyn Fn(&str) -> bool,
) -> bool {
    fn root_only(
        doc: &ExecutableDocument,
        set: &SelectionSet,
        depth: usize,
        allowed: &dyn Fn(&str) -> bool,
    ) -> bool {
        // Fragments nest at most this deep at the root before we stop looking (and say no).
        depth < 8
            && set.items.iter().all(|item| match &item.node {
                Selection::Field(f) => allowed(f.node.name.node.as_str()),
                Selection::InlineFragment(fr) => {
                    root_only(doc, &fr.node.selection_set.node, depth + 1, allowed)
                }
                Selection::FragmentSpread(s) => doc
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .is_some_and(|f| {
                        root_only(doc, &f.node.selection_set.node, depth + 1, allowed)
                    }),
            })
    }
    select_operation(doc, operation_name).is_ok_and(|op| {
        op.ty == OperationType::Query && root_only(doc, &op.selection_set.node, 0, allowed)
    })
}

/// Counts the expanded selection without expanding it: each fragment's count is computed once.
/// Introspection fields count like any other (the standard introspection query expands to
/// about 200 fields), so a fragment bomb inside `__schema` is refused too.
struct Shape<'d> {
    fragments: &'d HashMap<Name, Positioned<FragmentDefinition>>,
    counts: HashMap<&'d str, Option<u64>>,
}

impl<'d> Shape<'d> {
    fn new(fragments: &'d HashMap<Name, Positioned<FragmentDefinition>>) -> Self {
        Self {
            fragments,
            counts: HashMap::new(),
        }
    }

    fn count(&mut self, set: &'d SelectionSet) -> Result<u64, Refusal> {
        let mut total = 0u64;
        for item in &set.items {
            let n = match &item.node {
                Selection::Field(f) => 1u64.saturating_add(self.count(&f.node.selection_set.node)?),
                Selection::InlineFragment(fr) => self.count(&fr.node.selection_set.node)?,
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.counts.get(name) {
                        Some(Some(n)) => *n,
                        Some(None) => {
                            return Err(Refusal::invalid(format!(
                                "fragment \"{name}\" spreads itself"
                            )));
                        }
                        None => {
                            // Unknown fragments are the validator's to report.
                            let Some(fragment) = self.fragments.get(name) else {
                                continue;
                            };
                            let (key, _) =
                                self.fragments.get_key_value(name).expect("fragment exists");
                            self.counts.insert(key.as_str(), None);
                            let n = self.count(&fragment.node.selection_set.node)?;
                            self.counts.insert(key.as_str(), Some(n));
                            n
                        }
                    }
                }
            };
            total = total.saturating_add(n);
        }
        Ok(total)
    }
}

/// A walk over the expanded selection, once it is known to be small.
#[derive(Default)]
struct Walk {
    aliases: usize,
    duplicates: usize,
    data_depth: usize,
    introspection_depth: usize,
}

impl Walk {
    fn set(
        &mut self,
        fragments: &HashMap<Name, Positioned<FragmentDefinition>>,
        set: &SelectionSet,
        depth: usize,
        in_introspection: bool,
    ) -> Result<(), Refusal> {
        let mut keys: Vec<&str> = Vec::new();
        self.collect(fragments, set, depth, in_introspection, &mut keys)
    }

    /// Walks the fields of one selection set (fragments inlined, as execution collects them),
    /// recording response keys to count duplicates.
    fn collect<'s>(
        &mut self,
        fragments: &'s HashMap<Name, Positioned<FragmentDefinition>>,
        set: &'s SelectionSet,
        depth: usize,
        in_introspection: bool,
        keys: &mut Vec<&'s str>,
    ) -> Result<(), Refusal> {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let field = &f.node;
                    let key = field.response_key().node.as_str();
                    if keys.contains(&key) {
                        self.duplicates += 1;
                    } else {
                        keys.push(key);
                    }
                    if field.alias.is_some() {
                        self.aliases += 1;
                    }
                    let introspection =
                        in_introspection || is_introspection(field.name.node.as_str());
                    let depth = depth + 1;
                    if introspection {
                        self.introspection_depth = self.introspection_depth.max(depth);
                    } else {
                        self.data_depth = self.data_depth.max(depth);
                    }
                    self.set(fragments, &field.selection_set.node, depth, introspection)?;
                }
                Selection::InlineFragment(fr) => {
                    self.collect(
                        fragments,
                        &fr.node.selection_set.node,
                        depth,
                        in_introspection,
                        keys,
                    )?;
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = fragments.get(&spread.node.fragment_name.node) {
                        self.collect(
                            fragments,
                            &fragment.node.selection_set.node,
                            depth,
                            in_introspection,
                            keys,
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Control characters in any string the operation would read: argument and directive
/// literals, variable defaults and the variables themselves. The field is named as resolvers
/// name it: the path below `input` (`members[0].person.givenName`), or the argument's name
/// with its path (`code`, `filter.search`).
fn check_text(
    doc: &ExecutableDocument,
    operation: &OperationDefinition,
    variables: &Variables,
) -> Result<(), Refusal> {
    // Every argument (of fields and directives) in the operation and the fragments.
    let mut arguments: Vec<(&str, &Value)> = Vec::new();
    let mut sets = vec![&operation.selection_set.node];
    sets.extend(doc.fragments.values().map(|f| &f.node.selection_set.node));
    while let Some(set) = sets.pop() {
        for item in &set.items {
            let directives = match &item.node {
                Selection::Field(f) => {
                    arguments.extend(
                        f.node
                            .arguments
                            .iter()
                            .map(|(n, v)| (n.node.as_str(), &v.node)),
                    );
                    sets.push(&f.node.selection_set.node);
                    &f.node.directives
                }
                Selection::InlineFragment(fr) => {
                    sets.push(&fr.node.selection_set.node);
                    &fr.node.directives
                }
                Selection::FragmentSpread(s) => &s.node.directives,
            };
            for d in directives {
                arguments.extend(
                    d.node
                        .arguments
                        .iter()
                        .map(|(n, v)| (n.node.as_str(), &v.node)),
                );
            }
        }
    }
    // Which argument each variable feeds, to name the field as the client knows it.
    let mut variable_fields: HashMap<&str, String> = HashMap::new();
    for (name, value) in arguments {
        literal_text(value, &argument_path(name), &mut |var, path| {
            variable_fields.entry(var).or_insert(path);
        })?;
    }
    for definition in &operation.variable_definitions {
        let name = definition.node.name.node.as_str();
        let path = variable_fields
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string());
        if let Some(default) = &definition.node.default_value {
            const_text(&default.node, &path)?;
        }
        if let Some(value) = variables.get(&definition.node.name.node) {
            const_text(value, &path)?;
        }
    }
    Ok(())
}

fn argument_path(argument: &str) -> String {
    if argument == "input" {
        String::new()
    } else {
        argument.to_string()
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn refuse_text(path: &str, value: &str) -> Result<(), Refusal> {
    match text::check(value) {
        Ok(()) => Ok(()),
        Err(message) => Err(Refusal {
            code: BAD_USER_INPUT,
            message,
            field: Some(if path.is_empty() {
                "input".to_string()
            } else {
                path.to_string()
            }),
        }),
    }
}

fn literal_text<'v>(
    value: &'v Value,
    path: &str,
    on_variable: &mut impl FnMut(&'v str, String),
) -> Result<(), Refusal> {
    match value {
        Value::String(s) => refuse_text(path, s),
        Value::Enum(e) => refuse_text(path, e.as_str()),
        Value::Variable(name) => {
            on_variable(name.as_str(), path.to_string());
            Ok(())
        }
        Value::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| literal_text(v, &format!("{path}[{i}]"), on_variable)),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            refuse_text(path, k.as_str())?;
            literal_text(v, &join(path, k.as_str()), on_variable)
        }),
        Value::Null | Value::Number(_) | Value::Boolean(_) | Value::Binary(_) => Ok(()),
    }
}

fn const_text(value: &ConstValue, path: &str) -> Result<(), Refusal> {
    match value {
        ConstValue::String(s) => refuse_text(path, s),
        ConstValue::Enum(e) => refuse_text(path, e.as_str()),
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| const_text(v, &format!("{path}[{i}]"))),
        ConstValue::Object(map) => map.iter().try_for_each(|(k, v)| {
            refuse_text(path, k.as_str())?;
            const_text(v, &join(path, k.as_str()))
        }),
        ConstValue::Null
        | ConstValue::Number(_)
        | ConstValue::Boolean(_)
        | ConstValue::Binary(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        crate::config::Settings::for_database("sqlite::memory:").limits
    }

    fn run(query: &str) -> Result<OperationType, Refusal> {
        parse_and_check(query, None, &Variables::default(), &limits()).map(|(_, ty)| ty)
    }

    #[test]
    fn a_list_literal_nested_two_thousand_deep_is_refused_before_parsing() {
        let query = format!(
            "{{ __typename(x: {}1{}) }}",
            "[".repeat(2000),
            "]".repeat(2000)
        );
        assert_eq!(run(&query).unwrap_err().code, PARSE_FAILED);
        let query = format!(
            "{{ __typename(x: {}1{}) }}",
            "{a:".repeat(1500),
            "}".repeat(1500)
        );
        assert_eq!(run(&query).unwrap_err().code, PARSE_FAILED);
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_count() {
        let deep = "[".repeat(500);
        let query = format!(
            "# {deep}\n{{ area(code: \"{deep}\") {{ code }} a: area(code: \"\"\"{deep} \\\"\"\" \"\"\") {{ code }} }}"
        );
        assert!(run(&query).is_ok());
    }

    #[test]
    fn a_fragment_bomb_is_counted_without_being_expanded() {
        let mut query = String::from("fragment F1 on Query { __typename }\n");
        for k in 2..=30 {
            query.push_str(&format!(
                "fragment F{k} on Query {{ {} }}\n",
                format!("...F{} ", k - 1).repeat(6)
            ));
        }
        query.push_str("query { ...F30 }");
        let err = run(&query).unwrap_err();
        assert_eq!(err.code, VALIDATION_FAILED);
        assert!(
            err.message.contains("fields once fragments are spread"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_fragment_cycle_is_refused_not_followed() {
        let err =
            run("fragment A on Query { ...B } fragment B on Query { ...A } { ...A }").unwrap_err();
        assert_eq!(err.code, VALIDATION_FAILED);
    }

    #[test]
    fn aliases_and_duplicates_are_counted_where_fragments_are_spread() {
        let query = format!(
            "fragment F on Query {{ a: __typename b: __typename }} {{ {} }}",
            "...F ".repeat(8)
        );
        let err = run(&query).unwrap_err();
        assert_eq!(err.code, VALIDATION_FAILED);
        let query = format!("{{ {} }}", "__typename ".repeat(200));
        assert!(run(&query).unwrap_err().message.contains("same field"));
    }

    #[test]
    fn the_operation_to_run_must_be_named_when_there_are_several() {
        let doc = "query A { __typename } query B { __typename }";
        assert!(run(doc).unwrap_err().message.contains("operationName"));
        let err = parse_and_check(doc, Some("C"), &Variables::default(), &limits()).unwrap_err();
        assert_eq!(err.code, VALIDATION_FAILED);
        assert!(parse_and_check(doc, Some("B"), &Variables::default(), &limits()).is_ok());
    }

    #[test]
    fn control_characters_are_refused_with_the_field_named() {
        let err = run("{ area(code: \"52\\u0000\") { code } }").unwrap_err();
        assert_eq!(err.code, BAD_USER_INPUT);
        assert_eq!(err.field.as_deref(), Some("code"));

        let vars = Variables::from_json(serde_json::json!({
            "i": { "members": [{ "person": { "givenName": "ok" } }, { "person": { "givenName": "a\u{0}b" } }] }
        }));
        let err = parse_and_check(
            "mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) { household { id } } }",
            None,
            &vars,
            &limits(),
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("members[1].person.givenName"));

        // Line breaks and tabs are text.
        assert!(run("{ area(code: \"52\\n\\t\") { code } }").is_ok());
    }

    #[test]
    fn introspection_has_its_own_depth_and_data_keeps_the_limit() {
        let mut deep = String::from("name");
        for _ in 0..14 {
            deep = format!("ofType {{ {deep} }}");
        }
        let query = format!("{{ __schema {{ types {{ {deep} }} }} }}");
        assert!(run(&query).is_ok());

        let mut data = String::from("code");
        for _ in 0..11 {
            data = format!("children {{ nodes {{ {data} }} }}");
        }
        let query = format!("{{ areas {{ nodes {{ {data} }} }} }}");
        assert!(run(&query).unwrap_err().message.contains("nested deeper"));
    }
}
