//! Proof of what a regency did (SPEC §6a, PEKPPP evidence): an image (a photo of the board at the
//! counter, a screenshot of a post), a link, a short note. Images are recognised by their bytes,
//! never by the name or type the browser claims, and are at most `MAX_IMAGE_BYTES`.

use thiserror::Error;

/// "≤ 2 MB": two mebibytes, as a file manager counts them.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;
/// Longer than any real address; a longer one is pasted by mistake.
pub const MAX_URL_CHARS: usize = 500;
/// A note, an evidence text or a reason: a paragraph, not a report.
pub const MAX_NOTE_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ProofError {
    #[error("not a PNG, JPEG or WebP image")]
    NotAnImage,
    #[error("larger than 2 MB")]
    TooLarge,
    #[error("not a web address starting with http:// or https://")]
    BadUrl,
    #[error("longer than {MAX_NOTE_CHARS} characters")]
    NoteTooLong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    pub const ALL: [ImageKind; 3] = [ImageKind::Png, ImageKind::Jpeg, ImageKind::Webp];

    /// The kind of image the bytes begin with (their "magic" signature), if any of the three.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        match bytes {
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(ImageKind::Png),
            [0xFF, 0xD8, 0xFF, ..] => Some(ImageKind::Jpeg),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(ImageKind::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
        }
    }

    pub fn from_content_type(content_type: &str) -> Option<ImageKind> {
        ImageKind::ALL.into_iter().find(|k| k.content_type() == content_type)
    }
}

/// An uploaded image that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofImage {
    pub kind: ImageKind,
    pub bytes: Vec<u8>,
}

impl ProofImage {
    /// Checks an upload: at most `MAX_IMAGE_BYTES`, a PNG, JPEG or WebP by its bytes. An empty
    /// upload (a file field left empty) is no image: `Ok(None)`.
    pub fn parse(bytes: Vec<u8>) -> Result<Option<ProofImage>, ProofError> {
        if bytes.is_empty() {
            return Ok(None);
        }
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(ProofError::TooLarge);
        }
        let kind = ImageKind::sniff(&bytes).ok_or(ProofError::NotAnImage)?;
        Ok(Some(ProofImage { kind, bytes }))
    }
}

/// A link to where something can be seen (a news page, a post), `http://` or `https://` only, so
/// a link shown on a page can never run a script (`javascript:`) or open a local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofUrl(String);

impl ProofUrl {
    /// An empty field is no link: `Ok(None)`.
    pub fn parse(text: &str) -> Result<Option<ProofUrl>, ProofError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let lower = text.to_ascii_lowercase();
        let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
        let well_formed = host.is_some_and(|h| !h.is_empty() && !h.starts_with('.') && !h.contains('@'))
            && text.chars().count() <= MAX_URL_CHARS
            && !text.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`".contains(c));
        if !well_formed {
            return Err(ProofError::BadUrl);
        }
        Ok(Some(ProofUrl(text.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A note (evidence, a reason): trimmed, at most `MAX_NOTE_CHARS`; empty is none.
pub fn note(text: &str) -> Result<Option<String>, ProofError> {
    let text = text.trim();
    match text.chars().count() {
        0 => Ok(None),
        n if n > MAX_NOTE_CHARS => Err(ProofError::NoteTooLong),
        _ => Ok(Some(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

    #[test]
    fn images_are_known_by_their_bytes_not_their_names() {
        assert_eq!(ImageKind::sniff(PNG), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
        for not_an_image in [&b"GIF89a"[..], b"RIFF\x24\0\0\0WAVEfmt ", b"<svg xmlns=", b"%PDF-1.7", b"\x89PNG", b""] {
            assert_eq!(ImageKind::sniff(not_an_image), None, "{not_an_image:?}");
        }
        for kind in ImageKind::ALL {
            assert_eq!(ImageKind::from_content_type(kind.content_type()), Some(kind));
        }
    }

    #[test]
    fn an_upload_is_an_image_of_at_most_two_megabytes_or_nothing() {
        assert_eq!(ProofImage::parse(Vec::new()), Ok(None), "an empty file field");
        assert_eq!(ProofImage::parse(b"nama,usia\n".to_vec()), Err(ProofError::NotAnImage));
        let mut at_limit = PNG.to_vec();
        at_limit.resize(MAX_IMAGE_BYTES, 0);
        assert_eq!(ProofImage::parse(at_limit.clone()).map(|i| i.map(|i| i.kind)), Ok(Some(ImageKind::Png)));
        at_limit.push(0);
        assert_eq!(ProofImage::parse(at_limit), Err(ProofError::TooLarge));
    }

    #[test]
    fn links_are_web_addresses_only() {
        let ok = |t: &str| ProofUrl::parse(t).map(|u| u.map(ProofUrl::into_string));
        assert_eq!(
            ok("  https://kutaitimurkab.go.id/berita/skm-2026 "),
            Ok(Some("https://kutaitimurkab.go.id/berita/skm-2026".into()))
        );
        assert_eq!(ok("http://sippn.menpan.go.id/x?y=1#z"), Ok(Some("http://sippn.menpan.go.id/x?y=1#z".into())));
        assert_eq!(ok(""), Ok(None));
        for bad in [
            "javascript:alert(1)",
            "kutaitimurkab.go.id",
            "https://",
            "https:///path",
            "ftp://x.go.id",
            "https://a.go.id/\"><script>",
            "https://user@evil.example",
            "https://a b.go.id",
            "file:///etc/passwd",
        ] {
            assert_eq!(ok(bad), Err(ProofError::BadUrl), "{bad}");
        }
        assert_eq!(ok(&format!("https://a.go.id/{}", "x".repeat(MAX_URL_CHARS))), Err(ProofError::BadUrl));
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(note("  Loket 3 dibuka  "), Ok(Some("Loket 3 dibuka".into())));
        assert_eq!(note(" \n "), Ok(None));
        assert_eq!(note(&"é".repeat(MAX_NOTE_CHARS)).map(|n| n.is_some()), Ok(true));
        assert_eq!(note(&"é".repeat(MAX_NOTE_CHARS + 1)), Err(ProofError::NoteTooLong));
    }
}
