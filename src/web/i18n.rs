//! The language of a request: Bahasa Indonesia unless the citizen asks for English (`?lang=en`,
//! the form's hidden `lang`, or Accept-Language). The texts themselves are `crate::i18n`.

use crate::domain::template::Lang;

pub use crate::i18n::{code, Tr};

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
}
