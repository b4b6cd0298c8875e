//! `.env` files, read and written with the common conventions: `KEY=value` lines, an optional
//! `export ` prefix, `#` comments (whole lines, or after whitespace in an unquoted value),
//! single quotes (literal), double quotes (escapes `\n \r \t \" \\ \$`, and real newlines for
//! multi-line values). A malformed line is named by number and key, never by its value.

use super::entry::FlatEntry;
use coffer_aws::secret::{ExposeSecret as _, SecretString};

/// Where and why a file could not be read; holds no value.
#[derive(Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

impl Cursor<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c == Some('\n') {
            self.line += 1;
        }
        c
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\r')) {
            self.next();
        }
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                return;
            }
            self.next();
        }
    }

    fn word(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            word.push(c);
            self.next();
        }
        word
    }
}

/// Every `KEY=value` of the file, in order (a later key replaces an earlier one on import).
pub fn parse(text: &str) -> Result<Vec<FlatEntry>, SyntaxError> {
    let mut cur = Cursor { chars: text.chars().peekable(), line: 1 };
    let mut out = Vec::new();
    loop {
        cur.skip_blanks();
        match cur.peek() {
            None => return Ok(out),
            Some('\n') => {
                cur.next();
                continue;
            }
            Some('#') => {
                cur.skip_line();
                continue;
            }
            _ => {}
        }
        let line = cur.line;
        let fail = |message: String| SyntaxError { line, message };
        let mut key = cur.word();
        if key == "export" && matches!(cur.peek(), Some(' ' | '\t')) {
            cur.skip_blanks();
            key = cur.word();
        }
        if key.is_empty() || key.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(fail("expected KEY=VALUE, with a KEY of letters, digits, `_`, `.` and `-`".to_owned()));
        }
        cur.skip_blanks();
        if cur.next() != Some('=') {
            return Err(fail(format!("expected `=` after {key}")));
        }
        cur.skip_blanks();
        let value = match cur.peek() {
            Some(quote @ ('"' | '\'')) => {
                cur.next();
                let value = quoted(&mut cur, quote).ok_or_else(|| {
                    let kind = if quote == '"' { "double" } else { "single" };
                    fail(format!("the {kind}-quoted value of {key} has no closing quote"))
                })?;
                cur.skip_blanks();
                match cur.peek() {
                    None | Some('\n') => {}
                    Some('#') => cur.skip_line(),
                    Some(_) => return Err(fail(format!("unexpected text after the closing quote of {key}"))),
                }
                value
            }
            _ => unquoted(&mut cur),
        };
        out.push(FlatEntry { key, value: SecretString::from(value), line: Some(line) });
    }
}

/// Up to the closing quote (consumed); `None` at the end of the text.
fn quoted(cur: &mut Cursor<'_>, quote: char) -> Option<String> {
    let mut value = String::new();
    loop {
        let c = cur.next()?;
        match c {
            c if c == quote => return Some(value),
            '\\' if quote == '"' => {
                let escaped = cur.next()?;
                match escaped {
                    'n' => value.push('\n'),
                    'r' => value.push('\r'),
                    't' => value.push('\t'),
                    '"' | '\\' | '$' => value.push(escaped),
                    other => {
                        value.push('\\');
                        value.push(other);
                    }
                }
            }
            c => value.push(c),
        }
    }
}

/// To the end of the line or a ` #` comment, trailing blanks trimmed.
fn unquoted(cur: &mut Cursor<'_>) -> String {
    let mut value = String::new();
    while let Some(c) = cur.peek() {
        if c == '\n' || (c == '#' && (value.is_empty() || value.ends_with([' ', '\t']))) {
            break;
        }
        value.push(c);
        cur.next();
    }
    if cur.peek() == Some('#') {
        cur.skip_line();
    }
    value.trim_end().to_owned()
}

/// `KEY="value"` lines that [`parse`] reads back to the same values.
pub fn write(entries: &[(String, SecretString)]) -> SecretString {
    let mut out = String::new();
    for (key, value) in entries {
        out.push_str(key);
        out.push_str("=\"");
        for c in value.expose_secret().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '"' | '\\' | '$' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out.push_str("\"\n");
    }
    SecretString::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap().into_iter().map(|e| (e.key, e.value.expose_secret().to_owned())).collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn reads_the_common_conventions() {
        let text = "# a comment\n\
                    \n\
                    PLAIN=value with spaces   \n\
                    export EXPORTED=yes\n\
                    SPACED = around\n\
                    EMPTY=\n\
                    INLINE=abc # a comment\n\
                    HASH=abc#not-a-comment\n\
                    SINGLE='lit\\eral $HOME # kept'\n\
                    DOUBLE=\"a\\nb\\t\\\"q\\\" \\\\ \\$x\" # trailing comment\n\
                    MULTI=\"line one\n\
                    line two\"\r\n\
                    DOTTED.key-1=x\n";
        assert_eq!(
            pairs(text),
            [
                pair("PLAIN", "value with spaces"),
                pair("EXPORTED", "yes"),
                pair("SPACED", "around"),
                pair("EMPTY", ""),
                pair("INLINE", "abc"),
                pair("HASH", "abc#not-a-comment"),
                pair("SINGLE", "lit\\eral $HOME # kept"),
                pair("DOUBLE", "a\nb\t\"q\" \\ $x"),
                pair("MULTI", "line one\nline two"),
                pair("DOTTED.key-1", "x"),
            ]
        );
    }

    #[test]
    fn numbers_the_lines_of_entries_after_multi_line_values() {
        let entries = parse("A=\"1\n2\n3\"\nB=x\n").unwrap();
        assert_eq!(entries.iter().map(|e| e.line).collect::<Vec<_>>(), [Some(1), Some(4)]);
    }

    #[test]
    fn names_the_line_and_key_of_a_malformed_entry_never_its_value() {
        let cases = [
            ("A=1\nthis line is wrong-secret\n", 2, "expected `=` after this"),
            ("A=1\n\nB=\"unterminated-secret\n", 3, "the double-quoted value of B has no closing quote"),
            ("C='open-secret", 1, "the single-quoted value of C has no closing quote"),
            ("D=\"x\" trailing-secret\n", 1, "unexpected text after the closing quote of D"),
            ("=no-key-secret\n", 1, "expected KEY=VALUE, with a KEY of letters, digits, `_`, `.` and `-`"),
            ("1A=x\n", 1, "expected KEY=VALUE, with a KEY of letters, digits, `_`, `.` and `-`"),
        ];
        for (text, line, message) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err, SyntaxError { line, message: message.to_owned() }, "{text:?}");
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }

    #[test]
    fn writes_what_it_reads_back() {
        let values =
            ["plain", "", "with \"quotes\" and \\ and $VAR", "multi\nline\r\n\ttabbed", "# not a comment", "'"];
        let entries: Vec<(String, SecretString)> =
            values.iter().enumerate().map(|(i, v)| (format!("K{i}"), SecretString::from(v.to_string()))).collect();
        let text = write(&entries);
        let back = pairs(text.expose_secret());
        let expected: Vec<(String, String)> =
            values.iter().enumerate().map(|(i, v)| pair(&format!("K{i}"), v)).collect();
        assert_eq!(back, expected);
    }
}
