//! The PEKPPP evidence pack (SPEC §6a, PermenPANRB 29/2022): one ZIP with what the evaluation
//! asks the regency to upload for SKM. A cover PDF maps each indicator to its files: SKM done as
//! 14/2017 prescribes → the regency report and each unit's report (PDF and XLSX); published in N
//! media → the publication log (`evidence_files`) and its proof images; follow-up → the RTL
//! tracker (PDF and XLSX) with % done and the images that show actions done. `manifest.csv` comes
//! last: each file, its SHA-256 and what it proves.
//!
//! Written to any `Write`, no `Seek` (a streamed HTTP body, a file): one file at a time is made,
//! written, hashed and dropped, so a regency of 60 units never holds its reports at once.

use super::data;
use super::evidence_files;
use super::official_pdf;
use super::pdf::PdfBuilder;
use super::xlsx;
use crate::catalog::TemplateRegistry;
use crate::db::progress::{Meter, Silent};
use crate::db::units::{self, Unit};
use crate::db::{DbConnection, DbError};
use crate::domain::follow_up::Progress;
use crate::domain::names::Medium;
use crate::domain::period::{date_id, Period};
use crate::follow_up::{self, Tracker};
use crate::images::Bitmap;
use crate::publications::{self, LoggedMedium};
use crate::security::hex;
use crate::sheets::csv_out::Writer;
use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use thiserror::Error;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

#[derive(Debug, Error)]
pub enum EvidenceError {
    #[error("there are no units yet")]
    NoUnits,
    #[error("{0}")]
    Report(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("writing the ZIP: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the ZIP: {0}")]
    Io(#[from] std::io::Error),
}

/// Who made the pack and when, and the logo of last resort (as `official_pdf::Options`).
pub struct Options<'a> {
    pub today: NaiveDate,
    pub downloaded: &'a str,
    pub default_logo: Option<Bitmap>,
}

/// What the pack holds, for the caller's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub files: usize,
    pub units: usize,
    pub media: usize,
    pub progress: Progress,
}

/// The regency in the period: its top units (regency reports), the units below them (a report
/// each), the publication log and the follow-up tracker. Cheap to read: the reports themselves
/// are made one by one while writing.
struct Contents {
    regencies: Vec<Unit>,
    /// every unit below a top one, parents first
    units: Vec<Unit>,
    /// ids of units that have units below them (their report is their roll-up)
    parents: Vec<i32>,
    names: HashMap<i32, String>,
    media: Vec<LoggedMedium>,
    tracker: Tracker,
}

impl Contents {
    fn read(conn: &mut DbConnection, period: &Period, today: NaiveDate) -> Result<Contents, EvidenceError> {
        let all = units::list(conn)?;
        if all.is_empty() {
            return Err(EvidenceError::NoUnits);
        }
        let ids: Vec<i32> = all.iter().map(|u| u.id).collect();
        let parents: Vec<i32> = all.iter().filter_map(|u| u.parent_id).collect();
        let names = all.iter().map(|u| (u.id, u.name.clone())).collect();
        let (regencies, units): (Vec<Unit>, Vec<Unit>) = all.into_iter().partition(|u| u.parent_id.is_none());
        let media = publications::media_log(conn, period, None)?;
        let tracker = follow_up::tracker(conn, &ids, Some(period), today)?;
        Ok(Contents { regencies, units, parents, names, media, tracker })
    }

    fn media_count(&self) -> usize {
        Medium::count(self.media.iter().map(|m| m.medium))
    }
}

/// A period as a file name's part (`2026-01-01..2026-03-31` → `2026-01-01_2026-03-31`).
fn file_period(period: &Period) -> String {
    period.to_string().replace("..", "_")
}

/// The file names the pack uses, so the cover can name them before they are written.
struct Names {
    period: String,
}

impl Names {
    fn cover(&self) -> String {
        format!("00-sampul-bukti-skm-{}.pdf", self.period)
    }
    fn regency(&self, unit: &Unit, extension: &str) -> String {
        format!("1-laporan-skm/kabupaten-{}-{}.{extension}", unit.slug, self.period)
    }
    fn unit(&self, unit: &Unit, extension: &str) -> String {
        format!("1-laporan-skm/unit/{}-{}.{extension}", unit.slug, self.period)
    }
    fn media_log(&self) -> String {
        format!("2-publikasi/log-publikasi-{}.pdf", self.period)
    }
    fn tracker(&self, extension: &str) -> String {
        format!("3-tindak-lanjut/rtl-{}.{extension}", self.period)
    }
}

/// The ZIP being written and the manifest's lines so far.
struct Pack<W: Write> {
    zip: ZipWriter<zip::write::StreamWriter<W>>,
    manifest: Vec<[String; 3]>,
    /// dated the day the pack was made
    options: SimpleFileOptions,
}

impl<W: Write> Pack<W> {
    fn add(&mut self, name: &str, bytes: &[u8], proves: &str) -> Result<(), EvidenceError> {
        // PDF and CSV compress; XLSX and images are compressed already
        let deflate = name.ends_with(".pdf") || name.ends_with(".csv");
        let method = if deflate { CompressionMethod::Deflated } else { CompressionMethod::Stored };
        self.zip.start_file(name, self.options.compression_method(method))?;
        self.zip.write_all(bytes)?;
        self.manifest.push([name.to_string(), hex(&Sha256::digest(bytes)), proves.to_string()]);
        Ok(())
    }
}

/// Writes the pack of `period` to `out`.
pub fn write<W: Write>(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    period: Period,
    options: &Options,
    out: W,
) -> Result<Written, EvidenceError> {
    write_metered(conn, registry, period, options, out, &mut Silent)
}

/// `write`, telling `meter` of each report made (the regency's and every unit's: nearly all of
/// the time goes to them).
pub fn write_metered<W: Write>(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    period: Period,
    options: &Options,
    out: W,
    meter: &mut dyn Meter,
) -> Result<Written, EvidenceError> {
    let contents = Contents::read(conn, &period, options.today)?;
    meter.start(Some((contents.regencies.len() + contents.units.len()) as u64));
    let names = Names { period: file_period(&period) };
    let (year, month, day) = (options.today.year(), options.today.month(), options.today.day());
    let made = zip::DateTime::from_date_and_time(year as u16, month as u8, day as u8, 0, 0, 0).unwrap_or_default();
    let file_options = SimpleFileOptions::default().last_modified_time(made);
    let mut pack = Pack { zip: ZipWriter::new_stream(out), manifest: Vec::new(), options: file_options };
    let report_options = || official_pdf::Options {
        today: options.today,
        downloaded: options.downloaded,
        default_logo: options.default_logo.clone(),
    };
    let report = |e: String| EvidenceError::Report(e);

    pack.add(&names.cover(), &cover(&contents, &names, &period, options)?, "Sampul: peta indikator PEKPPP ke berkas")?;

    let skm_done = "SKM dilaksanakan sesuai PermenPANRB 14/2017";
    for regency in &contents.regencies {
        let data = data::gather(conn, registry, regency, period, true)?;
        let pdf = official_pdf::pdf(&data, &report_options()).map_err(report)?;
        pack.add(&names.regency(regency, "pdf"), &pdf, &format!("{skm_done}: laporan kabupaten"))?;
        drop(pdf);
        let book = xlsx::workbook(conn, &data, options.downloaded, options.today).map_err(|e| report(e.to_string()))?;
        pack.add(&names.regency(regency, "xlsx"), &book, &format!("{skm_done}: pengolahan data kabupaten"))?;
        meter.advance(1).map_err(DbError::from)?;
    }
    for unit in &contents.units {
        let data = data::gather(conn, registry, unit, period, contents.parents.contains(&unit.id))?;
        let pdf = official_pdf::pdf(&data, &report_options()).map_err(report)?;
        pack.add(&names.unit(unit, "pdf"), &pdf, &format!("{skm_done}: laporan {}", unit.name))?;
        drop(pdf);
        let book = xlsx::workbook(conn, &data, options.downloaded, options.today).map_err(|e| report(e.to_string()))?;
        pack.add(&names.unit(unit, "xlsx"), &book, &format!("{skm_done}: pengolahan data {}", unit.name))?;
        meter.advance(1).map_err(DbError::from)?;
    }

    let media_count = contents.media_count();
    let proofs = evidence_files::proof_names(&contents.media);
    let log = evidence_files::media_log_pdf(&contents.media, &proofs, &contents.names, &period, media_count)
        .map_err(report)?;
    pack.add(&names.media_log(), &log, &format!("Hasil SKM dipublikasikan di {media_count} media: log publikasi"))?;
    for (medium, name) in contents.media.iter().zip(&proofs) {
        if let (Some(image), Some(name)) = (&medium.image, name) {
            let what = format!(
                "Bukti publikasi: {} {}, {}",
                medium.medium.label_id(),
                contents.names.get(&medium.entry.unit_id).map_or("", String::as_str),
                medium.entry.published_on
            );
            pack.add(name, &image.data, &what)?;
        }
    }

    let tracker = &contents.tracker;
    let done = evidence_files::progress_sentence(&tracker.progress);
    let pdf = evidence_files::tracker_pdf(tracker, &contents.names, &period, options.today).map_err(report)?;
    pack.add(&names.tracker("pdf"), &pdf, &format!("Tindak lanjut SKM: {done}"))?;
    let book = evidence_files::tracker_xlsx(tracker, &contents.names, &period, options.today)
        .map_err(|e| report(e.to_string()))?;
    pack.add(&names.tracker("xlsx"), &book, &format!("Tindak lanjut SKM: {done}"))?;
    for tracked in tracker.actions.iter().filter(|a| a.evidence.as_ref().is_some_and(|e| e.image)) {
        let unit = units::by_id(conn, tracked.action.unit_id)?;
        let image = match follow_up::evidence_image(conn, &unit, tracked.action.id) {
            Ok(image) => image,
            Err(follow_up::FollowUpError::Db(e)) => return Err(e.into()),
            Err(_) => continue,
        };
        let name = format!(
            "3-tindak-lanjut/bukti/rtl-{}-{}.{}",
            tracked.action.id,
            unit.slug,
            evidence_files::extension_of(&image.content_type)
        );
        let what = format!("Bukti tindak lanjut selesai: {} — {}", unit.name, tracked.action.action);
        pack.add(&name, &image.data, &what)?;
    }

    let files = pack.manifest.len() + 1;
    let manifest = manifest_csv(&pack.manifest)?;
    pack.zip.start_file("manifest.csv", pack.options)?;
    pack.zip.write_all(&manifest)?;
    pack.zip.finish()?.into_inner().flush()?;
    Ok(Written { files, units: contents.units.len(), media: media_count, progress: tracker.progress })
}

fn manifest_csv(lines: &[[String; 3]]) -> Result<Vec<u8>, EvidenceError> {
    let mut csv = Writer::new(Vec::new(), b',');
    let csv_error = |e: csv::Error| EvidenceError::Report(e.to_string());
    csv.write_record(["berkas", "sha256", "membuktikan"]).map_err(csv_error)?;
    for line in lines {
        csv.write_record(line).map_err(csv_error)?;
    }
    csv.into_inner().map_err(|e| EvidenceError::Report(e.to_string()))
}

/// The cover: the regency, the period, and each indicator with what shows it and its files.
fn cover(contents: &Contents, names: &Names, period: &Period, options: &Options) -> Result<Vec<u8>, EvidenceError> {
    let title = format!("Bukti SKM untuk PEKPPP {}", period.label_id());
    let regency: Vec<&str> = contents.regencies.iter().map(|u| u.name.as_str()).collect();
    let mut b = PdfBuilder::new(&title, &format!("{title} — {}", regency.join(", ")));
    b.text(&title, 16.0, true, true);
    b.text(&regency.join(", "), 13.0, true, true);
    b.space(2.0);
    b.text(&format!("Dibuat oleh {} pada {} dengan skm", options.downloaded, date_id(options.today)), 9.0, false, true);
    b.space(4.0);
    b.paragraph(
        "Paket ini berisi berkas bukti untuk indikator Survei Kepuasan Masyarakat (SKM) pada Evaluasi Kinerja Penyelenggaraan Pelayanan Publik (PEKPPP, PermenPANRB 29/2022). Tabel berikut memetakan setiap indikator ke berkasnya dalam paket ini.",
    );
    let units = contents.units.len();
    let regency_files: Vec<String> =
        contents.regencies.iter().flat_map(|u| [names.regency(u, "pdf"), names.regency(u, "xlsx")]).collect();
    let proofs = contents.media.iter().filter(|m| m.image.is_some()).count();
    let published: std::collections::BTreeSet<(i32, &str)> =
        contents.media.iter().map(|m| (m.entry.unit_id, m.entry.period.as_str())).collect();
    let kinds: std::collections::BTreeSet<&str> = contents.media.iter().map(|m| m.medium.label_id()).collect();
    let media = contents.media_count();
    let media_line = if media == 0 {
        "Belum ada media publikasi yang tercatat untuk periode ini.".to_string()
    } else {
        format!(
            "Hasil SKM dipublikasikan di {media} media ({}); {} entri untuk {} hasil yang dipublikasikan, {proofs} dengan gambar bukti.",
            kinds.into_iter().collect::<Vec<_>>().join(", "),
            contents.media.len(),
            published.len()
        )
    };
    let progress = &contents.tracker.progress;
    let evidence_images =
        contents.tracker.actions.iter().filter(|a| a.evidence.as_ref().is_some_and(|e| e.image)).count();
    let rows = vec![
        vec![
            "1. SKM dilaksanakan sesuai PermenPANRB 14/2017".to_string(),
            format!(
                "SKM dilaksanakan sesuai PermenPANRB 14/2017: {units} laporan unit, laporan kabupaten (PDF untuk ditandatangani, XLSX dengan rumus pengolahan data)."
            ),
            format!("{}\n1-laporan-skm/unit/ ({units} PDF, {units} XLSX)", regency_files.join("\n")),
        ],
        vec![
            "2. Publikasi hasil SKM".to_string(),
            media_line,
            format!("{}\n2-publikasi/ ({proofs} gambar bukti)", names.media_log()),
        ],
        vec![
            "3. Tindak lanjut hasil SKM".to_string(),
            format!(
                "Tindak lanjut SKM: {}. Persentase = selesai ÷ (semua − dibatalkan), dibulatkan.",
                evidence_files::progress_sentence(progress)
            ),
            format!(
                "{}\n{}\n3-tindak-lanjut/bukti/ ({evidence_images} gambar bukti)",
                names.tracker("pdf"),
                names.tracker("xlsx")
            ),
        ],
    ];
    // file names have no spaces to wrap at: cut them after a / or a -
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|mut row| {
            row[2] = row[2].split('\n').map(|line| evidence_files::breakable(line, 36)).collect::<Vec<_>>().join("\n");
            row
        })
        .collect();
    b.table(&["Indikator", "Yang ditunjukkan", "Berkas"], &[38.0, 68.0, 64.0], &rows);
    b.paragraph(
        "manifest.csv mencantumkan setiap berkas dengan sidik SHA-256-nya dan apa yang dibuktikannya, sehingga penilai dapat memeriksa bahwa berkas tidak berubah sejak paket dibuat.",
    );
    b.finish().map_err(EvidenceError::Report)
}
