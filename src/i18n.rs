//! Interface texts from `assets/i18n/{id,en}.toml`, for every front end: the web pages, and the
//! command line's messages about a user's own files (`skm import`, `skm compute`). Choosing the
//! language of a request is the web's (`web::i18n`).

use crate::domain::template::{Lang, Text};
use std::collections::HashMap;
use std::sync::OnceLock;

const ID: &str = include_str!("../assets/i18n/id.toml");
const EN: &str = include_str!("../assets/i18n/en.toml");

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
    fn fills_placeholders() {
        let tr = Tr::new(Lang::Id);
        assert_eq!(
            tr.fill("error.out_of_range", &[("min", "15".into()), ("max", "100".into())]),
            "Isi angka dari 15 sampai 100."
        );
        assert_eq!(tr.t("no.such.key"), "no.such.key");
    }
}
