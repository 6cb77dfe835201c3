//! The unit page's sections for attached instruments (Zona Integritas: SPKP, SPAK): each its own
//! mean, percentage of the scale maximum and n, and its elements, apart from the SKM figures.

use super::{count, id};
use crate::aggregator::InstrumentIndex;
use crate::domain::decimal::Rounded;
use crate::domain::ikm::percent_of_max;
use crate::web::i18n::Tr;

pub struct InstrumentView {
    /// for the section's anchor: `zi-spkp-zi`
    pub id: String,
    pub title: String,
    /// "Rata-rata 5,06 pada skala 1–6 (84,38 % dari nilai maksimum), 4 responden."
    pub summary: String,
    pub legal_basis: String,
    pub rows: Vec<InstrumentRow>,
}

pub struct InstrumentRow {
    pub code: String,
    pub name: String,
    pub count: String,
    pub nrr: String,
    pub percent: String,
}

pub fn views(tr: &Tr, found: &[InstrumentIndex]) -> Vec<InstrumentView> {
    let dash = || "–".to_string();
    found
        .iter()
        .map(|i| {
            let (t, r) = (&i.template, &i.result);
            InstrumentView {
                id: format!("zi-{}", t.id),
                title: t.title.id.clone(),
                summary: tr.fill(
                    "dash.zi.summary",
                    &[
                        ("mean", r.ikm.as_ref().map(|m| id(Rounded::half_up(m, 2))).unwrap_or_else(dash)),
                        ("scale", format!("{}–{}", t.scale_min, t.scale_max)),
                        ("percent", r.percent_of_max.map(id).unwrap_or_else(dash)),
                        ("count", count(r.responses)),
                    ],
                ),
                legal_basis: t.legal_basis.clone(),
                rows: r
                    .elements
                    .iter()
                    .map(|e| InstrumentRow {
                        code: e.code.clone(),
                        name: t.element(&e.code).map(|x| x.name.id.clone()).unwrap_or_default(),
                        count: count(e.count),
                        nrr: e.nrr.as_ref().map(|n| id(Rounded::half_up(n, 2))).unwrap_or_else(dash),
                        percent: e.nrr.as_ref().map(|n| format!("{} %", id(percent_of_max(t, n)))).unwrap_or_else(dash),
                    })
                    .collect(),
            }
        })
        .collect()
}
