//! Interface texts from `assets/i18n/{id,en}.toml`; Bahasa Indonesia unless the citizen asks for
//! English (`?lang=en`, the form's hidden `lang`, or Accept-Language).

use crate::domain::template::{Lang, Text};
use std::collections::HashMap;
use std::sync::OnceLock;

const ID: &str = include_str!("../../assets/i18n/id.toml");
const EN: &str = include_str!("../../assets/i18n/en.toml");

struct Tables {
    id: HashMap<String, String>,
    en: HashMap<String, String>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        // Both files are compiled in and checked by `translation_files_are_complete`.
        let parse = |text: &str| toml::from_str::<HashMap<String, String>>(text).unwrap_or_default();
        Tables { id: parse(ID), en: parse(EN) }
    })
}

/// The texts of one language, handed to page templates.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The text for `key`; the key itself if a translation is missing (never a panic).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        let table = match self.lang {
            Lang::Id => &tables().id,
            Lang::En => &tables().en,
        };
        table.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, values: &[(&str, String)]) -> String {
        values.iter().fold(self.t(key).to_string(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    }

    pub fn text<'a>(&self, text: &'a Text) -> &'a str {
        text.get(self.lang)
    }

    pub fn code(&self) -> &'static str {
        code(self.lang)
    }

    pub fn other_code(&self) -> &'static str {
        match self.lang {
            Lang::Id => "en",
            Lang::En => "id",
        }
    }
}

pub fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Id => "id",
        Lang::En => "en",
    }
}

/// An explicit choice (the language link, the form's hidden `lang`) wins; otherwise Bahasa
/// Indonesia whenever the browser lists Indonesian at all, at any weight: many Indonesian phones
/// send `en-US,en;q=0.9,id;q=0.8`, and their owners read Indonesian. English only for a browser
/// that lists English and no Indonesian.
pub fn negotiate(explicit: Option<&str>, accept_language: Option<&str>) -> Lang {
    match explicit {
        Some("en") => return Lang::En,
        Some("id") => return Lang::Id,
        _ => {}
    }
    let Some(header) = accept_language else { return Lang::Id };
    let mut english = false;
    for part in header.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality =
            pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
        if quality <= 0.0 {
            continue;
        }
        let primary = tag.split('-').next().unwrap_or("");
        match primary {
            "id" | "in" => return Lang::Id,
            "en" => english = true,
            _ => {}
        }
    }
    if english {
        Lang::En
    } else {
        Lang::Id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translation_files_are_complete() {
        let id: HashMap<String, String> = toml::from_str(ID).expect("id.toml parses");
        let en: HashMap<String, String> = toml::from_str(EN).expect("en.toml parses");
        let mut missing: Vec<&String> =
            id.keys().filter(|k| !en.contains_key(*k)).chain(en.keys().filter(|k| !id.contains_key(*k))).collect();
        missing.sort();
        assert!(missing.is_empty(), "keys missing in one language: {missing:?}");
        assert!(id.len() > 20);
    }

    #[test]
    fn language_negotiation() {
        assert_eq!(negotiate(None, None), Lang::Id);
        assert_eq!(negotiate(Some("en"), Some("id")), Lang::En);
        assert_eq!(negotiate(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(negotiate(None, Some("id-ID,id;q=0.9,en;q=0.8")), Lang::Id);
        assert_eq!(
            negotiate(None, Some("en-US,en;q=0.9,id;q=0.8")),
            Lang::Id,
            "an Indonesian phone set to English still lists Indonesian"
        );
        assert_eq!(negotiate(None, Some("en-US,en;q=0.9,id;q=0")), Lang::En, "q=0 means not acceptable");
        assert_eq!(negotiate(None, Some("indie")), Lang::Id, "no language, the default");
        assert_eq!(negotiate(None, Some("fr,en;q=0.5")), Lang::En);
        assert_eq!(negotiate(Some("xx"), Some("de")), Lang::Id);
    }

    #[test]
    fn fills_placeholders() {
        let tr = Tr::new(Lang::Id);
        assert_eq!(
            tr.fill("error.out_of_range", &[("min", "15".into()), ("max", "100".into())]),
            "Isi angka dari 15 sampai 100."
        );
        assert_eq!(tr.t("no.such.key"), "no.such.key");
    }
}
