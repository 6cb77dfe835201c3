//! Everything an official report (PDF, XLSX) shows about a unit and a period, read once. For a
//! roll-up (a unit with its sub-units) each member's own figures are in `index.roll_up`.

use crate::aggregator::{self, Selection, UnitIndex};
use crate::catalog::TemplateRegistry;
use crate::db::aggregate::{self, ProfileCounts};
use crate::db::rtl::{self, RtlAction};
use crate::db::units::Unit;
use crate::db::{DbConnection, DbError};
use crate::domain::period::Period;
use crate::letterhead::{self, ReportLetterhead};

pub struct ReportData {
    pub index: UnitIndex,
    pub channels: Vec<(String, i64)>,
    pub profile: ProfileCounts,
    pub saran_count: i64,
    pub top_words: Vec<(String, usize)>,
    /// the follow-up actions of every unit counted (for a roll-up, its members': SPEC §3)
    pub rtl: Vec<RtlAction>,
    /// the kop surat and signer of the unit (for a roll-up, its top unit's)
    pub letterhead: ReportLetterhead,
    /// the optional appendix per counter and officer (`?loket=1`, `skm report --loket`)
    pub desks: Option<crate::desks::Scorecard>,
    /// the survey invitations' response rate (`add_response_rate`); empty: none issued, and no
    /// section
    pub response_rate: crate::response_rate::ResponseRate,
    /// the instruments attached to the unit's form (Zona Integritas), each computed on its own
    pub instruments: Vec<aggregator::InstrumentIndex>,
    /// the months of the period whose raw responses are archived (`skm archive`): the index
    /// counts them, the profile, channels and saran cannot
    pub archived: Vec<String>,
}

impl ReportData {
    pub fn unit(&self) -> &Unit {
        &self.index.unit
    }

    pub fn period(&self) -> Period {
        self.index.selection.period
    }

    /// Adds the response rate of the invitations the report's units issued in its period
    /// (`tz`: the deployment's time zone, whose days the period counts).
    pub fn add_response_rate(&mut self, conn: &mut DbConnection, tz: chrono_tz::Tz) -> Result<(), DbError> {
        let now = chrono::Utc::now().naive_utc();
        self.response_rate = crate::response_rate::of_period(conn, &self.index.unit_ids, &self.period(), tz, now)?;
        Ok(())
    }

    /// The follow-up actions by unit, units in name order, each unit's in the order read; only
    /// units that have actions. The unit is the top one or a member of the roll-up.
    pub fn rtl_by_unit(&self) -> Vec<(&Unit, Vec<&RtlAction>)> {
        let members = self.index.roll_up.iter().flat_map(|r| r.members.iter().map(|m| &m.unit));
        let mut units: Vec<&Unit> = std::iter::once(self.unit()).chain(members).collect();
        units.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        units.dedup_by_key(|u| u.id);
        units
            .into_iter()
            .map(|unit| (unit, self.rtl.iter().filter(|a| a.unit_id == unit.id).collect::<Vec<_>>()))
            .filter(|(_, actions)| !actions.is_empty())
            .collect()
    }
}

pub fn gather(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    unit: &Unit,
    period: Period,
    with_subunits: bool,
) -> Result<ReportData, DbError> {
    let selection = Selection { period, with_subunits, service_id: None };
    let index = aggregator::unit_index(conn, registry, unit, &selection)?;
    let mut data = complete(conn, index)?;
    data.instruments = aggregator::instruments(conn, registry, &data.index)?;
    Ok(data)
}

/// The rest of a report around an index already computed (the monthly mail has one).
pub fn complete(conn: &mut DbConnection, index: UnitIndex) -> Result<ReportData, DbError> {
    let scope = index.scope();
    let profile = aggregate::profile_counts(conn, &scope)?;
    let channels = profile.channels.clone();
    // Word counts need the texts: read them a page at a time.
    let mut texts = Vec::new();
    let mut page = 0;
    let saran_count = loop {
        let (rows, total) = aggregate::saran_page(conn, &scope, None, page, 1000)?;
        let done = rows.len() < 1000;
        texts.extend(rows.into_iter().map(|(_, s)| s));
        if done || texts.len() >= 50_000 {
            break total;
        }
        page += 1;
    };
    let top_words = super::themes::top_words(texts.iter().map(String::as_str), 15);
    let rtl = rtl::for_units(conn, &index.unit_ids)?;
    let letterhead = letterhead::for_report(conn, &index.unit)?;
    let archived = crate::db::archive::months_within(conn, &index.selection.period)?;
    Ok(ReportData {
        index,
        channels,
        profile,
        saran_count,
        top_words,
        rtl,
        letterhead,
        desks: None,
        response_rate: Default::default(),
        instruments: Vec::new(),
        archived,
    })
}

/// What a page or report says when some months of its period are archived (`skm archive`):
/// their index still counts, their raw data (profile, channels, saran) is in the archive file.
/// `None` when no month is.
pub fn archived_note(t: &crate::i18n::Tr, months: &[String]) -> Option<String> {
    let label = |month: &String| match month.parse::<Period>() {
        Ok(period) if t.lang == crate::domain::template::Lang::En => period.label_en(),
        Ok(period) => period.label_id(),
        Err(_) => month.clone(),
    };
    let months = match months {
        [] => return None,
        [one] => label(one),
        [first, .., last] => format!("{} – {}", label(first), label(last)),
    };
    Some(t.fill("dash.archived", &[("months", months)]))
}

#[cfg(test)]
mod tests {
    use super::archived_note;
    use crate::domain::template::Lang;
    use crate::i18n::Tr;

    #[test]
    fn the_archived_note_names_the_months_in_the_readers_language() {
        let months = ["2025-01".to_string(), "2025-06".to_string(), "2025-12".to_string()];
        let id = archived_note(&Tr::new(Lang::Id), &months).expect("a note");
        assert!(id.contains("Januari 2025 – Desember 2025") && id.contains("diarsipkan"), "{id}");
        let en = archived_note(&Tr::new(Lang::En), &months[..1]).expect("a note");
        assert!(en.contains("January 2025 is archived"), "{en}");
        assert_eq!(archived_note(&Tr::new(Lang::Id), &[]), None, "nothing archived, nothing said");
    }
}
