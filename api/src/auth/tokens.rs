//! Access tokens (JWT) and refresh tokens (opaque).
//!
//! Access tokens are pinned to one algorithm (HS256 by default, EdDSA as an option), carry a
//! `kid` that selects the verification key (so a key can be rotated: sign with the new one,
//! keep verifying with the old one until its tokens have expired), and must carry `exp`, `nbf`,
//! `iat`, `iss`, `aud`, `sub` and `jti`. `sid` names the login session, which the database can
//! revoke.
use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::{JwtAlgorithm, JwtSettings};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: Uuid,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is invalid or expired")]
    Invalid,
}

pub struct TokenKeys {
    algorithm: Algorithm,
    kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl_secs: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn from_settings(jwt: &JwtSettings) -> anyhow::Result<Self> {
        let (algorithm, encoding, decoding) = match jwt.algorithm {
            JwtAlgorithm::Hs256 => {
                let mut decoding = HashMap::new();
                decoding.insert(
                    jwt.kid.clone(),
                    DecodingKey::from_secret(jwt.secret.expose_secret().as_bytes()),
                );
                for (kid, secret) in &jwt.previous_secrets {
                    decoding.insert(
                        kid.clone(),
                        DecodingKey::from_secret(secret.expose_secret().as_bytes()),
                    );
                }
                (
                    Algorithm::HS256,
                    EncodingKey::from_secret(jwt.secret.expose_secret().as_bytes()),
                    decoding,
                )
            }
            JwtAlgorithm::EdDsa => {
                let path = jwt
                    .private_key_file
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("APP_JWT_PRIVATE_KEY_FILE is required"))?;
                let pem = std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("APP_JWT_PRIVATE_KEY_FILE: {e}"))?;
                let encoding = EncodingKey::from_ed_pem(&pem)
                    .map_err(|e| anyhow::anyhow!("APP_JWT_PRIVATE_KEY_FILE: {e}"))?;
                let mut decoding = HashMap::new();
                for (kid, path) in &jwt.public_key_files {
                    let pem = std::fs::read(path)
                        .map_err(|e| anyhow::anyhow!("APP_JWT_PUBLIC_KEY_FILES ({kid}): {e}"))?;
                    let key = DecodingKey::from_ed_pem(&pem)
                        .map_err(|e| anyhow::anyhow!("APP_JWT_PUBLIC_KEY_FILES ({kid}): {e}"))?;
                    decoding.insert(kid.clone(), key);
                }
                (Algorithm::EdDSA, encoding, decoding)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.set_issuer(&[&jwt.issuer]);
        validation.set_audience(&[&jwt.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Self {
            algorithm,
            kid: jwt.kid.clone(),
            encoding,
            decoding,
            validation,
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
            access_ttl_secs: jwt.access_ttl.as_secs() as i64,
        })
    }

    /// Signs an access token; returns it with its lifetime in seconds.
    pub fn issue(&self, account_id: Uuid, session_id: Uuid) -> (String, i64) {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: account_id,
            sid: session_id,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + self.access_ttl_secs,
            nbf: now,
            iat: now,
            jti: Uuid::new_v4(),
        };
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &self.encoding).expect("signing cannot fail");
        (token, self.access_ttl_secs)
    }

    /// Checks signature (with the key its `kid` names), algorithm and every required claim.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != self.algorithm {
            return Err(TokenError::Invalid);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or(TokenError::Invalid)?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.iat > chrono::Utc::now().timestamp() + 60 {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

/// A new opaque refresh token (256 random bits, URL-safe base64).
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a refresh token: its SHA-256, hex. The token has 256 bits of
/// entropy, so a fast hash is enough (a slow one only protects guessable secrets).
pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn keys() -> TokenKeys {
        TokenKeys::from_settings(&Settings::for_database("sqlite::memory:").jwt).unwrap()
    }

    #[test]
    fn an_issued_token_verifies_and_carries_its_subject() {
        let keys = keys();
        let (account, session) = (Uuid::new_v4(), Uuid::new_v4());
        let (token, ttl) = keys.issue(account, session);
        assert_eq!(ttl, 900);
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub, claims.sid), (account, session));
    }

    #[test]
    fn a_tampered_or_unsigned_token_is_refused() {
        let keys = keys();
        let (token, _) = keys.issue(Uuid::new_v4(), Uuid::new_v4());
        let mut parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        parts[0] = &none_header;
        assert!(keys.verify(&format!("{}.{}.", parts[0], parts[1])).is_err());
        assert!(keys.verify(&format!("{}x", token)).is_err());
        assert!(keys.verify("not a token").is_err());
    }

    /// A key pair made for this test only (never used anywhere else).
    const TEST_ED25519_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIE2nSu/D3G7wX1MJCWiSKOjWyp368tBywa+2QsTMPDE
-----END PRIVATE KEY-----
";
    const TEST_ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAnQgIhPguC/72IzgnBNKjQAKHcwmKSUwhz2NF9jqGagI=
-----END PUBLIC KEY-----
";

    #[test]
    fn eddsa_keys_from_files_sign_and_verify_and_refuse_hs256_tokens() {
        let dir = std::env::temp_dir().join(format!("ppaos-eddsa-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let (private, public) = (dir.join("k.pem"), dir.join("k.pub"));
        std::fs::write(&private, TEST_ED25519_PRIVATE).unwrap();
        std::fs::write(&public, TEST_ED25519_PUBLIC).unwrap();
        let vars = std::collections::BTreeMap::from([
            ("APP_JWT_ALGORITHM".to_string(), "EdDSA".to_string()),
            ("APP_JWT_KID".to_string(), "ed1".to_string()),
            (
                "APP_JWT_PRIVATE_KEY_FILE".to_string(),
                private.display().to_string(),
            ),
            (
                "APP_JWT_PUBLIC_KEY_FILES".to_string(),
                format!("ed1={}", public.display()),
            ),
        ]);
        let settings = Settings::from_lookup(|k| vars.get(k).cloned()).unwrap();
        let ed = TokenKeys::from_settings(&settings.jwt).unwrap();
        let (token, _) = ed.issue(Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            jsonwebtoken::decode_header(&token).unwrap().alg,
            Algorithm::EdDSA
        );
        assert!(ed.verify(&token).is_ok());
        // Pinned algorithm: an HS256 token is refused even with a known kid.
        let (hs_token, _) = keys().issue(Uuid::new_v4(), Uuid::new_v4());
        assert!(ed.verify(&hs_token).is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert_eq!(hash_refresh_token(&a).len(), 64);
        assert_eq!(hash_refresh_token(&a), hash_refresh_token(&a));
    }
}
