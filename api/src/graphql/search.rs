//! Text search helpers shared by list filters.
use sea_orm::{
    ColumnTrait, Condition,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};

/// Normalises a search string: Unicode invisible characters removed (zero-width space, joiners,
/// BOM, soft hyphen — common in Thai text pasted from documents), whitespace collapsed.
pub fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
            )
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// "Any of `columns` contains `text`", case-insensitive for Latin letters, on both databases.
pub fn contains<C: ColumnTrait>(columns: impl IntoIterator<Item = C>, text: &str) -> Condition {
    let needle = normalize(text).to_lowercase();
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    columns.into_iter().fold(Condition::any(), |cond, col| {
        cond.add(
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn invisible_characters_and_extra_spaces_are_removed() {
        assert_eq!(super::normalize("  สม\u{200B}ชาย   ใจดี "), "สมชาย ใจดี");
    }
}
