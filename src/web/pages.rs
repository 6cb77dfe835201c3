//! Page view-models for the askama templates, and rendering them into complete responses (a
//! page is rendered to a string first, so a failure never leaves half a page on the wire).

use super::error::WebError;
use super::i18n::Tr;
use super::session::Session;
use crate::domain::names::Role;
use crate::domain::template::{ProfileKind, Template};
use crate::survey::instruments::is_instrument_field;
use crate::survey::{Form, Message, DATE_FIELD, SARAN_FIELD, SERVICE_FIELD, TICKET_FIELD};
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template as Askama;
use std::collections::BTreeMap;

/// The links a signed-in page offers, by the user's role.
pub struct Nav {
    pub admin: bool,
    pub data_entry: bool,
}

impl Nav {
    pub fn of(session: &Session) -> Nav {
        // every admin has a console: a subtree's admin manages their subtree there
        Nav { admin: session.role == Role::Admin, data_entry: session.role != Role::UnitHead }
    }
}

pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct ProfileView {
    pub code: String,
    pub label: String,
    pub options: Vec<OptionView>,
    pub value: String,
    pub min: i64,
    pub max: i64,
    pub error: Option<String>,
}

pub struct QuestionView {
    pub code: String,
    pub number: usize,
    pub text: String,
    /// the chosen score, for the paper-entry layout
    pub value: String,
    pub min: u32,
    pub max: u32,
    pub options: Vec<OptionView>,
    pub error: Option<String>,
}

/// An attached instrument's questions (Zona Integritas): a section of its own after the main ones.
pub struct SectionView {
    pub title: String,
    pub questions: Vec<QuestionView>,
}

pub struct InputView {
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Askama)]
#[template(path = "survey_form.html")]
pub struct FormPage {
    pub tr: Tr,
    pub kiosk: bool,
    pub unit_name: String,
    pub switch_href: String,
    pub action: String,
    pub token: String,
    pub csrf: String,
    pub paper: bool,
    pub notice: Option<String>,
    pub summary: Vec<(Option<String>, String)>,
    pub ticket: Option<InputView>,
    pub services: Vec<OptionView>,
    pub service_error: Option<String>,
    pub survey_date: Option<InputView>,
    pub profile: Vec<ProfileView>,
    pub questions: Vec<QuestionView>,
    pub sections: Vec<SectionView>,
    pub saran_label: String,
    pub saran: String,
    pub saran_error: Option<String>,
    pub saran_max: usize,
    pub submit_label: String,
}

/// Everything that decides what a form page shows.
pub struct FormSpec<'a> {
    pub form: &'a Form,
    /// the template the answers are validated against (the token's version)
    pub template: &'a Template,
    pub tr: Tr,
    pub values: &'a BTreeMap<String, String>,
    pub messages: &'a [Message],
    pub token: String,
    /// signed-in forms (paper entry) carry the session's CSRF secret instead of a form token
    pub csrf: String,
    pub notice: Option<String>,
    pub action: String,
    pub switch_href: String,
    pub kiosk: bool,
    pub ask_ticket: bool,
    /// paper entry asks for the survey date; the public form never does
    pub date_label: Option<String>,
}

fn anchor(field: &str, form: &Form, template: &Template) -> String {
    if template.element(field).is_some() || is_instrument_field(&form.instruments, field) {
        format!("q-{field}")
    } else {
        format!("f-{field}")
    }
}

pub fn form_page(spec: FormSpec) -> FormPage {
    let tr = spec.tr;
    let text = |m: &Message| tr.fill(m.key, &m.args);
    let error_of = |field: &str| spec.messages.iter().find(|m| m.field.as_deref() == Some(field)).map(text);
    let value_of = |field: &str| spec.values.get(field).cloned().unwrap_or_default();
    let template = spec.template;

    // The summary lists the mistakes in the order the fields appear on the form, each named by
    // its field's label, so "Mohon isi kolom ini." never stands alone at the bottom.
    let position = |field: Option<&str>| -> usize {
        let Some(field) = field else { return usize::MAX };
        let fixed = [TICKET_FIELD, SERVICE_FIELD, DATE_FIELD];
        if let Some(i) = fixed.iter().position(|f| *f == field) {
            return i;
        }
        if let Some(i) = template.profile.iter().position(|p| p.code == field) {
            return fixed.len() + i;
        }
        if let Some(i) = template.elements.iter().position(|e| e.code == field) {
            return fixed.len() + template.profile.len() + i;
        }
        let instrument_fields =
            spec.form.instruments.iter().flat_map(|i| i.template.elements.iter().map(|e| i.field(&e.code)));
        if let Some(i) = instrument_fields.into_iter().position(|f| f == field) {
            return fixed.len() + template.profile.len() + template.elements.len() + i;
        }
        usize::MAX - 1
    };
    let field_label = |field: &str| -> Option<String> {
        if let Some(element) = template.element(field) {
            return Some(tr.text(&element.name).to_string());
        }
        if let Some(p) = template.profile_field(field) {
            return Some(tr.text(&p.label).to_string());
        }
        for instrument in &spec.form.instruments {
            if let Some(e) = instrument.template.elements.iter().find(|e| instrument.field(&e.code) == field) {
                return Some(format!("{}, {}", tr.text(&instrument.template.title), tr.text(&e.name)));
            }
        }
        match field {
            f if f == SERVICE_FIELD => Some(tr.t("form.service").to_string()),
            f if f == TICKET_FIELD => Some(tr.t("form.ticket").to_string()),
            f if f == DATE_FIELD => spec.date_label.clone(),
            f if f == SARAN_FIELD => Some(tr.text(&template.saran_label).to_string()),
            _ => None,
        }
    };
    let mut ordered: Vec<&Message> = spec.messages.iter().collect();
    ordered.sort_by_key(|m| position(m.field.as_deref()));
    let summary = ordered
        .into_iter()
        .map(|m| {
            let label = match m.field.as_deref().and_then(field_label) {
                Some(name) => format!("{name}: {}", text(m)),
                None => text(m),
            };
            (m.field.as_deref().map(|f| anchor(f, spec.form, template)), label)
        })
        .collect();

    let selected_service = value_of(SERVICE_FIELD);
    let services = spec
        .form
        .services
        .iter()
        .map(|s| OptionView { value: s.slug.clone(), label: s.name.clone(), selected: s.slug == selected_service })
        .collect();

    let profile = template
        .profile
        .iter()
        .map(|p| {
            let value = value_of(&p.code);
            let (options, min, max) = match &p.kind {
                ProfileKind::Choice(options) => (
                    options
                        .iter()
                        .map(|o| OptionView {
                            value: o.code.clone(),
                            label: tr.text(&o.label).to_string(),
                            selected: o.code == value,
                        })
                        .collect(),
                    0,
                    0,
                ),
                ProfileKind::Number { min, max } => (Vec::new(), *min, *max),
            };
            ProfileView {
                code: p.code.clone(),
                label: tr.text(&p.label).to_string(),
                options,
                value,
                min,
                max,
                error: error_of(&p.code),
            }
        })
        .collect();

    let questions = questions_of(template, tr, |code| code.to_string(), &value_of, &error_of);
    let sections = spec
        .form
        .instruments
        .iter()
        .map(|i| SectionView {
            title: tr.text(&i.template.title).to_string(),
            questions: questions_of(&i.template, tr, |code| i.field(code), &value_of, &error_of),
        })
        .collect();

    FormPage {
        tr,
        kiosk: spec.kiosk,
        unit_name: spec.form.unit.name.clone(),
        switch_href: spec.switch_href,
        action: spec.action,
        token: spec.token,
        paper: spec.date_label.is_some(),
        csrf: spec.csrf,
        notice: spec.notice,
        summary,
        ticket: spec.ask_ticket.then(|| InputView {
            label: tr.t("form.ticket").to_string(),
            value: value_of(TICKET_FIELD),
            error: error_of(TICKET_FIELD),
        }),
        services,
        service_error: error_of(SERVICE_FIELD),
        survey_date: spec.date_label.map(|label| InputView {
            label,
            value: value_of(DATE_FIELD),
            error: error_of(DATE_FIELD),
        }),
        profile,
        questions,
        sections,
        saran_label: tr.text(&template.saran_label).to_string(),
        saran: value_of(SARAN_FIELD),
        saran_error: error_of(SARAN_FIELD),
        saran_max: template.saran_max_chars,
        submit_label: tr.t("form.submit").to_string(),
    }
}

/// A questionnaire's questions as the form shows them; `field` names each element's form field.
fn questions_of(
    template: &Template,
    tr: Tr,
    field: impl Fn(&str) -> String,
    value_of: &dyn Fn(&str) -> String,
    error_of: &dyn Fn(&str) -> Option<String>,
) -> Vec<QuestionView> {
    template
        .elements
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let name = field(&e.code);
            let chosen = value_of(&name);
            QuestionView {
                number: i + 1,
                text: tr.text(&e.question).to_string(),
                value: chosen.clone(),
                min: template.scale_min,
                max: template.scale_max,
                options: e
                    .answers
                    .iter()
                    .map(|a| OptionView {
                        value: a.score.to_string(),
                        label: tr.text(&a.label).to_string(),
                        selected: chosen == a.score.to_string(),
                    })
                    .collect(),
                error: error_of(&name),
                code: name,
            }
        })
        .collect()
}

#[derive(Askama)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub tr: Tr,
    pub kiosk: bool,
    pub unit_name: String,
    pub title: String,
    pub text: String,
    pub link_href: String,
    pub link_label: String,
    /// seconds until the page reloads `link_href` (kiosk mode)
    pub refresh: Option<u32>,
}

impl MessagePage {
    pub fn new(tr: Tr, title_key: &str, text_key: &str) -> MessagePage {
        MessagePage {
            tr,
            kiosk: false,
            unit_name: String::new(),
            title: tr.t(title_key).to_string(),
            text: tr.t(text_key).to_string(),
            link_href: String::new(),
            link_label: String::new(),
            refresh: None,
        }
    }

    pub fn link(mut self, href: String, label_key: &str) -> MessagePage {
        self.link_href = href;
        self.link_label = self.tr.t(label_key).to_string();
        self
    }
}

/// Renders a page into a complete response; pages are never cached (forms carry tokens).
pub fn html(status: StatusCode, page: &impl Askama) -> Result<HttpResponse, WebError> {
    let body = page.render().map_err(|e| WebError::Internal(format!("rendering a page: {e}")))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The counter and officer codes a page passes on to the next (the form's action, the kiosk's
/// next form): only well-formed codes, so nothing else from the address reaches a link. What a
/// response records is the desk signed into its token, never these.
#[derive(Debug, Clone, Default)]
pub struct DeskCodes {
    pub loket: Option<String>,
    pub petugas: Option<String>,
}

impl DeskCodes {
    pub fn of(loket: Option<&str>, petugas: Option<&str>) -> DeskCodes {
        let code =
            |c: Option<&str>| c.map(crate::domain::desk::normalize_code).filter(|c| crate::domain::desk::valid_code(c));
        DeskCodes { loket: code(loket), petugas: code(petugas) }
    }

    /// `path` with the codes added to its query.
    pub fn on(&self, path: &str) -> String {
        let mut url = path.to_string();
        for (name, code) in [(crate::survey::COUNTER_FIELD, &self.loket), (crate::survey::OFFICER_FIELD, &self.petugas)]
        {
            if let Some(code) = code {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&format!("{name}={code}"));
            }
        }
        url
    }
}
