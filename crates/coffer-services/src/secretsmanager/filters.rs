//! ListSecrets / BatchGetSecretValue filters, with the rules AWS documents for `Filter`:
//!
//! - `name`, `tag-key`, `tag-value`, `primary-region`, `owning-service`: prefix match,
//!   case-sensitive (the API reference).
//! - `description` and `all`: word search, not case-sensitive. The value and each attribute
//!   (for `all`: the name, description, tag keys and tag values, primary region, owning
//!   service, each on its own) are broken into [`words`]; every word of the value must be a
//!   prefix of some word of one attribute (AWS's answers: `s k` finds `BillingService-Key9`,
//!   `illing` does not; `Ewidgets` finds `ACMEwidgets`, `acme` does not).
//! - A value starting with `!` negates: it holds when nothing matches the rest.
//! - The values of one filter are OR'ed; filters (even with the same key) are AND'ed.

use super::errors::invalid_parameter;
use super::model::Filter;
use crate::error::OpResult;
use coffer_store::secrets::SecretRecord;

#[allow(clippy::enum_variant_names)] // the filter keys' own names
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Description,
    Name,
    TagKey,
    TagValue,
    PrimaryRegion,
    OwningService,
    All,
}

#[derive(Clone, Debug)]
pub struct Parsed {
    key: Key,
    /// `(negated, text)`
    values: Vec<(bool, String)>,
}

/// A secret with what filters and listings look at.
pub(crate) struct Listed {
    pub record: SecretRecord,
    pub tags: Vec<(String, String)>,
    pub stages: Vec<(String, String)>,
}

fn key_of(s: &str) -> Option<Key> {
    Some(match s {
        "description" => Key::Description,
        "name" => Key::Name,
        "tag-key" => Key::TagKey,
        "tag-value" => Key::TagValue,
        "primary-region" => Key::PrimaryRegion,
        "owning-service" => Key::OwningService,
        "all" => Key::All,
        _ => return None,
    })
}

/// Filters whose members met the model's constraints (keys from the enum, at most 10 values
/// of the allowed characters): a filter without a key or without values is
/// InvalidParameterException.
pub fn parse(filters: &[Filter]) -> OpResult<Vec<Parsed>> {
    let mut out = Vec::with_capacity(filters.len());
    for f in filters {
        let key_text = f.key.as_deref().ok_or_else(|| invalid_parameter("Invalid filter key"))?;
        let key = key_of(key_text).ok_or_else(|| invalid_parameter("Invalid filter key"))?;
        let values = match &f.values {
            Some(v) if !v.is_empty() => v,
            _ => return Err(invalid_parameter(format!("Invalid filter values for key: {key_text}")).into()),
        };
        let values = values
            .iter()
            .map(|v| match v.strip_prefix('!') {
                Some(rest) => (true, rest.to_owned()),
                None => (false, v.clone()),
            })
            .collect();
        out.push(Parsed { key, values });
    }
    Ok(out)
}

/// Words as AWS's search sees them, lower-cased: split at every character that is not a
/// letter or digit, then before an uppercase letter that follows a lowercase one or precedes
/// one (`BillingService` → `billing`, `service`; `ACMEwidgets` → `acm`, `ewidgets`;
/// `KeyFTag` → `key`, `f`, `tag`).
fn words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in s.split(|c: char| !c.is_alphanumeric()).filter(|p| !p.is_empty()) {
        let chars: Vec<char> = part.chars().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let starts_word = chars[i].is_uppercase()
                && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|next| next.is_lowercase()));
            if starts_word {
                words.push(chars[start..i].iter().collect::<String>().to_lowercase());
                start = i;
            }
        }
        words.push(chars[start..].iter().collect::<String>().to_lowercase());
    }
    words
}

/// Every word of `value` is a prefix of a word of `attribute` (a value without words, such
/// as `+`, finds nothing).
fn words_match(value: &[String], attribute: &str) -> bool {
    let have = words(attribute);
    !value.is_empty() && value.iter().all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
}

fn attributes(key: Key, l: &Listed) -> Vec<&str> {
    let r = &l.record;
    match key {
        Key::Name => vec![r.name.as_str()],
        Key::Description => r.description.as_deref().into_iter().collect(),
        Key::TagKey => l.tags.iter().map(|(k, _)| k.as_str()).collect(),
        Key::TagValue => l.tags.iter().map(|(_, v)| v.as_str()).collect(),
        Key::PrimaryRegion => r.primary_region.as_deref().into_iter().collect(),
        Key::OwningService => r.owning_service.as_deref().into_iter().collect(),
        Key::All => {
            let mut all = vec![r.name.as_str()];
            all.extend(r.description.as_deref());
            all.extend(l.tags.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]));
            all.extend(r.primary_region.as_deref());
            all.extend(r.owning_service.as_deref());
            all
        }
    }
}

fn hit(key: Key, value: &str, attrs: &[&str]) -> bool {
    match key {
        Key::Description | Key::All => {
            let wanted = words(value);
            attrs.iter().any(|a| words_match(&wanted, a))
        }
        _ => attrs.iter().any(|a| a.starts_with(value)),
    }
}

/// Whether a secret passes every filter.
pub(crate) fn matches(filters: &[Parsed], listed: &Listed) -> bool {
    filters.iter().all(|f| {
        let attrs = attributes(f.key, listed);
        f.values.iter().any(|(negated, value)| hit(f.key, value, &attrs) != *negated)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_as_aws_search_does() {
        assert_eq!(words("myAppDb/prod-EU_main"), ["my", "app", "db", "prod", "eu", "main"]);
        assert_eq!(words("BillingService-Key9"), ["billing", "service", "key9"]);
        assert_eq!(words("ACMEwidgets"), ["acm", "ewidgets"]);
        assert_eq!(words("KeyFTag"), ["key", "f", "tag"]);
        assert_eq!(words("a+b=c.d@e f"), ["a", "b", "c", "d", "e", "f"]);
        assert!(words("+").is_empty());
    }
}
