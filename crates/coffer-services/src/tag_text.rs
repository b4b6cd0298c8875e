//! AWS's tag character set, `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, as SSM, Secrets Manager and IAM
//! document it for tag keys and values, and the constraints of the tag members.

use crate::constraints::{Pattern, Str};
use regex::Regex;
use std::sync::LazyLock;

static TAG_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$").expect("static regex"));

/// Whether every character of `text` is one AWS allows in a tag key or value.
pub(crate) fn is_tag_text(text: &str) -> bool {
    TAG_TEXT.is_match(text)
}

const TAG_TEXT_PATTERN: Pattern = Pattern { text: r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", test: is_tag_text };

/// SSM's and Secrets Manager's `TagKey`: they name the pattern and the length in one text.
pub(crate) const TAG_KEY: Str = Str::len(1, 128).pattern(TAG_TEXT_PATTERN).worded(
    r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ and have length between 1 and 128",
);
/// SSM's and Secrets Manager's `TagValue`.
pub(crate) const TAG_VALUE: Str = Str::len(0, 256).pattern(TAG_TEXT_PATTERN).worded(
    r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ and have length less than or equal to 256",
);
/// IAM's `tagKeyType`.
pub(crate) const IAM_TAG_KEY: Str =
    Str::len(1, 128).pattern(Pattern { text: r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", test: is_tag_text });
/// IAM's `tagValueType`.
pub(crate) const IAM_TAG_VALUE: Str = Str::len(0, 256).pattern(TAG_TEXT_PATTERN);

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
