//! Validated names the rest of the code can trust: slugs, unit kinds, channels, roles.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("'{value}' is not a valid {what}: {expected}")]
pub struct NameError {
    pub value: String,
    pub what: &'static str,
    pub expected: &'static str,
}

/// A URL-safe identifier: lowercase letters, digits and dashes, 1–64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Slug(String);

impl Slug {
    pub fn parse(value: &str) -> Result<Slug, NameError> {
        let ok = !value.is_empty()
            && value.len() <= 64
            && !value.starts_with('-')
            && !value.ends_with('-')
            && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Slug(value.to_string()))
        } else {
            Err(NameError {
                value: value.to_string(),
                what: "slug",
                expected: "lowercase letters, digits and dashes, at most 64",
            })
        }
    }

    /// A slug made from a unit's name: "Kabupaten Kutai Timur" → `kutai-timur`. Letters and
    /// digits kept (lowercase), anything else a dash; a leading "Kabupaten"/"Kab." is dropped
    /// (the regency is the root: its name says the rest), "Kota" kept (Kota Bekasi and Kabupaten
    /// Bekasi both exist). `None` when nothing is left.
    pub fn from_name(name: &str) -> Option<Slug> {
        let lower = name.trim().to_lowercase();
        let mut words: Vec<String> =
            lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
        if words.len() > 1 && matches!(words[0].as_str(), "kabupaten" | "kab") {
            words.remove(0);
        }
        let mut slug = String::new();
        for word in words {
            if slug.len() + 1 + word.len() > 64 {
                break;
            }
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(&word);
        }
        Slug::parse(&slug).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = NameError;
            fn from_str(value: &str) -> Result<Self, NameError> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(NameError { value: value.to_string(), what: $what, expected: concat!("one of", $(" ", $text),+) }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Where a unit sits in the regency's tree (SPEC §1). An `Mpp` (Mal Pelayanan Publik) sits
    /// like an OPD; its child units are the agencies' desks in the hall, and its own form only
    /// asks which agency (`web::mpp`): it never holds responses itself.
    UnitKind, "unit kind", {
        Regency = "regency", Opd = "opd", SubUnit = "sub_unit", Mpp = "mpp",
        Nation = "nation", Province = "province", City = "city"
    }
);

impl UnitKind {
    /// A tenant of a province or national deployment (issue 21): the nation, a province, a
    /// regency (kabupaten) or a city (kota). Each has its own subtree, time zone and admins, and
    /// monthly roll-ups of its subtree; the units below them are the service units.
    pub fn is_tenant(self) -> bool {
        matches!(self, UnitKind::Nation | UnitKind::Province | UnitKind::Regency | UnitKind::City)
    }
}

string_enum!(
    /// How a response reached skm.
    Channel, "channel", { Web = "web", Kiosk = "kiosk", Paper = "paper", Import = "import", Enumerator = "enumerator" }
);

string_enum!(
    /// SPEC §6: admin is the regency's Bagian Organisasi.
    Role, "role", { Admin = "admin", UnitHead = "unit_head", Operator = "operator" }
);

string_enum!(
    /// A follow-up action's status (SPEC §6a): planned → in progress → done (with evidence) or
    /// dropped (with a reason).
    RtlStatus, "follow-up status", { Planned = "planned", InProgress = "in_progress", Done = "done", Dropped = "dropped" }
);

string_enum!(
    /// Where a unit's published results were published (SPEC §6a: PEKPPP counts the media).
    Medium, "publication medium", {
        Website = "website",
        SocialMedia = "social_media",
        Sippn = "sippn",
        CounterBoard = "counter_board",
        Banner = "banner",
        Newspaper = "newspaper",
        Other = "other",
    }
);

impl Medium {
    /// The medium's Indonesian name, as the admin page and the evidence pack write it.
    pub fn label_id(&self) -> &'static str {
        match self {
            Medium::Website => "Situs web",
            Medium::SocialMedia => "Media sosial",
            Medium::Sippn => "Berita SIPPN",
            Medium::CounterBoard => "Papan informasi di loket",
            Medium::Banner => "Spanduk/banner",
            Medium::Newspaper => "Surat kabar lokal",
            Medium::Other => "Lainnya",
        }
    }

    /// How many media a result was published in ("dipublikasikan di 4 media"): PEKPPP counts
    /// the kinds of media, so two posts on social media are one medium.
    pub fn count(media: impl IntoIterator<Item = Medium>) -> usize {
        media.into_iter().map(|m| m.as_str()).collect::<std::collections::BTreeSet<_>>().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_made_from_a_regencys_name() {
        let made = |name: &str| Slug::from_name(name).map(|s| s.as_str().to_string());
        assert_eq!(made("Kabupaten Kutai Timur").as_deref(), Some("kutai-timur"));
        assert_eq!(made("  KAB. Kutai   Kartanegara ").as_deref(), Some("kutai-kartanegara"));
        assert_eq!(made("Kota Bekasi").as_deref(), Some("kota-bekasi"));
        assert_eq!(made("Kabupaten").as_deref(), Some("kabupaten"));
        assert_eq!(made("Kabupaten Penajam Paser Utara (PPU)").as_deref(), Some("penajam-paser-utara-ppu"));
        assert_eq!(made("— ! —"), None);
        assert!(made(&"Kutai ".repeat(30)).is_some_and(|s| s.len() <= 64 && !s.ends_with('-')));
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("dinas-kependudukan-2").is_ok());
        for bad in ["", "Dinas", "a b", "-a", "a-", "ä", &"x".repeat(65)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn enums_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(*role));
        }
        for status in RtlStatus::ALL {
            assert_eq!(status.as_str().parse::<RtlStatus>(), Ok(*status));
        }
        for medium in Medium::ALL {
            assert_eq!(medium.as_str().parse::<Medium>(), Ok(*medium));
        }
    }

    #[test]
    fn media_are_counted_by_kind() {
        use Medium::*;
        assert_eq!(Medium::count([]), 0);
        assert_eq!(Medium::count([Website, SocialMedia, SocialMedia, Sippn, CounterBoard]), 4, "two posts, one medium");
        assert_eq!(Medium::count([Other, Other, Banner]), 2);
        let err = "boss".parse::<Role>().expect_err("unknown");
        assert_eq!(err.to_string(), "'boss' is not a valid role: one of admin unit_head operator");
    }
}
