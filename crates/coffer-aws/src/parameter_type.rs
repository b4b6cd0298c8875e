//! An SSM parameter's `Type`.

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParameterType {
    String,
    StringList,
    /// Encrypted at rest; read back as ciphertext unless decryption is asked for.
    SecureString,
}

impl ParameterType {
    /// As the API names them.
    pub const fn as_str(self) -> &'static str {
        match self {
            ParameterType::String => "String",
            ParameterType::StringList => "StringList",
            ParameterType::SecureString => "SecureString",
        }
    }

    /// The type the API names `name` (exactly, as AWS compares).
    pub fn parse(name: &str) -> Option<Self> {
        [ParameterType::String, ParameterType::StringList, ParameterType::SecureString]
            .into_iter()
            .find(|t| t.as_str() == name)
    }
}

impl fmt::Display for ParameterType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ParameterType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ParameterType;

    #[test]
    fn names_round_trip_exactly() {
        for t in [ParameterType::String, ParameterType::StringList, ParameterType::SecureString] {
            assert_eq!(ParameterType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{t}\""));
        }
        assert_eq!(ParameterType::parse("securestring"), None);
        assert_eq!(ParameterType::parse(""), None);
    }
}
