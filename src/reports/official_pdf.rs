//! The official report (Laporan SKM) in the structure units submit: the kop surat and cover,
//! Kata Pengantar, Daftar Isi, BAB I–VI (BAB VI Penutup ends with the signature block) and the
//! questionnaire as an appendix. Indonesian dates and numbers (`20 November 2024`, `3,66`).
//! [`document`] makes it once; [`pdf`] and [`docx`] render that one document, so both files
//! carry the same text and figures. For a roll-up (the regency report) `regency_pdf` adds its
//! parts in place.

use super::closing;
use super::data::ReportData;
use super::document::{Document, Numbering};
use super::profile::profile_table;
use super::regency_pdf;
use super::sections::{chart, element_table, id, or_dash, status};
use super::{render_docx, render_pdf};
use crate::charts;
use crate::domain::decimal::Rounded;
use crate::domain::period::date_id;
use crate::images::Bitmap;
use chrono::NaiveDate;

fn percent(part: i64, whole: u64) -> String {
    if whole == 0 {
        return "–".into();
    }
    let value = num_rational::BigRational::new((part * 100).into(), (whole as i64).into());
    format!("{} %", id(Rounded::half_up(&value, 1)))
}

fn channel_name(code: &str) -> &str {
    match code {
        "web" => "formulir daring (kode QR)",
        "kiosk" => "kios/tablet di loket",
        "paper" => "kuesioner kertas",
        "import" => "impor berkas",
        "enumerator" => "wawancara petugas survei (perangkat luring)",
        other => other,
    }
}

/// Who made the report and when, and the logo of last resort.
pub struct Options<'a> {
    pub today: NaiveDate,
    /// who downloaded it (shown on the cover)
    pub downloaded: &'a str,
    /// the configured logo (`SKM_LOGO`), for a unit with no logo of its own nor above it
    pub default_logo: Option<Bitmap>,
}

/// The configured logo file, decoded; `None` (and a log line) if it cannot be read.
pub fn read_logo(path: &std::path::Path) -> Option<Bitmap> {
    let read = std::fs::read(path).map_err(|e| e.to_string());
    match read.and_then(|bytes| Bitmap::decode(&bytes).map_err(|e| e.to_string())) {
        Ok(bitmap) => Some(bitmap),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "logo unreadable");
            None
        }
    }
}

pub fn pdf(data: &ReportData, options: &Options) -> Result<Vec<u8>, String> {
    render_pdf::render(&document(data, options)?)
}

pub fn docx(data: &ReportData, options: &Options) -> Result<Vec<u8>, String> {
    render_docx::render(&document(data, options)?)
}

/// The whole report as blocks.
pub fn document(data: &ReportData, options: &Options) -> Result<Document, String> {
    let unit = data.unit();
    let period = data.period();
    let index = &data.index;
    let template = &index.template;
    let result = &index.result;
    let index_name = template.index_name();
    let roll_up = index.roll_up.as_ref();
    let mut kop = data.letterhead.kop.clone();
    if kop.logo.is_none() {
        kop.logo.clone_from(&options.default_logo);
    }
    let mut b = Document::new(
        &format!("Laporan SKM {} {}", unit.name, period.label_id()),
        &format!("Laporan SKM {} — {}", unit.name, period.label_id()),
        kop,
        data.letterhead.signer.clone(),
        date_id(options.today),
    );

    // Kop surat and cover
    b.numbering(Numbering::None);
    b.letterhead();
    b.space(22.0);
    b.text("LAPORAN", 20.0, true, true);
    b.text("SURVEI KEPUASAN MASYARAKAT", 20.0, true, true);
    b.space(8.0);
    b.text(&unit.name, 16.0, true, true);
    b.text(&format!("Periode {}", period.label_id()), 13.0, false, true);
    b.space(20.0);
    b.text(&format!("{index_name} {}", or_dash(result.index)), 26.0, true, true);
    if let Some(g) = &result.grade {
        b.text(&format!("Mutu pelayanan {} ({})", g.grade, g.label.id), 14.0, false, true);
    }
    if let Some(r) = roll_up {
        b.space(4.0);
        regency_pdf::cover(&mut b, index, r);
    }
    b.space(40.0);
    b.text(&format!("Disusun berdasarkan {}", template.legal_basis), 10.0, false, true);
    b.text(&format!("Diunduh oleh {} pada {}", options.downloaded, date_id(options.today)), 9.0, false, true);

    // Front matter
    b.numbering(Numbering::Roman);
    closing::kata_pengantar(&mut b, data);
    b.front_chapter("DAFTAR ISI");
    b.contents();
    b.numbering(Numbering::Arabic);

    // BAB I
    b.chapter("BAB I PENDAHULUAN");
    b.section("A. Latar belakang");
    b.paragraph(&format!(
        "Undang-Undang Nomor 25 Tahun 2009 tentang Pelayanan Publik mewajibkan penyelenggara pelayanan publik menilai kinerja pelayanannya secara berkala. {} mengatur pedoman penyusunan Survei Kepuasan Masyarakat (SKM) sebagai instrumen penilaian tersebut. Laporan ini menyajikan hasil SKM pada {} untuk periode {}.",
        template.legal_basis, unit.name, period.label_id()
    ));
    b.section("B. Tujuan");
    b.paragraph("Mengetahui tingkat kepuasan masyarakat terhadap pelayanan, menemukan unsur pelayanan yang perlu diperbaiki, dan menjadi dasar rencana tindak lanjut serta publikasi hasil kepada masyarakat.");

    // BAB II
    b.chapter("BAB II PENGUMPULAN DATA");
    b.paragraph(&format!(
        "Data dikumpulkan dengan kuesioner {} ({} unsur, skala {}–{}) dari responden yang baru menerima pelayanan, pada {} sampai {}.",
        template.title.id,
        template.elements.len(),
        template.scale_min,
        template.scale_max,
        date_id(period.first_day()),
        date_id(period.end_exclusive().pred_opt().unwrap_or(period.first_day()))
    ));
    let channel_rows: Vec<Vec<String>> = data
        .channels
        .iter()
        .map(|(c, n)| vec![channel_name(c).to_string(), n.to_string(), percent(*n, result.responses)])
        .collect();
    b.table(&["Cara pengisian", "Responden", "Persentase"], &[90.0, 35.0, 45.0], &channel_rows);
    let sample = match (roll_up, index.population, index.required_sample) {
        (Some(r), _, _) => regency_pdf::sample_sentence(index, r),
        (None, Some(p), Some(s)) => format!(
            "Populasi penerima layanan pada periode ini {p} orang. Menurut tabel Krejcie dan Morgan, sampel minimal adalah {s} responden; diperoleh {} responden ({}).",
            result.responses,
            if result.responses >= s { "memenuhi sampel minimal".to_string() } else { format!("kurang {} responden", s - result.responses) }
        ),
        _ => format!("Populasi periode ini belum dicatat sehingga sampel minimal (Krejcie–Morgan) belum dapat dihitung. Diperoleh {} responden.", result.responses),
    };
    b.paragraph(&sample);
    response_rate(&mut b, &data.response_rate);

    // BAB III
    b.chapter("BAB III HASIL");
    b.section("A. Profil responden");
    // the report is in Indonesian, as the regulation has it
    let archived = super::data::archived_note(&crate::i18n::Tr::new(crate::domain::template::Lang::Id), &data.archived);
    if let Some(note) = &archived {
        b.paragraph(note);
    }
    let profile = profile_table(template, &data.profile);
    for section in profile.sections() {
        let rows: Vec<Vec<String>> = section
            .rows
            .iter()
            .map(|(label, n)| vec![label.clone(), n.to_string(), percent(*n, result.responses)])
            .collect();
        b.table(&[section.title, "Responden", "Persentase"], &[90.0, 35.0, 45.0], &rows);
    }
    chart(&mut b, &charts::counts("Jenis kelamin responden", &profile.gender.rows), 120.0)?;

    b.section("B. Nilai per unsur");
    element_table(&mut b, template, result);
    // a roll-up's index pools every respondent (SPEC §3), and says so
    let pooled = if roll_up.is_some() { format!(" {}", regency_pdf::POOLED) } else { String::new() };
    let mut summary = vec![
        vec!["IKM (jumlah NRR tertimbang)".to_string(), or_dash(result.ikm_rounded())],
        vec![
            format!("{index_name}{pooled} (IKM × {})", id(Rounded::half_up(&template.conversion, 0))),
            or_dash(result.index),
        ],
    ];
    if let Some(r) = roll_up {
        summary.push(vec![regency_pdf::mean_label(index), or_dash(r.mean_of_units)]);
    }
    if let Some(g) = &result.grade {
        summary.push(vec!["Mutu pelayanan".into(), g.grade.clone()]);
        summary.push(vec!["Kinerja unit pelayanan".into(), g.label.id.clone()]);
    }
    if let Some(i) = &result.interval {
        let warning = if i.crosses_grade_line { " (melewati batas mutu)" } else { "" };
        summary.push(vec!["Selang kepercayaan 95 %".into(), format!("{} – {}{warning}", id(i.lower), id(i.upper))]);
    }
    b.table(&["Hasil", "Nilai"], &[110.0, 60.0], &summary);
    chart(&mut b, &charts::elements(template, result), 160.0)?;
    if let Some(r) = roll_up {
        regency_pdf::per_unit(&mut b, index, r)?;
    }
    super::instruments::pdf_sections(&mut b, data, if roll_up.is_some() { 'D' } else { 'C' });

    // BAB IV
    b.chapter("BAB IV ANALISIS");
    b.section("A. Unsur dengan nilai terendah");
    let lowest: Vec<Vec<String>> = result
        .lowest
        .iter()
        .filter_map(|code| result.elements.iter().find(|e| &e.code == code).map(|e| (code, e)))
        .map(|(code, e)| {
            vec![
                format!("{code} {}", template.element(code).map(|x| x.name.id.clone()).unwrap_or_default()),
                or_dash(e.index),
            ]
        })
        .collect();
    b.table(&["Unsur", index_name], &[120.0, 50.0], &lowest);
    b.section(&format!("B. Perbandingan dengan periode sebelumnya ({})", period.previous().label_id()));
    let comparison: Vec<Vec<String>> = result
        .elements
        .iter()
        .zip(&index.previous.elements)
        .map(|(now, before)| {
            let change = match (now.index, before.index) {
                (Some(a), Some(b)) => {
                    let d = Rounded::half_up(&(a.as_ratio() - b.as_ratio()), 2);
                    if d.as_ratio() > num_rational::BigRational::from_integer(0.into()) {
                        format!("+{}", id(d))
                    } else {
                        id(d)
                    }
                }
                _ => "–".into(),
            };
            vec![now.code.clone(), or_dash(now.index), or_dash(before.index), change]
        })
        .collect();
    b.table(&["Unsur", "Periode ini", "Sebelumnya", "Perubahan"], &[40.0, 45.0, 45.0, 40.0], &comparison);
    b.section("C. Saran dan masukan");
    if let Some(note) = &archived {
        b.paragraph(note);
    }
    b.paragraph(&format!("{} responden menulis saran. Kata yang paling sering muncul:", data.saran_count));
    let words: Vec<Vec<String>> = data.top_words.iter().map(|(w, n)| vec![w.clone(), n.to_string()]).collect();
    b.table(&["Kata", "Frekuensi"], &[110.0, 60.0], &words);

    // BAB V
    b.chapter("BAB V RENCANA TINDAK LANJUT");
    if roll_up.is_some() {
        regency_pdf::follow_up(&mut b, data);
    } else if data.rtl.is_empty() {
        b.paragraph("Belum ada rencana tindak lanjut yang dicatat.");
    } else {
        let rows: Vec<Vec<String>> = data
            .rtl
            .iter()
            .map(|a| {
                let due = NaiveDate::parse_from_str(&a.due_date, "%Y-%m-%d")
                    .map(date_id)
                    .unwrap_or_else(|_| a.due_date.clone());
                vec![a.element_code.clone(), a.action.clone(), a.owner.clone(), due, status(&a.status).into()]
            })
            .collect();
        b.table(
            &["Unsur", "Tindakan", "Penanggung jawab", "Batas waktu", "Status"],
            &[16.0, 70.0, 34.0, 28.0, 22.0],
            &rows,
        );
    }

    closing::penutup(&mut b, data);

    // Lampiran
    if let Some(card) = &data.desks {
        desks_appendix(&mut b, index_name, card);
    }
    let questionnaire = match roll_up {
        Some(r) => {
            regency_pdf::appendix(&mut b, index, r);
            "LAMPIRAN B"
        }
        None => "LAMPIRAN",
    };
    b.chapter(&format!("{questionnaire}: KUESIONER ({} versi {})", template.title.id, template.version));
    for (i, e) in template.elements.iter().enumerate() {
        b.text(&format!("{}. {}", i + 1, e.question.id), 10.0, true, false);
        let answers: Vec<String> = e.answers.iter().map(|a| format!("{}. {}", a.score, a.label.id)).collect();
        b.paragraph(&answers.join("   "));
    }
    super::instruments::pdf_appendix(&mut b, data);
    Ok(b)
}

/// "Tingkat respons undangan": issued and answered invitations of the period, per service and
/// counter (a roll-up: per unit), and what the rate says about the sample. Nothing without
/// invitations.
fn response_rate(b: &mut Document, rate: &crate::response_rate::ResponseRate) {
    use crate::response_rate::Line;
    let Some(total) = rate.total.percent() else { return };
    b.ensure(60.0);
    b.heading("Tingkat respons undangan survei");
    let open = if rate.total.open > 0 {
        format!(" {} undangan masih berlaku dan dapat menambah jawaban.", rate.total.open)
    } else {
        String::new()
    };
    b.paragraph(&format!(
        "Pada periode ini diterbitkan {} undangan survei (kode QR pada struk atau slip); {} di antaranya dijawab, \
         sehingga tingkat respons {} %.{open} Undangan dihitung pada periode terbitnya; yang kedaluwarsa tanpa \
         jawaban dihitung tidak dijawab. Makin tinggi tingkat respons, makin mewakili responden bagi seluruh \
         penerima layanan; tingkat respons yang rendah berarti hasil survei dapat lebih mencerminkan warga yang \
         bersedia menjawab.",
        rate.total.issued,
        rate.total.answered,
        id(total)
    ));
    let rows = |lines: &[Line], unnamed: &str| -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| {
                vec![
                    l.name.clone().unwrap_or_else(|| unnamed.to_string()),
                    l.rate.issued.to_string(),
                    l.rate.answered.to_string(),
                    l.rate.percent().map_or_else(|| "–".into(), |p| format!("{} %", id(p))),
                ]
            })
            .collect()
    };
    let widths = [85.0, 28.0, 28.0, 29.0];
    let named = |lines: &[Line]| lines.iter().any(|l| l.name.is_some());
    if rate.per_unit.len() > 1 {
        b.table(&["Unit", "Diterbitkan", "Dijawab", "Tingkat respons"], &widths, &rows(&rate.per_unit, ""));
        return;
    }
    if named(&rate.per_service) {
        b.table(
            &["Layanan", "Diterbitkan", "Dijawab", "Tingkat respons"],
            &widths,
            &rows(&rate.per_service, "Dipilih responden"),
        );
    }
    if named(&rate.per_counter) {
        b.table(
            &["Loket", "Diterbitkan", "Dijawab", "Tingkat respons"],
            &widths,
            &rows(&rate.per_counter, "Tanpa loket"),
        );
    }
}

/// "Lampiran: kinerja per loket": the scorecard of the unit's counters and officers, with the
/// dashboard's rule: figures only from the minimum number of responses.
fn desks_appendix(b: &mut Document, index_name: &str, card: &crate::desks::Scorecard) {
    use crate::domain::desk::Score;
    b.chapter("LAMPIRAN: KINERJA PER LOKET");
    b.paragraph(&format!(
        "Nilai unsur U6 (kompetensi pelaksana), U7 (perilaku pelaksana) dan {index_name} per loket dan per petugas. \
         Angka satu loket atau petugas hanya dicantumkan bila ada sedikitnya {} responden dalam periode ini.",
        card.min_responses
    ));
    for (title, rows) in [("Loket", &card.counters), ("Petugas", &card.officers)] {
        if rows.is_empty() {
            continue;
        }
        b.heading(title);
        let lines: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let who = format!("{} {}", r.code, r.name);
                match &r.score {
                    Score::TooFew { .. } => vec![
                        who,
                        format!("kurang dari {} responden", card.min_responses),
                        String::new(),
                        String::new(),
                        String::new(),
                    ],
                    Score::Shown { responses, competence, behaviour, index } => {
                        vec![who, responses.to_string(), or_dash(*competence), or_dash(*behaviour), or_dash(*index)]
                    }
                }
            })
            .collect();
        b.table(&[title, "Responden", "U6", "U7", index_name], &[56.0, 54.0, 20.0, 20.0, 20.0], &lines);
    }
}
