//! The regency's day-one posters: every active unit's A4 QR poster in one PDF, in the tree's
//! order (a parent, then the units below it, by name), and one more page per active service for
//! the units that ask for it (`poster_per_service`), each exactly the poster a unit's operator
//! downloads alone. Downloading it records the download for every unit in it, so the readiness
//! checklist can name the units whose poster was never printed
//! (`db::units::without_poster_download`).

use super::poster::{render_pdf_book, Poster, PosterError};
use crate::catalog::TemplateRegistry;
use crate::db::units::{self, Unit};
use crate::db::DbConnection;
use crate::survey;

/// The all-units PDF and what is in it.
pub struct AllPosters {
    pub pdf: Vec<u8>,
    /// one per page
    pub pages: usize,
    /// the units with a page
    pub units: usize,
}

/// The posters of every active unit, in the tree's order; a unit asking for one poster per
/// service gets its own page first, then one per active service. Returns each unit's id beside
/// its posters.
pub fn every_unit(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    base_url: &str,
) -> Result<Vec<(i32, Vec<Poster>)>, PosterError> {
    let all = units::list(conn)?;
    let mut out = Vec::new();
    for unit in tree_order(&all) {
        if !unit.active {
            continue;
        }
        let Some(form) = survey::form_for_unit(conn, registry, &unit.slug)? else { continue };
        let mut posters = Vec::new();
        posters.extend(Poster::for_form(&form, None, base_url));
        if unit.poster_per_service {
            for service in &form.services {
                posters.extend(Poster::for_form(&form, Some(&service.slug), base_url));
            }
        }
        out.push((unit.id, posters));
    }
    Ok(out)
}

/// `all` (sorted by name) as the tree reads: each root, then the units below it, depth first.
fn tree_order(all: &[Unit]) -> Vec<&Unit> {
    fn walk<'a>(all: &'a [Unit], parent: Option<i32>, out: &mut Vec<&'a Unit>) {
        for unit in all.iter().filter(|u| u.parent_id == parent) {
            out.push(unit);
            walk(all, Some(unit.id), out);
        }
    }
    let mut out = Vec::with_capacity(all.len());
    walk(all, None, &mut out);
    out
}

/// Renders every active unit's posters as one PDF and records that each of those units'
/// posters was downloaded now.
pub fn download_all(
    conn: &mut DbConnection,
    registry: &TemplateRegistry,
    base_url: &str,
) -> Result<AllPosters, PosterError> {
    let by_unit = every_unit(conn, registry, base_url)?;
    let ids: Vec<i32> = by_unit.iter().map(|(id, _)| *id).collect();
    let posters: Vec<Poster> = by_unit.into_iter().flat_map(|(_, posters)| posters).collect();
    let pdf = render_pdf_book(&posters)?;
    units::record_poster_download(conn, &ids)?;
    Ok(AllPosters { pdf, pages: posters.len(), units: ids.len() })
}

/// Records that one unit's poster was downloaded (from `/operator` or `skm qr`).
pub fn record_download(conn: &mut DbConnection, unit_id: i32) -> Result<(), PosterError> {
    Ok(units::record_poster_download(conn, &[unit_id])?)
}
