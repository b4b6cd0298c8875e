//! GetRandomPassword, from a CSPRNG (`rand::rng()`: ChaCha seeded by the OS). The password
//! is drawn uniformly from the allowed characters and redrawn until it holds one character
//! of every required type, so it is uniform over the passwords that satisfy the request.

use super::SecretsManager;
use super::errors::invalid_parameter;
use super::model::{GetRandomPasswordInput, GetRandomPasswordOutput};
use crate::RequestContext;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use crate::ssm::model::WireValue;
use coffer_aws::secret::SecretString;

pub const DEFAULT_LENGTH: i64 = 32;
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// Draws can fail to cover every required type only with tiny probability; this bounds the
/// loop for adversarial exclusions anyway.
const MAX_DRAWS: usize = 100_000;

/// The password a request asks for.
pub fn generate(input: &GetRandomPasswordInput) -> OpResult<SecretString> {
    use rand::RngExt as _;
    input.check()?;
    let length = input.password_length.unwrap_or(DEFAULT_LENGTH);
    let exclude = input.exclude_characters.as_deref().unwrap_or("");
    let flag = |f: Option<bool>| f.unwrap_or(false);
    let mut classes: Vec<Vec<char>> = Vec::new();
    let mut class = |include: bool, chars: &mut dyn Iterator<Item = char>| {
        if include {
            let kept: Vec<char> = chars.filter(|c| !exclude.contains(*c)).collect();
            if !kept.is_empty() {
                classes.push(kept);
            }
        }
    };
    class(!flag(input.exclude_lowercase), &mut ('a'..='z'));
    class(!flag(input.exclude_uppercase), &mut ('A'..='Z'));
    class(!flag(input.exclude_numbers), &mut ('0'..='9'));
    class(!flag(input.exclude_punctuation), &mut PUNCTUATION.chars());
    let required_types = classes.len();
    let mut alphabet: Vec<char> = classes.iter().flatten().copied().collect();
    if flag(input.include_space) && !exclude.contains(' ') {
        alphabet.push(' ');
    }
    if alphabet.is_empty() {
        return Err(invalid_parameter(
            "The request excludes every character: there is nothing to make a password from.",
        )
        .into());
    }
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    let require_each = input.require_each_included_type.unwrap_or(true);
    if require_each && required_types > length {
        return Err(invalid_parameter("Password length is too short based on the required types.").into());
    }
    let mut rng = rand::rng();
    for _ in 0..MAX_DRAWS {
        let password: String = (0..length).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect();
        let password = SecretString::from(password);
        if !require_each
            || classes.iter().all(|class| {
                coffer_aws::secret::ExposeSecret::expose_secret(&password).chars().any(|c| class.contains(&c))
            })
        {
            return Ok(password);
        }
    }
    Err(crate::error::internal(crate::Service::SecretsManager).into())
}

impl SecretsManager {
    pub async fn get_random_password(
        &self,
        ctx: &RequestContext,
        input: GetRandomPasswordInput,
    ) -> OpResult<GetRandomPasswordOutput> {
        ctx.authorize(SecretsManagerOperation::GetRandomPassword.action(), "*")?;
        Ok(GetRandomPasswordOutput { random_password: WireValue(generate(&input)?) })
    }
}
