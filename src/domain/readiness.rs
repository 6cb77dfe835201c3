//! "Persiapan SKM": what a regency still has to do before its survey runs, from facts already
//! read. A line per kind of gap, naming the units concerned; an empty list means ready.

use super::names::UnitKind;
use super::period::Period;
use std::collections::{HashMap, HashSet};

/// A unit as the checklist sees it.
#[derive(Debug, Clone)]
pub struct UnitFacts {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub slug: String,
    pub name: String,
    pub kind: UnitKind,
    pub active: bool,
    /// its services a citizen can choose
    pub active_services: usize,
    /// a population is known for the running period (recorded, or derived as SPEC §4 allows)
    pub has_population: bool,
    /// its QR poster was downloaded at least once (alone or in the all-units PDF)
    pub poster_downloaded: bool,
}

/// Everything the checklist looks at.
#[derive(Debug, Clone)]
pub struct Facts {
    pub units: Vec<UnitFacts>,
    /// the units an enabled unit head works for (they also head the units below them)
    pub headed_unit_ids: HashSet<i32>,
    pub period: Period,
    pub year: i32,
    pub base_url_local: bool,
    pub mail_configured: bool,
    pub mail_tested: bool,
    pub published_this_year: bool,
}

/// A unit named on a line, with what it is linked by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub slug: String,
    pub name: String,
}

/// One thing still to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// no active service and no active sub-unit: the citizen's form offers nothing to rate
    NoServices(Vec<Named>),
    /// no enabled unit head for the unit or any unit above it: nobody receives its results
    NoHead(Vec<Named>),
    /// no population for the running period: the minimum sample cannot be computed
    NoPopulation(Period, Vec<Named>),
    /// the QR poster was never downloaded: citizens cannot reach the form
    NoPoster(Vec<Named>),
    /// posters and links would point at this machine only
    BaseUrlLocal,
    MailOff,
    MailUntested,
    NothingPublished(i32),
}

impl Gap {
    /// Stable name, for translation keys and anchors.
    pub fn key(&self) -> &'static str {
        match self {
            Gap::NoServices(_) => "no_services",
            Gap::NoHead(_) => "no_head",
            Gap::NoPopulation(..) => "no_population",
            Gap::NoPoster(_) => "no_poster",
            Gap::BaseUrlLocal => "base_url",
            Gap::MailOff => "mail_off",
            Gap::MailUntested => "mail_untested",
            Gap::NothingPublished(_) => "nothing_published",
        }
    }

    pub fn units(&self) -> &[Named] {
        match self {
            Gap::NoServices(u) | Gap::NoHead(u) | Gap::NoPoster(u) | Gap::NoPopulation(_, u) => u,
            _ => &[],
        }
    }
}

/// The gaps, in the order a regency fixes them: units and their services, who heads them, the
/// populations, the posters, then the settings and the first publication.
pub fn gaps(facts: &Facts) -> Vec<Gap> {
    let active: Vec<&UnitFacts> = facts.units.iter().filter(|u| u.active).collect();
    let parents: HashMap<i32, Option<i32>> = facts.units.iter().map(|u| (u.id, u.parent_id)).collect();
    let with_active_children: HashSet<i32> = active.iter().filter_map(|u| u.parent_id).collect();
    // A regency unit or an OPD that only groups its sub-units takes no responses of its own.
    let collects = |u: &UnitFacts| u.active_services > 0;
    let named = |units: Vec<&&UnitFacts>| -> Vec<Named> {
        units.into_iter().map(|u| Named { slug: u.slug.clone(), name: u.name.clone() }).collect()
    };
    let headed = |u: &UnitFacts| {
        let mut at = Some(u.id);
        // bounded by the tree's size, so a broken parent link cannot loop forever
        for _ in 0..=facts.units.len() {
            match at {
                Some(id) if facts.headed_unit_ids.contains(&id) => return true,
                Some(id) => at = parents.get(&id).copied().flatten(),
                None => return false,
            }
        }
        false
    };

    let mut gaps = Vec::new();
    let mut push_units = |gap: fn(Vec<Named>) -> Gap, units: Vec<&&UnitFacts>| {
        if !units.is_empty() {
            gaps.push(gap(named(units)));
        }
    };
    push_units(
        Gap::NoServices,
        active
            .iter()
            .filter(|u| u.kind != UnitKind::Regency && !collects(u) && !with_active_children.contains(&u.id))
            .collect(),
    );
    push_units(Gap::NoHead, active.iter().filter(|u| u.kind != UnitKind::Regency && !headed(u)).collect());
    let no_population: Vec<&&UnitFacts> = active.iter().filter(|u| collects(u) && !u.has_population).collect();
    if !no_population.is_empty() {
        gaps.push(Gap::NoPopulation(facts.period, named(no_population)));
    }
    let no_poster: Vec<&&UnitFacts> = active.iter().filter(|u| collects(u) && !u.poster_downloaded).collect();
    if !no_poster.is_empty() {
        gaps.push(Gap::NoPoster(named(no_poster)));
    }
    if facts.base_url_local {
        gaps.push(Gap::BaseUrlLocal);
    }
    if !facts.mail_configured {
        gaps.push(Gap::MailOff);
    } else if !facts.mail_tested {
        gaps.push(Gap::MailUntested);
    }
    if !facts.published_this_year {
        gaps.push(Gap::NothingPublished(facts.year));
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i32, parent_id: Option<i32>, kind: UnitKind, services: usize) -> UnitFacts {
        UnitFacts {
            id,
            parent_id,
            slug: format!("u{id}"),
            name: format!("Unit {id}"),
            kind,
            active: true,
            active_services: services,
            has_population: true,
            poster_downloaded: true,
        }
    }

    fn ready() -> Facts {
        Facts {
            units: vec![
                unit(1, None, UnitKind::Regency, 0),
                unit(2, Some(1), UnitKind::Opd, 0),
                unit(3, Some(2), UnitKind::SubUnit, 2),
                unit(4, Some(1), UnitKind::Opd, 1),
            ],
            headed_unit_ids: HashSet::from([2, 4]),
            period: "2026-12".parse().expect("period"),
            year: 2026,
            base_url_local: false,
            mail_configured: true,
            mail_tested: true,
            published_this_year: true,
        }
    }

    fn slugs(gap: &Gap) -> Vec<&str> {
        gap.units().iter().map(|u| u.slug.as_str()).collect()
    }

    #[test]
    fn a_ready_regency_has_no_gaps_and_grouping_units_need_no_services_of_their_own() {
        assert_eq!(gaps(&ready()), Vec::new());
    }

    #[test]
    fn a_head_of_an_opd_heads_its_sub_units_and_a_closed_unit_is_not_asked_for_anything() {
        let mut facts = ready();
        facts.headed_unit_ids = HashSet::from([4]);
        let found = gaps(&facts);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key(), "no_head");
        assert_eq!(slugs(&found[0]), ["u2", "u3"]);

        facts.units[1].active = false;
        facts.units[2].active = false;
        assert_eq!(gaps(&facts), Vec::new());
    }

    #[test]
    fn every_kind_of_gap_is_found_in_the_order_it_is_fixed() {
        let mut facts = ready();
        facts.units.push(unit(5, Some(1), UnitKind::Opd, 0));
        facts.units[2].has_population = false;
        facts.units[3].poster_downloaded = false;
        facts.headed_unit_ids.insert(5);
        facts.base_url_local = true;
        facts.mail_tested = false;
        facts.published_this_year = false;
        let found = gaps(&facts);
        let keys: Vec<&str> = found.iter().map(Gap::key).collect();
        assert_eq!(
            keys,
            ["no_services", "no_population", "no_poster", "base_url", "mail_untested", "nothing_published"]
        );
        assert_eq!(slugs(&found[0]), ["u5"]);
        assert_eq!(slugs(&found[1]), ["u3"]);
        assert_eq!(slugs(&found[2]), ["u4"]);
        assert_eq!(found[5], Gap::NothingPublished(2026));

        facts.mail_configured = false;
        assert!(gaps(&facts).contains(&Gap::MailOff));
        assert!(!gaps(&facts).contains(&Gap::MailUntested), "an untested mail is not asked for when it is off");
    }
}
