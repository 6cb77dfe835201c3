//! The "Persiapan SKM" card at the top of `/admin` and the server settings it points to (with
//! the test e-mail), as the page shows them.

use super::i18n::Tr;
use crate::config::Config;
use crate::domain::readiness::Gap;
use chrono::NaiveDateTime;

/// Units named on one line before "and N more": the list stays readable on a phone.
const UNITS_SHOWN: usize = 8;

/// One line of the checklist: what is missing, where it is fixed, and the units concerned
/// (each linked to the form that fixes it).
pub(super) struct GapLine {
    pub key: &'static str,
    pub text: String,
    pub fix_label: String,
    pub fix_href: String,
    pub units: Vec<(String, String)>,
    pub more: Option<String>,
}

/// What the server settings section shows.
pub(super) struct ServerView {
    pub base_url: String,
    pub base_url_local: bool,
    pub smtp: Option<String>,
    /// the SMS/WhatsApp gateway's scheme, host and method: never its path, query or headers
    pub gateway: Option<String>,
    pub from: String,
    pub last_test: Option<String>,
}

/// Which "add" form a checklist link opens, and for which unit (`/admin?isi=…&unit=…`).
#[derive(Default)]
pub struct Prefill {
    pub open: String,
    pub unit: String,
    /// the running month, for the population form
    pub period: String,
}

impl Prefill {
    pub fn opens(&self, form: &str) -> bool {
        self.open == form
    }

    pub fn picks(&self, slug: &str) -> bool {
        self.unit == slug
    }
}

pub(super) fn lines(tr: &Tr, gaps: &[Gap], config: &Config) -> Vec<GapLine> {
    gaps.iter()
        .map(|gap| {
            let key = gap.key();
            let text = match gap {
                Gap::NoPopulation(period, _) => tr.fill("readiness.no_population", &[("period", period.label_id())]),
                Gap::BaseUrlLocal => tr.fill("readiness.base_url", &[("url", config.base_url.clone())]),
                Gap::NothingPublished(year) => tr.fill("readiness.nothing_published", &[("year", year.to_string())]),
                _ => tr.t(&format!("readiness.{key}")).to_string(),
            };
            // the form a unit's link opens (`Prefill::open`), or the section the line links to
            let (form, href) = match gap {
                Gap::NoServices(_) => (Some("layanan"), "/admin?isi=layanan#tambah-layanan".to_string()),
                Gap::NoHead(_) => (Some("kepala"), "/admin?isi=kepala#tambah-pengguna".to_string()),
                Gap::NoPopulation(..) => (Some("populasi"), "/admin?isi=populasi#tambah-populasi".to_string()),
                Gap::NoPoster(_) => (None, "/admin/poster-semua.pdf".to_string()),
                Gap::BaseUrlLocal | Gap::MailOff => (None, "#h-server".to_string()),
                Gap::MailUntested => (None, "#uji-email".to_string()),
                Gap::NothingPublished(_) => (None, "#publikasikan".to_string()),
            };
            let anchor = href.split_once('#').map_or("", |(_, a)| a);
            let named = gap.units();
            GapLine {
                key,
                text,
                fix_label: tr.t(&format!("readiness.{key}.fix")).to_string(),
                units: named
                    .iter()
                    .take(UNITS_SHOWN)
                    .map(|u| {
                        let link = match form {
                            Some(form) => format!("/admin?isi={form}&unit={}#{anchor}", u.slug),
                            None => format!("#unit-{}", u.slug),
                        };
                        (u.name.clone(), link)
                    })
                    .collect(),
                more: (named.len() > UNITS_SHOWN)
                    .then(|| tr.fill("readiness.more", &[("count", (named.len() - UNITS_SHOWN).to_string())])),
                fix_href: href,
            }
        })
        .collect()
}

pub(super) fn server(config: &Config, last_test: Option<NaiveDateTime>) -> ServerView {
    ServerView {
        base_url: config.base_url.clone(),
        base_url_local: config.base_url_is_local(),
        smtp: (!config.mail.smtp_host.is_empty())
            .then(|| format!("{}:{}", config.mail.smtp_host, config.mail.smtp_port)),
        gateway: config.gateway.as_ref().map(|g| format!("{} ({})", g.host, g.method.as_str())),
        from: config.mail.from.to_string(),
        // stored in UTC, shown in the regency's time zone (SPEC §5)
        last_test: last_test
            .map(|at| at.and_utc().with_timezone(&config.timezone).format("%Y-%m-%d %H:%M %Z").to_string()),
    }
}
