//! Protecting national ID numbers: validation, encryption at rest, a keyed hash for lookups,
//! and the masked form everyone but ADMIN and COORDINATOR sees.
//!
//! - Encryption: XChaCha20-Poly1305 (AEAD, 192-bit random nonce) with a 256-bit key chosen by
//!   key id; each row keeps the id of the key that encrypted it, so a new key can be added
//!   (`APP_PII_KEYS`) and made current (`APP_PII_KEY_ID`) while old rows still decrypt.
//! - Lookup: HMAC-SHA256 under `APP_PII_HASH_KEY`, hex. Equal numbers give equal hashes, so the
//!   database can find duplicates without holding the number; without the key the hash cannot
//!   be brute-forced from the 10^12 possible numbers. (Changing this key means rehashing every
//!   row; it is not rotated like the encryption keys.)
//! - Masking: `x-xxxx-xxxxx-xx-D` shows only the check digit; the leading digits encode the
//!   issuing province.
use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadCore, KeyInit, OsRng},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ApiError, ApiResult};

/// Validates a Thai national ID: 13 digits (separators `-` and spaces allowed in input), and
/// d13 = (11 − (d1×13 + … + d12×2) mod 11) mod 10. A typo filter, not proof of identity.
pub fn normalize_thai_id(raw: &str) -> Result<String, &'static str> {
    let digits: String = raw.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if digits.len() != 13 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("a Thai national ID has 13 digits");
    }
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = (0..12).map(|i| d[i] * (13 - i as u32)).sum();
    if (11 - sum % 11) % 10 != d[12] {
        return Err("the check digit of this national ID is wrong");
    }
    Ok(digits)
}

/// `x-xxxx-xxxxx-xx-D`.
pub fn mask(last_digit: &str) -> String {
    format!("x-xxxx-xxxxx-xx-{last_digit}")
}

/// `1-2345-67890-12-3`, for display after an audited reveal.
pub fn format_thai_id(digits: &str) -> String {
    if digits.len() != 13 {
        return digits.to_string();
    }
    format!(
        "{}-{}-{}-{}-{}",
        &digits[0..1],
        &digits[1..5],
        &digits[5..10],
        &digits[10..12],
        &digits[12..13]
    )
}

pub struct PiiCipher {
    current: String,
    keys: BTreeMap<String, XChaCha20Poly1305>,
    hash_key: Vec<u8>,
}

impl std::fmt::Debug for PiiCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiiCipher")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

/// What the database keeps of one ID number.
#[derive(Clone)]
pub struct SealedId {
    pub ciphertext: String,
    pub key_id: String,
    pub hash: String,
    pub last_digit: String,
}

impl std::fmt::Debug for SealedId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print anything derived from the number.
        f.write_str("SealedId(..)")
    }
}

impl PiiCipher {
    /// `keys`: key id → 32-byte key; `current` must be one of them.
    pub fn new(
        current: &str,
        keys: &BTreeMap<String, Vec<u8>>,
        hash_key: &[u8],
    ) -> anyhow::Result<Self> {
        let mut ciphers = BTreeMap::new();
        for (kid, key) in keys {
            if key.len() != 32 {
                anyhow::bail!(
                    "APP_PII_KEYS: key '{kid}' must be 32 bytes (base64 of 32 random bytes)"
                );
            }
            ciphers.insert(kid.clone(), XChaCha20Poly1305::new_from_slice(key)?);
        }
        if !ciphers.contains_key(current) {
            anyhow::bail!("APP_PII_KEY_ID: '{current}' is not one of APP_PII_KEYS");
        }
        if hash_key.len() < 32 {
            anyhow::bail!("APP_PII_HASH_KEY: must be at least 32 bytes");
        }
        Ok(Self {
            current: current.to_string(),
            keys: ciphers,
            hash_key: hash_key.to_vec(),
        })
    }

    /// Keyed hash of a normalised ID number.
    pub fn hash(&self, digits: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key).expect("any key length");
        mac.update(digits.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn seal(&self, digits: &str) -> ApiResult<SealedId> {
        let cipher = &self.keys[&self.current];
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(&nonce, digits.as_bytes())
            .map_err(|_| ApiError::internal("encryption failed"))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(SealedId {
            ciphertext: STANDARD.encode(blob),
            key_id: self.current.clone(),
            hash: self.hash(digits),
            last_digit: digits[digits.len() - 1..].to_string(),
        })
    }

    pub fn open(&self, ciphertext: &str, key_id: &str) -> ApiResult<String> {
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| ApiError::internal(format!("no PII key '{key_id}' configured")))?;
        let blob = STANDARD
            .decode(ciphertext)
            .map_err(|_| ApiError::internal("stored ciphertext is not base64"))?;
        if blob.len() < 24 {
            return Err(ApiError::internal("stored ciphertext is too short"));
        }
        let (nonce, body) = blob.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(ApiError::internal)?;
        let plain = cipher
            .decrypt(&XNonce::from(nonce), body)
            .map_err(|_| ApiError::internal("stored ciphertext does not decrypt"))?;
        String::from_utf8(plain).map_err(ApiError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> PiiCipher {
        let keys = BTreeMap::from([
            ("p1".to_string(), vec![7u8; 32]),
            ("p2".to_string(), vec![9u8; 32]),
        ]);
        PiiCipher::new("p2", &keys, &[1u8; 32]).unwrap()
    }

    #[test]
    fn the_check_digit_accepts_valid_numbers_and_rejects_typos() {
        for valid in [
            "3100600445635",
            "1234545678781",
            "1112034563562",
            "3-1006-00445-63-5",
        ] {
            assert!(normalize_thai_id(valid).is_ok(), "{valid}");
        }
        assert!(normalize_thai_id("1234545678789").is_err());
        assert!(normalize_thai_id("123454567878").is_err());
        assert!(normalize_thai_id("12345456787a1").is_err());
    }

    #[test]
    fn an_id_seals_and_opens_and_hashes_equal_numbers_alike() {
        let c = cipher();
        let sealed = c.seal("3100600445635").unwrap();
        assert_eq!(sealed.key_id, "p2");
        assert_eq!(sealed.last_digit, "5");
        assert!(!sealed.ciphertext.contains("3100600445635"));
        assert_eq!(
            c.open(&sealed.ciphertext, &sealed.key_id).unwrap(),
            "3100600445635"
        );
        assert_eq!(sealed.hash, c.hash("3100600445635"));
        assert_ne!(sealed.hash, c.hash("1234545678781"));
        // Two encryptions of one number differ (random nonce).
        assert_ne!(
            c.seal("3100600445635").unwrap().ciphertext,
            sealed.ciphertext
        );
    }

    #[test]
    fn rows_sealed_under_an_older_key_still_open_after_rotation() {
        let keys = BTreeMap::from([("p1".to_string(), vec![7u8; 32])]);
        let old = PiiCipher::new("p1", &keys, &[1u8; 32]).unwrap();
        let sealed = old.seal("1234545678781").unwrap();
        assert_eq!(
            cipher().open(&sealed.ciphertext, "p1").unwrap(),
            "1234545678781"
        );
    }

    #[test]
    fn the_mask_hides_every_digit_but_the_check_digit() {
        assert_eq!(mask("3"), "x-xxxx-xxxxx-xx-3");
        assert_eq!(format_thai_id("3100600445635"), "3-1006-00445-63-5");
    }
}
