//! The monthly summary message: HTML and plain text (Bahasa Indonesia), the element chart inline
//! by Content-ID, the unit's PDF report attached. The unit head's summary is written here; the
//! envelope, greeting, closing and MIME assembly are shared with the regency summary
//! (`src/mail/regency.rs`). The headers every message skm sends starts with (`headers`: a fresh
//! Message-ID, Date, MIME-Version) are made here too, for the test message and the invitation
//! as well.

use super::MailError;
use crate::aggregator::UnitIndex;
use crate::config::Config;
use crate::domain::decimal::Rounded;
use lettre::message::header::{ContentType, MIME_VERSION_1_0};
use lettre::message::{Attachment, Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::Message;

/// The identity of one message: a fresh UUID under the deployment's domain, in its Message-ID
/// (RFC 5322 §3.6.4) and the Content-IDs of its inline parts (RFC 2392). Never derived from the
/// database: two deployments, or one rebuilt, must not send two messages under one id, or
/// receivers may drop the second as a duplicate. That a recipient gets a month's summary once
/// rests on the mail log, not on the id.
pub struct MessageIds {
    uuid: uuid::Uuid,
    domain: String,
}

impl MessageIds {
    pub fn new(base_url: &str, mail_from: &str) -> MessageIds {
        MessageIds { uuid: uuid::Uuid::new_v4(), domain: message_domain(base_url, mail_from) }
    }

    /// `<UUID@domain>`
    pub fn message_id(&self) -> String {
        format!("<{}@{}>", self.uuid, self.domain)
    }

    /// `grafik-0.UUID@domain`: an inline part's Content-ID without its angle brackets, as the
    /// HTML's `cid:` URLs write it.
    pub fn content_id(&self, name: &str) -> String {
        format!("{name}.{}@{}", self.uuid, self.domain)
    }
}

/// The right-hand side of skm's message ids: the host of `base_url` when it is a domain name;
/// the domain of `mail_from` when `base_url` is local or an address (`http://127.0.0.1:8080`,
/// `localhost`); `localhost` when neither is a domain name.
pub fn message_domain(base_url: &str, mail_from: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = host_port.split(':').next().unwrap_or_default();
    let sender = mail_from.parse::<Mailbox>().map(|m| m.email.domain().to_string()).unwrap_or_default();
    let domain = [host, sender.as_str()]
        .into_iter()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        .find(|h| is_domain_name(h));
    domain.unwrap_or_else(|| "localhost".to_string())
}

/// A public DNS name in ASCII (an IDN in its `xn--` form): labels of letters, digits and
/// hyphens, at least two of them, not all digits (an IPv4 address), not `localhost`.
fn is_domain_name(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && !labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()))
        && labels.last() != Some(&"localhost")
}

/// The start of every message skm sends: From, To, Subject, the Message-ID, the Date and
/// `MIME-Version: 1.0` (lettre adds the last only to multipart bodies; Gmail refuses mail
/// without a Message-ID).
pub(super) fn headers(ids: &MessageIds, from: Mailbox, to: Mailbox, subject: String) -> MessageBuilder {
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(ids.message_id()))
        .date_now()
        .header(MIME_VERSION_1_0)
}

/// One unit's part of a summary.
pub struct UnitSummary {
    pub index: UnitIndex,
    /// the unit's and its sub-units' follow-up actions past their due date and not done
    pub late_rtl: Vec<LateAction>,
    pub chart_png: Vec<u8>,
    pub pdf: Option<Vec<u8>>,
}

/// A follow-up action past its due date, neither done nor dropped (SPEC §6a), as both summaries
/// name it: in red in the HTML part.
#[derive(Debug, Clone)]
pub struct LateAction {
    pub unit_id: i32,
    pub unit: String,
    /// "U3 Waktu Penyelesaian"
    pub element: String,
    pub action: String,
    pub due: chrono::NaiveDate,
    pub days_late: i64,
}

impl LateAction {
    /// "U3 Waktu Penyelesaian: Menambah loket (batas 5 November 2026, terlambat 12 hari)", with
    /// the unit's name in front when it is another unit's.
    pub fn line(&self, summary_unit: i32) -> String {
        let unit = if self.unit_id == summary_unit { String::new() } else { format!("{} — ", self.unit) };
        format!(
            "{unit}{}: {} (batas {}, terlambat {} hari)",
            self.element,
            self.action,
            crate::domain::period::date_id(self.due),
            self.days_late
        )
    }
}

/// The list of late actions under a heading, in red in the HTML part; a line saying there are
/// none otherwise.
pub(super) fn late_list(late: &[LateAction], summary_unit: i32, text: &mut String, html: &mut String) {
    if late.is_empty() {
        text.push_str("Tidak ada RTL yang melewati batas waktu.\n");
        html.push_str("<p>Tidak ada RTL yang melewati batas waktu.</p>");
        return;
    }
    let heading = format!("RTL yang melewati batas waktu ({}):", late.len());
    text.push_str(&format!("{heading}\n"));
    html.push_str(&format!("<p style=\"{LATE};margin-bottom:4px\">{heading}</p><ul style=\"margin-top:0\">"));
    for action in late {
        let line = action.line(summary_unit);
        text.push_str(&format!("  - {line}\n"));
        html.push_str(&format!("<li style=\"{LATE}\">{}</li>", escape(&line)));
    }
    html.push_str("</ul>");
}

/// Late actions and drops stand out in red, bold (readable in black and white too).
pub(super) const LATE: &str = "color:#b00020;font-weight:bold";

pub(super) fn id(v: Rounded) -> String {
    v.format_with(',')
}

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

struct Lines {
    title: String,
    facts: Vec<String>,
    lowest: Vec<String>,
}

fn lines(s: &UnitSummary) -> Lines {
    let r = &s.index.result;
    let nik = r.index.map(id).unwrap_or_else(|| "–".into());
    let grade = r.grade.as_ref().map(|g| format!("{} ({})", g.grade, g.label.id)).unwrap_or_else(|| "–".into());
    let change = change_words(s.index.change);
    let sample = match s.index.required_sample {
        Some(req) => format!(
            "{} responden dari sampel minimal {req}{}",
            r.responses,
            if r.responses < req { " (kurang)" } else { "" }
        ),
        None => format!("{} responden (populasi belum dicatat)", r.responses),
    };
    Lines {
        title: s.index.unit.name.clone(),
        facts: vec![format!("NIK {nik}, mutu {grade}; {change}."), format!("Jumlah responden: {sample}.")],
        lowest: r
            .lowest
            .iter()
            .filter_map(|code| r.elements.iter().find(|e| &e.code == code))
            .map(|e| {
                format!(
                    "{} {} — NIK {}",
                    e.code,
                    s.index.template.element(&e.code).map(|x| x.name.id.clone()).unwrap_or_default(),
                    e.index.map(id).unwrap_or_default()
                )
            })
            .collect(),
    }
}

/// A change of the index in words: "naik 1,25 dari bulan sebelumnya".
pub(super) fn change_words(change: Option<Rounded>) -> String {
    let zero = num_rational::BigRational::from_integer(0.into());
    match change {
        Some(c) if c.as_ratio() > zero => format!("naik {} dari bulan sebelumnya", id(c)),
        Some(c) if c.as_ratio() < zero => {
            format!("turun {} dari bulan sebelumnya", id(Rounded::half_up(&-c.as_ratio(), 2)))
        }
        Some(_) => "sama dengan bulan sebelumnya".into(),
        None => "belum ada pembanding bulan sebelumnya".into(),
    }
}

pub struct Envelope<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub to_name: &'a str,
    pub period_label: &'a str,
    pub dashboard_url: &'a str,
    /// the message's own ids; a retry of one send keeps them
    pub ids: MessageIds,
}

/// The message for one recipient (summaries are shared between recipients).
pub fn monthly(envelope: &Envelope, units: &[&UnitSummary]) -> Result<Message, MailError> {
    let subject = match units {
        [one] => format!(
            "Ringkasan SKM {}: {} — NIK {}",
            envelope.period_label,
            one.index.unit.name,
            one.index.result.index.map(id).unwrap_or_else(|| "–".into())
        ),
        _ => format!("Ringkasan SKM {} untuk {} unit", envelope.period_label, units.len()),
    };
    let (mut text, mut html) = opening(envelope);
    for (i, unit) in units.iter().enumerate() {
        let l = lines(unit);
        text.push_str(&format!("\n== {} ==\n", l.title));
        html.push_str(&format!("<h2 style=\"font-size:18px\">{}</h2>", escape(&l.title)));
        for fact in &l.facts {
            text.push_str(&format!("{fact}\n"));
            html.push_str(&format!("<p>{}</p>", escape(fact)));
        }
        text.push_str("Unsur terendah (calon RTL):\n");
        html.push_str("<p>Unsur terendah (calon RTL):</p><ul>");
        for low in &l.lowest {
            text.push_str(&format!("  - {low}\n"));
            html.push_str(&format!("<li>{}</li>", escape(low)));
        }
        html.push_str("</ul>");
        late_list(&unit.late_rtl, unit.index.unit.id, &mut text, &mut html);
        html.push_str(&chart_img(&envelope.ids, i, &l.title));
    }
    closing(envelope, &mut text, &mut html);
    let charts: Vec<&[u8]> = units.iter().map(|u| u.chart_png.as_slice()).collect();
    let pdfs: Vec<(String, &[u8])> =
        units.iter().filter_map(|u| u.pdf.as_deref().map(|pdf| (pdf_name(&u.index), pdf))).collect();
    assemble(envelope, subject, text, html, &charts, &pdfs)
}

/// The greeting both summaries open with, as text and as the start of the HTML document.
pub(super) fn opening(envelope: &Envelope) -> (String, String) {
    let text = format!(
        "Yth. {},\n\nBerikut ringkasan Survei Kepuasan Masyarakat periode {}.\n",
        envelope.to_name, envelope.period_label
    );
    let html = format!(
        "<!doctype html><html lang=\"id\"><body style=\"font-family:sans-serif;color:#111\"><p>Yth. {},</p><p>Berikut ringkasan Survei Kepuasan Masyarakat periode <strong>{}</strong>.</p>",
        escape(envelope.to_name),
        escape(envelope.period_label)
    );
    (text, html)
}

/// The dashboard link and the note that the message is automatic; ends the HTML document.
pub(super) fn closing(envelope: &Envelope, text: &mut String, html: &mut String) {
    text.push_str(&format!(
        "\nDasbor: {}\nLaporan lengkap terlampir (PDF).\n\nPesan ini dikirim otomatis oleh skm.\n",
        envelope.dashboard_url
    ));
    html.push_str(&format!(
        "<p><a href=\"{}\">Buka dasbor</a>. Laporan lengkap terlampir (PDF).</p><p style=\"color:#555;font-size:12px\">Pesan ini dikirim otomatis oleh skm.</p></body></html>",
        escape(envelope.dashboard_url)
    ));
}

/// The width, in CSS pixels, an inline chart is laid out at and shown at; its PNG has twice as
/// many pixels, so it stays sharp on a phone's screen.
pub const CHART_WIDTH: f32 = 640.0;

/// The `i`th inline chart, by the Content-ID `assemble` gives it (`chart_id`); it shrinks to a
/// narrow screen.
pub(super) fn chart_img(ids: &MessageIds, i: usize, title: &str) -> String {
    format!(
        "<p><img src=\"cid:{}\" alt=\"Grafik NIK per unsur {}\" width=\"{CHART_WIDTH}\" style=\"max-width:100%;height:auto\"></p>",
        chart_id(ids, i),
        escape(title)
    )
}

/// The Content-ID of the `i`th inline chart: `grafik-{i}.UUID@domain`.
fn chart_id(ids: &MessageIds, i: usize) -> String {
    ids.content_id(&format!("grafik-{i}"))
}

/// The attached report's file name.
pub(super) fn pdf_name(index: &UnitIndex) -> String {
    format!("laporan-skm-{}-{}.pdf", index.unit.slug, index.selection.period)
}

/// The MIME message: text and HTML alternatives with the PNG charts inline (`chart_id`), then
/// the PDF reports attached.
pub(super) fn assemble(
    envelope: &Envelope,
    subject: String,
    text: String,
    html: String,
    charts: &[&[u8]],
    pdfs: &[(String, &[u8])],
) -> Result<Message, MailError> {
    let from: Mailbox =
        envelope.from.parse().map_err(|e| MailError::Address(format!("mail_from '{}': {e}", envelope.from)))?;
    let to = Mailbox::new(
        Some(envelope.to_name.to_string()),
        envelope.to.parse().map_err(|e| MailError::Address(format!("'{}': {e}", envelope.to)))?,
    );
    let png = ContentType::parse("image/png").map_err(|e| MailError::Build(e.to_string()))?;
    let mut related = MultiPart::related().multipart(MultiPart::alternative_plain_html(text, html));
    for (i, chart) in charts.iter().enumerate() {
        related =
            related.singlepart(Attachment::new_inline(chart_id(&envelope.ids, i)).body(chart.to_vec(), png.clone()));
    }
    let pdf_type = ContentType::parse("application/pdf").map_err(|e| MailError::Build(e.to_string()))?;
    let mut mixed = MultiPart::mixed().multipart(related);
    for (name, pdf) in pdfs {
        let part: SinglePart = Attachment::new(name.clone()).body(pdf.to_vec(), pdf_type.clone());
        mixed = mixed.singlepart(part);
    }
    headers(&envelope.ids, from, to, subject).multipart(mixed).map_err(|e| MailError::Build(e.to_string()))
}

/// The message of `skm mail test` and of the `/admin` button, with the headers of a real one.
pub fn test_message(config: &Config, to: &str) -> Result<Message, MailError> {
    let from = config.mail.from.as_str();
    let ids = MessageIds::new(&config.base_url, from);
    let from: Mailbox = from.parse().map_err(|e| MailError::Address(format!("mail_from '{from}': {e}")))?;
    let to: Mailbox = to.parse().map_err(|e| MailError::Address(format!("--to '{to}': {e}")))?;
    headers(&ids, from, to, "Uji coba e-mail skm".to_string())
        .singlepart(SinglePart::plain("Pesan uji coba dari skm: pengiriman e-mail berfungsi.".to_string()))
        .map_err(|e| MailError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_fresh_and_name_the_public_host_or_else_the_senders_domain() {
        let from = "SKM Kutai Timur <skm@kutaitimurkab.go.id>";
        for (base_url, domain) in [
            ("https://skm.kutaitimurkab.go.id", "skm.kutaitimurkab.go.id"),
            ("https://SKM.Kutaitimurkab.go.id:8443/sub/path?x=1", "skm.kutaitimurkab.go.id"),
            ("http://127.0.0.1:8080", "kutaitimurkab.go.id"),
            ("http://localhost:8080", "kutaitimurkab.go.id"),
            ("http://skm.localhost", "kutaitimurkab.go.id"),
            ("http://[::1]:8080", "kutaitimurkab.go.id"),
            ("http://intranet", "kutaitimurkab.go.id"),
            ("", "kutaitimurkab.go.id"),
        ] {
            assert_eq!(message_domain(base_url, from), domain, "{base_url}");
        }
        assert_eq!(message_domain("http://127.0.0.1:8080", "skm@localhost"), "localhost");
        assert_eq!(message_domain("http://127.0.0.1:8080", "not an address"), "localhost");

        let (a, b) =
            (MessageIds::new("https://skm.example.go.id", from), MessageIds::new("https://skm.example.go.id", from));
        assert_ne!(a.message_id(), b.message_id());
        let id = a.message_id();
        let uuid = id.strip_prefix('<').and_then(|i| i.strip_suffix("@skm.example.go.id>")).expect("<uuid@host>");
        assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{id}");
        assert_eq!(a.content_id("grafik-0"), format!("grafik-0.{uuid}@skm.example.go.id"));
    }
}
