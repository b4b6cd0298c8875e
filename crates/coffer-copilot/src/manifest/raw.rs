//! The manifest as serde-saphyr decodes it: only the keys Coffer uses, every value kept with its
//! source location so that interpolated values can be substituted and errors located.
//! Unknown keys are ignored at every level, as Copilot's (non-strict) yaml.v3 decoding does.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// One YAML node where a string is expected.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawScalar {
    /// A string scalar (quoted, block or plain).
    Str(String),
    /// A plain scalar that YAML resolves to a number or boolean; its source text is what
    /// Copilot (yaml.v3 decoding into a string) keeps. `fallback` is used only if the source
    /// span is unavailable.
    NonStr {
        fallback: String,
    },
    Null,
    /// A sequence or mapping.
    Collection {
        kind: &'static str,
    },
}

/// A `secrets:` or `variables:` value: a scalar, or a map that may carry `secretsmanager` or
/// `from_cfn`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawRef {
    Scalar(RawScalar),
    Map { secretsmanager: Option<Spanned<RawScalar>>, from_cfn: Option<Spanned<RawScalar>> },
    Seq,
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = RawScalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawScalar, E> {
        Ok(RawScalar::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<RawScalar, E> {
        Ok(RawScalar::Str(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawScalar, E> {
        Ok(RawScalar::NonStr { fallback: v.to_string() })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawScalar, E> {
        Ok(RawScalar::NonStr { fallback: v.to_string() })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawScalar, E> {
        Ok(RawScalar::NonStr { fallback: v.to_string() })
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawScalar, E> {
        Ok(RawScalar::NonStr { fallback: v.to_string() })
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawScalar, E> {
        Ok(RawScalar::NonStr { fallback: v.to_string() })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawScalar, E> {
        Ok(RawScalar::NonStr { fallback: v.to_string() })
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawScalar, E> {
        Ok(RawScalar::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<RawScalar, E> {
        Ok(RawScalar::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawScalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawScalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawScalar::Collection { kind: "!!seq" })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawScalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(RawScalar::Collection { kind: "!!map" })
    }
}

impl<'de> Deserialize<'de> for RawScalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct RefVisitor;

macro_rules! forward_scalar {
    ($($name:ident: $ty:ty),*) => {
        $(fn $name<E: de::Error>(self, v: $ty) -> Result<RawRef, E> {
            ScalarVisitor.$name(v).map(RawRef::Scalar)
        })*
    };
}

impl<'de> Visitor<'de> for RefVisitor {
    type Value = RawRef;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a map")
    }

    forward_scalar!(visit_str: &str, visit_string: String, visit_bool: bool, visit_i64: i64, visit_u64: u64,
        visit_i128: i128, visit_u128: u128, visit_f64: f64);

    fn visit_unit<E: de::Error>(self) -> Result<RawRef, E> {
        Ok(RawRef::Scalar(RawScalar::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<RawRef, E> {
        Ok(RawRef::Scalar(RawScalar::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawRef, D::Error> {
        d.deserialize_any(RefVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawRef, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawRef::Seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRef, A::Error> {
        let (mut secretsmanager, mut from_cfn) = (None, None);
        while let Some(key) = map.next_key::<RawScalar>()? {
            match key {
                RawScalar::Str(k) if k == "secretsmanager" => secretsmanager = Some(map.next_value()?),
                RawScalar::Str(k) if k == "from_cfn" => from_cfn = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(RawRef::Map { secretsmanager, from_cfn })
    }
}

impl<'de> Deserialize<'de> for RawRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RefVisitor)
    }
}

pub(crate) type RawMap = BTreeMap<String, Spanned<RawRef>>;

/// The per-container keys: `variables`, `secrets`, `env_file`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawContainer {
    pub variables: Option<RawMap>,
    pub secrets: Option<RawMap>,
    pub env_file: Option<Spanned<RawScalar>>,
}

/// `logging:` — the FireLens container's own `variables`/`secrets`/`env_file`, plus
/// `secretOptions` for the main container's log driver.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawLogging {
    pub variables: Option<RawMap>,
    pub secrets: Option<RawMap>,
    pub env_file: Option<Spanned<RawScalar>>,
    #[serde(rename = "secretOptions")]
    pub secret_options: Option<RawMap>,
}

/// `environments.<env>:` — the same keys as the top level (name and type excepted).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawOverride {
    pub variables: Option<RawMap>,
    pub secrets: Option<RawMap>,
    pub env_file: Option<Spanned<RawScalar>>,
    pub sidecars: Option<BTreeMap<String, Option<RawContainer>>>,
    pub logging: Option<RawLogging>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawManifest {
    pub name: Option<Spanned<RawScalar>>,
    #[serde(rename = "type")]
    pub kind: Option<Spanned<RawScalar>>,
    pub variables: Option<RawMap>,
    pub secrets: Option<RawMap>,
    pub env_file: Option<Spanned<RawScalar>>,
    pub sidecars: Option<BTreeMap<String, Option<RawContainer>>>,
    pub logging: Option<RawLogging>,
    pub environments: Option<BTreeMap<String, Option<RawOverride>>>,
}
