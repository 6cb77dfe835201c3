//! The parts of the official report around the figures: the Kata Pengantar (foreword) and
//! BAB VI Penutup (Kesimpulan, Saran, and the closing sentence before the signature). The
//! sentences are written from the same figures the tables show.

use super::data::ReportData;
use super::document::Document;
use super::regency_pdf;
use super::sections::{id, or_dash};
use crate::domain::ranking::Adequacy;

/// The foreword: what was surveyed, under which regulation, and thanks to the respondents.
pub fn kata_pengantar(doc: &mut Document, data: &ReportData) {
    let unit = &data.unit().name;
    let period = data.period().label_id();
    let template = &data.index.template;
    let roll_up = if data.index.roll_up.is_some() { " beserta unit-unit di bawahnya" } else { "" };
    doc.front_chapter("KATA PENGANTAR");
    doc.paragraph(&format!(
        "Puji syukur kami panjatkan ke hadirat Tuhan Yang Maha Esa, karena atas rahmat-Nya Laporan Survei Kepuasan Masyarakat (SKM) pada {unit}{roll_up} periode {period} dapat diselesaikan."
    ));
    doc.paragraph(&format!(
        "Survei ini dilaksanakan berdasarkan {} tentang Pedoman Penyusunan Survei Kepuasan Masyarakat Unit Penyelenggara Pelayanan Publik, untuk mengetahui tingkat kepuasan masyarakat terhadap pelayanan yang diberikan. Hasilnya menjadi dasar perbaikan kualitas pelayanan dan wajib dipublikasikan kepada masyarakat.",
        template.legal_basis
    ));
    doc.paragraph("Kami menyampaikan terima kasih kepada masyarakat pengguna layanan yang telah bersedia menjadi responden, serta kepada semua pihak yang membantu pelaksanaan survei ini. Kritik dan saran yang membangun kami harapkan untuk penyempurnaan laporan dan pelayanan kami.");
}

/// An element's code and name, as the tables write it (`U3 Waktu Penyelesaian`).
fn element_name(data: &ReportData, code: &str) -> String {
    let name = data.index.template.element(code).map(|e| e.name.id.clone()).unwrap_or_default();
    format!("{code} {name}").trim().to_string()
}

/// What a unit can do about a weak element, by the words of its name (the PermenPANRB 14/2017
/// and KepMenPAN 25/2004 elements); other elements get the general advice.
fn improvement(name: &str) -> &'static str {
    const BY_WORD: [(&[&str], &str); 9] = [
        (&["pengaduan"], "mengelola pengaduan, saran, dan masukan melalui kanal yang jelas, dengan batas waktu tanggapan dan umpan balik kepada pelapor"),
        (&["persyaratan"], "menyederhanakan persyaratan dan mengumumkannya dengan jelas di loket, papan informasi, dan laman unit"),
        (&["prosedur", "mekanisme"], "menyederhanakan alur pelayanan dan memasang bagan alur (SOP) yang mudah dipahami di ruang pelayanan"),
        (&["waktu", "kecepatan", "jadwal"], "menetapkan dan mengumumkan standar waktu penyelesaian, serta mengurangi antrean dengan penambahan loket atau antrean daring"),
        (&["biaya", "tarif"], "mengumumkan biaya/tarif resmi secara terbuka dan memastikan tidak ada pungutan di luar ketentuan"),
        (&["produk", "spesifikasi"], "memastikan hasil pelayanan sesuai standar pelayanan melalui pemeriksaan sebelum diserahkan"),
        (&["kompetensi", "kemampuan"], "meningkatkan kompetensi petugas melalui pelatihan teknis dan pembinaan berkala"),
        (&["perilaku", "kesopanan", "keramahan"], "membina kesopanan dan keramahan petugas melalui budaya pelayanan prima"),
        (&["sarana", "prasarana", "kenyamanan", "keamanan"], "memperbaiki sarana dan prasarana pelayanan: ruang tunggu, tempat duduk, toilet, dan akses bagi penyandang disabilitas"),
    ];
    let name = name.to_lowercase();
    BY_WORD.iter().find(|(words, _)| words.iter().any(|w| name.contains(w))).map_or(
        "menelaah penyebab rendahnya nilai unsur ini bersama petugas dan menetapkan langkah perbaikannya",
        |(_, advice)| advice,
    )
}

/// The sentence on the number of respondents against the required sample (SPEC §4).
fn adequacy_sentence(data: &ReportData) -> String {
    let index = &data.index;
    let responses = index.result.responses;
    if let Some(roll_up) = &index.roll_up {
        let short = roll_up.members.iter().filter(|m| m.shortfall().is_some_and(|s| s > 0)).count();
        let pooled = match index.required_sample {
            Some(s) if responses >= s => format!("Jumlah responden gabungan ({responses}) memenuhi sampel minimal gabungan ({s})."),
            Some(s) => format!("Jumlah responden gabungan ({responses}) kurang {} dari sampel minimal gabungan ({s}).", s - responses),
            None => format!("Diperoleh {responses} responden; sampel minimal gabungan tidak dihitung karena populasi belum tercatat untuk semua unit."),
        };
        let units = if short == 0 {
            " Tidak ada unit yang populasinya tercatat dengan sampel kurang.".to_string()
        } else {
            format!(" {short} unit belum memenuhi sampel minimalnya (lihat BAB III C); hasil unit tersebut perlu dibaca dengan hati-hati.")
        };
        return pooled + &units;
    }
    match Adequacy::of(responses, index.required_sample) {
        Adequacy::Adequate => format!(
            "Jumlah responden ({responses}) memenuhi sampel minimal Krejcie–Morgan ({}), sehingga hasil survei dapat mewakili pengguna layanan.",
            index.required_sample.unwrap_or(0)
        ),
        Adequacy::Short { required, .. } => format!(
            "Jumlah responden ({responses}) kurang {} dari sampel minimal Krejcie–Morgan ({required}); hasil survei perlu dibaca dengan hati-hati dan pengumpulan data periode berikutnya perlu ditingkatkan.",
            required - responses
        ),
        Adequacy::Unknown => format!(
            "Diperoleh {responses} responden. Populasi periode ini belum dicatat, sehingga kecukupan sampel belum dapat dinilai; populasi perlu dicatat pada periode berikutnya."
        ),
    }
}

/// BAB VI: the conclusions from the figures, the advice for each lowest element, the closing
/// sentence and the signature block.
pub fn penutup(doc: &mut Document, data: &ReportData) {
    let index = &data.index;
    let result = &index.result;
    let index_name = index.template.index_name();
    let unit = &data.unit().name;
    let period = data.period().label_id();
    doc.chapter("BAB VI PENUTUP");
    doc.section("A. Kesimpulan");
    let Some(nik) = result.index else {
        doc.paragraph(&format!(
            "Pada periode {period} belum ada responden untuk {unit}, sehingga {index_name} belum dapat dihitung. Survei perlu dilaksanakan agar kepuasan masyarakat dapat diukur."
        ));
        closing(doc, unit);
        return;
    };
    let pooled = if index.roll_up.is_some() { format!(" {}", regency_pdf::POOLED) } else { String::new() };
    let grade = result.grade.as_ref().map_or_else(String::new, |g| {
        format!(" dengan mutu pelayanan {}; kinerja unit pelayanan {}", g.grade, g.label.id.to_lowercase())
    });
    let mut conclusions = vec![format!(
        "Hasil SKM pada {unit} periode {period} dari {} responden menghasilkan {index_name}{pooled} sebesar {}{grade}.",
        result.responses,
        id(nik)
    )];
    if let Some(r) = &index.roll_up {
        conclusions.push(format!("{} adalah {}.", regency_pdf::mean_label(index), or_dash(r.mean_of_units)));
    }
    let named = |code: &String| {
        let value = result.elements.iter().find(|e| &e.code == code).and_then(|e| e.index);
        format!("{} ({})", element_name(data, code), or_dash(value))
    };
    if !result.lowest.is_empty() {
        let lowest: Vec<String> = result.lowest.iter().map(named).collect();
        conclusions.push(format!("Unsur dengan nilai terendah: {}.", lowest.join("; ")));
    }
    let highest = result.elements.iter().filter(|e| e.index.is_some()).rev().max_by(|a, b| a.index.cmp(&b.index));
    if let Some(best) = highest {
        conclusions.push(format!("Unsur dengan nilai tertinggi: {}.", named(&best.code)));
    }
    conclusions.push(adequacy_sentence(data));
    if result.interval.as_ref().is_some_and(|i| i.crosses_grade_line) {
        conclusions.push(
            "Selang kepercayaan 95 % melewati batas mutu: mutu pelayanan yang sebenarnya bisa satu tingkat berbeda."
                .into(),
        );
    }
    for (i, text) in conclusions.iter().enumerate() {
        doc.paragraph(&format!("{}. {text}", i + 1));
    }

    doc.section("B. Saran");
    let mut advice: Vec<String> = result
        .lowest
        .iter()
        .map(|code| {
            let name = element_name(data, code);
            format!("Unsur {name}: {}.", improvement(&name))
        })
        .collect();
    if !data.top_words.is_empty() {
        let words: Vec<&str> = data.top_words.iter().take(5).map(|(w, _)| w.as_str()).collect();
        advice.push(format!(
            "Menelaah saran dan masukan responden; kata yang paling sering muncul: {}.",
            words.join(", ")
        ));
    }
    if data.rtl.is_empty() {
        advice.push("Menyusun rencana tindak lanjut untuk unsur-unsur terendah, lengkap dengan penanggung jawab dan batas waktunya.".into());
    } else {
        advice.push(
            "Melaksanakan dan memantau rencana tindak lanjut pada BAB V sampai selesai, dengan bukti pelaksanaannya."
                .into(),
        );
    }
    advice.push("Mempublikasikan hasil SKM ini kepada masyarakat melalui laman, media sosial, dan papan informasi di ruang pelayanan.".into());
    for (i, text) in advice.iter().enumerate() {
        doc.paragraph(&format!("{}. {text}", i + 1));
    }
    closing(doc, unit);
}

fn closing(doc: &mut Document, unit: &str) {
    doc.paragraph(&format!(
        "Demikian laporan hasil Survei Kepuasan Masyarakat ini disusun sebagai bahan evaluasi dan perbaikan kualitas pelayanan publik pada {unit}."
    ));
    doc.signature();
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_regulation_element_has_its_own_advice() {
        let names = [
            "Persyaratan",
            "Sistem, Mekanisme, dan Prosedur",
            "Waktu Penyelesaian",
            "Biaya/Tarif",
            "Produk Spesifikasi Jenis Pelayanan",
            "Kompetensi Pelaksana",
            "Perilaku Pelaksana",
            "Sarana dan prasarana",
            "Penanganan Pengaduan, Saran dan Masukan",
        ];
        let advice: std::collections::BTreeSet<&str> = names.iter().map(|n| super::improvement(n)).collect();
        assert_eq!(advice.len(), names.len(), "{advice:#?}");
        assert!(super::improvement("Keadilan").starts_with("menelaah"), "the general advice");
    }
}
