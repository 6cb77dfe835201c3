//! Enrolled devices (issue 20): the rules an upload from the offline app is held to, free of I/O.
//!
//! A device answers offline and uploads later, so what the server checks is the device's own
//! record of each response: an id it made (a UUIDv7, so ids sort by time and never collide
//! between devices) and the time it was answered. That time is trusted only within a window:
//! not ahead of the server's clock by more than [`CLOCK_SKEW_MINUTES`] (a tablet's clock drifts;
//! a response from the future is a wrong clock or a forgery), and not older than the
//! deployment's setting (30 days by default: a month's report may still change while late
//! answers come in, a year's should not).

use chrono::{DateTime, Duration, Utc};
use std::fmt;

/// How far a device's clock may run ahead of the server's.
pub const CLOCK_SKEW_MINUTES: i64 = 10;
/// How long an enrolment code stays valid.
pub const ENROLMENT_MINUTES: i64 = 15;
/// The most responses one upload may carry.
pub const BATCH_MAX: usize = 100;

/// What a device is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// a tablet at a unit's counter: one unit, optionally one counter; citizens answer on it
    Kiosk,
    /// a surveyor's (petugas survei) phone: one person, the units they survey
    Enumerator,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Kiosk => "kiosk",
            Kind::Enumerator => "enumerator",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "kiosk" => Some(Kind::Kiosk),
            "enumerator" => Some(Kind::Enumerator),
            _ => None,
        }
    }

    /// The channel its responses are counted under (SPEC §5: reports list channels).
    pub fn channel(self) -> super::names::Channel {
        match self {
            Kind::Kiosk => super::names::Channel::Kiosk,
            Kind::Enumerator => super::names::Channel::Enumerator,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an answered time is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenProblem {
    /// later than the server's clock plus the allowed skew
    Future,
    /// earlier than the window the deployment accepts
    TooOld { days: u32 },
}

/// Whether a response answered at `answered` may be accepted at `now`, with `window_days` the
/// oldest answer the deployment takes.
pub fn check_answered_at(answered: DateTime<Utc>, now: DateTime<Utc>, window_days: u32) -> Result<(), WhenProblem> {
    if answered > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
        return Err(WhenProblem::Future);
    }
    if answered < now - Duration::days(i64::from(window_days)) {
        return Err(WhenProblem::TooOld { days: window_days });
    }
    Ok(())
}

/// A response id as a device must make it: a UUID of version 7 (time-ordered, random tail).
pub fn parse_response_id(text: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(text).ok().filter(|id| id.get_version_num() == 7)
}

/// The start of the minute `at` falls in: a device's rate limit counts the responses answered
/// in each minute, so an upload of a day's offline answers is judged by when they were given,
/// not by when the connection came back.
pub fn minute_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = at.timestamp();
    DateTime::from_timestamp(seconds - seconds.rem_euclid(60), 0).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("a time")
    }

    #[test]
    fn an_answer_within_the_window_is_accepted() {
        let now = at("2026-12-01T10:00:00Z");
        assert_eq!(check_answered_at(at("2026-12-01T09:59:00Z"), now, 30), Ok(()));
        assert_eq!(check_answered_at(at("2026-11-01T10:00:00Z"), now, 30), Ok(()), "exactly 30 days");
        assert_eq!(check_answered_at(at("2026-12-01T10:10:00Z"), now, 30), Ok(()), "exactly the skew");
    }

    #[test]
    fn an_answer_from_the_future_beyond_the_skew_is_refused() {
        let now = at("2026-12-01T10:00:00Z");
        assert_eq!(check_answered_at(at("2026-12-01T10:10:01Z"), now, 30), Err(WhenProblem::Future));
    }

    #[test]
    fn an_answer_older_than_the_window_is_refused() {
        let now = at("2026-12-01T10:00:00Z");
        assert_eq!(check_answered_at(at("2026-11-01T09:59:59Z"), now, 30), Err(WhenProblem::TooOld { days: 30 }));
        assert_eq!(check_answered_at(at("2026-11-24T09:59:59Z"), now, 7), Err(WhenProblem::TooOld { days: 7 }));
    }

    #[test]
    fn only_version_7_uuids_are_response_ids() {
        assert!(parse_response_id(&uuid::Uuid::now_v7().to_string()).is_some());
        assert!(parse_response_id(&uuid::Uuid::new_v4().to_string()).is_none());
        assert!(parse_response_id("not-a-uuid").is_none());
    }

    #[test]
    fn the_minute_of_a_time_drops_its_seconds() {
        assert_eq!(minute_of(at("2026-12-01T10:42:59.900Z")), at("2026-12-01T10:42:00Z"));
        assert_eq!(minute_of(at("2026-12-01T10:42:00Z")), at("2026-12-01T10:42:00Z"));
    }

    #[test]
    fn kinds_read_back_and_count_under_their_channel() {
        for kind in [Kind::Kiosk, Kind::Enumerator] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::Enumerator.channel().as_str(), "enumerator");
        assert_eq!(Kind::Kiosk.channel().as_str(), "kiosk");
        assert_eq!(Kind::parse("tablet"), None);
    }
}
