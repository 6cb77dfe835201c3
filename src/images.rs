//! The raster images a unit uploads (its letterhead logo): PNG or JPEG, told apart by their first
//! bytes (never by a file name), decoded to RGB on white for PDF pages, and written back as PNG
//! for the DOCX report (Word documents made by `docx-rs` carry PNG).

use thiserror::Error;

/// The largest logo accepted: a letterhead logo is a few centimetres wide.
pub const MAX_BYTES: usize = 512 * 1024;
/// Wider or taller than this is no logo (and would take a lot of memory to decode).
const MAX_SIDE: u32 = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
}

impl ImageKind {
    /// The kind by the file's magic bytes; `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else {
            None
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("larger than {} KB", MAX_BYTES / 1024)]
    TooLarge,
    #[error("not a PNG or JPEG image")]
    NotAnImage,
    #[error("wider or taller than {MAX_SIDE} pixels")]
    TooManyPixels,
    #[error("cannot be read as an image: {0}")]
    Unreadable(String),
}

/// An image as 8-bit RGB pixels, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Bitmap {
    /// Decodes a PNG or JPEG; transparency is blended on white (the page is white).
    pub fn decode(bytes: &[u8]) -> Result<Bitmap, ImageError> {
        if bytes.len() > MAX_BYTES {
            return Err(ImageError::TooLarge);
        }
        let bitmap = match ImageKind::sniff(bytes).ok_or(ImageError::NotAnImage)? {
            ImageKind::Png => decode_png(bytes)?,
            ImageKind::Jpeg => decode_jpeg(bytes)?,
        };
        if bitmap.width == 0 || bitmap.height == 0 || bitmap.rgb.len() != (bitmap.width * bitmap.height * 3) as usize {
            return Err(ImageError::Unreadable("no pixels".into()));
        }
        Ok(bitmap)
    }

    /// The pixels as a PNG file.
    pub fn png(&self) -> Result<Vec<u8>, ImageError> {
        let mut out = Vec::new();
        let unreadable = |e: png::EncodingError| ImageError::Unreadable(e.to_string());
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(unreadable)?;
        writer.write_image_data(&self.rgb).map_err(unreadable)?;
        writer.finish().map_err(unreadable)?;
        Ok(out)
    }
}

fn check_size(width: u32, height: u32) -> Result<(), ImageError> {
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooManyPixels);
    }
    Ok(())
}

fn on_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u16::from(value), u16::from(alpha));
    ((v * a + 255 * (255 - a)) / 255) as u8
}

fn decode_png(bytes: &[u8]) -> Result<Bitmap, ImageError> {
    let unreadable = |e: png::DecodingError| ImageError::Unreadable(e.to_string());
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let header = decoder.read_header_info().map_err(unreadable)?;
    check_size(header.width, header.height)?;
    let mut reader = decoder.read_info().map_err(unreadable)?;
    let size = reader.output_buffer_size().ok_or_else(|| ImageError::Unreadable("too large".into()))?;
    let mut buffer = vec![0; size];
    let info = reader.next_frame(&mut buffer).map_err(unreadable)?;
    let data = &buffer[..info.buffer_size()];
    let rgb: Vec<u8> = match info.color_type {
        png::ColorType::Rgb => data.to_vec(),
        png::ColorType::Rgba => data.chunks(4).flat_map(|p| [0, 1, 2].map(|i| on_white(p[i], p[3]))).collect(),
        png::ColorType::Grayscale => data.iter().flat_map(|g| [*g, *g, *g]).collect(),
        png::ColorType::GrayscaleAlpha => data
            .chunks(2)
            .flat_map(|p| {
                let v = on_white(p[0], p[1]);
                [v, v, v]
            })
            .collect(),
        // EXPAND turns a palette into RGB(A); this would be a decoder change
        png::ColorType::Indexed => return Err(ImageError::Unreadable("indexed colours not expanded".into())),
    };
    Ok(Bitmap { width: info.width, height: info.height, rgb })
}

fn decode_jpeg(bytes: &[u8]) -> Result<Bitmap, ImageError> {
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(std::io::Cursor::new(bytes), options);
    decoder.decode_headers().map_err(|e| ImageError::Unreadable(e.to_string()))?;
    let info = decoder.info().ok_or_else(|| ImageError::Unreadable("no header".into()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_size(width, height)?;
    let rgb = decoder.decode().map_err(|e| ImageError::Unreadable(e.to_string()))?;
    Ok(Bitmap { width, height, rgb })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(width: u32, height: u32, color: png::ColorType, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(data).expect("data");
        writer.finish().expect("finish");
        out
    }

    #[test]
    fn a_transparent_png_is_blended_on_white_and_written_back_as_png() {
        // one opaque red pixel, one fully transparent one
        let file = png_of(2, 1, png::ColorType::Rgba, &[255, 0, 0, 255, 0, 0, 0, 0]);
        let bitmap = Bitmap::decode(&file).expect("decodes");
        assert_eq!(bitmap, Bitmap { width: 2, height: 1, rgb: vec![255, 0, 0, 255, 255, 255] });
        assert_eq!(Bitmap::decode(&bitmap.png().expect("png")).expect("round trip"), bitmap);
    }

    #[test]
    fn only_png_and_jpeg_by_their_first_bytes_are_images() {
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageKind::Jpeg));
        assert_eq!(Bitmap::decode(b"GIF89a...."), Err(ImageError::NotAnImage));
        assert_eq!(Bitmap::decode(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), Err(ImageError::NotAnImage));
        // a PNG signature followed by nonsense is refused, not trusted
        assert!(matches!(Bitmap::decode(b"\x89PNG\r\n\x1a\nnonsense"), Err(ImageError::Unreadable(_))));
        assert!(matches!(Bitmap::decode(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Err(ImageError::Unreadable(_))));
        assert_eq!(Bitmap::decode(&vec![0; MAX_BYTES + 1]), Err(ImageError::TooLarge));
    }

    #[test]
    fn a_jpeg_logo_decodes_to_rgb() {
        let bitmap = Bitmap::decode(include_bytes!("../tests/data/logo-dinas.jpg")).expect("decodes");
        assert_eq!((bitmap.width, bitmap.height, bitmap.rgb.len()), (48, 57, 48 * 57 * 3));
        // the bottom-left corner is white, the middle of the shield green
        let corner = (56 * 48 * 3) as usize;
        assert!(bitmap.rgb[corner..corner + 3].iter().all(|v| *v > 230), "{:?}", &bitmap.rgb[corner..corner + 3]);
        let middle = ((20 * 48 + 6) * 3) as usize;
        let [r, g, b] = [bitmap.rgb[middle], bitmap.rgb[middle + 1], bitmap.rgb[middle + 2]];
        assert!(g > r + 40 && g > b + 40, "{r} {g} {b}");
    }
}
