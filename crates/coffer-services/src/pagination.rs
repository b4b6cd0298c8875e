//! Opaque `NextToken`s that encode the last key a page showed, not an offset, so pages stay
//! stable while other writes happen. The token is tied to the operation that issued it.

use crate::operation::Operation;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Token<'a> {
    op: &'a str,
    after: String,
}

pub fn encode(op: impl Into<Operation>, after: &str) -> String {
    let op = op.into().name();
    B64.encode(serde_json::to_vec(&Token { op, after: after.to_owned() }).unwrap_or_default())
}

/// The key a token continues after, if the token is one this operation issued.
pub fn decode(op: impl Into<Operation>, token: &str) -> Option<String> {
    let op = op.into().name();
    let bytes = B64.decode(token).ok()?;
    let token: Token<'_> = serde_json::from_slice(&bytes).ok()?;
    (token.op == op).then_some(token.after)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_and_binds_the_operation() {
        use crate::operation::SsmOperation::{DescribeParameters, GetParametersByPath};
        let t = super::encode(GetParametersByPath, "/a/b");
        assert_eq!(super::decode(GetParametersByPath, &t).as_deref(), Some("/a/b"));
        assert_eq!(super::decode(DescribeParameters, &t), None);
        assert_eq!(super::decode(GetParametersByPath, "garbage!"), None);
    }
}
