//! Proof images (a follow-up action's evidence, a publication's proof): the forms that carry one
//! (a multipart body of short text fields and one file field named `file`, read with limits
//! while it streams) and the image served back.

use super::error::WebError;
use crate::db::images::StoredImage;
use crate::domain::proof::MAX_IMAGE_BYTES;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::HttpResponse;
use futures_util::StreamExt;
use std::collections::BTreeMap;

/// A text field longer than this is not typed into a form.
const MAX_FIELD_BYTES: usize = 16 * 1024;
/// An image over the limit is read to this much and thrown away, so the browser gets the
/// page that says so instead of a broken connection; past it, reading stops.
const MAX_DRAINED_BYTES: usize = 16 * 1024 * 1024;

/// What a form with an image sent.
pub struct ImageForm {
    pub fields: BTreeMap<String, String>,
    /// the file's bytes; empty when none was chosen
    pub file: Vec<u8>,
    /// the file was larger than `MAX_IMAGE_BYTES`: `file` is empty
    pub too_large: bool,
}

impl ImageForm {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or_default()
    }
}

/// Reads the body: text fields (each at most 16 KB) and the image (at most `MAX_IMAGE_BYTES`,
/// counted while reading, never buffered beyond it).
pub async fn read(mut payload: Multipart) -> Result<ImageForm, WebError> {
    let mut form = ImageForm { fields: BTreeMap::new(), file: Vec::new(), too_large: false };
    let mut drained = 0usize;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| WebError::Invalid { field: "form".into(), reason: e.to_string() })?;
        let name = field.name().unwrap_or_default().to_string();
        let is_file = name == "file";
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| WebError::Invalid { field: name.clone(), reason: e.to_string() })?;
            if is_file {
                if form.too_large || data.len() + chunk.len() > MAX_IMAGE_BYTES {
                    form.too_large = true;
                    data = Vec::new();
                    drained += chunk.len();
                    if drained > MAX_DRAINED_BYTES {
                        return Ok(form);
                    }
                    continue;
                }
            } else if data.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(WebError::Invalid { field: name, reason: "longer than 16 KB".into() });
            }
            data.extend_from_slice(&chunk);
        }
        if is_file {
            form.file = data;
        } else {
            form.fields.insert(name, String::from_utf8_lossy(&data).trim().to_string());
        }
    }
    Ok(form)
}

/// A stored image as its own response: the type it was checked to be, shown in the browser
/// (never sniffed as anything else); not cached (`web::staff`: it is behind a sign-in).
pub fn image(image: StoredImage) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, image.content_type))
        .insert_header((header::CONTENT_DISPOSITION, "inline"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(image.data)
}
