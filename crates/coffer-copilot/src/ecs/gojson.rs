//! Go's `json.Unmarshal(data, &map[string]interface{})` and `fmt.Sprintf("%v", value)`, as the
//! ECS agent applies them to a Secrets Manager `SecretString` when a JSON key is asked for.
//!
//! * Syntax is checked first over the whole input by a port of `encoding/json`'s scanner state
//!   machine, so the first syntax error wins with Go's exact text
//!   (`invalid character 'p' looking for beginning of value`, `unexpected end of JSON input`,
//!   `invalid character ' ' in literal true (expecting 'e')`, …). The offending byte is quoted as
//!   Go's `quoteChar` does (a non-ASCII byte is shown as the Latin-1 character of that value).
//! * Type errors follow: a top-level array, string, number or bool is
//!   `json: cannot unmarshal <kind> into Go value of type map[string]interface {}`; a number
//!   that overflows float64 anywhere is `json: cannot unmarshal number <text> into Go value of
//!   type float64`; top-level `null` leaves the map nil (no error).
//! * Strings decode like Go: invalid surrogate escapes become U+FFFD. Duplicate keys: last wins.
//! * `%v`: strings as-is, float64 via `strconv.FormatFloat(f, 'g', -1, 64)` (exponent form when
//!   the decimal exponent is < -4 or >= 6 — shortest digits, exponent at least two digits),
//!   `true`/`false`, `<nil>`, `map[k:v k2:v2]` with sorted keys, `[a b c]`.
//!
//! Limits (documented divergences): nesting deeper than Go's 10000 levels reports Go's
//! `exceeded max depth` text; nothing else is known to differ.

use std::fmt::Write as _;

use zeroize::Zeroizing;

/// A decoded JSON value, as Go's `interface{}` holds it. Strings are wiped on drop.
#[derive(Debug)]
pub(crate) enum GoValue {
    Null,
    Bool(bool),
    Number(f64),
    String(Zeroizing<String>),
    Array(Vec<GoValue>),
    /// In input order, duplicates included (the last one is the effective one).
    Object(GoObject),
}

/// A JSON object's members in input order.
pub(crate) type GoObject = Vec<(Zeroizing<String>, GoValue)>;

impl GoValue {
    /// Go map lookup: the last occurrence of `key`.
    pub(crate) fn get<'a>(entries: &'a [(Zeroizing<String>, GoValue)], key: &str) -> Option<&'a GoValue> {
        entries.iter().rev().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    }
}

const MAX_NESTING_DEPTH: usize = 10000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Parse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    BeginValueOrEmpty,
    BeginValue,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    Lit(&'static [u8], usize, &'static str),
    Error,
}

struct Scanner {
    step: Step,
    parse: Vec<Parse>,
    end_top: bool,
    err: Option<String>,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's `quoteChar`: the byte as a rune, in `strconv.Quote` form, between single quotes.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        _ => {
            let r = char::from(c);
            let body = match c {
                0x07 => r"\a".to_owned(),
                0x08 => r"\b".to_owned(),
                0x0c => r"\f".to_owned(),
                b'\n' => r"\n".to_owned(),
                b'\r' => r"\r".to_owned(),
                b'\t' => r"\t".to_owned(),
                0x0b => r"\v".to_owned(),
                b'\\' => r"\\".to_owned(),
                0x00..=0x1f | 0x7f => format!(r"\x{c:02x}"),
                // C1 controls, no-break space and soft hyphen are not printable for strconv.
                0x80..=0xa0 | 0xad => format!(r"\u{c:04x}"),
                _ => r.to_string(),
            };
            format!("'{body}'")
        }
    }
}

impl Scanner {
    fn new() -> Self {
        Self { step: Step::BeginValue, parse: Vec::new(), end_top: false, err: None }
    }

    fn error(&mut self, c: u8, context: &str) {
        self.step = Step::Error;
        self.err = Some(format!("invalid character {} {context}", quote_char(c)));
    }

    fn push(&mut self, c: u8, p: Parse, next: Step) {
        self.parse.push(p);
        if self.parse.len() <= MAX_NESTING_DEPTH {
            self.step = next;
        } else {
            self.error(c, "exceeded max depth");
        }
    }

    fn pop(&mut self) {
        self.parse.pop();
        if self.parse.is_empty() {
            self.step = Step::EndTop;
            self.end_top = true;
        } else {
            self.step = Step::EndValue;
        }
    }

    fn begin_value(&mut self, c: u8) {
        if is_space(c) {
            return;
        }
        match c {
            b'{' => self.push(c, Parse::ObjectKey, Step::BeginStringOrEmpty),
            b'[' => self.push(c, Parse::ArrayValue, Step::BeginValueOrEmpty),
            b'"' => self.step = Step::InString,
            b'-' => self.step = Step::Neg,
            b'0' => self.step = Step::Zero,
            b'1'..=b'9' => self.step = Step::One,
            b't' => self.step = Step::Lit(b"true", 1, "in literal true"),
            b'f' => self.step = Step::Lit(b"false", 1, "in literal false"),
            b'n' => self.step = Step::Lit(b"null", 1, "in literal null"),
            _ => self.error(c, "looking for beginning of value"),
        }
    }

    fn end_value(&mut self, c: u8) {
        let Some(&ps) = self.parse.last() else {
            self.step = Step::EndTop;
            self.end_top = true;
            self.end_top_step(c);
            return;
        };
        if is_space(c) {
            self.step = Step::EndValue;
            return;
        }
        let n = self.parse.len() - 1;
        match ps {
            Parse::ObjectKey => {
                if c == b':' {
                    self.parse[n] = Parse::ObjectValue;
                    self.step = Step::BeginValue;
                } else {
                    self.error(c, "after object key");
                }
            }
            Parse::ObjectValue => match c {
                b',' => {
                    self.parse[n] = Parse::ObjectKey;
                    self.step = Step::BeginString;
                }
                b'}' => self.pop(),
                _ => self.error(c, "after object key:value pair"),
            },
            Parse::ArrayValue => match c {
                b',' => self.step = Step::BeginValue,
                b']' => self.pop(),
                _ => self.error(c, "after array element"),
            },
        }
    }

    fn end_top_step(&mut self, c: u8) {
        if !is_space(c) {
            self.error(c, "after top-level value");
        }
    }

    fn step(&mut self, c: u8) {
        match self.step {
            Step::Error => {}
            Step::BeginValueOrEmpty => {
                if is_space(c) {
                } else if c == b']' {
                    self.end_value(c);
                } else {
                    self.begin_value(c);
                }
            }
            Step::BeginValue => self.begin_value(c),
            Step::BeginStringOrEmpty => {
                if is_space(c) {
                } else if c == b'}' {
                    let n = self.parse.len() - 1;
                    self.parse[n] = Parse::ObjectValue;
                    self.end_value(c);
                } else {
                    self.begin_string(c);
                }
            }
            Step::BeginString => self.begin_string(c),
            Step::EndValue => self.end_value(c),
            Step::EndTop => self.end_top_step(c),
            Step::InString => match c {
                b'"' => self.step = Step::EndValue,
                b'\\' => self.step = Step::InStringEsc,
                0x00..=0x1f => self.error(c, "in string literal"),
                _ => {}
            },
            Step::InStringEsc => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => self.step = Step::InString,
                b'u' => self.step = Step::InStringEscU(0),
                _ => self.error(c, "in string escape code"),
            },
            Step::InStringEscU(k) => {
                if c.is_ascii_hexdigit() {
                    self.step = if k == 3 { Step::InString } else { Step::InStringEscU(k + 1) };
                } else {
                    self.error(c, "in \\u hexadecimal character escape");
                }
            }
            Step::Neg => match c {
                b'0' => self.step = Step::Zero,
                b'1'..=b'9' => self.step = Step::One,
                _ => self.error(c, "in numeric literal"),
            },
            Step::One => {
                if c.is_ascii_digit() {
                } else {
                    self.zero(c);
                }
            }
            Step::Zero => self.zero(c),
            Step::Dot => {
                if c.is_ascii_digit() {
                    self.step = Step::Dot0;
                } else {
                    self.error(c, "after decimal point in numeric literal");
                }
            }
            Step::Dot0 => {
                if c.is_ascii_digit() {
                } else if c == b'e' || c == b'E' {
                    self.step = Step::E;
                } else {
                    self.end_value(c);
                }
            }
            Step::E => {
                if c == b'+' || c == b'-' {
                    self.step = Step::ESign;
                } else {
                    self.e_sign(c);
                }
            }
            Step::ESign => self.e_sign(c),
            Step::E0 => {
                if !c.is_ascii_digit() {
                    self.end_value(c);
                }
            }
            Step::Lit(word, i, context) => {
                if c == word[i] {
                    self.step = if i + 1 == word.len() { Step::EndValue } else { Step::Lit(word, i + 1, context) };
                } else {
                    self.error(c, &format!("{context} (expecting '{}')", char::from(word[i])));
                }
            }
        }
    }

    fn begin_string(&mut self, c: u8) {
        if is_space(c) {
        } else if c == b'"' {
            self.step = Step::InString;
        } else {
            self.error(c, "looking for beginning of object key string");
        }
    }

    fn zero(&mut self, c: u8) {
        match c {
            b'.' => self.step = Step::Dot,
            b'e' | b'E' => self.step = Step::E,
            _ => self.end_value(c),
        }
    }

    fn e_sign(&mut self, c: u8) {
        if c.is_ascii_digit() {
            self.step = Step::E0;
        } else {
            self.error(c, "in exponent of numeric literal");
        }
    }

    fn eof(&mut self) -> Result<(), String> {
        if let Some(e) = &self.err {
            return Err(e.clone());
        }
        if self.end_top {
            return Ok(());
        }
        self.step(b' ');
        if self.end_top {
            return Ok(());
        }
        Err(self.err.clone().unwrap_or_else(|| "unexpected end of JSON input".to_owned()))
    }
}

/// Go's `checkValid`.
fn check_valid(data: &[u8]) -> Result<(), String> {
    let mut s = Scanner::new();
    for &c in data {
        s.step(c);
        if let Some(e) = &s.err {
            return Err(e.clone());
        }
    }
    s.eof()
}

/// Decodes valid JSON (checked by [`check_valid`]) into a value tree, iteratively.
struct Builder<'a> {
    b: &'a [u8],
    i: usize,
    /// The first number that does not fit a float64 (Go's saved `UnmarshalTypeError`).
    bad_number: Option<String>,
}

enum Frame {
    Array(Vec<GoValue>),
    Object(GoObject, Option<Zeroizing<String>>),
}

impl Builder<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.b.len() && is_space(self.b[self.i]) {
            self.i += 1;
        }
    }

    fn string(&mut self) -> Zeroizing<String> {
        // At the opening quote.
        self.i += 1;
        let mut out = Zeroizing::new(String::new());
        let mut run_start = self.i;
        loop {
            let c = self.b[self.i];
            match c {
                b'"' => {
                    out.push_str(&String::from_utf8_lossy(&self.b[run_start..self.i]));
                    self.i += 1;
                    return out;
                }
                b'\\' => {
                    out.push_str(&String::from_utf8_lossy(&self.b[run_start..self.i]));
                    let e = self.b[self.i + 1];
                    self.i += 2;
                    match e {
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4();
                            if (0xd800..0xdc00).contains(&hi)
                                && self.b.get(self.i) == Some(&b'\\')
                                && self.b.get(self.i + 1) == Some(&b'u')
                            {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4();
                                if (0xdc00..0xe000).contains(&lo) {
                                    let cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                                    out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                                } else {
                                    // Go: the high surrogate alone becomes U+FFFD; the next
                                    // escape is decoded on its own.
                                    out.push('\u{fffd}');
                                    self.i = save;
                                }
                            } else {
                                out.push(char::from_u32(hi).unwrap_or('\u{fffd}'));
                            }
                        }
                        other => out.push(char::from(other)),
                    }
                    run_start = self.i;
                }
                _ => self.i += 1,
            }
        }
    }

    fn hex4(&mut self) -> u32 {
        let s = std::str::from_utf8(&self.b[self.i..self.i + 4]).unwrap_or("fffd");
        self.i += 4;
        u32::from_str_radix(s, 16).unwrap_or(0xfffd)
    }

    fn number(&mut self) -> GoValue {
        let start = self.i;
        while self.i < self.b.len() && matches!(self.b[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        let f: f64 = text.parse().unwrap_or(f64::INFINITY);
        if f.is_infinite() {
            if self.bad_number.is_none() {
                self.bad_number = Some(text.to_owned());
            }
            return GoValue::Null;
        }
        GoValue::Number(f)
    }

    fn build(&mut self) -> GoValue {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            self.skip_ws();
            let c = self.b[self.i];
            let value = match c {
                b'{' => {
                    self.i += 1;
                    stack.push(Frame::Object(Vec::new(), None));
                    continue;
                }
                b'[' => {
                    self.i += 1;
                    stack.push(Frame::Array(Vec::new()));
                    continue;
                }
                b',' | b':' => {
                    self.i += 1;
                    continue;
                }
                b'}' | b']' => {
                    self.i += 1;
                    match stack.pop() {
                        Some(Frame::Array(items)) => GoValue::Array(items),
                        Some(Frame::Object(entries, _)) => GoValue::Object(entries),
                        None => GoValue::Null,
                    }
                }
                b'"' => {
                    let s = self.string();
                    if let Some(Frame::Object(_, key @ None)) = stack.last_mut() {
                        *key = Some(s);
                        continue;
                    }
                    GoValue::String(s)
                }
                b't' => {
                    self.i += 4;
                    GoValue::Bool(true)
                }
                b'f' => {
                    self.i += 5;
                    GoValue::Bool(false)
                }
                b'n' => {
                    self.i += 4;
                    GoValue::Null
                }
                _ => self.number(),
            };
            match stack.last_mut() {
                None => return value,
                Some(Frame::Array(items)) => items.push(value),
                Some(Frame::Object(entries, key)) => {
                    let k = key.take().unwrap_or_default();
                    entries.push((k, value));
                }
            }
        }
    }
}

/// Go's `json.Unmarshal(data, &m)` with `m` a `map[string]interface{}`: `Ok(None)` for `null`.
pub(crate) fn unmarshal_object(data: &str) -> Result<Option<GoObject>, String> {
    check_valid(data.as_bytes())?;
    let mut b = Builder { b: data.as_bytes(), i: 0, bad_number: None };
    let value = b.build();
    let top = match value {
        GoValue::Object(entries) => Some(entries),
        GoValue::Null => None,
        GoValue::Array(_) => return Err(map_type_error("array")),
        GoValue::String(_) => return Err(map_type_error("string")),
        GoValue::Number(_) => return Err(map_type_error("number")),
        GoValue::Bool(_) => return Err(map_type_error("bool")),
    };
    if let Some(n) = b.bad_number {
        // A top-level overflowing number is reported as a number into the map, like Go.
        if top.is_none() && data.trim_start().starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
            return Err(map_type_error("number"));
        }
        return Err(format!("json: cannot unmarshal number {n} into Go value of type float64"));
    }
    Ok(top)
}

fn map_type_error(kind: &str) -> String {
    format!("json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}")
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, which is what `%v` prints for a float64.
pub fn format_float_g(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.234567e6".
    let sci = format!("{:e}", f.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let exp: i32 = exp.parse().unwrap_or(0);
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        // %e with nd-1 fraction digits.
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else {
        // %f with max(nd-dp, 0) fraction digits.
        if dp > 0 {
            for i in 0..dp {
                out.push(digits.as_bytes().get(i as usize).map_or('0', |&b| char::from(b)));
            }
        } else {
            out.push('0');
        }
        let frac = (nd - dp).max(0);
        if frac > 0 {
            out.push('.');
            for i in 0..frac {
                let idx = dp + i;
                out.push(if idx < 0 {
                    '0'
                } else {
                    digits.as_bytes().get(idx as usize).map_or('0', |&b| char::from(b))
                });
            }
        }
    }
    out
}

/// `fmt.Sprintf("%v", v)` for a decoded JSON value.
pub(crate) fn format_v(v: &GoValue, out: &mut String) {
    match v {
        GoValue::Null => out.push_str("<nil>"),
        GoValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        GoValue::Number(f) => out.push_str(&format_float_g(*f)),
        GoValue::String(s) => out.push_str(s),
        GoValue::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_v(item, out);
            }
            out.push(']');
        }
        GoValue::Object(entries) => {
            // A Go map: the last duplicate wins; fmt prints keys sorted.
            let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            out.push_str("map[");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                if let Some(v) = GoValue::get(entries, k) {
                    format_v(v, out);
                }
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_g_table() {
        let cases: &[(f64, &str)] = &[
            (5432.0, "5432"),
            (1.5, "1.5"),
            (1234567.0, "1.234567e+06"),
            (100000.0, "100000"),
            (1000000.0, "1e+06"),
            (0.00001, "1e-05"),
            (0.0001, "0.0001"),
            (123456.7, "123456.7"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1e21, "1e+21"),
            (1.2345678901234567e19, "1.2345678901234567e+19"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
            (1e100, "1e+100"),
            (1.5e-7, "1.5e-07"),
            (999999.0, "999999"),
            (0.1, "0.1"),
            (100.0, "100"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float_g(*f), *want, "{f}");
        }
    }

    fn err_of(s: &str) -> String {
        unmarshal_object(s).unwrap_err()
    }

    #[test]
    fn go_error_texts() {
        let cases: &[(&str, &str)] = &[
            ("plaintext", "invalid character 'p' looking for beginning of value"),
            ("", "unexpected end of JSON input"),
            ("   ", "unexpected end of JSON input"),
            ("{\"a\":1} x", "invalid character 'x' after top-level value"),
            ("{\"a\":1}}", "invalid character '}' after top-level value"),
            ("[1,\"a\",true]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
            ("\"s\"", "json: cannot unmarshal string into Go value of type map[string]interface {}"),
            ("42", "json: cannot unmarshal number into Go value of type map[string]interface {}"),
            ("true", "json: cannot unmarshal bool into Go value of type map[string]interface {}"),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            ("{\"a\":1 \"b\":2}", "invalid character '\"' after object key:value pair"),
            ("[1 2]", "invalid character '2' after array element"),
            ("{a:1}", "invalid character 'a' looking for beginning of object key string"),
            ("{\"a\":1,}", "invalid character '}' looking for beginning of object key string"),
            ("{\"a\":\"x\ny\"}", "invalid character '\\n' in string literal"),
            ("{\"a\":\"\\q\"}", "invalid character 'q' in string escape code"),
            ("{\"a\":\"\\u12g4\"}", "invalid character 'g' in \\u hexadecimal character escape"),
            ("{\"a\":-x}", "invalid character 'x' in numeric literal"),
            ("{\"a\":1.}", "invalid character '}' after decimal point in numeric literal"),
            ("{\"a\":1e}", "invalid character '}' in exponent of numeric literal"),
            ("{\"a\":tru}", "invalid character '}' in literal true (expecting 'e')"),
            ("{\"a\":nul}", "invalid character '}' in literal null (expecting 'l')"),
            ("{\"a\":fa}", "invalid character '}' in literal false (expecting 'l')"),
            ("tru", "invalid character ' ' in literal true (expecting 'e')"),
            ("-", "invalid character ' ' in numeric literal"),
            ("{\"a\":1", "unexpected end of JSON input"),
            ("{\"a\":\"x", "unexpected end of JSON input"),
            ("'x'", r"invalid character '\'' looking for beginning of value"),
            ("\u{feff}{}", "invalid character 'ï' looking for beginning of value"),
            // The lead byte of U+00A0 (0xC2) is shown as the Latin-1 character of that value.
            ("\u{a0}{}", "invalid character 'Â' looking for beginning of value"),
            ("{\"a\":01}", "invalid character '1' after object key:value pair"),
            ("{\"a\":1e400}", "json: cannot unmarshal number 1e400 into Go value of type float64"),
            ("\t{\"a\":\u{1}}", r"invalid character '\x01' looking for beginning of value"),
        ];
        for (input, want) in cases {
            assert_eq!(err_of(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn decode_and_format() {
        let m = unmarshal_object(
            r#"{"s":"abc","n":5432,"f":1.5,"big":1234567,"t":true,"z":null,"o":{"b":"x","a":1},"l":[1,"a",true],"d":1,"d":2,"u":"\u00e9\ud83d\ude00\ud800x"}"#,
        )
        .unwrap()
        .unwrap();
        let show = |k: &str| {
            let mut s = String::new();
            format_v(GoValue::get(&m, k).unwrap(), &mut s);
            s
        };
        assert_eq!(show("s"), "abc");
        assert_eq!(show("n"), "5432");
        assert_eq!(show("f"), "1.5");
        assert_eq!(show("big"), "1.234567e+06");
        assert_eq!(show("t"), "true");
        assert_eq!(show("z"), "<nil>");
        assert_eq!(show("o"), "map[a:1 b:x]");
        assert_eq!(show("l"), "[1 a true]");
        assert_eq!(show("d"), "2");
        assert_eq!(show("u"), "é😀\u{fffd}x");
        assert!(unmarshal_object("null").unwrap().is_none());
        assert!(unmarshal_object(" {} ").unwrap().unwrap().is_empty());
    }

    #[test]
    fn quote_char_is_strconv_quote() {
        let cases: &[(u8, &str)] = &[
            (b'p', "'p'"),
            (b'\'', r"'\''"),
            (b'"', "'\"'"),
            (b'\\', r"'\\'"),
            (b'\n', r"'\n'"),
            (0x07, r"'\a'"),
            (0x0b, r"'\v'"),
            (0x01, r"'\x01'"),
            (0x7f, r"'\x7f'"),
            (0x85, r"'\u0085'"),
            (0xa0, r"'\u00a0'"),
            (0xad, r"'\u00ad'"),
            (0xc3, "'Ã'"),
            (0xef, "'ï'"),
        ];
        for (c, want) in cases {
            assert_eq!(quote_char(*c), *want, "{c:#x}");
        }
    }

    #[test]
    fn deep_nesting_is_iterative() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(5000), "]".repeat(5000));
        assert!(unmarshal_object(&deep).unwrap().is_some());
        let too_deep = "[".repeat(10001);
        assert_eq!(err_of(&too_deep), "invalid character '[' exceeded max depth");
    }
}
