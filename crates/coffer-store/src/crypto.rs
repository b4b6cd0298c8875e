//! Envelope encryption.
//!
//! Every stored value gets its own random 256-bit data key. The value is sealed with
//! AES-256-GCM under that key, with additional authenticated data that names exactly where
//! the value belongs (account, region, service, resource, version), so a ciphertext copied
//! into another row fails to open. The data key is then sealed under a master key; the row
//! records which one, so master-key rotation only re-wraps data keys.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use coffer_aws::SecretBytes;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use zeroize::Zeroizing;

pub const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("stored value failed authentication (tampered, moved, or wrong master key)")]
    Authentication,
    #[error("stored value was sealed by master key {0}, which this server does not have")]
    UnknownMasterKey(String),
    #[error("random number generator failed")]
    Random,
}

/// What a value is bound to. Changing any field makes an existing ciphertext unreadable.
#[derive(Clone, Copy, Debug)]
pub struct Binding<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub resource: &'a str,
    pub version: &'a str,
}

impl Binding<'_> {
    fn encode(&self) -> Vec<u8> {
        let mut out = b"coffer/value/v1".to_vec();
        for field in [self.account, self.region, self.service, self.resource, self.version] {
            // Length-prefixed, so ("ab","c") and ("a","bc") never encode alike.
            out.extend_from_slice(&u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out
    }
}

/// A sealed value as it sits in a row.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub wrapped_key: Vec<u8>,
    pub master_key_id: String,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({} bytes, key {})", self.ciphertext.len(), self.master_key_id)
    }
}

/// A master key. Its id is a fingerprint (truncated SHA-256 of the key under a domain
/// separator), which names the key without revealing anything about it.
pub struct MasterKey {
    id: String,
    key: LessSafeKey,
    material: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let digest = Sha256::new().chain_update(b"coffer/master-key-id/v1").chain_update(bytes).finalize();
        let id = hex::encode(&digest[..8]);
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32-byte AES-256 key"));
        Self { id, key, material: Zeroizing::new(*bytes) }
    }

    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new().fill(bytes.as_mut()).map_err(|_| CryptoError::Random)?;
        Ok(Self::from_bytes(&bytes))
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The raw key, for writing the key file. Never log it.
    pub fn material(&self) -> &[u8; KEY_LEN] {
        &self.material
    }

    fn wrap_aad(&self) -> Vec<u8> {
        [b"coffer/data-key/v1:".as_slice(), self.id.as_bytes()].concat()
    }
}

fn seal_with(key: &LessSafeKey, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new().fill(&mut nonce).map_err(|_| CryptoError::Random)?;
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let mut body = out.split_off(NONCE_LEN);
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
        .map_err(|_| CryptoError::Random)?;
    out.append(&mut body);
    Ok(out)
}

fn open_with(key: &LessSafeKey, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        return Err(CryptoError::Authentication);
    }
    let nonce = Nonce::try_assume_unique_for_key(&sealed[..NONCE_LEN]).map_err(|_| CryptoError::Authentication)?;
    let mut body = Zeroizing::new(sealed[NONCE_LEN..].to_vec());
    let len = key.open_in_place(nonce, Aad::from(aad), &mut body).map_err(|_| CryptoError::Authentication)?.len();
    body.truncate(len);
    Ok(body)
}

/// The master keys a process holds: one active key that seals new values, and any others
/// (during a rotation) that can still open what they sealed.
#[derive(Debug, Clone)]
pub struct Keyring {
    active: Arc<MasterKey>,
    all: HashMap<String, Arc<MasterKey>>,
}

impl Keyring {
    pub fn new(active: MasterKey) -> Self {
        let active = Arc::new(active);
        let all = HashMap::from([(active.id.clone(), active.clone())]);
        Self { active, all }
    }

    /// Adds a key that can open (but not seal) values.
    pub fn with_key(mut self, key: MasterKey) -> Self {
        self.all.entry(key.id.clone()).or_insert_with(|| Arc::new(key));
        self
    }

    pub fn active(&self) -> &MasterKey {
        &self.active
    }

    /// Whether this keyring can open what master key `id` sealed.
    pub fn holds(&self, id: &str) -> bool {
        self.all.contains_key(id)
    }

    fn key(&self, id: &str) -> Result<&MasterKey, CryptoError> {
        self.all.get(id).map(AsRef::as_ref).ok_or_else(|| CryptoError::UnknownMasterKey(id.to_owned()))
    }

    pub fn seal(&self, plaintext: &[u8], binding: &Binding<'_>) -> Result<Sealed, CryptoError> {
        let mut data_key = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new().fill(data_key.as_mut()).map_err(|_| CryptoError::Random)?;
        let dek = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, data_key.as_ref()).map_err(|_| CryptoError::Random)?);
        let ciphertext = seal_with(&dek, plaintext, &binding.encode())?;
        let wrapped_key = seal_with(&self.active.key, data_key.as_ref(), &self.active.wrap_aad())?;
        Ok(Sealed { ciphertext, wrapped_key, master_key_id: self.active.id.clone() })
    }

    pub fn open(&self, sealed: &Sealed, binding: &Binding<'_>) -> Result<SecretBytes, CryptoError> {
        let master = self.key(&sealed.master_key_id)?;
        let data_key = open_with(&master.key, &sealed.wrapped_key, &master.wrap_aad())?;
        let dek = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &data_key).map_err(|_| CryptoError::Authentication)?);
        let plain = open_with(&dek, &sealed.ciphertext, &binding.encode())?;
        Ok(SecretBytes::new(plain.to_vec()))
    }

    /// Re-seals a data key under the active master key; the value ciphertext is untouched.
    pub fn rewrap(&self, wrapped_key: &[u8], master_key_id: &str) -> Result<Vec<u8>, CryptoError> {
        let master = self.key(master_key_id)?;
        let data_key = open_with(&master.key, wrapped_key, &master.wrap_aad())?;
        seal_with(&self.active.key, &data_key, &self.active.wrap_aad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(resource: &str) -> Binding<'_> {
        Binding { account: "000000000000", region: "us-east-1", service: "ssm", resource, version: "1" }
    }

    #[test]
    fn round_trip() {
        let ring = Keyring::new(MasterKey::generate().unwrap());
        let sealed = ring.seal(b"secretvalue1234", &binding("a")).unwrap();
        assert!(!sealed.ciphertext.windows(15).any(|w| w == b"secretvalue1234"));
        assert_eq!(ring.open(&sealed, &binding("a")).unwrap().expose(), b"secretvalue1234");
    }

    #[test]
    fn every_bit_flip_is_detected() {
        let ring = Keyring::new(MasterKey::generate().unwrap());
        let sealed = ring.seal(b"v", &binding("a")).unwrap();
        for i in 0..sealed.ciphertext.len() * 8 {
            let mut bad = sealed.clone();
            bad.ciphertext[i / 8] ^= 1 << (i % 8);
            assert_eq!(ring.open(&bad, &binding("a")), Err(CryptoError::Authentication));
        }
        let mut bad = sealed.clone();
        bad.wrapped_key[20] ^= 1;
        assert_eq!(ring.open(&bad, &binding("a")), Err(CryptoError::Authentication));
    }

    #[test]
    fn moved_value_and_wrong_key_fail() {
        let ring = Keyring::new(MasterKey::generate().unwrap());
        let sealed = ring.seal(b"v", &binding("a")).unwrap();
        assert_eq!(ring.open(&sealed, &binding("b")), Err(CryptoError::Authentication));
        let other = Keyring::new(MasterKey::generate().unwrap());
        assert!(matches!(other.open(&sealed, &binding("a")), Err(CryptoError::UnknownMasterKey(_))));
        // Same id (impossible in practice) but different material still fails authentication.
        let forged = Sealed { master_key_id: other.active().id().to_owned(), ..sealed };
        assert_eq!(other.open(&forged, &binding("a")), Err(CryptoError::Authentication));
    }

    #[test]
    fn rewrap_keeps_the_ciphertext() {
        let old = MasterKey::generate().unwrap();
        let old_ring = Keyring::new(MasterKey::from_bytes(old.material()));
        let sealed = old_ring.seal(b"v", &binding("a")).unwrap();
        let new = MasterKey::generate().unwrap();
        let new_id = new.id().to_owned();
        let both = Keyring::new(new).with_key(old);
        let wrapped = both.rewrap(&sealed.wrapped_key, &sealed.master_key_id).unwrap();
        let moved = Sealed { ciphertext: sealed.ciphertext.clone(), wrapped_key: wrapped, master_key_id: new_id };
        let only_new = Keyring::new(MasterKey::from_bytes(both.active().material()));
        assert_eq!(only_new.open(&moved, &binding("a")).unwrap().expose(), b"v");
    }
}
