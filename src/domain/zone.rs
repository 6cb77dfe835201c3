//! Indonesia's three time zones (WIB, WITA, WIT), by the names people use, and any other IANA
//! zone by its name. A tenant (a regency, a province) counts its survey dates, periods and mail
//! hours in its own zone (issue 21).

use chrono_tz::Tz;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("'{0}' is not a time zone: use WIB, WITA, WIT or an IANA name like Asia/Jayapura")]
pub struct ZoneError(pub String);

/// The common names first: Waktu Indonesia Barat, Tengah, Timur.
const NAMED: [(&str, Tz); 3] =
    [("WIB", chrono_tz::Asia::Jakarta), ("WITA", chrono_tz::Asia::Makassar), ("WIT", chrono_tz::Asia::Jayapura)];

/// Reads `WIB`/`WITA`/`WIT` (any case) or an IANA zone name.
pub fn parse(text: &str) -> Result<Tz, ZoneError> {
    let text = text.trim();
    if let Some((_, tz)) = NAMED.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)) {
        return Ok(*tz);
    }
    text.parse::<Tz>().map_err(|_| ZoneError(text.to_string()))
}

/// "WIT" for Asia/Jayapura, "WITA" for Asia/Makassar, "WIB" for Asia/Jakarta; other zones (a
/// province's Asia/Pontianak is WIB too, but people name it by its city) by their IANA name.
pub fn label(tz: Tz) -> String {
    NAMED.iter().find(|(_, named)| *named == tz).map_or_else(|| tz.name().to_string(), |(name, _)| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::period::local_date;
    use chrono::{NaiveDate, TimeZone, Utc};

    #[test]
    fn indonesian_names_and_iana_names_both_read() {
        assert_eq!(parse("wit"), Ok(chrono_tz::Asia::Jayapura));
        assert_eq!(parse(" WITA "), Ok(chrono_tz::Asia::Makassar));
        assert_eq!(parse("Asia/Pontianak"), Ok(chrono_tz::Asia::Pontianak));
        assert_eq!(parse("Mars/Olympus"), Err(ZoneError("Mars/Olympus".into())));
        assert_eq!(label(chrono_tz::Asia::Jayapura), "WIT");
        assert_eq!(label(chrono_tz::Asia::Pontianak), "Asia/Pontianak");
    }

    #[test]
    fn half_past_midnight_wit_on_the_first_is_still_the_thirtieth_in_wib() {
        // 00:30 WIT (UTC+9) on 1 December is 15:30 UTC on 30 November, 22:30 WIB.
        let instant = Utc.with_ymd_and_hms(2026, 11, 30, 15, 30, 0).single().expect("instant");
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(local_date(instant, parse("WIT").expect("WIT")), day(2026, 12, 1));
        assert_eq!(local_date(instant, parse("WIB").expect("WIB")), day(2026, 11, 30));
    }
}
