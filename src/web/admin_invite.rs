//! The one-time links `/admin` makes (a reset link, an invitation) as the page shows them, and an
//! invitation's delivery: mailed when e-mail is set up (the page then only says so), otherwise,
//! or when sending failed, its link shown once on the page.

use super::i18n::Tr;
use super::AppState;
use crate::accounts::{Invitation, ResetLink};
use crate::db::{DbConnection, DbError};
use crate::domain::template::Lang;
use crate::mail::invitation::{self, Delivery};

/// A link shown once on the page that made it, never stored.
pub struct LinkShown {
    pub email: String,
    pub url: String,
    pub until: String,
    /// an invitation (else a reset link): the notice's words
    pub invitation: bool,
    /// why an invitation's link is shown instead of mailed
    pub note: Option<String>,
}

impl LinkShown {
    pub(super) fn of(state: &AppState, link: &ResetLink, invitation: bool, note: Option<String>) -> LinkShown {
        // as the e-mail says it ("4 Desember 2026 pukul 10.35 WITA"): the page is Indonesian
        let (until, _) = invitation::until_local(link.expires_at, state.config.timezone);
        LinkShown {
            url: invitation::link_url(&state.config.base_url, &link.token),
            email: link.user.email.clone(),
            until,
            invitation,
            note,
        }
    }
}

/// What became of an invitation on the page.
pub enum Invited {
    /// mailed: the page says to whom, and until when it is valid
    Mailed(String),
    /// not mailed: the link, shown once
    Shown(LinkShown),
}

/// Mails the invitation when e-mail is set up; otherwise the page shows its link once.
pub(super) fn deliver(state: &AppState, conn: &mut DbConnection, invitation: &Invitation) -> Result<Invited, DbError> {
    let tr = Tr::new(Lang::Id);
    Ok(match invitation::send(conn, &state.config, invitation)? {
        Delivery::Sent(_) => {
            let shown = LinkShown::of(state, invitation, true, None);
            Invited::Mailed(tr.fill("admin.invite.sent", &[("email", shown.email), ("until", shown.until)]))
        }
        Delivery::MailOff => {
            Invited::Shown(LinkShown::of(state, invitation, true, Some(tr.t("admin.invite.mail_off").to_string())))
        }
        Delivery::Failed(reason) => {
            let note = tr.fill("admin.invite.mail_failed", &[("reason", reason)]);
            Invited::Shown(LinkShown::of(state, invitation, true, Some(note)))
        }
    })
}
