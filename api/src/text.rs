//! The one rule for text input: no control characters.
//!
//! Every string a client sends (arguments, input fields, variables) is checked against it
//! before anything runs (`graphql::document`), so a NUL byte can never reach PostgreSQL (which
//! refuses it with an error) or be stored by SQLite (which keeps it, and with it a string that
//! other systems cut short). Tab, line feed and carriage return are text: notes and CSV files
//! carry them.

/// `Err` with a message for people when `value` holds a control character (Unicode `Cc`:
/// U+0000–U+001F and U+007F–U+009F) other than tab, line feed and carriage return.
pub fn check(value: &str) -> Result<(), String> {
    match value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        None => Ok(()),
        Some(c) => Err(format!(
            "the text holds a control character (U+{:04X}), which is not allowed",
            c as u32
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn nul_escape_and_c1_controls_are_refused_and_thai_text_with_line_breaks_is_not() {
        for bad in ["a\u{0}b", "\u{1b}[2J", "x\u{7f}", "\u{85}"] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        assert!(check("สมชาย ใจดี\nบ้านเลขที่ 12\t(หมู่ 3)\r\n").is_ok());
    }
}
