//! AWS Signature Version 4 verification.
//!
//! The signature is recomputed with `aws-sigv4` (the SDKs' own signer) over exactly the
//! headers the client listed in `SignedHeaders`, then compared in constant time. We parse
//! the `Authorization` header, check the clock and the credential scope ourselves, because
//! the signer takes those as inputs rather than checking them.
//!
//! `aws-sigv4` 1.6 derives the signing key inside `sign()` and exposes no string-to-sign,
//! so derived keys cannot be cached without re-implementing canonicalization; the
//! derivation (four HMAC-SHA256) is measured in `docs/benchmarks.md`.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::{HeaderMap, HeaderName, Method, Uri};
use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// AWS refuses requests whose time is more than 15 minutes off.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Why a request failed authentication. The wire code depends on the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization` header at all.
    Missing,
    /// An `Authorization` header we cannot use (wrong algorithm, missing parts).
    Incomplete(String),
    /// The access key id is unknown (or a temporary key without its token).
    UnknownKey,
    /// The signature does not match.
    BadSignature,
    /// The request time is outside the allowed skew.
    Expired(String),
    /// The temporary credentials have expired.
    ExpiredToken,
    /// The credential scope names another service.
    WrongService(String),
    /// The scope's date does not match `X-Amz-Date`.
    WrongDate(String),
    /// The credential store could not be read.
    Unavailable,
}

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub access_key_id: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

pub fn parse_authorization(headers: &HeaderMap) -> Result<Authorization<'_>, AuthFailure> {
    let mut all = headers.get_all(axum::http::header::AUTHORIZATION).iter();
    let Some(value) = all.next() else {
        return Err(AuthFailure::Missing);
    };
    if all.next().is_some() {
        return Err(AuthFailure::Incomplete("The request carries more than one Authorization header.".into()));
    }
    let value = value.to_str().map_err(|_| AuthFailure::Incomplete("Authorization header is not ASCII".into()))?;
    let Some(rest) = value.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(AuthFailure::Incomplete(
            "Authorization header requires the AWS4-HMAC-SHA256 algorithm (Signature Version 4).".into(),
        ));
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim) {
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let missing = |what: &str| {
        AuthFailure::Incomplete(format!(
            "Authorization header requires '{what}' parameter. Authorization={value_redacted}",
            value_redacted = "AWS4-HMAC-SHA256 …"
        ))
    };
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = parts[..] else {
        return Err(AuthFailure::Incomplete(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            parts.get(2).copied().unwrap_or("")
        )));
    };
    Ok(Authorization { access_key_id, date, region, service, signed_headers: signed.split(';').collect(), signature })
}

/// `x-amz-date`'s form: `20261203T081500Z`.
const AMZ_DATE: &[BorrowedFormatItem<'_>] = format_description!("[year][month][day]T[hour][minute][second]Z");

/// Parses `YYYYMMDDTHHMMSSZ`. By position rather than with a `time` format description: this
/// runs on every request, and the description parser costs more than the rest of the date
/// check (measured in `benches/verify_authorize.rs`).
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        let digits = s.get(r)?;
        if digits.bytes().all(|c| c.is_ascii_digit()) { digits.parse().ok() } else { None }
    };
    let small = |r| num(r).and_then(|n| u8::try_from(n).ok());
    let year = i32::from(num(0..4)?);
    let at = coffer_aws::Timestamp::from_utc(
        year,
        small(4..6)?,
        small(6..8)?,
        small(9..11)?,
        small(11..13)?,
        small(13..15)?,
    )?;
    Some(UNIX_EPOCH + Duration::from_millis(u64::try_from(at.millis()).ok()?))
}

pub fn format_amz_date(t: SystemTime) -> String {
    let secs = i64::try_from(t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()).unwrap_or(0);
    coffer_aws::Timestamp(secs * 1000).utc().format(AMZ_DATE).unwrap_or_default()
}

/// Every `x-amz-*` header the request carries must be covered by the signature (AWS: "You must
/// include the host header and any x-amz-* headers in the signature"), or a captured request
/// could be re-sent as another operation (`X-Amz-Target`) with the same signature.
/// `x-amz-content-sha256` is exempt, as AWS allows.
pub fn check_signed_headers(headers: &HeaderMap, auth: &Authorization<'_>) -> Result<(), AuthFailure> {
    let unsigned = headers.keys().map(HeaderName::as_str).find(|name| {
        name.starts_with("x-amz-")
            && *name != "x-amz-content-sha256"
            && !auth.signed_headers.iter().any(|signed| signed.eq_ignore_ascii_case(name))
    });
    match unsigned {
        Some(name) => Err(AuthFailure::Incomplete(format!(
            "The request signature must cover the '{name}' header: every x-amz-* header must be signed."
        ))),
        None => Ok(()),
    }
}

/// Checks the request time against the clock and the credential scope's date.
pub fn check_time(headers: &HeaderMap, auth: &Authorization<'_>, now: SystemTime) -> Result<SystemTime, AuthFailure> {
    if !auth.signed_headers.contains(&"x-amz-date") {
        return Err(AuthFailure::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into(),
        ));
    }
    let raw = headers.get("x-amz-date").and_then(|v| v.to_str().ok()).unwrap_or("");
    let time = parse_amz_date(raw)
        .ok_or_else(|| AuthFailure::Incomplete(format!("Date must be in ISO-8601 'basic format'. Got '{raw}'.")))?;
    if !raw.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(AuthFailure::WrongDate(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{raw}'.",
            auth.date,
            &raw[..8.min(raw.len())]
        )));
    }
    let skew_minutes = MAX_SKEW.as_secs() / 60;
    if time + MAX_SKEW < now {
        return Err(AuthFailure::Expired(format!(
            "Signature expired: {raw} is now earlier than {} ({} - {skew_minutes} min.)",
            format_amz_date(now - MAX_SKEW),
            format_amz_date(now)
        )));
    }
    if time > now + MAX_SKEW {
        return Err(AuthFailure::Expired(format!(
            "Signature not yet current: {raw} is still later than {} ({} + {skew_minutes} min.)",
            format_amz_date(now + MAX_SKEW),
            format_amz_date(now)
        )));
    }
    Ok(time)
}

/// Recomputes the signature with `secret` and compares it with the one sent.
pub fn verify_signature(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    auth: &Authorization<'_>,
    time: SystemTime,
    secret: &SecretString,
) -> Result<(), AuthFailure> {
    let authority = uri.authority().map(|a| a.as_str().to_owned());
    let mut signed: Vec<(&str, &str)> = Vec::with_capacity(auth.signed_headers.len() + 1);
    for name in &auth.signed_headers {
        let mut found = false;
        for value in headers.get_all(*name) {
            let value = value.to_str().map_err(|_| AuthFailure::BadSignature)?;
            signed.push((name, value));
            found = true;
        }
        if !found {
            // HTTP/2 carries the host as :authority, which is not in the header map.
            match (*name, authority.as_deref()) {
                ("host", Some(a)) => signed.push(("host", a)),
                _ => return Err(AuthFailure::BadSignature),
            }
        }
    }
    if !auth.signed_headers.contains(&"host") {
        return Err(AuthFailure::Incomplete("'Host' must be a signed header.".into()));
    }
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let request = SignableRequest::new(method.as_str(), path_and_query, signed.into_iter(), SignableBody::Bytes(body))
        .map_err(|_| AuthFailure::BadSignature)?;
    let identity = Credentials::new(auth.access_key_id, secret.expose_secret(), None, None, "coffer-verifier").into();
    let mut settings = SigningSettings::default();
    // Verify over exactly what the client signed, user-agent included.
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region)
        .name(auth.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|_| AuthFailure::BadSignature)?
        .into();
    let (_, expected) = sign(request, &params).map_err(|_| AuthFailure::BadSignature)?.into_parts();
    if aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), auth.signature.as_bytes()).is_ok() {
        Ok(())
    } else {
        Err(AuthFailure::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates_round_trip() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_440_938_160);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert!(parse_amz_date("2015-08-30T12:36:00Z").is_none());
        assert!(parse_amz_date("20151330T123600Z").is_none());
    }

    /// The `get-vanilla` case of AWS's SigV4 test suite (service "service", us-east-1).
    #[test]
    fn aws_test_suite_get_vanilla() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        headers.insert(
            axum::http::header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                .parse()
                .unwrap(),
        );
        let auth = parse_authorization(&headers).unwrap();
        let time = parse_amz_date("20150830T123600Z").unwrap();
        let secret = SecretString::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned());
        let uri: Uri = "/".parse().unwrap();
        verify_signature(&Method::GET, &uri, &headers, b"", &auth, time, &secret).unwrap();
        let wrong = SecretString::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ".to_owned());
        assert_eq!(
            verify_signature(&Method::GET, &uri, &headers, b"", &auth, time, &wrong),
            Err(AuthFailure::BadSignature)
        );
        assert_eq!(
            verify_signature(&Method::GET, &"/?a=b".parse().unwrap(), &headers, b"", &auth, time, &secret),
            Err(AuthFailure::BadSignature)
        );
    }

    #[test]
    fn clock_skew() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        let auth = Authorization {
            access_key_id: "AK",
            date: "20150830",
            region: "us-east-1",
            service: "ssm",
            signed_headers: vec!["host", "x-amz-date"],
            signature: "",
        };
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert!(check_time(&headers, &auth, t + Duration::from_secs(15 * 60)).is_ok());
        let err = check_time(&headers, &auth, t + Duration::from_secs(16 * 60)).unwrap_err();
        assert_eq!(
            err,
            AuthFailure::Expired(
                "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)"
                    .into()
            )
        );
        assert!(matches!(check_time(&headers, &auth, t - Duration::from_secs(16 * 60)), Err(AuthFailure::Expired(_))));
        let other_day = Authorization { date: "20150831", ..auth.clone() };
        assert!(matches!(check_time(&headers, &other_day, t), Err(AuthFailure::WrongDate(_))));
    }
}
