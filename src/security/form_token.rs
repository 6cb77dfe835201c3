//! One-time form tokens: every rendered form carries one, signed so it cannot be forged, with an
//! expiry, the unit, the template version and the channel it was rendered for. The nonce is
//! spent in the database with the response, so a token works once across all instances.

use super::{hmac_sha256, verify_hmac};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormToken {
    pub unit_id: i32,
    pub template_version_id: i32,
    pub channel: String,
    pub issued_at: i64,
    pub nonce: String,
    /// the counter and officer the form was opened for (a counter's QR, a kiosk at a desk),
    /// signed with the rest so that the form cannot move its response to another counter
    pub desk: Desk,
    /// the survey invitation (`/u/{code}`) the form was opened through, signed with the rest:
    /// the submission spends this invitation and no other, and cannot leave it unspent
    pub invitation_id: Option<i32>,
}

/// Where a response was given: a counter (loket) and an officer (petugas) of the unit, by id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Desk {
    pub counter_id: Option<i32>,
    pub officer_id: Option<i32>,
}

impl Desk {
    pub fn is_empty(&self) -> bool {
        self.counter_id.is_none() && self.officer_id.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// altered, truncated or signed with another key
    Invalid,
    Expired,
    /// issued for another unit or channel
    Mismatch,
}

impl FormToken {
    pub fn issue(unit_id: i32, template_version_id: i32, channel: &str, now: DateTime<Utc>) -> FormToken {
        FormToken {
            unit_id,
            template_version_id,
            channel: channel.to_string(),
            issued_at: now.timestamp(),
            nonce: uuid::Uuid::new_v4().simple().to_string(),
            desk: Desk::default(),
            invitation_id: None,
        }
    }

    /// The same token, for a form opened through a survey invitation.
    pub fn for_invitation(mut self, invitation_id: i32) -> FormToken {
        self.invitation_id = Some(invitation_id);
        self
    }

    /// The same token, issued for a counter and officer.
    pub fn at_desk(mut self, desk: Desk) -> FormToken {
        self.desk = desk;
        self
    }

    /// `v1` without a desk (as before counters existed), `v2` with one, `v3` with an invitation.
    fn payload(&self) -> String {
        let v1 =
            format!("{}|{}|{}|{}|{}", self.unit_id, self.template_version_id, self.channel, self.issued_at, self.nonce);
        let id = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_default();
        let desk = format!("{}|{}", id(self.desk.counter_id), id(self.desk.officer_id));
        match self.invitation_id {
            Some(invitation) => format!("v3|{v1}|{desk}|{invitation}"),
            None if self.desk.is_empty() => format!("v1|{v1}"),
            None => format!("v2|{v1}|{desk}"),
        }
    }

    pub fn sign(&self, key: &[u8]) -> String {
        let payload = self.payload();
        let tag = hmac_sha256(key, payload.as_bytes());
        format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// Checks signature, expiry, unit and channel.
    pub fn verify(
        text: &str,
        key: &[u8],
        now: DateTime<Utc>,
        max_age: Duration,
        unit_id: i32,
        channel: &str,
    ) -> Result<FormToken, TokenProblem> {
        let (payload, tag) = text.split_once('.').ok_or(TokenProblem::Invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenProblem::Invalid)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| TokenProblem::Invalid)?;
        if !verify_hmac(key, &payload, &tag) {
            return Err(TokenProblem::Invalid);
        }
        let payload = String::from_utf8(payload).map_err(|_| TokenProblem::Invalid)?;
        let parts: Vec<&str> = payload.split('|').collect();
        let optional = |text: &str| -> Result<Option<i32>, TokenProblem> {
            if text.is_empty() {
                return Ok(None);
            }
            text.parse().map(Some).map_err(|_| TokenProblem::Invalid)
        };
        let (unit, template_version, token_channel, issued, nonce, desk, invitation_id) = match parts.as_slice() {
            ["v1", unit, template_version, channel, issued, nonce] => {
                (unit, template_version, channel, issued, nonce, Desk::default(), None)
            }
            ["v2", unit, template_version, channel, issued, nonce, counter, officer] => {
                let desk = Desk { counter_id: optional(counter)?, officer_id: optional(officer)? };
                (unit, template_version, channel, issued, nonce, desk, None)
            }
            ["v3", unit, template_version, channel, issued, nonce, counter, officer, invitation] => {
                let desk = Desk { counter_id: optional(counter)?, officer_id: optional(officer)? };
                let invitation = Some(invitation.parse().map_err(|_| TokenProblem::Invalid)?);
                (unit, template_version, channel, issued, nonce, desk, invitation)
            }
            _ => return Err(TokenProblem::Invalid),
        };
        let token = FormToken {
            unit_id: unit.parse().map_err(|_| TokenProblem::Invalid)?,
            template_version_id: template_version.parse().map_err(|_| TokenProblem::Invalid)?,
            channel: token_channel.to_string(),
            issued_at: issued.parse().map_err(|_| TokenProblem::Invalid)?,
            nonce: nonce.to_string(),
            desk,
            invitation_id,
        };
        let age = now.timestamp() - token.issued_at;
        if age > max_age.num_seconds() || age < -60 {
            return Err(TokenProblem::Expired);
        }
        if token.unit_id != unit_id || token.channel != channel {
            return Err(TokenProblem::Mismatch);
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_token_verifies_once_issued() {
        let now = Utc::now();
        let token = FormToken::issue(7, 3, "web", now);
        let text = token.sign(KEY);
        assert_eq!(FormToken::verify(&text, KEY, now, Duration::hours(4), 7, "web"), Ok(token));
    }

    #[test]
    fn forged_expired_and_foreign_tokens_are_refused() {
        let now = Utc::now();
        let text = FormToken::issue(7, 3, "web", now).sign(KEY);
        let check = |t: &str, at: DateTime<Utc>, unit: i32, channel: &str| {
            FormToken::verify(t, KEY, at, Duration::hours(4), unit, channel).err()
        };
        assert_eq!(check(&text, now + Duration::hours(5), 7, "web"), Some(TokenProblem::Expired));
        assert_eq!(check(&text, now, 8, "web"), Some(TokenProblem::Mismatch));
        assert_eq!(check(&text, now, 7, "kiosk"), Some(TokenProblem::Mismatch));
        assert_eq!(
            FormToken::verify(&text, b"another key", now, Duration::hours(4), 7, "web").err(),
            Some(TokenProblem::Invalid)
        );
        let (payload, tag) = text.split_once('.').expect("two parts");
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("v1|8|3|web|0|abc"));
        assert_eq!(check(&forged, now, 8, "web"), Some(TokenProblem::Invalid));
        for garbage in ["", ".", "abc", &format!("{payload}."), "é.é"] {
            assert_eq!(check(garbage, now, 7, "web"), Some(TokenProblem::Invalid), "{garbage}");
        }
    }

    #[test]
    fn a_desk_is_signed_into_the_token() {
        let now = Utc::now();
        let desk = Desk { counter_id: Some(4), officer_id: None };
        let token = FormToken::issue(7, 3, "kiosk", now).at_desk(desk);
        let text = token.sign(KEY);
        let back = FormToken::verify(&text, KEY, now, Duration::hours(4), 7, "kiosk").expect("valid");
        assert_eq!(back.desk, desk);
        // another counter under the same tag is refused
        let (_, tag) = text.split_once('.').expect("two parts");
        let moved = format!("v2|7|3|kiosk|{}|{}|5|", token.issued_at, token.nonce);
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(moved));
        assert_eq!(
            FormToken::verify(&forged, KEY, now, Duration::hours(4), 7, "kiosk").err(),
            Some(TokenProblem::Invalid)
        );
    }

    #[test]
    fn an_invitation_is_signed_into_the_token() {
        let now = Utc::now();
        let token = FormToken::issue(7, 3, "web", now).for_invitation(42);
        let text = token.sign(KEY);
        let back = FormToken::verify(&text, KEY, now, Duration::hours(4), 7, "web").expect("valid");
        assert_eq!(back.invitation_id, Some(42));
        assert_eq!(back.desk, Desk::default());
        // another invitation, or none, under the same tag is refused
        let (_, tag) = text.split_once('.').expect("two parts");
        for payload in [
            format!("v3|7|3|web|{}|{}|||43", token.issued_at, token.nonce),
            format!("v1|7|3|web|{}|{}", token.issued_at, token.nonce),
        ] {
            let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(payload));
            assert_eq!(
                FormToken::verify(&forged, KEY, now, Duration::hours(4), 7, "web").err(),
                Some(TokenProblem::Invalid)
            );
        }
    }
}
