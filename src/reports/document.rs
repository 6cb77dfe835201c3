//! The official report as a list of blocks, made once from the figures (`official_pdf`,
//! `regency_pdf`) and rendered twice: as PDF (`render_pdf`) and as DOCX (`render_docx`), so the
//! two files carry the same text and the same figures. Sizes are in points, widths in mm of an
//! A4 page with 20 mm margins.

use crate::images::Bitmap;
use crate::letterhead::{Kop, Signer};

/// The width between the margins, in mm.
pub const CONTENT_WIDTH: f32 = 170.0;

/// How the pages from here on are numbered in the footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// no footer (the cover)
    None,
    /// i, ii, iii: the front matter (Kata Pengantar, Daftar Isi)
    Roman,
    /// 1, 2, 3 from BAB I on
    Arabic,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// the kop surat: logo, the agencies' names, address, phone, website, and a double rule
    Letterhead,
    /// wrapped text at a size (the cover's lines)
    Text {
        text: String,
        size: f32,
        bold: bool,
        center: bool,
    },
    /// body text
    Paragraph(String),
    /// a part of the report listed in the Daftar Isi (KATA PENGANTAR, BAB I …, LAMPIRAN), on a new page
    Chapter {
        title: String,
        center: bool,
    },
    /// a section of a chapter listed in the Daftar Isi under it (A. Latar belakang)
    Section(String),
    /// a heading not listed (a unit's part of an appendix)
    Heading(String),
    /// a header row and rows; `widths` in mm. A cell's `\n` starts a new line.
    Table {
        header: Vec<String>,
        widths: Vec<f32>,
        rows: Vec<Vec<String>>,
    },
    /// a chart, centred, `width_mm` wide (drawn by each renderer as suits it)
    Chart {
        spec: crate::charts::ChartSpec,
        width_mm: f32,
    },
    /// an image, centred, `width_mm` wide
    Image {
        bitmap: Bitmap,
        width_mm: f32,
    },
    Space(f32),
    /// keep the next `mm` on one page
    Keep(f32),
    PageBreak,
    /// the Daftar Isi: every chapter and section with the page it starts on
    Contents,
    /// place and date, position, room to sign, name and NIP
    Signature,
    /// pages from here on are numbered so; starts a new page unless this one is empty
    Numbering(Numbering),
}

/// One entry of the Daftar Isi: a chapter (level 1) or a section (level 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub level: u8,
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct Document {
    /// the PDF's title and the DOCX's
    pub title: String,
    /// the footer's text before the page number
    pub footer: String,
    pub kop: Kop,
    pub signer: Signer,
    /// the date under the place in the signature block (`2 Desember 2026`)
    pub signed_on: String,
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn new(title: &str, footer: &str, kop: Kop, signer: Signer, signed_on: String) -> Document {
        Document { title: title.into(), footer: footer.into(), kop, signer, signed_on, blocks: Vec::new() }
    }

    fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    pub fn letterhead(&mut self) {
        self.push(Block::Letterhead);
    }

    pub fn text(&mut self, text: &str, size: f32, bold: bool, center: bool) {
        self.push(Block::Text { text: text.into(), size, bold, center });
    }

    pub fn paragraph(&mut self, text: &str) {
        self.push(Block::Paragraph(text.into()));
    }

    pub fn chapter(&mut self, title: &str) {
        self.push(Block::Chapter { title: title.into(), center: false });
    }

    /// A chapter whose title is centred (KATA PENGANTAR, DAFTAR ISI).
    pub fn front_chapter(&mut self, title: &str) {
        self.push(Block::Chapter { title: title.into(), center: true });
    }

    pub fn section(&mut self, title: &str) {
        self.push(Block::Section(title.into()));
    }

    pub fn heading(&mut self, text: &str) {
        self.push(Block::Heading(text.into()));
    }

    pub fn table(&mut self, header: &[&str], widths: &[f32], rows: &[Vec<String>]) {
        self.push(Block::Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            widths: widths.to_vec(),
            rows: rows.to_vec(),
        });
    }

    pub fn chart(&mut self, spec: crate::charts::ChartSpec, width_mm: f32) {
        self.push(Block::Chart { spec, width_mm });
    }

    pub fn image(&mut self, bitmap: Bitmap, width_mm: f32) {
        self.push(Block::Image { bitmap, width_mm });
    }

    pub fn space(&mut self, mm: f32) {
        self.push(Block::Space(mm));
    }

    pub fn ensure(&mut self, mm: f32) {
        self.push(Block::Keep(mm));
    }

    pub fn page_break(&mut self) {
        self.push(Block::PageBreak);
    }

    pub fn contents(&mut self) {
        self.push(Block::Contents);
    }

    pub fn signature(&mut self) {
        self.push(Block::Signature);
    }

    pub fn numbering(&mut self, numbering: Numbering) {
        self.push(Block::Numbering(numbering));
    }

    /// What the Daftar Isi lists, in order.
    pub fn entries(&self) -> Vec<Entry> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Chapter { title, .. } => Some(Entry { level: 1, title: title.clone() }),
                Block::Section(title) => Some(Entry { level: 2, title: title.clone() }),
                _ => None,
            })
            .collect()
    }

    /// The signature block's lines, top to bottom, with the room to sign as an empty line;
    /// what the unit has not set is a dotted line to fill by hand. The name is the line
    /// before the last.
    pub fn signature_lines(&self) -> Vec<String> {
        let blank = |value: &str, dots: usize| {
            if value.is_empty() {
                ".".repeat(dots)
            } else {
                value.to_string()
            }
        };
        let s = &self.signer;
        vec![
            format!("{}, {}", blank(&s.place, 20), self.signed_on),
            blank(&s.position, 40),
            String::new(),
            blank(&s.name, 40),
            format!("NIP. {}", s.nip.as_ref().map_or_else(|| ".".repeat(30), |n| n.to_string())),
        ]
    }

    /// The kop's contact line: address, phone and website, each only when set.
    pub fn kop_contact(&self) -> Vec<String> {
        let k = &self.kop;
        let mut first = k.address.clone();
        if !k.phone.is_empty() {
            if !first.is_empty() {
                first.push_str(" · ");
            }
            first.push_str(&format!("Telepon {}", k.phone));
        }
        let mut lines: Vec<String> = vec![first];
        if !k.website.is_empty() {
            lines.push(format!("Laman: {}", k.website));
        }
        lines.retain(|l| !l.is_empty());
        lines
    }
}
