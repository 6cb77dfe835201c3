//! `/admin`: the regency's Bagian Organisasi manages units (the tree), services, populations, the
//! questionnaire of each unit, each unit's kop surat and report signer, users, publication and
//! the publication-media log, and corrects them: edits, closes and reopens units and services,
//! edits, disables and enables users, and makes password reset links; invites new users and
//! sends or revokes their invitations (`admin_invite`). Admins only; everyone else gets a 404.

use super::access::Console;
use super::admin_invite::{self, Invited, LinkShown};
use super::admin_readiness::{self, GapLine, Prefill, ServerView};
use super::error::WebError;
use super::i18n::Tr;
use super::pages::{html, Nav, OptionView};
use super::session::{self, Session};
use super::{blocking, see_other, AppState};
use crate::accounts::{self, UserError};
use crate::db::{self, units, users, DbError};
use crate::domain::email::Email;
use crate::domain::names::{Medium, Role, Slug, UnitKind};
use crate::domain::period::{date_id, Period};
use crate::domain::proof::{ProofError, MAX_IMAGE_BYTES};
use crate::domain::template::Lang;
use crate::letterhead::{LetterheadError, LetterheadInput, LogoChange};
use crate::publications::MediaError;
use crate::readiness;
use crate::units::{NewService, NewUnit, Population, Publication, ServiceEdit, UnitEdit, UnitError};
use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashSet};

struct UnitRow {
    indent: String,
    slug: String,
    name: String,
    template: String,
    services: String,
    populations: String,
    ticket: bool,
    letterhead: LetterheadRow,
    // the corrections (edit, close and reopen; the questionnaire preselected)
    id: i32,
    parent_id: Option<i32>,
    active: bool,
    kind_label: String,
    kinds: Vec<OptionView>,
    /// every unit but this one and those below it (a unit cannot be its own ancestor)
    parents: Vec<OptionView>,
    templates: Vec<OptionView>,
    /// the attachable instruments (Zona Integritas); `selected` when the unit attaches it
    instruments: Vec<OptionView>,
    service_rows: Vec<ServiceRow>,
    /// one QR poster per service in the all-units PDF
    poster_per_service: bool,
}

struct ServiceRow {
    slug: String,
    name: String,
    active: bool,
}

/// A user, with the forms that correct, disable and enable them and make a reset link.
struct UserRow {
    email: String,
    name: String,
    role_label: String,
    units: String,
    disabled: bool,
    /// invited, no password yet: the invitation's forms instead of the reset link's
    pending: bool,
    /// until when the pending user's invitation is valid (none valid: `None`)
    invitation_until: Option<String>,
    /// the signed-in admin: cannot disable themselves or drop their admin role
    own: bool,
    roles: Vec<OptionView>,
    unit_options: Vec<OptionView>,
}

/// What `admin.html`'s population and poster parts (`admin_populations.html`) show.
#[derive(Default)]
pub(super) struct Panel {
    /// the add form a checklist or dashboard link opens, with its unit chosen
    pub prefill: Prefill,
    /// a refused import's bad cells: row, column, reason, in the page's language
    pub issues: Vec<(String, String, String)>,
    /// active units whose poster was never downloaded
    pub never_downloaded: usize,
    /// an API key just made (`admin_api_keys.html`), shown this once
    pub api_key_shown: Option<KeyShown>,
}

/// A new API key, shown once on the page that made it, never stored.
pub(super) struct KeyShown {
    id: String,
    unit: String,
    scopes: String,
    secret: String,
}

/// An API key as the admin page lists it.
struct ApiKeyView {
    id: String,
    unit: String,
    name: String,
    scopes: String,
    created: String,
    last_used: Option<String>,
    revoked: Option<String>,
}

/// What a form did: saved (back to the page), made a link to show once, or mailed an
/// invitation (the page says to whom).
enum Done {
    Saved,
    Link(LinkShown),
    Mailed(String),
    /// done, with what to tell the admin (the mail server's answer to a test e-mail)
    Said(String),
    /// an API key made: shown once
    Key(KeyShown),
}

/// A unit's kop surat and signer as the form shows them.
#[derive(Default)]
struct LetterheadRow {
    set: bool,
    agency: String,
    address: String,
    phone: String,
    website: String,
    has_logo: bool,
    place: String,
    position: String,
    head_name: String,
    nip: String,
}

/// A published period, with the form that takes it back.
struct PublishedRow {
    unit_name: String,
    slug: String,
    period: String,
    period_label: String,
    roll_up: bool,
    published_at: String,
    /// "dipublikasikan di 4 media (5 bukti)", or that none is recorded yet
    media: String,
    /// no medium recorded yet
    no_media: bool,
}

/// The log's entries of one published period (or one taken back).
struct MediaGroup {
    /// "Pemerintah Kabupaten Kutai Timur — Triwulan III 2026"
    title: String,
    /// "dipublikasikan di 4 media (5 bukti)"
    count: String,
    /// the period was published and then taken back
    withdrawn: bool,
    rows: Vec<MediumRow>,
}

/// An entry of the publication-media log.
struct MediumRow {
    id: i32,
    medium: &'static str,
    date: String,
    url: Option<String>,
    /// the link's site, shown instead of the whole address
    url_label: String,
    /// the proof image's address
    image: Option<String>,
    note: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    tr: Tr,
    kiosk: bool,
    nav: Nav,
    csrf: String,
    message: Option<String>,
    ok: bool,
    units: Vec<UnitRow>,
    users: Vec<UserRow>,
    /// a reset link or an invitation, shown once
    links: Vec<LinkShown>,
    /// `base_url` while it is this machine's own address (QR posters would not open)
    base_url_warning: Option<String>,
    mail_problems: Vec<(String, String, String, i32, String)>,
    published: Vec<PublishedRow>,
    media: Vec<MediaGroup>,
    /// the media a log entry may name: (value, label)
    media_kinds: Vec<(&'static str, &'static str)>,
    max_image_mb: usize,
    /// the periods the PEKPPP evidence pack is offered for: (value, label), latest first
    evidence_periods: Vec<(String, String)>,
    /// "Persiapan SKM": empty when the regency is ready
    readiness: Vec<GapLine>,
    server: ServerView,
    /// the signed-in admin's address, where a test e-mail goes unless they change it
    own_email: String,
    /// the add form a checklist link opened, with its unit chosen
    prefill: Prefill,
    /// the population import and the posters (`admin_populations`)
    populations: Panel,
    /// integration API keys (`admin_api_keys.html`)
    api_keys: Vec<ApiKeyView>,
    /// every unit's counters and officers (`admin_desks`)
    desks: Vec<super::admin_desks::DeskRow>,
    /// the deployment's admin; `false`: a subtree's, who sees its units and users only
    deployment: bool,
}

impl AdminPage {
    /// The invitations shown once, in one notice however many a workbook made.
    fn invitations(&self) -> Vec<&LinkShown> {
        self.links.iter().filter(|link| link.invitation).collect()
    }

    /// Why the invitations are shown rather than mailed, when it is the same for all (e-mail
    /// is off): said once, not before every link.
    fn shared_note(&self) -> Option<&str> {
        let mut notes = self.invitations().into_iter().map(|link| link.note.as_deref());
        let first = notes.next()??;
        notes.all(|note| note == Some(first)).then_some(first)
    }
}

/// The page, with a message (a problem with a form, or that it was saved).
pub(super) async fn page(
    state: &web::Data<AppState>,
    session: &Session,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    page_with(state, session, message, ok, status, Vec::new(), Panel::default()).await
}

/// The page after an action that made one-time links (a workbook's invited users while e-mail is
/// off): each is shown once, here.
pub(super) async fn page_with_links(
    state: &web::Data<AppState>,
    session: &Session,
    message: String,
    links: Vec<LinkShown>,
) -> Result<HttpResponse, WebError> {
    page_with(state, session, Some(message), true, StatusCode::OK, links, Panel::default()).await
}

/// The page with the population import's panel as given (its refused cells, the unit its form
/// opens with).
pub(super) async fn page_with_panel(
    state: &web::Data<AppState>,
    session: &Session,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
    panel: Panel,
) -> Result<HttpResponse, WebError> {
    page_with(state, session, message, ok, status, Vec::new(), panel).await
}

async fn page_with(
    state: &web::Data<AppState>,
    session: &Session,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
    links: Vec<LinkShown>,
    mut panel: Panel,
) -> Result<HttpResponse, WebError> {
    let now = chrono::Utc::now().naive_utc();
    let today = crate::domain::period::local_date(chrono::Utc::now(), state.config.timezone);
    let within = Console::within(session);
    let deployment = within.is_none();
    let (
        all,
        people,
        details,
        mail_problems,
        (publications, media),
        letterheads,
        (invitations, never_downloaded),
        (gaps, last_test),
    ) = blocking(state, move |state, conn| -> Result<_, DbError> {
        let mut all = units::list(conn)?;
        let mut people = users::list_with_units(conn)?;
        if let Some(within) = &within {
            // a subtree's admin: their units, and the users all of whose units are among them
            all.retain(|u| within.contains(&u.id));
            let slugs: HashSet<&str> = all.iter().map(|u| u.slug.as_str()).collect();
            people.retain(|(_, own)| !own.is_empty() && own.iter().all(|s| slugs.contains(s.as_str())));
        }
        let ids: Vec<i32> = all.iter().map(|u| u.id).collect();
        let (mut services, mut populations) =
            (units::services_of_units(conn, &ids)?, units::populations_of(conn, &ids)?);
        let publications = (db::publications::all(conn)?, db::publications::media(conn, None)?);
        let last_test = readiness::last_mail_test(conn)?;
        let loaded = readiness::Loaded {
            units: &all,
            services: &services,
            populations: &populations,
            users: &people,
            publications: &publications.0,
        };
        let gaps = readiness::checklist(&state.config, today, &loaded, last_test.is_some());
        let mut details = BTreeMap::new();
        for id in ids {
            let of_unit = services.remove(&id).unwrap_or_default();
            let names: Vec<String> = of_unit
                .iter()
                .map(|s| if s.active { s.name.clone() } else { format!("{} ({CLOSED_SERVICE})", s.name) })
                .collect();
            let rows = of_unit.into_iter().map(|s| ServiceRow { slug: s.slug, name: s.name, active: s.active });
            // the three latest periods ("2026-10" sorts after "2026")
            let mut counts: Vec<(String, i64)> = populations.remove(&id).unwrap_or_default().into_iter().collect();
            counts.sort_by(|a, b| b.0.cmp(&a.0));
            let latest: Vec<String> = counts.into_iter().take(3).map(|(p, n)| format!("{p}: {n}")).collect();
            details.insert(id, (names.join(", "), latest.join(", "), rows.collect::<Vec<_>>()));
        }
        let problems = db::mail_log::problems(conn)?;
        let letterheads = db::letterheads::all(conn)?;
        let invitations = accounts::open_invitations(conn, now)?;
        let never_downloaded = units::without_poster_download(conn)?.len();
        Ok((
            all,
            people,
            details,
            problems,
            publications,
            letterheads,
            (invitations, never_downloaded),
            (gaps, last_test),
        ))
    })
    .await?;
    let keys = match deployment {
        true => blocking(state, |_, conn| crate::api_keys::list(conn)).await?,
        false => Vec::new(),
    };
    let attached = blocking(state, |_, conn| db::instruments::all(conn)).await?;
    let attachable: Vec<(String, String)> =
        state.catalog.all().filter(|t| t.attachable).map(|t| (t.id.clone(), t.title.id.clone())).collect();

    let local = |at: chrono::NaiveDateTime| {
        at.and_utc().with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M %Z").to_string()
    };
    let api_keys = keys
        .into_iter()
        .map(|k| ApiKeyView {
            scopes: k.scope_list(),
            created: local(k.created_at),
            last_used: k.last_used_at.map(local),
            revoked: k.revoked_at.map(local),
            id: k.id,
            unit: k.unit,
            name: k.name,
        })
        .collect();
    let mut rows = Vec::new();
    fn walk(
        all: &[units::Unit],
        parent: Option<i32>,
        depth: usize,
        out: &mut Vec<UnitRow>,
        details: &mut BTreeMap<i32, (String, String, Vec<ServiceRow>)>,
        letterheads: &[(i32, db::letterheads::Letterhead)],
        default: &str,
    ) {
        for unit in all.iter().filter(|u| u.parent_id == parent) {
            let (services, populations, service_rows) = details.remove(&unit.id).unwrap_or_default();
            let letterhead =
                letterheads.iter().find(|(id, _)| *id == unit.id).map_or_else(LetterheadRow::default, |(_, l)| {
                    LetterheadRow {
                        set: true,
                        agency: l.agency.clone(),
                        address: l.address.clone(),
                        phone: l.phone.clone(),
                        website: l.website.clone(),
                        has_logo: l.logo.is_some(),
                        place: l.place.clone(),
                        position: l.position.clone(),
                        head_name: l.head_name.clone(),
                        nip: crate::domain::letterhead::Nip::parse(&l.nip).map(|n| n.to_string()).unwrap_or_default(),
                    }
                });
            out.push(UnitRow {
                indent: "— ".repeat(depth),
                slug: unit.slug.clone(),
                name: unit.name.clone(),
                template: unit.template_id.clone().unwrap_or_else(|| default.to_string()),
                services,
                populations,
                ticket: unit.ticket_mode,
                letterhead,
                id: unit.id,
                parent_id: unit.parent_id,
                active: unit.active,
                kind_label: label(UNIT_KINDS, &unit.kind),
                kinds: choices(UNIT_KINDS, &unit.kind),
                parents: Vec::new(),
                templates: Vec::new(),
                instruments: Vec::new(),
                service_rows,
                poster_per_service: unit.poster_per_service,
            });
            walk(all, Some(unit.id), depth + 1, out, details, letterheads, default);
        }
    }
    let mut details = details;
    // the tops of the listing: the tree's roots, or a subtree's admin's own units
    let listed: HashSet<i32> = all.iter().map(|u| u.id).collect();
    let mut tops: Vec<Option<i32>> =
        all.iter().filter_map(|u| u.parent_id.filter(|p| !listed.contains(p)).map(Some)).collect();
    tops.dedup();
    if deployment || tops.is_empty() {
        tops = vec![None];
    }
    for top in tops {
        walk(&all, top, 0, &mut rows, &mut details, &letterheads, state.templates.default_id());
    }
    let templates: Vec<(String, String)> =
        state.catalog.all().map(|t| (t.id.clone(), format!("{} ({} unsur)", t.title.id, t.elements.len()))).collect();
    let tree: Vec<(i32, Option<i32>, String, String)> =
        rows.iter().map(|r| (r.id, r.parent_id, r.slug.clone(), format!("{}{}", r.indent, r.name))).collect();
    for row in &mut rows {
        let below = subtree(&tree, row.id);
        row.parents = tree
            .iter()
            .filter(|(id, ..)| !below.contains(id))
            .map(|(id, _, slug, label)| OptionView {
                value: slug.clone(),
                label: label.clone(),
                selected: Some(*id) == row.parent_id,
            })
            .collect();
        row.templates = templates
            .iter()
            .map(|(id, label)| OptionView { value: id.clone(), label: label.clone(), selected: *id == row.template })
            .collect();
        row.instruments = attachable
            .iter()
            .map(|(id, title)| OptionView {
                value: id.clone(),
                label: title.clone(),
                selected: attached.iter().any(|(unit, t)| *unit == row.id && t == id),
            })
            .collect();
    }
    let tr = Tr::new(Lang::Id);
    let label_of = |period: &str| period.parse::<Period>().map(|p| p.label_id()).unwrap_or_else(|_| period.to_string());
    let counts = crate::publications::counts(&media);
    let mut published: Vec<PublishedRow> = publications
        .iter()
        .filter_map(|p| {
            let unit = all.iter().find(|u| u.id == p.unit_id)?;
            let label = label_of(&p.period);
            let counted = counts.get(&(p.unit_id, p.period.clone())).copied();
            Some(PublishedRow {
                media: match counted {
                    Some((media, entries)) => {
                        tr.fill("admin.media.count", &[("media", media.to_string()), ("entries", entries.to_string())])
                    }
                    None => tr.t("admin.media.none").to_string(),
                },
                no_media: counted.is_none(),
                unit_name: unit.name.clone(),
                slug: unit.slug.clone(),
                period_label: label,
                period: p.period.clone(),
                roll_up: p.with_subunits,
                // stored in UTC, shown in the regency's time zone (SPEC §5)
                published_at: p
                    .published_at
                    .and_utc()
                    .with_timezone(&state.config.timezone)
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string(),
            })
        })
        .collect();
    published.sort_by(|a, b| a.unit_name.cmp(&b.unit_name).then_with(|| b.period.cmp(&a.period)));
    // the log grouped by published period, in the order it comes (unit, latest period first)
    let mut groups: Vec<MediaGroup> = Vec::new();
    let mut current: Option<(i32, String)> = None;
    for m in media {
        let Some(unit) = all.iter().find(|u| u.id == m.unit_id) else { continue };
        let key = (m.unit_id, m.period.clone());
        if current.as_ref() != Some(&key) {
            let (kinds, entries) = counts.get(&key).copied().unwrap_or_default();
            groups.push(MediaGroup {
                title: format!("{} — {}", unit.name, label_of(&m.period)),
                count: tr.fill("admin.media.count", &[("media", kinds.to_string()), ("entries", entries.to_string())]),
                withdrawn: !publications.iter().any(|p| p.unit_id == m.unit_id && p.period == m.period),
                rows: Vec::new(),
            });
            current = Some(key);
        }
        let row = MediumRow {
            id: m.id,
            medium: m.medium.parse::<Medium>().map(|k| k.label_id()).unwrap_or("–"),
            date: chrono::NaiveDate::parse_from_str(&m.published_on, "%Y-%m-%d").map(date_id).unwrap_or(m.published_on),
            url_label: m.url.as_deref().map(site_of).unwrap_or_default(),
            url: m.url,
            image: m.image_id.map(|_| format!("/dasbor/unit/{}/publikasi/{}", unit.slug, m.id)),
            note: m.note.unwrap_or_default(),
        };
        if let Some(group) = groups.last_mut() {
            group.rows.push(row);
        }
    }
    let desks = match deployment {
        true => blocking(state, |_, conn| super::admin_desks::rows(conn)).await?,
        false => Vec::new(),
    };
    let view = AdminPage {
        deployment,
        desks,
        readiness: admin_readiness::lines(&tr, &gaps, &state.config),
        server: admin_readiness::server(&state.config, last_test),
        own_email: session.user.email.clone(),
        prefill: if panel.prefill.period.is_empty() {
            Prefill { period: Period::month_of(today).to_string(), ..std::mem::take(&mut panel.prefill) }
        } else {
            std::mem::take(&mut panel.prefill)
        },
        tr,
        kiosk: false,
        nav: Nav::of(session),
        csrf: session.csrf.clone(),
        message,
        ok,
        users: people
            .into_iter()
            .map(|(u, slugs)| UserRow {
                own: u.id == session.user.id,
                roles: choices(ROLES, &u.role),
                role_label: label(ROLES, &u.role),
                unit_options: rows
                    .iter()
                    .map(|r| OptionView {
                        value: r.slug.clone(),
                        label: format!("{}{}", r.indent, r.name),
                        selected: slugs.contains(&r.slug),
                    })
                    .collect(),
                units: slugs.join(", "),
                pending: !u.has_password(),
                invitation_until: invitations.iter().find(|(id, _)| *id == u.id).map(|(_, until)| {
                    until.and_utc().with_timezone(&state.config.timezone).format("%Y-%m-%d %H:%M %Z").to_string()
                }),
                email: u.email,
                name: u.name,
                disabled: u.disabled,
            })
            .collect(),
        units: rows,
        links,
        base_url_warning: state.config.base_url_is_local().then(|| state.config.base_url.clone()),
        mail_problems: mail_problems
            .into_iter()
            .map(|(to, period, status, attempts, error)| (to, period, status, attempts, error.unwrap_or_default()))
            .collect(),
        published,
        media: groups,
        media_kinds: Medium::ALL.iter().map(|m| (m.as_str(), m.label_id())).collect(),
        max_image_mb: MAX_IMAGE_BYTES / 1024 / 1024,
        evidence_periods: evidence_periods(&publications, state.config.timezone),
        populations: {
            panel.never_downloaded = never_downloaded;
            panel
        },
        api_keys,
    };
    html(status, &view)
}

/// The evidence pack's periods: this year and last, and every published period with its year.
fn evidence_periods(publications: &[db::publications::Publication], tz: chrono_tz::Tz) -> Vec<(String, String)> {
    let year = chrono::Datelike::year(&crate::domain::period::local_date(chrono::Utc::now(), tz));
    let mut periods: Vec<Period> = vec![Period::Year { year }, Period::Year { year: year - 1 }];
    for p in publications.iter().filter_map(|p| p.period.parse::<Period>().ok()) {
        periods.push(Period::Year { year: chrono::Datelike::year(&p.first_day()) });
        periods.push(p);
    }
    periods.sort_by(|a, b| b.first_day().cmp(&a.first_day()).then(b.end_exclusive().cmp(&a.end_exclusive())));
    periods.dedup();
    periods.into_iter().map(|p| (p.to_string(), p.label_id())).collect()
}

/// The unit and every unit below it, from the tree's (id, parent) pairs.
fn subtree(tree: &[(i32, Option<i32>, String, String)], root: i32) -> HashSet<i32> {
    let mut below = HashSet::from([root]);
    let mut grew = true;
    while grew {
        grew = false;
        for (id, parent, ..) in tree {
            if parent.is_some_and(|p| below.contains(&p)) && below.insert(*id) {
                grew = true;
            }
        }
    }
    below
}

const UNIT_KINDS: &[(&str, &str)] =
    &[("opd", "OPD"), ("sub_unit", "Sub-unit"), ("mpp", "Mal Pelayanan Publik (MPP)"), ("regency", "Kabupaten")];
const ROLES: &[(&str, &str)] =
    &[("operator", "Operator"), ("unit_head", "Kepala unit"), ("admin", "Admin (Bagian Organisasi)")];
const CLOSED_SERVICE: &str = "nonaktif";

/// The label of a stored value (the value itself if it has none).
fn label(options: &[(&str, &str)], value: &str) -> String {
    options.iter().find(|(v, _)| *v == value).map_or(value, |(_, label)| label).to_string()
}

/// A select's options with the current value chosen.
fn choices(options: &[(&str, &str)], current: &str) -> Vec<OptionView> {
    options
        .iter()
        .map(|(value, label)| OptionView {
            value: value.to_string(),
            label: label.to_string(),
            selected: *value == current,
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    ok: Option<String>,
    /// the add form to open (a checklist link): layanan, kepala or populasi
    isi: Option<String>,
    unit: Option<String>,
    /// a unit's slug: the population form opens with it chosen (the dashboards link here)
    populasi: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    Console(session): Console,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, WebError> {
    let query = query.into_inner();
    let message = query.ok.as_ref().map(|_| tr().t("admin.saved").to_string());
    let today = crate::domain::period::local_date(chrono::Utc::now(), state.config.timezone);
    // a dashboard's link names the unit without a population (`populasi=slug`)
    let (open, unit) = match query.populasi {
        Some(slug) => ("populasi".to_string(), slug),
        None => (query.isi.unwrap_or_default(), query.unit.unwrap_or_default()),
    };
    let prefill = Prefill { open, unit, period: Period::month_of(today).to_string() };
    page_with_panel(
        &state,
        &session,
        message.clone(),
        message.is_some(),
        StatusCode::OK,
        Panel { prefill, ..Panel::default() },
    )
    .await
}

/// `POST /admin/{unit|service|population|template|letterhead|user|publish|unpublish|delete_medium|…}`:
/// a form URL-encoded, or as multipart (the kop surat form, which may carry a logo).
pub async fn act(
    state: web::Data<AppState>,
    Console(session): Console,
    action: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let (fields, logo) = read_form(&request, payload).await?;
    session::check_csrf(&session, fields.get("csrf").map(String::as_str))?;
    let action = action.into_inner();
    let action_is_media = action == "delete_medium";
    let worker = state.clone();
    let actor = session.user.id;
    let within = Console::within(&session);
    let outcome = web::block(move || apply(&worker, actor, within.as_ref(), &action, &fields, logo))
        .await
        .map_err(WebError::from)??;
    Ok(match outcome {
        Ok(Done::Saved) if action_is_media => see_other("/admin?ok=1#h-media"),
        Ok(Done::Saved) => see_other("/admin?ok=1"),
        Ok(Done::Link(link)) => {
            page_with(&state, &session, None, true, StatusCode::OK, vec![link], Panel::default()).await?
        }
        Ok(Done::Mailed(text) | Done::Said(text)) => page(&state, &session, Some(text), true, StatusCode::OK).await?,
        Ok(Done::Key(shown)) => {
            let panel = Panel { api_key_shown: Some(shown), ..Panel::default() };
            page_with_panel(&state, &session, None, true, StatusCode::OK, panel).await?
        }
        Err(problem) => page(&state, &session, Some(problem), false, StatusCode::UNPROCESSABLE_ENTITY).await?,
    })
}

/// A URL-encoded form's fields, trimmed; a multiple select (a user's units) sends `units` once
/// per choice, kept as one comma-separated list.
fn joined(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in pairs {
        let value = value.trim().to_string();
        match fields.get_mut(&key) {
            Some(list) if (key == "units" || key == "scopes") && !value.is_empty() => {
                list.push(',');
                list.push_str(&value);
            }
            _ => {
                fields.insert(key, value);
            }
        }
    }
    fields
}

/// Text fields of a multipart form are short and few; the logo is checked by `crate::letterhead`.
const MAX_FIELD: usize = 4 * 1024;
const MAX_FIELDS: usize = 32;

/// The form's fields, trimmed, and the logo file if one was chosen.
async fn read_form(
    request: &HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<(BTreeMap<String, String>, Option<Vec<u8>>)> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let form = web::Form::<Vec<(String, String)>>::from_request(request, &mut payload.into_inner()).await?;
        return Ok((joined(form.into_inner()), None));
    }
    let mut parts = Multipart::new(request.headers(), payload.into_inner());
    let (mut fields, mut logo) = (BTreeMap::new(), None);
    while let Some(part) = parts.next().await {
        let invalid = |reason: String| WebError::Invalid { field: "form".into(), reason };
        let mut part = part.map_err(|e| invalid(e.to_string()))?;
        if fields.len() >= MAX_FIELDS {
            return Err(invalid(format!("more than {MAX_FIELDS} fields")).into());
        }
        let name = part.name().unwrap_or_default().to_string();
        let limit = if name == "logo" { crate::images::MAX_BYTES + 1 } else { MAX_FIELD };
        let mut data = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| invalid(e.to_string()))?;
            // one byte past the limit is enough for the service to say "too large"
            let room = limit.saturating_sub(data.len());
            data.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        if name == "logo" {
            // a file input left empty sends an empty part
            logo = Some(data).filter(|d| !d.is_empty());
        } else {
            fields.insert(name, String::from_utf8_lossy(&data).trim().to_string());
        }
    }
    Ok((fields, logo))
}

/// Applies one admin form; `Ok(Err(text))` is a problem with the input, shown on the page.
fn apply(
    state: &AppState,
    actor: i32,
    within: Option<&HashSet<i32>>,
    action: &str,
    f: &BTreeMap<String, String>,
    logo: Option<Vec<u8>>,
) -> Result<Result<Done, String>, WebError> {
    let outcome = match within {
        Some(ids) => in_subtree(state, ids, action, f).and_then(|kept| {
            let f = kept.as_ref().unwrap_or(f);
            change(state, actor, action, f, logo)
        }),
        None => change(state, actor, action, f, logo),
    };
    match outcome {
        Ok(done) => Ok(Ok(done)),
        Err(Refusal::Input(text)) => Ok(Err(text)),
        Err(Refusal::Fault(err)) => Err(err),
    }
}

/// What a subtree's admin may do in the console: their units, services, questionnaires,
/// letterheads and users. The deployment's work (the workbook, publications, API keys, counters,
/// the server's e-mail) stays with the deployment's admins.
const SUBTREE_ACTIONS: &[&str] = &[
    "unit",
    "unit-edit",
    "unit-disable",
    "unit-enable",
    "service",
    "service-edit",
    "service-disable",
    "service-enable",
    "template",
    "instrument-add",
    "instrument-remove",
    "letterhead",
    "user",
    "user-invite",
    "user-revoke-invite",
    "user-edit",
    "user-disable",
    "user-enable",
    "user-reset",
];

/// Holds a subtree's admin to their subtree before the action runs: every unit the form names
/// (the unit, a new unit's parent, a user's units) and every user it names must be theirs; a
/// unit or user outside answers as one that does not exist. Returns the form to apply instead
/// when it must change: the top unit of the subtree keeps the parent it has (outside the
/// subtree, so not in the form's list).
fn in_subtree(
    state: &AppState,
    within: &HashSet<i32>,
    action: &str,
    f: &BTreeMap<String, String>,
) -> Result<Option<BTreeMap<String, String>>, Refusal> {
    if !SUBTREE_ACTIONS.contains(&action) {
        return Err(refuse(says("deployment_only", &[])));
    }
    let get = |name: &str| f.get(name).map(String::as_str).unwrap_or_default();
    let mut conn = state.pool.get().map_err(DbError::from)?;
    let conn = &mut conn;
    fn theirs(conn: &mut db::DbConnection, within: &HashSet<i32>, slug: &str) -> Result<Option<units::Unit>, Refusal> {
        match units::by_slug(conn, slug) {
            Ok(unit) if within.contains(&unit.id) => Ok(Some(unit)),
            Ok(_) | Err(DbError::NotFound) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }
    let unit_in = |conn: &mut db::DbConnection, slug: &str| theirs(conn, within, slug);
    let outside =
        |field: &str, slug: &str| refuse(format!("{field}: {}", says("unit_unknown", &[("unit", slug.into())])));
    let mut kept = None;
    match action {
        "unit" => {
            // a subtree's admin adds below their units, never a new top of the tree
            let parent = get("parent");
            if unit_in(conn, parent)?.is_none() {
                return Err(outside("parent", parent));
            }
        }
        "unit-edit" => {
            let unit = unit_in(conn, get("unit"))?.ok_or_else(|| outside("unit", get("unit")))?;
            let parent = get("parent");
            if parent.is_empty() && unit.parent_id.is_some_and(|p| !within.contains(&p)) {
                let current = units::by_id(conn, unit.parent_id.unwrap_or_default())?;
                let mut form = f.clone();
                form.insert("parent".into(), current.slug);
                kept = Some(form);
            } else if unit_in(conn, parent)?.is_none() {
                return Err(outside("parent", parent));
            }
        }
        "user" | "user-edit" => {
            let chosen = if action == "user" { get("unit").to_string() } else { get("units").to_string() };
            let slugs: Vec<&str> = chosen.split(',').filter(|s| !s.is_empty()).collect();
            // a user without units would be an admin (or head) of the whole deployment
            if slugs.is_empty() {
                return Err(refuse(format!("unit: {}", says("subtree_units", &[]))));
            }
            for slug in slugs {
                if unit_in(conn, slug)?.is_none() {
                    return Err(outside("unit", slug));
                }
            }
        }
        _ => {}
    }
    if action.starts_with("user-") {
        let email = get("user");
        let theirs = match users::by_email(conn, email) {
            Ok(user) => {
                let ids = users::unit_ids_of(conn, user.id)?;
                !ids.is_empty() && ids.iter().all(|id| within.contains(id))
            }
            Err(DbError::NotFound) => false,
            Err(other) => return Err(other.into()),
        };
        if !theirs {
            return Err(refuse(says("user_unknown", &[("email", email.into())])));
        }
    } else if action != "unit" && !get("unit").is_empty() && action != "user" && unit_in(conn, get("unit"))?.is_none() {
        return Err(outside("unit", get("unit")));
    }
    Ok(kept)
}

/// Reads one form into the input of its service function (`crate::units`, `crate::accounts`),
/// which checks the rules `skm unit …` and `skm user …` share and writes the audit record.
fn change(
    state: &AppState,
    actor: i32,
    action: &str,
    f: &BTreeMap<String, String>,
    logo: Option<Vec<u8>>,
) -> Result<Done, Refusal> {
    let get = |name: &str| f.get(name).map(String::as_str).unwrap_or_default();
    // a select left at "—" (or an empty field) chooses nothing
    let chosen = |name: &str| Some(get(name)).filter(|v| !v.is_empty()).map(String::from);
    let slug = |name: &str| Slug::parse(get(name)).map_err(|_| refuse(format!("{name}: {}", says("slug", &[]))));
    let mut conn = state.pool.get().map_err(DbError::from)?;
    let (conn, by) = (&mut conn, Some(actor));
    match action {
        "unit" => {
            let new = NewUnit {
                slug: slug("slug")?,
                kind: get("kind").parse::<UnitKind>().map_err(|_| refuse(format!("kind: {}", says("unknown", &[]))))?,
                name: get("name").into(),
                parent: chosen("parent"),
                contact_emails: contact_emails(get("emails"))?,
                template: None,
            };
            crate::units::add(conn, &state.catalog, by, new)?;
        }
        "service" => {
            let new = NewService { unit: get("unit").into(), slug: slug("slug")?, name: get("name").into() };
            crate::units::add_service(conn, by, new)?;
        }
        "population" => {
            let period =
                get("period").parse().map_err(|_| refuse(format!("period: {}", says("year_or_month", &[]))))?;
            let count = get("count").parse().map_err(|_| refuse(format!("count: {}", says("whole_number", &[]))))?;
            crate::units::set_population(conn, by, Population { unit: get("unit").into(), period, count })?;
        }
        "template" => crate::units::set_template(conn, &state.catalog, by, get("unit"), get("template"))?,
        // Zona Integritas (issue 19, point 7): an instrument asked after the unit's questionnaire
        "instrument-add" => {
            crate::units::attach_instrument(conn, &state.templates, by, get("unit"), get("template"))?;
        }
        "instrument-remove" => {
            crate::units::detach_instrument(conn, by, get("unit"), get("template"))?;
        }
        "mail-test" => return mail_test(state, conn, actor, get("to")),
        "letterhead" => {
            let text = |name: &str| Some(get(name).to_string());
            let input = LetterheadInput {
                unit: get("unit").into(),
                agency: text("agency"),
                address: text("address"),
                phone: text("phone"),
                website: text("website"),
                logo: match (logo, get("remove_logo")) {
                    (Some(bytes), _) => LogoChange::Set(bytes),
                    (None, "1") => LogoChange::Remove,
                    (None, _) => LogoChange::Keep,
                },
                place: text("place"),
                position: text("position"),
                head_name: text("head_name"),
                nip: text("nip"),
            };
            crate::letterhead::set(conn, by, input)?;
        }
        // a new user is invited: they set their own password
        "user" => {
            let new = accounts::NewUser {
                email: Email::parse(get("email")).map_err(|reason| {
                    refuse(format!(
                        "email: {} ({})",
                        says("not_email", &[]),
                        says(&format!("email.{}", reason.code()), &[])
                    ))
                })?,
                name: get("name").into(),
                role: get("role").parse::<Role>().map_err(|_| refuse(format!("role: {}", says("unknown", &[]))))?,
                units: chosen("unit").into_iter().collect(),
                password: None,
            };
            let user = accounts::add_user(conn, by, new)?;
            return invited(state, conn, by, &user.email);
        }
        "user-invite" => return invited(state, conn, by, get("user")),
        "user-revoke-invite" => {
            accounts::revoke_invitation(conn, by, get("user"), chrono::Utc::now().naive_utc()).map(drop)?
        }
        "publish" => crate::units::publish(conn, &state.templates, by, publication(f)?).map(drop)?,
        "unpublish" => crate::units::unpublish(conn, by, publication(f)?)?,
        "delete_medium" => {
            let id = get("id").parse().map_err(|_| refuse(format!("id: {}", says("medium_entry_unknown", &[]))))?;
            crate::publications::remove_medium(conn, by, id)?;
        }
        // corrections: units and services keep their slugs (printed in QR codes), users their address
        "unit-edit" => {
            let edit = UnitEdit {
                unit: get("unit").into(),
                name: get("name").into(),
                kind: get("kind").parse::<UnitKind>().map_err(|_| refuse(format!("kind: {}", says("unknown", &[]))))?,
                parent: chosen("parent"),
            };
            let unit = crate::units::edit(conn, by, edit)?;
            crate::units::set_poster_per_service(conn, by, &unit.slug, get("poster_per_service") == "1")?;
        }
        "unit-disable" | "unit-enable" => crate::units::set_enabled(conn, by, get("unit"), action == "unit-enable")?,
        "service-edit" => {
            let edit =
                ServiceEdit { unit: get("unit").into(), service: get("service").into(), name: get("name").into() };
            crate::units::edit_service(conn, by, edit).map(drop)?;
        }
        "service-disable" | "service-enable" => {
            crate::units::set_service_enabled(conn, by, get("unit"), get("service"), action == "service-enable")?
        }
        "user-edit" => {
            let edit = accounts::UserEdit {
                user: get("user").into(),
                name: get("name").into(),
                role: get("role").parse::<Role>().map_err(|_| refuse(format!("role: {}", says("unknown", &[]))))?,
                units: get("units").split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
            };
            accounts::edit_user(conn, by, edit).map(drop)?;
        }
        "user-disable" | "user-enable" => {
            accounts::set_enabled(conn, by, get("user"), action == "user-enable", chrono::Utc::now().naive_utc())?
        }
        "user-reset" => {
            let link = accounts::reset_link(conn, by, get("user"), chrono::Utc::now().naive_utc())?;
            return Ok(Done::Link(LinkShown::of(state, &link, false, None)));
        }
        "api-key-create" => {
            let new = crate::api_keys::NewKey {
                unit: get("unit").into(),
                name: get("name").into(),
                scopes: get("scopes").into(),
            };
            let created = crate::api_keys::create(conn, &state.keys, by, new, chrono::Utc::now().naive_utc())?;
            return Ok(Done::Key(KeyShown {
                scopes: created.key.scope_list(),
                id: created.key.id,
                unit: created.key.unit,
                secret: created.secret,
            }));
        }
        "api-key-revoke" => {
            crate::api_keys::revoke(conn, by, get("id"), chrono::Utc::now().naive_utc())?;
            return Ok(Done::Said(tr().fill("admin.api_keys.revoked_done", &[("id", get("id").to_string())])));
        }
        desk if super::admin_desks::ACTIONS.contains(&desk) => {
            super::admin_desks::change(conn, by, desk, f).map_err(|problem| match problem {
                Ok(text) => Refusal::Input(text),
                Err(err) => err.into(),
            })?
        }
        _ => return Err(Refusal::Fault(WebError::NotFound)),
    }
    Ok(Done::Saved)
}

/// A new invitation for the user, mailed, or its link shown once when it was not.
fn invited(state: &AppState, conn: &mut db::DbConnection, by: Option<i32>, email: &str) -> Result<Done, Refusal> {
    let invitation = accounts::invite(conn, by, email, chrono::Utc::now().naive_utc())?;
    Ok(match admin_invite::deliver(state, conn, &invitation)? {
        Invited::Mailed(text) => Done::Mailed(text),
        Invited::Shown(link) => Done::Link(link),
    })
}

/// The unit and period of the publish and unpublish forms.
fn publication(f: &BTreeMap<String, String>) -> Result<Publication, Refusal> {
    let get = |name: &str| f.get(name).map(String::as_str).unwrap_or_default();
    let period =
        get("period").parse::<Period>().map_err(|_| refuse(format!("period: {}", says("period_unknown", &[]))))?;
    Ok(Publication { unit: get("unit").into(), period })
}

/// "kutaitimurkab.go.id/berita/…" for a long link: the site and where the path begins.
fn site_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    match rest.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &rest[..cut]),
        None => rest.to_string(),
    }
}

/// What was wrong with the form, in the admin page's Indonesian.
pub(super) fn media_words(problem: &MediaError) -> String {
    match problem {
        MediaError::Invalid { field: "medium", .. } => format!("medium: {}", says("medium_unknown", &[])),
        MediaError::Invalid { field: "date", .. } => format!("date: {}", says("date", &[])),
        MediaError::Invalid { field, .. } => format!("{field}: {}", says("choose_published", &[])),
        MediaError::Proof { field, problem } => proof_words(field, *problem),
        MediaError::NoProof => format!("bukti: {}", says("no_proof", &[])),
        MediaError::UnitUnknown(slug) => format!("unit: {}", says("unit_unknown", &[("unit", slug.to_string())])),
        MediaError::NotPublished { unit, period } => {
            format!("period: {}", says("not_published", &[("unit", unit.to_string()), ("period", period.label_id())]))
        }
        MediaError::NotFound => says("medium_entry_gone", &[]),
        MediaError::Db(e) => e.to_string(),
    }
}

pub(super) fn proof_words(field: &str, problem: ProofError) -> String {
    let reason = match problem {
        ProofError::NotAnImage => "proof.not_image",
        ProofError::TooLarge => "proof.too_large",
        ProofError::BadUrl => "proof.bad_url",
        ProofError::NoteTooLong => "proof.note_too_long",
    };
    format!("{field}: {}", says(reason, &[]))
}

/// The unit form's contact addresses, separated by commas; each must parse.
fn contact_emails(field: &str) -> Result<Vec<Email>, Refusal> {
    field
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            Email::parse(e).map_err(|reason| {
                refuse(format!(
                    "emails: '{e}' {} ({})",
                    says("not_email", &[]),
                    says(&format!("email.{}", reason.code()), &[])
                ))
            })
        })
        .collect()
}

/// Why an admin form changed nothing: its input (a text for the page, in the page's Indonesian
/// where it has its own words, else the service's reason) or a fault of ours (the error page).
enum Refusal {
    Input(String),
    Fault(WebError),
}

/// A problem with the input, as the page shows it: "field: reason" with the field named as the
/// form labels it ("Periode: periode tidak dikenal", not "period: …"), so the page stays in one
/// language.
fn refuse(text: impl Into<String>) -> Refusal {
    let text = text.into();
    let named = text.split_once(": ").and_then(|(field, reason)| {
        let plain = !field.is_empty() && field.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let key = format!("field.{field}");
        let label = tr().t(&key).to_string();
        (plain && label != key).then(|| format!("{label}: {reason}"))
    });
    Refusal::Input(named.unwrap_or(text))
}

impl From<DbError> for Refusal {
    fn from(err: DbError) -> Self {
        Refusal::Fault(err.into())
    }
}

impl From<UnitError> for Refusal {
    fn from(err: UnitError) -> Self {
        refuse(match err {
            UnitError::NameEmpty => format!("name: {}", says("required", &[])),
            UnitError::ParentUnknown(slug) => format!("parent: {}", says("unit_unknown", &[("unit", slug)])),
            UnitError::UnitUnknown(slug) => format!("unit: {}", says("unit_unknown", &[("unit", slug)])),
            UnitError::PeriodNotYearOrMonth(_) => format!("period: {}", says("year_or_month", &[])),
            UnitError::TemplateUnknown(_) => format!("template: {}", says("unknown", &[])),
            UnitError::NotAttachable(_) => format!("template: {}", says("not_attachable", &[])),
            UnitError::NoResponses { unit, period } => {
                format!("period: {}", says("no_responses", &[("unit", unit), ("period", period.label_id())]))
            }
            UnitError::NotPublished { unit, period } => {
                format!(
                    "period: {}",
                    says("not_published", &[("unit", unit.to_string()), ("period", period.label_id())])
                )
            }
            UnitError::SlugTaken(slug) => format!("slug: {}", says("slug_taken", &[("slug", slug.to_string())])),
            UnitError::ServiceSlugTaken(slug) => {
                format!("slug: {}", says("service_slug_taken", &[("slug", slug.to_string())]))
            }
            UnitError::ServiceUnknown(slug) => tr().fill("admin.error.service_unknown", &[("service", slug)]),
            UnitError::ParentCycle { parent, .. } => tr().fill("admin.error.parent_cycle", &[("parent", parent)]),
            UnitError::Sender(_) => format!("from: {}", says("not_email", &[])),
            UnitError::Db(err) => return err.into(),
        })
    }
}

impl From<LetterheadError> for Refusal {
    fn from(err: LetterheadError) -> Self {
        let field = err.field().unwrap_or("input");
        refuse(match err {
            LetterheadError::UnitUnknown(slug) => format!("unit: {}", says("unit_unknown", &[("unit", slug)])),
            LetterheadError::TooLong { max, .. } => {
                format!("{field}: {}", says("too_long", &[("max", max.to_string())]))
            }
            LetterheadError::NotOneLine { .. } => format!("{field}: {}", says("one_line", &[])),
            LetterheadError::Nip => format!("nip: {}", says("nip", &[])),
            LetterheadError::Website => format!("website: {}", says("website", &[])),
            LetterheadError::Phone => format!("phone: {}", says("phone", &[])),
            LetterheadError::Logo(_) => format!("logo: {}", says("logo", &[])),
            LetterheadError::Db(err) => return err.into(),
        })
    }
}

impl From<MediaError> for Refusal {
    fn from(err: MediaError) -> Self {
        match err {
            MediaError::Db(err) => err.into(),
            problem => refuse(media_words(&problem)),
        }
    }
}

impl From<crate::api_keys::ApiKeyError> for Refusal {
    fn from(err: crate::api_keys::ApiKeyError) -> Self {
        use crate::api_keys::ApiKeyError;
        refuse(match err {
            ApiKeyError::UnitUnknown(slug) => format!("unit: {}", says("unit_unknown", &[("unit", slug)])),
            ApiKeyError::NoScope => format!("scopes: {}", says("api_key_no_scope", &[])),
            ApiKeyError::ScopeUnknown(scope) => {
                format!("scopes: {}", says("api_key_scope_unknown", &[("scope", scope)]))
            }
            ApiKeyError::NameTooLong => {
                format!("name: {}", says("too_long", &[("max", crate::api_keys::MAX_NAME.to_string())]))
            }
            ApiKeyError::KeyUnknown(id) => says("api_key_unknown", &[("id", id)]),
            ApiKeyError::Revoked(id) => says("api_key_revoked", &[("id", id)]),
            ApiKeyError::Db(err) => return err.into(),
        })
    }
}

impl From<UserError> for Refusal {
    fn from(err: UserError) -> Self {
        refuse(match err {
            UserError::UnitMissing(_) => format!("unit: {}", says("unit_missing", &[])),
            UserError::UnitUnknown(slug) => format!("unit: {}", says("unit_unknown", &[("unit", slug)])),
            UserError::PasswordTooShort => {
                format!("password: {}", says("password_short", &[("min", crate::password::MIN_LENGTH.to_string())]))
            }
            UserError::EmailTaken(email) => format!("email: {}", says("email_taken", &[("email", email.to_string())])),
            UserError::UserUnknown(email) => tr().fill("admin.error.user_unknown", &[("email", email)]),
            UserError::NameEmpty => format!("name: {}", says("required", &[])),
            UserError::OwnAccount => tr().t("admin.error.own_account").to_string(),
            UserError::OwnAdminRole => tr().t("admin.error.own_admin_role").to_string(),
            UserError::Disabled(email) => tr().fill("admin.error.user_disabled", &[("email", email)]),
            UserError::HasPassword(email) => tr().fill("admin.error.has_password", &[("email", email)]),
            UserError::Hashing(reason) => return Refusal::Fault(WebError::Internal(reason)),
            UserError::Db(err) => return err.into(),
        })
    }
}

/// The admin page's language.
fn tr() -> Tr {
    Tr::new(Lang::Id)
}

/// A reason in the admin page's words (`admin.error.*` of the translation files).
fn says(key: &str, args: &[(&str, String)]) -> String {
    tr().fill(&format!("admin.error.{key}"), args)
}

/// Sends a test e-mail and notes it for the checklist; a refusal carries the server's reason.
fn mail_test(state: &AppState, conn: &mut db::DbConnection, actor: i32, to: &str) -> Result<Done, Refusal> {
    let tr = tr();
    let failed = |reason: String| refuse(tr.fill("server.test_failed", &[("reason", reason)]));
    let to = Email::parse(to).map_err(|e| failed(says(&format!("email.{}", e.code()), &[])))?;
    let mailer = crate::mail::Mailer::smtp(&state.config.mail).map_err(|e| failed(e.to_string()))?;
    let message = crate::mail::compose::test_message(&state.config, to.as_str()).map_err(|e| failed(e.to_string()))?;
    let answer = mailer.send(&message).map_err(|e| failed(e.to_string()))?;
    readiness::record_mail_test(conn, Some(actor), to.as_str())?;
    Ok(Done::Said(tr.fill("server.test_sent", &[("to", to.to_string()), ("answer", answer)])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::email::EmailError;

    #[test]
    fn every_refusal_reason_has_its_indonesian_words() {
        let reasons = [
            EmailError::Empty,
            EmailError::TooLong,
            EmailError::Whitespace,
            EmailError::NoAt,
            EmailError::SeveralAt,
            EmailError::LocalEmpty,
            EmailError::DomainWithoutDot,
            EmailError::DomainEmptyLabel,
        ];
        for reason in reasons {
            let key = format!("email.{}", reason.code());
            assert_ne!(says(&key, &[]), format!("admin.error.{key}"), "{key} has no words");
        }
        for key in ["slug", "unknown", "not_published", "password_short", "email_taken", "logo", "nip"] {
            assert_ne!(says(key, &[]), format!("admin.error.{key}"), "{key} has no words");
        }
    }
}
