//! AWS's tag character set, `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, as SSM, Secrets Manager and IAM
//! document it for tag keys and values.

use regex::Regex;
use std::sync::LazyLock;

static TAG_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$").expect("static regex"));

/// Whether every character of `text` is one AWS allows in a tag key or value.
pub(crate) fn is_tag_text(text: &str) -> bool {
    TAG_TEXT.is_match(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn aws_tag_characters() {
        assert!(super::is_tag_text("copilot-application"));
        assert!(super::is_tag_text("Ünïcode 名前 1 _.:/=+-@"));
        assert!(super::is_tag_text(""));
        assert!(!super::is_tag_text("a*b"));
        assert!(!super::is_tag_text("tab\there"));
        assert!(!super::is_tag_text("semi;colon"));
    }
}
