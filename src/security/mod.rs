//! Keys and signed values: one-time form tokens, session cookies, keyed client hashes.

pub mod form_token;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Keys derived from the deployment's master secret, one per purpose, so a value signed for one
/// purpose can never be replayed as another.
#[derive(Clone)]
pub struct Keys {
    form: Vec<u8>,
    client: Vec<u8>,
    cookie: Vec<u8>,
    api_key: Vec<u8>,
    invitation_reference: Vec<u8>,
}

impl Keys {
    pub fn derive(master: &str) -> Keys {
        let derive = |label: &str| hmac_sha256(master.as_bytes(), label.as_bytes()).to_vec();
        let mut cookie = derive("skm session cookie encryption");
        cookie.extend(derive("skm session cookie signing"));
        Keys {
            form: derive("skm form token"),
            client: derive("skm client hash"),
            cookie,
            api_key: derive("skm api key"),
            invitation_reference: derive("skm invitation reference"),
        }
    }

    pub fn form(&self) -> &[u8] {
        &self.form
    }

    /// 64 bytes for actix's private cookie jar (encryption + signing).
    pub fn cookie(&self) -> &[u8] {
        &self.cookie
    }

    /// A client address as a keyed hash: enough to spot repeats, useless to recover the IP
    /// (SPEC §8: IPs are never stored raw).
    pub fn client_hash(&self, ip: &str) -> String {
        hex(&hmac_sha256(&self.client, ip.as_bytes())[..16])
    }

    /// What is stored in place of an integration's API key: a keyed digest, so neither the
    /// table nor a copy of it (a backup, `skm export-all`) opens the API without the master
    /// secret.
    pub fn api_key_digest(&self, key: &str) -> String {
        hex(&hmac_sha256(&self.api_key, key.as_bytes()))
    }

    /// What is stored in place of a transaction reference a unit's service system sends with an
    /// invitation request: a keyed digest per unit, so that the same reference finds the same
    /// invitation while neither the table nor a backup reveals (or lets anyone test) a reference.
    pub fn invitation_reference_hash(&self, unit_id: i32, reference: &str) -> String {
        hex(&hmac_sha256(&self.invitation_reference, format!("{unit_id}|{}", reference.trim()).as_bytes()))
    }

    /// Whether `digest` is the stored digest of `key`, compared in constant time.
    pub fn api_key_matches(&self, key: &str, digest: &str) -> bool {
        match unhex(digest) {
            Some(tag) => verify_hmac(&self.api_key, key.as_bytes(), &tag),
            None => false,
        }
    }
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Compares MACs in constant time.
pub fn verify_hmac(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.verify_slice(tag).is_ok()
        }
        Err(_) => false,
    }
}

/// A secret for a one-time link: 244 random bits (two random UUIDs) as 64 hex digits.
pub fn random_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// What is stored in place of a one-time token: its SHA-256, so the table alone opens no link.
/// No key is needed: the token is random, not guessable like a password.
pub fn token_digest(token: &str) -> String {
    use sha2::Digest;
    hex(&Sha256::digest(token.as_bytes()))
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hashes_are_stable_keyed_and_not_the_ip() {
        let keys = Keys::derive("secret one");
        let other = Keys::derive("secret two");
        let hash = keys.client_hash("203.0.113.7");
        assert_eq!(hash, keys.client_hash("203.0.113.7"));
        assert_ne!(hash, other.client_hash("203.0.113.7"));
        assert_ne!(hash, keys.client_hash("203.0.113.8"));
        assert!(!hash.contains("203"));
        assert_eq!(keys.cookie().len(), 64);
    }

    #[test]
    fn api_key_digests_are_keyed_by_the_master_secret() {
        let (keys, other) = (Keys::derive("secret one"), Keys::derive("secret two"));
        let digest = keys.api_key_digest("skm_live_0123456789_abc");
        assert_eq!(digest.len(), 64);
        assert!(keys.api_key_matches("skm_live_0123456789_abc", &digest));
        assert!(!keys.api_key_matches("skm_live_0123456789_abd", &digest));
        assert!(!other.api_key_matches("skm_live_0123456789_abc", &digest), "another deployment's digest");
        assert!(!keys.api_key_matches("skm_live_0123456789_abc", "not hex"));
        assert_ne!(digest, token_digest("skm_live_0123456789_abc"), "not a plain hash");
    }

    #[test]
    fn one_time_tokens_are_long_random_and_stored_as_a_digest() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_digest(&a), token_digest(&a));
        assert_ne!(token_digest(&a), a);
        assert_eq!(token_digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
