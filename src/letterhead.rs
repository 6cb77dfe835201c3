//! A unit's kop surat (letterhead: logo, agency, address, phone, website) and the head who signs
//! its reports (place, position, name, NIP): set by `skm unit letterhead` and the `/admin` form
//! "Kop surat dan penandatangan" through [`set`], which checks the input and writes the audit
//! record; read for a report by [`for_report`], which fills what a unit has not set from the
//! units above it. Blocking (the database).

use crate::db::letterheads::{self as stored, Letterhead};
use crate::db::units::{self, Unit};
use crate::db::{audit, DbConnection, DbError};
use crate::domain::letterhead::{is_website, Nip};
use crate::images::{Bitmap, ImageError};
use diesel::Connection;
use thiserror::Error;

/// What to do with the stored logo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LogoChange {
    #[default]
    Keep,
    Remove,
    /// a new file (PNG or JPEG, checked by its content)
    Set(Vec<u8>),
}

/// A unit's letterhead and signer as typed. A field left `None` keeps what is stored (a flag
/// not given); `Some("")` clears it (the form sends every field).
#[derive(Debug, Clone, Default)]
pub struct LetterheadInput {
    /// the unit's slug
    pub unit: String,
    pub agency: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub logo: LogoChange,
    pub place: Option<String>,
    pub position: Option<String>,
    pub head_name: Option<String>,
    pub nip: Option<String>,
}

/// Why a letterhead was refused; `field()` names the form field and command-line flag.
#[derive(Debug, Error)]
pub enum LetterheadError {
    #[error("no unit with slug '{0}'")]
    UnitUnknown(String),
    #[error("at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("one line of text, without control characters")]
    NotOneLine { field: &'static str },
    #[error("a NIP is 18 digits")]
    Nip,
    #[error("a web address such as kutaitimurkab.go.id")]
    Website,
    #[error("digits, spaces and + ( ) - . / only")]
    Phone,
    #[error("{0}")]
    Logo(ImageError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl LetterheadError {
    pub fn field(&self) -> Option<&'static str> {
        Some(match self {
            LetterheadError::UnitUnknown(_) => "unit",
            LetterheadError::TooLong { field, .. } | LetterheadError::NotOneLine { field } => field,
            LetterheadError::Nip => "nip",
            LetterheadError::Website => "website",
            LetterheadError::Phone => "phone",
            LetterheadError::Logo(_) => "logo",
            LetterheadError::Db(_) => return None,
        })
    }
}

impl From<diesel::result::Error> for LetterheadError {
    fn from(err: diesel::result::Error) -> Self {
        LetterheadError::Db(err.into())
    }
}

/// The longest each field may be: what fits a kop surat's line and a signature block.
const LIMITS: [(&str, usize); 7] = [
    ("agency", 120),
    ("address", 200),
    ("phone", 40),
    ("place", 60),
    ("position", 120),
    ("head_name", 120),
    ("website", 100),
];

fn one_line(field: &'static str, value: &str) -> Result<String, LetterheadError> {
    let value = value.trim();
    let max = LIMITS.iter().find(|(f, _)| *f == field).map_or(200, |(_, max)| *max);
    if value.chars().any(char::is_control) {
        return Err(LetterheadError::NotOneLine { field });
    }
    if value.chars().count() > max {
        return Err(LetterheadError::TooLong { field, max });
    }
    Ok(value.to_string())
}

/// Checks the input into what is stored, keeping what it leaves out.
fn checked(input: &LetterheadInput, before: Letterhead) -> Result<Letterhead, LetterheadError> {
    let or_before = |typed: &Option<String>, stored: &str| typed.clone().unwrap_or_else(|| stored.to_string());
    let phone = one_line("phone", &or_before(&input.phone, &before.phone))?;
    if !phone.chars().all(|c| c.is_ascii_digit() || " +()-./".contains(c)) {
        return Err(LetterheadError::Phone);
    }
    let website = one_line("website", &or_before(&input.website, &before.website))?;
    if !website.is_empty() && !is_website(&website) {
        return Err(LetterheadError::Website);
    }
    let nip = match or_before(&input.nip, &before.nip).trim() {
        "" => String::new(),
        typed => Nip::parse(typed).map_err(|_| LetterheadError::Nip)?.digits().to_string(),
    };
    let logo = match &input.logo {
        LogoChange::Keep => before.logo,
        LogoChange::Remove => None,
        LogoChange::Set(bytes) => {
            Bitmap::decode(bytes).map_err(LetterheadError::Logo)?;
            Some(bytes.clone())
        }
    };
    Ok(Letterhead {
        agency: one_line("agency", &or_before(&input.agency, &before.agency))?,
        address: one_line("address", &or_before(&input.address, &before.address))?,
        phone,
        website,
        logo,
        place: one_line("place", &or_before(&input.place, &before.place))?,
        position: one_line("position", &or_before(&input.position, &before.position))?,
        head_name: one_line("head_name", &or_before(&input.head_name, &before.head_name))?,
        nip,
    })
}

/// The input checked as [`set`] checks it, every field left out as empty: what a unit's
/// letterhead becomes from these fields alone (the logo is not checked: kept as it is).
pub fn check(input: &LetterheadInput) -> Result<Letterhead, LetterheadError> {
    let without_logo = LetterheadInput { logo: LogoChange::Keep, ..input.clone() };
    checked(&without_logo, Letterhead::default())
}

/// Sets a unit's letterhead and signer. `actor` is the admin's user id, `None` for the command
/// line.
pub fn set(conn: &mut DbConnection, actor: Option<i32>, input: LetterheadInput) -> Result<(), LetterheadError> {
    conn.transaction(|conn| {
        let unit = units::by_slug(conn, &input.unit).map_err(|e| match e {
            DbError::NotFound => LetterheadError::UnitUnknown(input.unit.clone()),
            other => other.into(),
        })?;
        let before = stored::of_unit(conn, unit.id)?;
        let letterhead = checked(&input, before.unwrap_or_default())?;
        stored::save(conn, unit.id, &letterhead)?;
        let logo = letterhead
            .logo
            .as_ref()
            .map_or_else(|| "no logo".to_string(), |l| format!("logo {} KB", l.len().div_ceil(1024)));
        let signer = if letterhead.head_name.is_empty() {
            "no signer".to_string()
        } else {
            format!("signer '{}'", letterhead.head_name)
        };
        let detail = format!("letterhead of {}: agency '{}', {logo}, {signer}", unit.slug, letterhead.agency);
        audit::record(conn, actor, "unit.letterhead", &detail)?;
        Ok(())
    })
}

/// What a unit has set itself (for the form), `None` if nothing.
pub fn of_unit(conn: &mut DbConnection, unit: &Unit) -> Result<Option<Letterhead>, DbError> {
    stored::of_unit(conn, unit.id)
}

/// The kop surat at the head of a report.
#[derive(Debug, Clone, Default)]
pub struct Kop {
    /// the units above's agency names, highest first (`Pemerintah Kabupaten Kutai Timur`), then
    /// the unit's own (its agency name, or its name when it has set none)
    pub lines: Vec<String>,
    pub address: String,
    pub phone: String,
    pub website: String,
    /// the unit's logo, else the nearest one above it
    pub logo: Option<Bitmap>,
}

/// Who signs: empty fields are left as blank lines to fill by hand.
#[derive(Debug, Clone, Default)]
pub struct Signer {
    /// the town the report is signed in; the nearest unit above's when the unit has none
    pub place: String,
    pub position: String,
    pub name: String,
    pub nip: Option<Nip>,
}

#[derive(Debug, Clone, Default)]
pub struct ReportLetterhead {
    pub kop: Kop,
    pub signer: Signer,
}

/// Ancestors' agency lines above the unit's own: the regency and, for a sub-unit, its OPD.
const AUTHORITY_LINES: usize = 2;

/// The letterhead and signer of a unit's report, inheriting the logo, the place and the
/// agency lines above it from the nearest units above that set them.
pub fn for_report(conn: &mut DbConnection, unit: &Unit) -> Result<ReportLetterhead, DbError> {
    let chain = stored::chain(conn, unit.id)?;
    let own = chain.first().and_then(|(_, l)| l.clone()).unwrap_or_default();
    let above: Vec<&Letterhead> = chain.iter().skip(1).filter_map(|(_, l)| l.as_ref()).collect();
    let mut lines: Vec<String> =
        above.iter().map(|l| l.agency.clone()).filter(|a| !a.is_empty()).take(AUTHORITY_LINES).collect();
    lines.reverse();
    lines.push(if own.agency.is_empty() { unit.name.clone() } else { own.agency.clone() });
    let logo_bytes = own.logo.as_ref().or_else(|| above.iter().find_map(|l| l.logo.as_ref()));
    let logo = logo_bytes.and_then(|bytes| match Bitmap::decode(bytes) {
        Ok(bitmap) => Some(bitmap),
        Err(e) => {
            // it was checked when stored; a decoder change is no reason to fail a report
            tracing::warn!(unit = %unit.slug, error = %e, "letterhead logo unreadable");
            None
        }
    });
    let place = if own.place.is_empty() {
        above.iter().map(|l| l.place.clone()).find(|p| !p.is_empty()).unwrap_or_default()
    } else {
        own.place.clone()
    };
    Ok(ReportLetterhead {
        kop: Kop { lines, address: own.address, phone: own.phone, website: own.website, logo },
        signer: Signer { place, position: own.position, name: own.head_name, nip: Nip::parse(&own.nip).ok() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::domain::email::Email;
    use crate::domain::names::{Slug, UnitKind};
    use crate::units::NewUnit;
    use diesel::sqlite::SqliteConnection;

    fn database() -> DbConnection {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("sqlite"));
        crate::db::migrate(&mut conn).expect("migrate");
        let catalog = Catalog::load(None).expect("templates");
        for (slug, parent) in [("kutim", None), ("dinkes", Some("kutim")), ("puskesmas", Some("dinkes"))] {
            let new = NewUnit {
                slug: Slug::parse(slug).expect("slug"),
                name: format!("Unit {slug}"),
                kind: UnitKind::Opd,
                parent: parent.map(String::from),
                contact_emails: Vec::<Email>::new(),
                template: None,
            };
            crate::units::add(&mut conn, &catalog, None, new).expect("unit");
        }
        conn
    }

    fn input(unit: &str) -> LetterheadInput {
        LetterheadInput { unit: unit.into(), ..LetterheadInput::default() }
    }

    fn text(value: &str) -> Option<String> {
        Some(value.into())
    }

    fn report(conn: &mut DbConnection, slug: &str) -> ReportLetterhead {
        let unit = units::by_slug(conn, slug).expect("unit");
        for_report(conn, &unit).expect("letterhead")
    }

    const LOGO: &[u8] = include_bytes!("../tests/data/logo-kabupaten.png");

    #[test]
    fn a_unit_without_a_letterhead_inherits_the_logo_place_and_agency_lines_above_it() {
        let mut conn = database();
        let nothing = report(&mut conn, "puskesmas");
        assert_eq!(nothing.kop.lines, ["Unit puskesmas"], "a plain header with the unit's name");
        assert!(nothing.kop.logo.is_none() && nothing.signer.name.is_empty() && nothing.signer.nip.is_none());

        let regency = LetterheadInput {
            agency: text("Pemerintah Kabupaten Kutai Timur"),
            place: text("Sangatta"),
            logo: LogoChange::Set(LOGO.to_vec()),
            ..input("kutim")
        };
        set(&mut conn, None, regency).expect("regency");
        let dinkes = LetterheadInput {
            agency: text("Dinas Kesehatan"),
            address: text("Jl. Soekarno-Hatta No. 1, Sangatta"),
            phone: text("(0549) 21000"),
            website: text("dinkes.kutaitimurkab.go.id"),
            position: text("Kepala Dinas Kesehatan"),
            head_name: text("dr. Siti Rahmah, M.Kes"),
            nip: text("19750101 200003 2 002"),
            ..input("dinkes")
        };
        set(&mut conn, None, dinkes).expect("dinkes");

        let own = report(&mut conn, "dinkes");
        assert_eq!(own.kop.lines, ["Pemerintah Kabupaten Kutai Timur", "Dinas Kesehatan"]);
        assert_eq!(own.kop.logo.as_ref().map(|l| l.width), Some(160), "the regency's logo");
        assert_eq!((own.signer.place.as_str(), own.signer.name.as_str()), ("Sangatta", "dr. Siti Rahmah, M.Kes"));
        assert_eq!(own.signer.nip.map(|n| n.to_string()).as_deref(), Some("19750101 200003 2 002"));

        let below = report(&mut conn, "puskesmas");
        assert_eq!(below.kop.lines, ["Pemerintah Kabupaten Kutai Timur", "Dinas Kesehatan", "Unit puskesmas"]);
        assert!(below.kop.address.is_empty(), "an address is the unit's own, never another office's");
        assert_eq!(below.signer.place, "Sangatta");
        assert!(below.signer.name.is_empty(), "the head signs for their own unit only");
    }

    #[test]
    fn a_letterhead_is_refused_naming_the_field_and_the_logo_is_kept_until_removed() {
        let mut conn = database();
        let refused = |conn: &mut DbConnection, input: LetterheadInput| set(conn, None, input).expect_err("refused");
        let cases = [
            (LetterheadInput { nip: text("1975"), ..input("dinkes") }, "nip"),
            (LetterheadInput { website: text("dinas kesehatan"), ..input("dinkes") }, "website"),
            (LetterheadInput { phone: text("call us"), ..input("dinkes") }, "phone"),
            (LetterheadInput { agency: Some("x".repeat(121)), ..input("dinkes") }, "agency"),
            (LetterheadInput { address: text("Jl. A\nNo. 1"), ..input("dinkes") }, "address"),
            (LetterheadInput { logo: LogoChange::Set(b"GIF89a".to_vec()), ..input("dinkes") }, "logo"),
            (input("nowhere"), "unit"),
        ];
        for (case, field) in cases {
            assert_eq!(refused(&mut conn, case).field(), Some(field));
        }
        assert!(stored::of_unit(&mut conn, 2).expect("read").is_none(), "nothing stored");

        let with_logo = LetterheadInput { logo: LogoChange::Set(LOGO.to_vec()), ..input("dinkes") };
        set(&mut conn, None, with_logo).expect("logo");
        set(&mut conn, None, LetterheadInput { agency: text("Dinas Kesehatan"), ..input("dinkes") }).expect("kept");
        assert!(report(&mut conn, "dinkes").kop.logo.is_some(), "an empty file field keeps the logo");
        set(&mut conn, None, LetterheadInput { place: text("Sangatta"), ..input("dinkes") }).expect("kept");
        assert_eq!(report(&mut conn, "dinkes").kop.lines, ["Dinas Kesehatan"], "a field not given is kept");
        set(&mut conn, None, LetterheadInput { agency: text(""), ..input("dinkes") }).expect("cleared");
        assert_eq!(report(&mut conn, "dinkes").kop.lines, ["Unit dinkes"], "an empty field clears it");
        set(&mut conn, None, LetterheadInput { logo: LogoChange::Remove, ..input("dinkes") }).expect("removed");
        assert!(report(&mut conn, "dinkes").kop.logo.is_none());
        use crate::db::schema::audit_log;
        use diesel::prelude::*;
        let details: Vec<String> = audit_log::table
            .filter(audit_log::action.eq("unit.letterhead"))
            .order(audit_log::id)
            .select(audit_log::detail)
            .load(&mut conn)
            .expect("audit");
        assert_eq!(details.len(), 5);
        assert_eq!(details[1], "letterhead of dinkes: agency 'Dinas Kesehatan', logo 2 KB, no signer");
    }
}
