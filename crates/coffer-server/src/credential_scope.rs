//! The credential scope of a SigV4 `Authorization` header
//! (`AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, …`).

#[derive(Debug, PartialEq, Eq)]
pub struct CredentialScope<'a> {
    pub access_key_id: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

pub fn parse(authorization: &str) -> Option<CredentialScope<'_>> {
    let rest = authorization.strip_prefix("AWS4-HMAC-SHA256")?.trim_start();
    let credential = rest.split(',').map(str::trim).find_map(|part| part.strip_prefix("Credential="))?;
    let mut parts = credential.split('/');
    let scope = CredentialScope {
        access_key_id: parts.next()?,
        date: parts.next()?,
        region: parts.next()?,
        service: parts.next()?,
    };
    (parts.next() == Some("aws4_request")).then_some(scope)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_the_scope() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        let s = super::parse(h).unwrap();
        assert_eq!((s.access_key_id, s.date, s.region, s.service), ("AKIDEXAMPLE", "20150830", "us-east-1", "ssm"));
        assert!(super::parse("Bearer x").is_none());
    }
}
