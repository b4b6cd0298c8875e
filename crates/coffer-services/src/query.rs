//! The AWS Query protocol (IAM, STS): `application/x-www-form-urlencoded` request
//! parameters in, XML out.
//!
//! Requests flatten structures and lists into dotted names: `Tags.member.1.Key`,
//! `Tags.member.1.Value`, `TagKeys.member.1`. Responses are
//! `<{Action}Response xmlns=…><{Action}Result>…</{Action}Result><ResponseMetadata>
//! <RequestId>…</RequestId></ResponseMetadata></{Action}Response>`, errors
//! `<ErrorResponse xmlns=…><Error><Type>Sender|Receiver</Type><Code>…</Code>
//! <Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`.

use coffer_aws::{AwsError, MessageKey, Timestamp};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::{BTreeMap, HashMap};

pub const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// IAM's and STS's validation error code (`ValidationError`, not `ValidationException`).
pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationError", MessageKey::Upper, message)
}

/// `1 validation error detected: Value '<value>' at '<member>' failed to satisfy constraint: …`
pub fn constraint(value: impl std::fmt::Display, member: &str, constraint: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

/// The member name AWS's validation messages use for a parameter: `UserName` → `userName`.
pub fn member_name(param: &str) -> String {
    let mut chars = param.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The request parameters of one Query-protocol call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    map: HashMap<String, String>,
}

impl Params {
    /// Parses a form-encoded body (or a URL query string). A repeated name keeps its last value.
    pub fn parse(body: &[u8]) -> Self {
        Self { map: form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect() }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self { map: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.map.insert(name.into(), value.into());
    }

    /// `Action`, if present.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// `Version`, if present.
    pub fn version(&self) -> Option<&str> {
        self.get("Version")
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// A parameter the operation requires: missing, it is AWS's
    /// `Value null at '<member>' failed to satisfy constraint: Member must not be null`.
    pub fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.get(name)
            .ok_or_else(|| constraint("null", &member_name(name), "Member must not be null").with_null_value())
    }

    /// An optional parameter.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name)
    }

    /// An optional integer parameter.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(text) => text.trim().parse::<i64>().map(Some).map_err(|_| {
                validation(format!(
                    "1 validation error detected: Value '{text}' at '{}' failed to satisfy constraint: Member must be a number",
                    member_name(name)
                ))
            }),
        }
    }

    /// An optional boolean parameter (`true`/`false`).
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(t) if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(t) if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(t) => Err(validation(format!(
                "1 validation error detected: Value '{t}' at '{}' failed to satisfy constraint: Member must be a boolean",
                member_name(name)
            ))),
        }
    }

    /// A list of strings: `<name>.member.1`, `<name>.member.2`, … in index order.
    pub fn list(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}.member.");
        let mut items: BTreeMap<u32, &str> = BTreeMap::new();
        for (k, v) in &self.map {
            if let Some(Ok(i)) = k.strip_prefix(&prefix).map(str::parse::<u32>) {
                items.insert(i, v);
            }
        }
        items.into_values().map(str::to_owned).collect()
    }

    /// A list of structures: `<name>.member.N.<Field>`, as one map of fields per member, in
    /// index order.
    pub fn structs(&self, name: &str) -> Vec<BTreeMap<String, String>> {
        let prefix = format!("{name}.member.");
        let mut items: BTreeMap<u32, BTreeMap<String, String>> = BTreeMap::new();
        for (k, v) in &self.map {
            let Some(rest) = k.strip_prefix(&prefix) else { continue };
            let Some((index, field)) = rest.split_once('.') else { continue };
            let Ok(i) = index.parse::<u32>() else { continue };
            items.entry(i).or_default().insert(field.to_owned(), v.clone());
        }
        items.into_values().collect()
    }

    /// `<name>.member.N.Key` / `.Value` pairs (a missing value is empty).
    pub fn tags(&self, name: &str) -> Vec<(String, String)> {
        self.structs(name)
            .into_iter()
            .map(|mut m| (m.remove("Key").unwrap_or_default(), m.remove("Value").unwrap_or_default()))
            .collect()
    }
}

trait NullValue {
    fn with_null_value(self) -> Self;
}

impl NullValue for AwsError {
    /// AWS writes `Value null`, not `Value 'null'`.
    fn with_null_value(mut self) -> Self {
        if let Some(m) = &mut self.message {
            *m = m.replacen("Value 'null'", "Value null", 1);
        }
        self
    }
}

/// Escapes text for XML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            // Characters XML 1.0 cannot carry at all are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n') => {}
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as IAM encodes policy
/// documents in its responses (`{"a": 1}` → `%7B%22a%22%3A%201%7D`).
pub fn url_encode(text: &str) -> String {
    const RESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    utf8_percent_encode(text, RESERVED).to_string()
}

/// ISO 8601 in UTC with whole seconds, as IAM and STS send dates: `2026-11-25T21:00:00Z`.
pub fn iso8601(t: Timestamp) -> String {
    t.iso8601()
}

/// Builds XML element by element; every text is escaped.
#[derive(Debug, Default)]
pub struct Xml {
    buf: String,
}

impl Xml {
    pub fn new() -> Self {
        Self::default()
    }

    /// `<name>text</name>`
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self.buf.push_str(&escape(text));
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// Escaped text where the writer stands (a member of a list of strings).
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.buf.push_str(&escape(text));
        self
    }

    /// `<name>text</name>`, or nothing for `None`.
    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, t);
        }
        self
    }

    pub fn int(&mut self, name: &str, value: i64) -> &mut Self {
        self.leaf(name, &value.to_string())
    }

    pub fn boolean(&mut self, name: &str, value: bool) -> &mut Self {
        self.leaf(name, if value { "true" } else { "false" })
    }

    pub fn date(&mut self, name: &str, t: Timestamp) -> &mut Self {
        self.leaf(name, &iso8601(t))
    }

    /// `<name>…</name>` around whatever `body` writes.
    pub fn node(&mut self, name: &str, body: impl FnOnce(&mut Xml)) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        body(self);
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// A list: `<name><member>…</member>…</name>` (`<name/>` when empty).
    pub fn members<T>(&mut self, name: &str, items: &[T], mut each: impl FnMut(&mut Xml, &T)) -> &mut Self {
        if items.is_empty() {
            self.buf.push('<');
            self.buf.push_str(name);
            self.buf.push_str("/>");
            return self;
        }
        self.node(name, |x| {
            for item in items {
                x.node("member", |x| each(x, item));
            }
        })
    }

    /// `Tags` as IAM writes them: `<name><member><Key>…</Key><Value>…</Value></member>…</name>`.
    pub fn tags(&mut self, name: &str, tags: &[(String, String)]) -> &mut Self {
        self.members(name, tags, |x, (k, v)| {
            x.leaf("Key", k).leaf("Value", v);
        })
    }

    pub fn into_string(self) -> String {
        self.buf
    }
}

fn response_with(namespace: &str, action: &str, request_id: &str, result: Option<&dyn Fn(&mut Xml)>) -> String {
    let mut x = Xml::new();
    x.buf.push_str(&format!("<{action}Response xmlns=\"{}\">", escape(namespace)));
    if let Some(result) = result {
        x.node(&format!("{action}Result"), |x| result(x));
    }
    x.node("ResponseMetadata", |x| {
        x.leaf("RequestId", request_id);
    });
    x.buf.push_str(&format!("</{action}Response>"));
    x.into_string()
}

/// A successful response whose `{Action}Result` holds what `result` writes.
pub fn response(namespace: &str, action: &str, request_id: &str, result: impl Fn(&mut Xml)) -> String {
    response_with(namespace, action, request_id, Some(&result))
}

/// A successful response of an operation with no output (DeleteUser, TagRole, …): only
/// `ResponseMetadata`.
pub fn empty_response(namespace: &str, action: &str, request_id: &str) -> String {
    response_with(namespace, action, request_id, None)
}

/// The error body in IAM's namespace (see [`error_xml_ns`]; the namespace is informational,
/// clients read `Code` and `Message`). `sender_fault` is `Type` `Sender` (client errors,
/// status < 500) or `Receiver`.
pub fn error_xml(err: &AwsError, request_id: &str, sender_fault: bool) -> String {
    error_xml_ns(IAM_NAMESPACE, err, request_id, sender_fault)
}

/// The error body in `namespace` ([`IAM_NAMESPACE`] or [`STS_NAMESPACE`]).
pub fn error_xml_ns(namespace: &str, err: &AwsError, request_id: &str, sender_fault: bool) -> String {
    let mut x = Xml::new();
    x.buf.push_str(&format!("<ErrorResponse xmlns=\"{}\">", escape(namespace)));
    x.node("Error", |x| {
        x.leaf("Type", if sender_fault { "Sender" } else { "Receiver" });
        x.leaf("Code", &err.code);
        x.leaf_opt("Message", err.message.as_deref());
    });
    x.leaf("RequestId", request_id);
    x.buf.push_str("</ErrorResponse>");
    x.into_string()
}

/// `InvalidAction` for an action the service does not implement.
pub fn invalid_action(action: &str, version: &str) -> AwsError {
    AwsError::new(
        "InvalidAction",
        MessageKey::Upper,
        format!("Could not find operation {action} for version {version}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flattened_lists_and_structures() {
        let p = Params::parse(
            b"Action=TagUser&Version=2010-05-08&UserName=b%2Bob&Tags.member.2.Key=k2&Tags.member.1.Key=k1\
              &Tags.member.1.Value=v+1&Tags.member.2.Value=&TagKeys.member.10=z&TagKeys.member.2=a",
        );
        assert_eq!(p.action(), Some("TagUser"));
        assert_eq!(p.version(), Some("2010-05-08"));
        assert_eq!(p.required("UserName").unwrap(), "b+ob");
        assert_eq!(p.tags("Tags"), vec![("k1".into(), "v 1".into()), ("k2".into(), String::new())]);
        assert_eq!(p.list("TagKeys"), vec!["a".to_owned(), "z".to_owned()]);
        assert!(p.list("Nothing").is_empty());
    }

    #[test]
    fn required_and_typed_parameters() {
        let p = Params::from_pairs([("DurationSeconds", "900"), ("MaxItems", "x"), ("Flag", "TRUE")]);
        let err = p.required("RoleArn").unwrap_err();
        assert_eq!(err.code, "ValidationError");
        assert_eq!(
            err.message.as_deref(),
            Some(
                "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
            )
        );
        assert_eq!(p.integer("DurationSeconds").unwrap(), Some(900));
        assert_eq!(p.integer("Missing").unwrap(), None);
        assert_eq!(p.integer("MaxItems").unwrap_err().code, "ValidationError");
        assert_eq!(p.boolean("Flag").unwrap(), Some(true));
    }

    #[test]
    fn formats_iso8601() {
        assert_eq!(iso8601(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(Timestamp(1_795_640_400_999)), "2026-11-25T21:00:00Z");
        assert_eq!(iso8601(Timestamp(951_782_400_000)), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(Timestamp(4_107_542_399_000)), "2100-02-28T23:59:59Z");
        assert_eq!(iso8601(Timestamp(-1000)), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn writes_responses_and_errors() {
        let body = response(IAM_NAMESPACE, "GetUser", "req-1", |x| {
            x.node("User", |x| {
                x.leaf("UserName", "a<b&c").members("Tags", &[1, 2], |x, n| {
                    x.int("N", *n);
                });
            });
        });
        assert_eq!(
            body,
            "<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult><User>\
             <UserName>a&lt;b&amp;c</UserName><Tags><member><N>1</N></member><member><N>2</N></member></Tags>\
             </User></GetUserResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetUserResponse>"
        );
        assert_eq!(
            empty_response(STS_NAMESPACE, "DeleteUser", "r"),
            "<DeleteUserResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><ResponseMetadata>\
             <RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>"
        );
        let err = AwsError::new("NoSuchEntity", MessageKey::Upper, "The user with name <x> cannot be found.")
            .with_status(404);
        assert_eq!(
            error_xml(&err, "r2", true),
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>NoSuchEntity</Code><Message>The user with name &lt;x&gt; cannot be found.</Message></Error>\
             <RequestId>r2</RequestId></ErrorResponse>"
        );
        let bare = error_xml_ns(STS_NAMESPACE, &AwsError::bare("InternalFailure"), "r3", false);
        assert!(bare.contains("<Type>Receiver</Type><Code>InternalFailure</Code></Error>"), "{bare}");
        assert!(bare.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"));
    }

    #[test]
    fn escapes_and_url_encodes() {
        assert_eq!(escape("\"'<>&\u{1}\t"), "&quot;&apos;&lt;&gt;&amp;\t");
        assert_eq!(url_encode("{\"a\": [1]}~-_."), "%7B%22a%22%3A%20%5B1%5D%7D~-_.");
        assert_eq!(url_encode("é"), "%C3%A9");
    }
}
