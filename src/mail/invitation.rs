//! The invitation e-mail: a new user's one-time link to set their own password, in Bahasa
//! Indonesia with a short English line, as plain text and HTML. `send` is what the front ends
//! call: it sends when e-mail is configured, and otherwise says the link was not sent, so the
//! front end shows it once to the admin instead.

use super::compose::{escape, headers, MessageIds};
use super::{MailError, Mailer};
use crate::accounts::Invitation;
use crate::config::Config;
use crate::db::{units, users, DbConnection, DbError};
use crate::domain::names::{Role, UnitKind};
use crate::domain::period::date_id;
use chrono_tz::Tz;
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use secrecy::{ExposeSecret, SecretString};

/// The address of a link to set a password (an invitation or a reset link).
pub fn link_url(base_url: &str, token: &SecretString) -> String {
    format!("{}/sandi/atur?token={}", base_url.trim_end_matches('/'), token.expose_secret())
}

/// What an invitation says besides the link.
pub struct InvitationMail<'a> {
    pub from: &'a str,
    /// the site's public address: the domain of the message's id
    pub base_url: &'a str,
    pub to: &'a str,
    pub to_name: &'a str,
    /// "Kabupaten Kutai Timur" (the root unit), when there is one
    pub regency: Option<&'a str>,
    pub role: Role,
    /// the names of the user's units (none for an admin)
    pub units: &'a [String],
    pub url: &'a str,
    /// "3 Desember 2026 pukul 09.00 WITA"
    pub until_id: &'a str,
    /// "2026-12-03 09:00 WITA"
    pub until_en: &'a str,
}

/// A role as the Indonesian e-mail names it.
fn role_id(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin (Bagian Organisasi)",
        Role::UnitHead => "kepala unit",
        Role::Operator => "operator",
    }
}

/// The expiry in the regency's local time: (Indonesian, English).
pub fn until_local(expires_at: chrono::NaiveDateTime, tz: Tz) -> (String, String) {
    let local = expires_at.and_utc().with_timezone(&tz);
    let zone = local.format("%Z").to_string();
    (
        format!("{} pukul {} {zone}", date_id(local.date_naive()), local.format("%H.%M")),
        local.format("%Y-%m-%d %H:%M %Z").to_string(),
    )
}

/// The message: text and HTML alternatives, with the headers of every message skm sends.
pub fn message(mail: &InvitationMail) -> Result<Message, MailError> {
    let ids = MessageIds::new(mail.base_url, mail.from);
    let from: Mailbox = mail.from.parse().map_err(|e| MailError::Address(format!("mail_from '{}': {e}", mail.from)))?;
    let to = Mailbox::new(
        Some(mail.to_name.to_string()),
        mail.to.parse().map_err(|e| MailError::Address(format!("'{}': {e}", mail.to)))?,
    );
    let service = match mail.regency {
        Some(regency) => format!("Survei Kepuasan Masyarakat (SKM) {regency}"),
        None => "Survei Kepuasan Masyarakat (SKM)".to_string(),
    };
    let scope = if mail.units.is_empty() { String::new() } else { format!(" untuk {}", mail.units.join(", ")) };
    let role = format!("{}{scope}", role_id(mail.role));
    let subject = format!("Undangan ke layanan {service}");
    let text = format!(
        "Yth. {name},\n\n\
         Anda diundang sebagai {role} di layanan {service}.\n\n\
         Buat kata sandi Anda melalui tautan berikut:\n{url}\n\n\
         Tautan ini hanya dapat dipakai sekali dan berlaku sampai {until}. Setelah kata sandi dibuat, \
         masuk dengan alamat e-mail ini. Jika tautan sudah tidak berlaku, minta undangan baru kepada admin.\n\n\
         You have been invited to the {service} service: open the link above to set your password \
         (single use, valid until {until_en}).\n\n\
         Pesan ini dikirim otomatis oleh skm. Abaikan jika Anda tidak merasa diundang.\n",
        name = mail.to_name,
        url = mail.url,
        until = mail.until_id,
        until_en = mail.until_en,
    );
    let html = format!(
        "<!doctype html><html lang=\"id\"><body style=\"font-family:sans-serif;color:#111\">\
         <p>Yth. {name},</p><p>Anda diundang sebagai <strong>{role}</strong> di layanan {service}.</p>\
         <p><a href=\"{url}\" style=\"font-size:18px\">Buat kata sandi Anda</a></p>\
         <p>Tautan ini hanya dapat dipakai sekali dan berlaku sampai <strong>{until}</strong>. Setelah kata sandi \
         dibuat, masuk dengan alamat e-mail ini. Jika tautan sudah tidak berlaku, minta undangan baru kepada admin.</p>\
         <p>Jika tombol tidak berfungsi, salin alamat ini ke peramban:<br><span style=\"word-break:break-all\">{url}</span></p>\
         <p lang=\"en\" style=\"color:#555\">You have been invited to the {service} service: open the link above to set \
         your password (single use, valid until {until_en}).</p>\
         <p style=\"color:#555;font-size:12px\">Pesan ini dikirim otomatis oleh skm. Abaikan jika Anda tidak merasa \
         diundang.</p></body></html>",
        name = escape(mail.to_name),
        role = escape(&role),
        service = escape(&service),
        url = escape(mail.url),
        until = escape(mail.until_id),
        until_en = escape(mail.until_en),
    );
    headers(&ids, from, to, subject)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| MailError::Build(e.to_string()))
}

/// What became of an invitation's e-mail.
#[derive(Debug)]
pub enum Delivery {
    /// the server took it (its answer)
    Sent(String),
    /// e-mail is off (no `smtp_host`): the front end shows the link once
    MailOff,
    /// the server or the address refused it (the reason): the front end shows the link once
    Failed(String),
}

/// Sends the invitation when e-mail is configured. The link is in the message only, never in
/// a log.
pub fn send(conn: &mut DbConnection, config: &Config, invitation: &Invitation) -> Result<Delivery, DbError> {
    let mailer = match Mailer::smtp(&config.mail) {
        Ok(mailer) => mailer,
        Err(MailError::NotConfigured) => return Ok(Delivery::MailOff),
        Err(other) => return Ok(Delivery::Failed(other.to_string())),
    };
    let all = units::list(conn)?;
    let unit_ids = users::unit_ids_of(conn, invitation.user.id)?;
    let own: Vec<&units::Unit> = all.iter().filter(|u| unit_ids.contains(&u.id)).collect();
    let names: Vec<String> = own.iter().map(|u| u.name.clone()).collect();
    let regency = match own.first() {
        // the invitee's regency (or city, province) in a wider tree: the nearest such unit above
        // or at their first unit, whose name, sender and zone the message carries
        Some(first) => {
            let tree = units::Tree::from_edges(&all.iter().map(|u| (u.id, u.parent_id)).collect::<Vec<_>>());
            std::iter::once(first.id)
                .chain(tree.ancestors(first.id))
                .filter_map(|id| all.iter().find(|u| u.id == id))
                .find(|u| u.kind.parse::<UnitKind>().is_ok_and(UnitKind::is_tenant))
        }
        None => all.iter().find(|u| u.parent_id.is_none() && u.kind == UnitKind::Regency.as_str()),
    };
    let from = own.first().map_or(config.mail.from.as_str(), |u| u.mail_from_or(&config.mail.from));
    let zone = own.first().map_or(config.timezone, |u| u.zone_or(config.timezone));
    let (until_id, until_en) = until_local(invitation.expires_at, zone);
    let url = link_url(&config.base_url, &invitation.token);
    let user = &invitation.user;
    let mail = InvitationMail {
        from,
        base_url: &config.base_url,
        to: &user.email,
        to_name: &user.name,
        regency: regency.map(|u| u.name.as_str()),
        role: user.role.parse().unwrap_or(Role::Operator),
        units: &names,
        url: &url,
        until_id: &until_id,
        until_en: &until_en,
    };
    let outcome = message(&mail).and_then(|message| mailer.send(&message));
    Ok(match outcome {
        Ok(answer) => {
            tracing::info!(user = user.id, "invitation e-mailed");
            Delivery::Sent(answer)
        }
        Err(e) => {
            tracing::warn!(user = user.id, reason = %e, "invitation not e-mailed");
            Delivery::Failed(e.to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invitation_names_the_role_units_link_and_local_expiry() {
        let expires = chrono::DateTime::from_timestamp(1_796_292_000, 0).expect("time").naive_utc();
        let (until_id, until_en) = until_local(expires, chrono_tz::Asia::Makassar);
        assert_eq!(until_id, "3 Desember 2026 pukul 18.00 WITA");
        assert_eq!(until_en, "2026-12-03 18:00 WITA");
        let units = vec!["Dinas Perhubungan".to_string()];
        let mail = InvitationMail {
            from: "SKM Kutai Timur <skm@kutaitimurkab.go.id>",
            base_url: "https://skm.kutaitimurkab.go.id",
            to: "kadis@dishub.go.id",
            to_name: "Budi & Ani",
            regency: Some("Kabupaten Kutai Timur"),
            role: Role::UnitHead,
            units: &units,
            url: "https://skm.kutaitimurkab.go.id/sandi/atur?token=abc",
            until_id: &until_id,
            until_en: &until_en,
        };
        let raw = message(&mail).expect("message").formatted();
        let parsed = mailparse::parse_mail(&raw).expect("MIME");
        let header = |name: &str| parsed.headers.iter().find(|h| h.get_key() == name).map(|h| h.get_value());
        let id = header("Message-ID").unwrap_or_default();
        assert!(id.starts_with('<') && id.ends_with("@skm.kutaitimurkab.go.id>"), "{id}");
        assert_eq!(
            header("Subject").as_deref(),
            Some("Undangan ke layanan Survei Kepuasan Masyarakat (SKM) Kabupaten Kutai Timur")
        );
        assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
        let [text, html] = [0, 1].map(|i| parsed.subparts[i].get_body().expect("part"));
        for body in [&text, &html] {
            assert!(body.contains("kepala unit untuk Dinas Perhubungan"), "{body}");
            assert!(body.contains("https://skm.kutaitimurkab.go.id/sandi/atur?token=abc"), "{body}");
            assert!(body.contains("3 Desember 2026 pukul 18.00 WITA"), "{body}");
            assert!(body.contains("2026-12-03 18:00 WITA"), "the English line: {body}");
        }
        assert!(text.contains("Yth. Budi & Ani") && html.contains("Yth. Budi &amp; Ani"), "escaped in HTML only");
    }
}
