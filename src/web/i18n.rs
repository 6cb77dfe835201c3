//! The language of a request: Bahasa Indonesia unless the citizen asks for English (`?lang=en`,
//! the form's hidden `lang`, or Accept-Language). The texts themselves are `crate::i18n`.

use crate::domain::template::Lang;

pub use crate::i18n::{code, Tr};

/// An explicit choice wins; otherwise English only when the browser prefers it over Indonesian.
pub fn negotiate(explicit: Option<&str>, accept_language: Option<&str>) -> Lang {
    match explicit {
        Some("en") => return Lang::En,
        Some("id") => return Lang::Id,
        _ => {}
    }
    let Some(header) = accept_language else { return Lang::Id };
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality =
            pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
        let lang = if tag.starts_with("en") {
            Lang::En
        } else if tag.starts_with("id") || tag.starts_with("in") {
            Lang::Id
        } else {
            continue;
        };
        if best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map_or(Lang::Id, |(_, lang)| lang)
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
        assert_eq!(negotiate(None, Some("fr,en;q=0.5")), Lang::En);
        assert_eq!(negotiate(Some("xx"), Some("de")), Lang::Id);
    }
}
