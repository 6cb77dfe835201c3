//! `skm demo`: a realistic regency so a newcomer sees full dashboards at once: a dozen units
//! with services and populations, a user for each role, and a year of varied responses; then
//! (`showcase`) follow-up actions in every status and published results with their media log.
//! Deterministic (a fixed-seed generator), so screenshots and tests are repeatable.

use crate::catalog::TemplateRegistry;
use crate::db::progress::Meter;
use crate::db::responses::{self, NewResponse};
use crate::db::units::{self, NewUnit};
use crate::db::{images, publications, rtl, users, DbConnection, DbError};
use crate::domain::names::{Channel, Medium, Role, RtlStatus, Slug, UnitKind};
use crate::domain::period::{local_date, Period};
use crate::domain::proof::ProofImage;
use crate::password;
use chrono::{Duration, NaiveDate};
use diesel::Connection;

/// xorshift64*: enough randomness for synthetic answers, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// (slug, name, kind, parent slug, services, quality 1–4, yearly population)
type DemoUnit =
    (&'static str, &'static str, &'static str, Option<&'static str>, &'static [(&'static str, &'static str)], f64, u32);

const UNITS: [DemoUnit; 12] = [
    ("kutim", "Pemerintah Kabupaten Kutai Timur", "regency", None, &[], 3.2, 0),
    (
        "disdukcapil",
        "Dinas Kependudukan dan Pencatatan Sipil",
        "opd",
        Some("kutim"),
        &[("ktp-el", "KTP elektronik"), ("kk", "Kartu Keluarga"), ("akta-lahir", "Akta kelahiran")],
        3.55,
        24000,
    ),
    (
        "dinkes",
        "Dinas Kesehatan",
        "opd",
        Some("kutim"),
        &[("izin-praktik", "Izin praktik tenaga kesehatan")],
        3.1,
        1500,
    ),
    (
        "puskesmas-sangatta",
        "Puskesmas Sangatta Utara",
        "sub_unit",
        Some("dinkes"),
        &[("rawat-jalan", "Rawat jalan"), ("imunisasi", "Imunisasi")],
        3.25,
        18000,
    ),
    (
        "puskesmas-bengalon",
        "Puskesmas Bengalon",
        "sub_unit",
        Some("dinkes"),
        &[("rawat-jalan", "Rawat jalan"), ("kia", "Kesehatan ibu dan anak")],
        2.85,
        9000,
    ),
    (
        "dpmptsp",
        "Dinas Penanaman Modal dan PTSP",
        "opd",
        Some("kutim"),
        &[("nib", "Nomor Induk Berusaha"), ("pbg", "Persetujuan Bangunan Gedung")],
        3.4,
        6000,
    ),
    ("dishub", "Dinas Perhubungan", "opd", Some("kutim"), &[("uji-kir", "Uji KIR kendaraan")], 2.75, 4000),
    (
        "dinsos",
        "Dinas Sosial",
        "opd",
        Some("kutim"),
        &[("dtks", "Data Terpadu Kesejahteraan Sosial"), ("bansos", "Bantuan sosial")],
        3.0,
        7000,
    ),
    (
        "bapenda",
        "Badan Pendapatan Daerah",
        "opd",
        Some("kutim"),
        &[("pbb", "Pajak Bumi dan Bangunan"), ("bphtb", "BPHTB")],
        3.3,
        8000,
    ),
    (
        "rsud-kudungga",
        "RSUD Kudungga",
        "opd",
        Some("kutim"),
        &[("rawat-jalan", "Rawat jalan"), ("igd", "Instalasi Gawat Darurat")],
        2.95,
        30000,
    ),
    (
        "kecamatan-sangatta-utara",
        "Kecamatan Sangatta Utara",
        "opd",
        Some("kutim"),
        &[("surat-pengantar", "Surat pengantar"), ("legalisasi", "Legalisasi dokumen")],
        3.45,
        5000,
    ),
    (
        "kecamatan-bengalon",
        "Kecamatan Bengalon",
        "opd",
        Some("kutim"),
        &[("surat-pengantar", "Surat pengantar")],
        3.15,
        3000,
    ),
];

/// The regency's Mal Pelayanan Publik (issue 19 point 6) and its agencies' desks in the hall,
/// as `UNITS`; created after them, and their responses generated after the others', so the rest
/// of the demo stays as it was.
const HALL: [DemoUnit; 5] = [
    ("mpp-kutim", "Mal Pelayanan Publik Kutai Timur", "mpp", Some("kutim"), &[], 3.3, 0),
    (
        "mpp-disdukcapil",
        "Disdukcapil — gerai MPP",
        "sub_unit",
        Some("mpp-kutim"),
        &[
            ("ktp-el", "KTP elektronik"),
            ("kk", "Kartu Keluarga"),
            ("kia", "Kartu Identitas Anak"),
            ("pindah", "Surat pindah"),
        ],
        3.6,
        9000,
    ),
    (
        "mpp-dpmptsp",
        "DPMPTSP — gerai perizinan MPP",
        "sub_unit",
        Some("mpp-kutim"),
        &[("nib", "Nomor Induk Berusaha"), ("pbg", "Persetujuan Bangunan Gedung"), ("sip", "Surat izin praktik")],
        3.45,
        4000,
    ),
    (
        "mpp-samsat",
        "Samsat Sangatta (Bapenda Kaltim) — gerai MPP",
        "sub_unit",
        Some("mpp-kutim"),
        &[("pkb", "Pajak kendaraan bermotor tahunan"), ("stnk", "Pengesahan STNK lima tahunan")],
        3.15,
        6000,
    ),
    (
        "mpp-bpjs-kesehatan",
        "BPJS Kesehatan — gerai MPP",
        "sub_unit",
        Some("mpp-kutim"),
        &[("daftar", "Pendaftaran peserta"), ("ubah-data", "Perubahan data peserta")],
        3.35,
        5000,
    ),
];

/// The demo's units, the hall and its agencies included.
pub const UNIT_COUNT: usize = UNITS.len() + HALL.len();
/// The hall's slug: its QR opens the chooser.
pub const HALL_SLUG: &str = HALL[0].0;

/// The share of the demo's responses that go to the hall's agencies (on top of the others').
const HALL_SHARE: u64 = 8;

const SARAN: [&str; 24] = [
    "Antrean terlalu lama, mohon ditambah loket.",
    "Petugas ramah dan membantu, terima kasih.",
    "Ruang tunggu panas, perlu kipas angin atau AC.",
    "Informasi persyaratan sebaiknya ditempel di depan kantor.",
    "Pelayanan cepat, pertahankan.",
    "Mohon sediakan layanan online agar tidak perlu datang.",
    "Parkir sempit dan tidak teratur.",
    "Jam pelayanan sering molor dari jadwal.",
    "Toilet kurang bersih.",
    "Sudah bagus, semoga makin baik.",
    "Perlu kursi tambahan di ruang tunggu.",
    "Nomor antrean elektronik sering rusak.",
    "Biaya tidak jelas, mohon dipasang daftar tarif.",
    "Petugas menjelaskan dengan sabar.",
    "Website sering tidak bisa dibuka.",
    "Kotak pengaduan tidak pernah dibuka.",
    "Proses cepat, hanya setengah jam.",
    "Mohon petugas tidak bermain HP saat melayani.",
    "Sediakan air minum untuk warga yang menunggu.",
    "Pelayanan hari Sabtu akan sangat membantu.",
    "Formulir terlalu banyak, mohon disederhanakan.",
    "Akses untuk penyandang disabilitas perlu diperbaiki.",
    "Terima kasih, sangat puas.",
    "Informasi lewat WhatsApp akan memudahkan.",
];

pub struct DemoAccount {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub unit: Option<String>,
}

pub enum DemoOutcome {
    Created { accounts: Vec<DemoAccount>, responses: usize },
    AlreadyPresent,
}

/// Element offsets: waiting time (U3) and facilities (U8) lag, cost (U4) leads, as in real reports.
fn element_bias(code: &str) -> f64 {
    match code {
        "U3" => -0.35,
        "U8" => -0.25,
        "U9" => -0.15,
        "U4" => 0.35,
        "U7" => 0.1,
        _ => 0.0,
    }
}

/// The demo's Zona Integritas unit: SPKP and SPAK asked after its SKM questions.
pub const ZI_UNIT: &str = "dpmptsp";
const ZI_INSTRUMENTS: [&str; 2] = ["spkp-zi", "spak-zi"];

/// One citizen's SPKP and SPAK answers (1–6), following the unit's SKM quality (1–4) with a
/// spread of their own; anti-corruption statements lean a little higher, as they do in practice.
fn zi_answers(
    rng: &mut Rng,
    instruments: &[(i32, std::sync::Arc<crate::domain::template::Template>)],
    quality: f64,
) -> Vec<crate::db::instruments::InstrumentAnswers> {
    instruments
        .iter()
        .map(|(version_id, t)| {
            let lean = if t.id == "spak-zi" { 0.3 } else { 0.0 };
            let mean = 1.0 + (quality - 1.0) * f64::from(t.scale_max - 1) / 3.0 + lean;
            let answers = t
                .elements
                .iter()
                .map(|e| {
                    let noise = (rng.unit() + rng.unit() + rng.unit() - 1.5) * 1.6;
                    let score = (mean + noise).round().clamp(f64::from(t.scale_min), f64::from(t.scale_max));
                    (e.code.clone(), score as i32)
                })
                .collect();
            crate::db::instruments::InstrumentAnswers { template_version_id: *version_id, answers }
        })
        .collect()
}

fn score(rng: &mut Rng, quality: f64, code: &str) -> i32 {
    let noise = (rng.unit() + rng.unit() + rng.unit() - 1.5) * 1.1;
    (quality + element_bias(code) + noise).round().clamp(1.0, 4.0) as i32
}

/// From the operating system's randomness, not the demo's fixed seed: a demo's admin password
/// must not be computable from the source.
fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    uuid::Uuid::new_v4().as_bytes()[..14].iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

/// Creates the demo regency unless it is there already. `responses` responses spread over the
/// 12 months up to `today`; `meter` counts them. All in one transaction: a demo stopped half-way
/// leaves nothing, so the next `skm demo` does not find a regency without its responses.
pub fn create(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    today: NaiveDate,
    responses_wanted: usize,
    seed: u64,
    meter: &mut dyn Meter,
) -> Result<DemoOutcome, DbError> {
    conn.transaction(|conn| {
        if units::by_slug(conn, "kutim").is_ok() {
            return Ok(DemoOutcome::AlreadyPresent);
        }
        fill(conn, registry, today, responses_wanted, seed, meter)
    })
}

fn fill(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    today: NaiveDate,
    responses_wanted: usize,
    seed: u64,
    meter: &mut dyn Meter,
) -> Result<DemoOutcome, DbError> {
    let (version_id, template) = registry.default_template();
    let mut rng = Rng::new(seed);
    // the Zona Integritas unit's SPKP and SPAK answers draw from their own stream, so the rest of
    // the demo stays what the seed made it before
    let mut zi_rng = Rng::new(seed ^ 0x5a49);
    let zi: Vec<(i32, std::sync::Arc<crate::domain::template::Template>)> =
        ZI_INSTRUMENTS.iter().filter_map(|id| registry.current(id)).collect();
    let mut created = Vec::new();
    let mut hall_agencies = 0;
    for (slug, name, kind, parent, services, quality, population) in UNITS.into_iter().chain(HALL) {
        let parent_id = match parent {
            Some(p) => Some(units::by_slug(conn, p)?.id),
            None => None,
        };
        let slug = Slug::parse(slug).map_err(|e| DbError::Conflict(e.to_string()))?;
        let kind: UnitKind =
            kind.parse().map_err(|e: crate::domain::names::NameError| DbError::Conflict(e.to_string()))?;
        let emails = vec![format!("kepala.{slug}@demo.kutaitimurkab.go.id")];
        let unit = units::create(
            conn,
            &NewUnit { slug: &slug, name, kind, parent_id, contact_emails: &emails, template_id: None },
        )?;
        let mut service_ids = Vec::new();
        for (s, n) in services {
            service_ids.push(
                units::add_service(conn, unit.id, &Slug::parse(s).map_err(|e| DbError::Conflict(e.to_string()))?, n)?
                    .id,
            );
        }
        if population > 0 {
            let year = Period::Year { year: chrono::Datelike::year(&today) };
            units::set_population(conn, unit.id, &year.to_string(), i64::from(population))?;
            units::set_population(conn, unit.id, &year.previous().to_string(), i64::from(population * 9 / 10))?;
        }
        if unit.slug == ZI_UNIT {
            for (_, instrument) in &zi {
                crate::db::instruments::attach(conn, unit.id, &instrument.id)?;
            }
        }
        if !service_ids.is_empty() {
            hall_agencies += usize::from(HALL.iter().any(|h| h.0 == unit.slug));
            created.push((unit, service_ids, quality));
        }
    }
    let hall = units::by_slug(conn, HALL_SLUG)?;

    let mut accounts = Vec::new();
    let mut account = |conn: &mut DbConnection,
                       email: String,
                       name: &str,
                       role: Role,
                       unit: Option<(i32, String)>|
     -> Result<i32, DbError> {
        let secret = random_password();
        let hash = password::hash(&secret).map_err(|e| DbError::Conflict(e.to_string()))?;
        let unit_ids: Vec<i32> = unit.iter().map(|(id, _)| *id).collect();
        let user = users::create(
            conn,
            &users::NewUser { email: &email, name, password_hash: &hash, role, unit_ids: &unit_ids },
        )?;
        accounts.push(DemoAccount { email, password: secret, role, unit: unit.map(|(_, s)| s) });
        Ok(user.id)
    };
    // PostgreSQL's ids after a demo that was stopped and rolled back do not start at 1
    let admin = account(conn, "admin@demo.kutaitimurkab.go.id".into(), "Bagian Organisasi", Role::Admin, None)?;
    let dinkes = units::by_slug(conn, "dinkes")?;
    account(
        conn,
        "kepala.dinkes@demo.kutaitimurkab.go.id".into(),
        "Kepala Dinas Kesehatan",
        Role::UnitHead,
        Some((dinkes.id, dinkes.slug.clone())),
    )?;
    let capil = units::by_slug(conn, "disdukcapil")?;
    account(
        conn,
        "kepala.disdukcapil@demo.kutaitimurkab.go.id".into(),
        "Kepala Disdukcapil",
        Role::UnitHead,
        Some((capil.id, capil.slug.clone())),
    )?;
    account(
        conn,
        "operator.disdukcapil@demo.kutaitimurkab.go.id".into(),
        "Operator Disdukcapil",
        Role::Operator,
        Some((capil.id, capil.slug.clone())),
    )?;

    let genders = ["L", "P"];
    let education = ["SD", "SMP", "SMA", "SMA", "SMA", "D1-D3", "D4-S1", "D4-S1", "S2"];
    let occupation = ["PNS", "SWASTA", "SWASTA", "WIRAUSAHA", "WIRAUSAHA", "PELAJAR", "LAINNYA", "TNI", "POLRI"];
    let channels = [Channel::Web, Channel::Web, Channel::Web, Channel::Kiosk, Channel::Paper];
    // busier units get more responses
    let weights: Vec<u64> = created
        .iter()
        .map(|(u, _, _)| u64::from(UNITS.iter().chain(&HALL).find(|x| x.0 == u.slug).map_or(1000, |x| x.6)).max(1000))
        .collect();
    // the hall's agencies share `1 / HALL_SHARE` of the responses more, weighted among themselves
    let split = created.len() - hall_agencies;
    let (total_weight, hall_weight): (u64, u64) = (weights[..split].iter().sum(), weights[split..].iter().sum());
    let counts: Vec<u64> = weights
        .iter()
        .enumerate()
        .map(|(i, weight)| match i < split {
            true => responses_wanted as u64 * weight / total_weight,
            false => responses_wanted as u64 / HALL_SHARE * weight / hall_weight.max(1),
        })
        .collect();
    meter.start(Some(counts.iter().sum()));
    let mut written = 0;
    let generated_at = chrono::Utc::now().naive_utc();
    for ((unit, service_ids, quality), count) in created.iter().zip(&counts) {
        for _ in 0..*count {
            meter.advance(1)?;
            let days_ago = rng.below(365) as i64;
            let date = today - Duration::days(days_ago);
            // quality drifts up over the year, so trends have a shape
            let drift = (365 - days_ago) as f64 / 365.0 * 0.2;
            let mut answers = Vec::with_capacity(template.elements.len());
            for element in &template.elements {
                // about one answer in a hundred is left blank, as on paper
                if rng.unit() > 0.01 {
                    answers.push((element.code.clone(), score(&mut rng, quality + drift, &element.code)));
                }
            }
            if answers.is_empty() {
                continue;
            }
            // office hours (09.00–17.00 WITA), but never later than now: today's responses
            // must not arrive from the future
            let submitted_at = (date.and_hms_opt(0, 0, 0).unwrap_or_default()
                + Duration::minutes(60 + rng.below(8 * 60) as i64))
            .min(generated_at);
            let response = NewResponse {
                id: uuid::Uuid::now_v7(),
                unit_id: unit.id,
                service_id: Some(*rng.pick(service_ids)),
                template_version_id: version_id,
                channel: *rng.pick(&channels),
                submitted_at,
                survey_date: date,
                gender: (rng.unit() > 0.05).then(|| rng.pick(&genders).to_string()),
                age: (rng.unit() > 0.08).then(|| 17 + rng.below(55) as i32),
                education: (rng.unit() > 0.1).then(|| rng.pick(&education).to_string()),
                occupation: (rng.unit() > 0.1).then(|| rng.pick(&occupation).to_string()),
                profile_extra: None,
                saran: (rng.unit() < 0.3).then(|| rng.pick(&SARAN).to_string()),
                client_hash: None,
                answers,
            };
            let instruments =
                if unit.slug == ZI_UNIT { zi_answers(&mut zi_rng, &zi, *quality + drift) } else { Vec::new() };
            responses::insert_combined(conn, &response, &instruments)?;
            written += 1;
        }
    }
    desks(conn, capil.id)?;
    field_interviews(conn, capil.id, today, generated_at)?;
    invitations(conn, &mut rng, capil.id, today, generated_at)?;
    through_hall(conn, &hall)?;
    let month = Period::month_of(today).previous();
    for (code, action, owner, days) in [
        ("U3", "Menambah satu loket dan nomor antrean elektronik", "Sekretaris Dinas", -10),
        ("U8", "Memasang kipas angin dan menambah kursi ruang tunggu", "Kasubag Umum", 30),
    ] {
        rtl::create(
            conn,
            &rtl::NewRtl {
                unit_id: capil.id,
                period: &month.to_string(),
                element_code: code,
                action,
                owner,
                due_date: today + Duration::days(days),
                created_by: admin,
            },
        )?;
    }
    Ok(DemoOutcome::Created { accounts, responses: written })
}

/// An enumerator's phone at Disdukcapil (issue 20) whose interviews are the unit's last two
/// months of questionnaires taken outside the office: so the dashboard's channels and its table
/// per enumerator have something to show. The demo's device has no key (it cannot upload).
fn field_interviews(
    conn: &mut DbConnection,
    unit_id: i32,
    today: NaiveDate,
    now: chrono::NaiveDateTime,
) -> Result<(), DbError> {
    use crate::db::devices::{self, NewDevice};
    let public_id = uuid::Uuid::new_v4().to_string();
    let placeholder = uuid::Uuid::new_v4().simple().to_string();
    let row = NewDevice {
        public_id: &public_id,
        kind: crate::domain::device::Kind::Enumerator.as_str(),
        label: "HP survei lapangan 1",
        person: Some("Siti Rahmah"),
        counter_id: None,
        enrol_code_hash: &placeholder,
        enrol_expires_at: now,
        created_by: None,
        created_at: now - Duration::days(70),
    };
    let device = devices::insert(conn, &row, &[unit_id])?;
    devices::complete_enrolment(conn, device.id, &placeholder, "", &placeholder, now - Duration::days(70))?;
    devices::record_sync(conn, device.id, now - Duration::hours(3), Some(0))?;
    devices::attribute_paper_for_demo(conn, device.id, unit_id, today - Duration::days(60))
}

/// Disdukcapil's counters, each with its officer, and its QR and kiosk responses spread over
/// them (by the last digit of the response's id: about a fifth stay without a counter), so the
/// unit head's scorecard has something to show.
fn desks(conn: &mut DbConnection, unit_id: i32) -> Result<(), DbError> {
    use crate::db::counters::{self, Roster};
    use crate::db::schema::responses as table;
    use diesel::prelude::*;
    let desks = [
        ("loket-1", "Loket 1 Pendaftaran", "p-01", "Rina Marlina", "01234"),
        ("loket-2", "Loket 2 Perekaman KTP-el", "p-02", "Budi Santoso", "56789"),
        ("loket-3", "Loket 3 Pengambilan Dokumen", "p-03", "Yohana Palinggi", "abc"),
    ];
    for (counter, counter_name, officer, officer_name, digits) in desks {
        let counter = counters::add(conn, Roster::Counters, unit_id, counter, counter_name)?;
        let officer = counters::add(conn, Roster::Officers, unit_id, officer, officer_name)?;
        for digit in digits.chars() {
            diesel::update(
                table::table
                    .filter(table::unit_id.eq(unit_id))
                    .filter(table::channel.ne(Channel::Paper.as_str()))
                    .filter(table::id.like(format!("%{digit}"))),
            )
            .set((table::counter_id.eq(counter.id), table::officer_id.eq(officer.id)))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// Invitations a demo unit issued per day on average, and the share answered (per mille).
const INVITATIONS_PER_DAY: u64 = 1;
const ANSWERED_PER_MILLE: u64 = 550;
/// the demo's invitations stay open as long as the default setting says
const DEMO_EXPIRY_DAYS: u32 = 14;

/// Disdukcapil's survey invitations over the year (issue 19): about one a day, printed on the
/// receipt of a web or kiosk respondent's transaction; a bit over half answered (each spent by
/// one of the unit's stored responses, with its service and counter, a few minutes to two days
/// after it was issued), the rest unanswered: expired, or, the last fortnight's, still open. So
/// the dashboard and the report have a response rate to show.
fn invitations(
    conn: &mut DbConnection,
    rng: &mut Rng,
    unit_id: i32,
    today: NaiveDate,
    generated_at: chrono::NaiveDateTime,
) -> Result<(), DbError> {
    use crate::db::invitations::{self as stored, NewRow};
    use crate::db::schema::responses as table;
    use crate::domain::invitation::{self as code, Code};
    use diesel::prelude::*;
    type Row = (String, Option<i32>, Option<i32>, Option<i32>, chrono::NaiveDateTime);
    let answering: Vec<Row> = table::table
        .filter(table::unit_id.eq(unit_id))
        .filter(table::channel.ne(Channel::Paper.as_str()))
        .select((table::id, table::service_id, table::counter_id, table::officer_id, table::submitted_at))
        .order(table::id)
        .load(conn)?;
    let services: Vec<Option<i32>> = units::services_of(conn, unit_id)?.into_iter().map(|s| Some(s.id)).collect();
    let counters: Vec<Option<i32>> = crate::db::counters::list(conn, crate::db::counters::Roster::Counters, unit_id)?
        .into_iter()
        .map(|c| Some(c.id))
        .collect();
    if answering.is_empty() || services.is_empty() {
        return Ok(());
    }
    let total = 365 * INVITATIONS_PER_DAY;
    let mut used = std::collections::HashSet::new();
    for _ in 0..total {
        let answered = rng.below(1000) < ANSWERED_PER_MILLE;
        let (created_at, service_id, counter_id, officer_id, spent) = if answered {
            // a response not yet spent by another invitation
            let mut pick = rng.below(answering.len() as u64) as usize;
            while used.contains(&pick) {
                pick = (pick + 1) % answering.len();
            }
            used.insert(pick);
            let (id, service, counter, officer, at) = &answering[pick];
            let before = Duration::minutes(5 + rng.below(2 * 24 * 60) as i64);
            (*at - before, *service, *counter, *officer, Some((id.clone(), *at)))
        } else {
            let date = today - Duration::days(rng.below(365) as i64);
            let at = (date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(60 + rng.below(8 * 60) as i64))
                .min(generated_at);
            let counter = if rng.below(5) == 0 { None } else { *rng.pick(&counters) };
            (at, *rng.pick(&services), counter, None, None)
        };
        let created_at = chrono::Timelike::with_nanosecond(&created_at, 0).unwrap_or(created_at);
        let invitation = loop {
            let random: Vec<u8> = (0..code::RANDOM_BYTES * 2).map(|_| rng.below(256) as u8).collect();
            let Some(drawn) = Code::generate(&random) else { continue };
            let row = NewRow {
                unit_id,
                code: drawn.as_str(),
                ref_hash: None,
                service_id,
                counter_id,
                officer_id,
                created_at,
                expires_at: code::expires_at(created_at, DEMO_EXPIRY_DAYS),
            };
            match conn.transaction(|conn| stored::insert(conn, &row)) {
                Err(DbError::Conflict(_)) => continue,
                other => break other?,
            }
        };
        if let Some((response_id, at)) = spent {
            stored::spend(conn, invitation.id, &response_id, at)?;
        }
        if used.len() >= answering.len() {
            break;
        }
    }
    Ok(())
}

/// Most of the hall's agencies' QR and kiosk responses came through the hall's chooser (by the
/// last digit of the response's id: a quarter came by each desk's own QR).
fn through_hall(conn: &mut DbConnection, hall: &crate::db::units::Unit) -> Result<(), DbError> {
    use crate::db::schema::{responses as table, units as unit_table};
    use diesel::prelude::*;
    let agencies: Vec<i32> =
        unit_table::table.filter(unit_table::parent_id.eq(hall.id)).select(unit_table::id).load(conn)?;
    for digit in "0123456789ab".chars() {
        diesel::update(
            table::table
                .filter(table::unit_id.eq_any(&agencies))
                .filter(table::channel.ne(Channel::Paper.as_str()))
                .filter(table::id.like(format!("%{digit}"))),
        )
        .set(table::via_unit_id.eq(hall.id))
        .execute(conn)?;
    }
    Ok(())
}

/// What `showcase` recorded, for the command's report.
pub struct Showcase {
    pub actions: usize,
    pub publications: usize,
    pub media: usize,
}

/// The PEKPPP evidence of the demo regency (SPEC §6a), so a newcomer sees it at once: follow-up
/// actions in every status (planned, in progress, done with evidence — a note and a link, or a
/// photo —, dropped with its reason, and late ones), each with its history, and two published
/// results with their publication-media log (links, and a generated photo of the board at the
/// counter). `skm demo` and `serve --demo` add it after `create`; tests that need a demo without
/// publications call `create` alone.
pub fn showcase(conn: &mut DbConnection, today: NaiveDate) -> Result<Showcase, DbError> {
    conn.transaction(|conn| {
        let unit = |conn: &mut DbConnection, slug: &str| units::by_slug(conn, slug);
        let (kutim, capil) = (unit(conn, "kutim")?, unit(conn, "disdukcapil")?);
        let admin = users::by_email(conn, "admin@demo.kutaitimurkab.go.id")?.id;
        let head = users::by_email(conn, "kepala.disdukcapil@demo.kutaitimurkab.go.id")?.id;
        let month = Period::month_of(today).previous();
        let photo = ProofImage::parse(counter_board_png()).map_err(|e| DbError::Conflict(e.to_string()))?;
        let photo = photo.ok_or_else(|| DbError::Conflict("the demo photo is empty".into()))?;

        // Disdukcapil's actions: the two of `create` move on (the late one is in progress, still
        // late), and three more, done and dropped.
        let change = |status, note: Option<&'static str>, url: Option<&'static str>, image_id| rtl::Change {
            status,
            by: Some(head),
            note,
            url,
            image_id,
        };
        let existing = rtl::for_unit(conn, capil.id)?;
        if let Some(late) = existing.iter().find(|a| a.element_code == "U3") {
            let note = Some("Loket 4 disiapkan; mesin antrean elektronik masih menunggu pengadaan.");
            rtl::set_status(conn, late.id, &[capil.id], &change(RtlStatus::InProgress, note, None, None))?;
        }
        let action = |conn: &mut DbConnection, unit_id: i32, code: &str, text: &str, owner: &str, days: i64| {
            rtl::create(
                conn,
                &rtl::NewRtl {
                    unit_id,
                    period: &month.to_string(),
                    element_code: code,
                    action: text,
                    owner,
                    due_date: today + Duration::days(days),
                    created_by: head,
                },
            )
        };
        let flow =
            action(conn, capil.id, "U2", "Memasang bagan alur pelayanan di ruang tunggu", "Kasi Pelayanan", -20)?;
        rtl::set_status(conn, flow, &[capil.id], &change(RtlStatus::InProgress, None, None, None))?;
        let note = Some("Bagan alur KTP-el, KK dan akta dipasang di ruang tunggu dan di situs web.");
        let url = Some("https://disdukcapil.kutaitimurkab.go.id/alur-pelayanan");
        rtl::set_status(conn, flow, &[capil.id], &change(RtlStatus::Done, note, url, None))?;
        let board =
            action(conn, capil.id, "U8", "Memasang papan informasi persyaratan di setiap loket", "Kasubag Umum", -5)?;
        let image_id = images::insert(conn, &photo, Some(head))?;
        let note = Some("Papan terpasang di loket 1–3 (foto).");
        rtl::set_status(conn, board, &[capil.id], &change(RtlStatus::Done, note, None, Some(image_id)))?;
        let online = action(conn, capil.id, "U3", "Menyediakan antrean daring lewat WhatsApp", "Kasi Pelayanan", 10)?;
        let reason =
            Some("Digantikan aplikasi antrean daring kabupaten yang berlaku untuk semua OPD mulai bulan depan.");
        rtl::set_status(conn, online, &[capil.id], &change(RtlStatus::Dropped, reason, None, None))?;
        // other units, so the regency's columns differ: one late, one under way, one done
        let (pkm, dishub, dinkes) = (unit(conn, "puskesmas-sangatta")?, unit(conn, "dishub")?, unit(conn, "dinkes")?);
        action(conn, pkm.id, "U9", "Membuka kanal pengaduan WhatsApp dan SP4N-LAPOR!", "Kepala Puskesmas", -3)?;
        let kir = action(conn, dishub.id, "U3", "Menambah loket uji KIR pada jam sibuk", "Kabid Sarana", 20)?;
        rtl::set_status(conn, kir, &[dishub.id], &change(RtlStatus::InProgress, None, None, None))?;
        let list =
            action(conn, dinkes.id, "U1", "Memasang daftar persyaratan izin praktik di situs web", "Sekretaris", -8)?;
        let url = Some("https://dinkes.kutaitimurkab.go.id/persyaratan-izin-praktik");
        rtl::set_status(conn, list, &[dinkes.id], &change(RtlStatus::Done, None, url, None))?;

        // Publications: the regency's last complete quarter (its roll-up) and Disdukcapil's month
        // before last, each with where it was published.
        let quarter = last_complete_quarter(today);
        let capil_month = month.previous();
        publications::publish(conn, kutim.id, &quarter.to_string(), true, Some(admin))?;
        publications::publish(conn, capil.id, &capil_month.to_string(), false, Some(admin))?;
        // published some days after the period ended, never after today
        let after = |period: Period, days: i64| (period.end_exclusive() + Duration::days(days)).min(today);
        let board_photo = images::insert(conn, &photo, Some(admin))?;
        let mut media = 0;
        let mut record = |conn: &mut DbConnection,
                          (unit_id, period): (i32, Period),
                          medium: Medium,
                          days: i64,
                          (url, image_id): (Option<&str>, Option<i32>),
                          note: Option<&str>| {
            media += 1;
            publications::add_medium(
                conn,
                &publications::NewMedium {
                    unit_id,
                    period: &period.to_string(),
                    medium,
                    published_on: after(period, days),
                    url,
                    image_id,
                    note,
                    created_by: Some(admin),
                },
            )
        };
        let (regency, office) = ((kutim.id, quarter), (capil.id, capil_month));
        let link = |url| (Some(url), None);
        record(
            conn,
            regency,
            Medium::Website,
            4,
            link("https://kutaitimurkab.go.id/berita/hasil-skm-kabupaten"),
            None,
        )?;
        let post = link("https://www.instagram.com/p/skm-kutim-demo/");
        record(conn, regency, Medium::SocialMedia, 5, post, Some("Instagram @pemkabkutim"))?;
        record(conn, regency, Medium::Sippn, 6, link("https://sippn.menpan.go.id/berita/skm-kutai-timur"), None)?;
        let board = (None, Some(board_photo));
        record(conn, regency, Medium::CounterBoard, 7, board, Some("Papan di Mal Pelayanan Publik"))?;
        record(conn, office, Medium::Website, 3, link("https://disdukcapil.kutaitimurkab.go.id/skm"), None)?;
        let post = link("https://www.facebook.com/disdukcapilkutim/posts/skm-demo");
        record(conn, office, Medium::SocialMedia, 3, post, None)?;
        Ok(Showcase { actions: rtl::all(conn)?.len(), publications: 2, media })
    })
}

/// The quarter before the one `today` is in.
fn last_complete_quarter(today: NaiveDate) -> Period {
    let (year, month) = (chrono::Datelike::year(&today), chrono::Datelike::month(&today));
    match (month - 1) / 3 {
        0 => Period::Quarter { year: year - 1, quarter: 4 },
        q => Period::Quarter { year, quarter: q },
    }
}

/// A small photo-like picture of the results board at a counter (240 × 160 pixels): a white
/// board with a blue title band, lines of text and nine bars. Drawn here, so the demo needs no
/// image file.
pub fn counter_board_png() -> Vec<u8> {
    let (w, h) = (240usize, 160usize);
    let mut pixels = vec![0u8; w * h * 3];
    let mut fill = |x0: usize, y0: usize, x1: usize, y1: usize, rgb: [u8; 3]| {
        for y in y0..y1.min(h) {
            for x in x0..x1.min(w) {
                pixels[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&rgb);
            }
        }
    };
    fill(0, 0, w, h, [176, 160, 138]); // the wall
    fill(14, 10, 226, 150, [92, 64, 40]); // the frame
    fill(18, 14, 222, 146, [250, 250, 246]); // the board
    fill(18, 14, 222, 36, [11, 79, 138]); // the title band
    for line in 0..3 {
        fill(30, 44 + line * 9, 30 + [150, 120, 170][line], 48 + line * 9, [90, 90, 90]);
    }
    for (i, height) in [52usize, 47, 38, 58, 49, 53, 55, 42, 45].into_iter().enumerate() {
        let x = 34 + i * 20;
        let colour = if height < 45 { [176, 0, 32] } else { [60, 60, 60] };
        fill(x, 138 - height, x + 12, 138, colour);
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w as u32, h as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // writing to a Vec cannot fail; an empty picture is refused by `showcase`
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(&pixels);
    }
    out
}

/// Today in the deployment's time zone.
pub fn today(tz: chrono_tz::Tz) -> NaiveDate {
    local_date(chrono::Utc::now(), tz)
}
