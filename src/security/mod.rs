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
}

impl Keys {
    pub fn derive(master: &str) -> Keys {
        let derive = |label: &str| hmac_sha256(master.as_bytes(), label.as_bytes()).to_vec();
        let mut cookie = derive("skm session cookie encryption");
        cookie.extend(derive("skm session cookie signing"));
        Keys { form: derive("skm form token"), client: derive("skm client hash"), cookie }
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
}
