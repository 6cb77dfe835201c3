//! Accounts: signing in (`login`), adding users (`users`), correcting, disabling and enabling
//! them (`manage`), admin-made password reset links (`reset`), invitations for new users who set
//! their own password (`invite`), and a new deployment's regency and first admin (`init`): the
//! rules both front ends (the `/admin` forms and `skm user …`) share. Blocking (argon2 and the
//! database): call from `web::block` in a handler.

mod init;
mod invite;
mod login;
mod manage;
mod reset;
mod users;

pub use crate::db::password_resets::LinkPurpose;
pub use init::{init, FirstRegency, InitError};
pub use invite::{invite, open_invitations, revoke_invitation, Invitation, INVITATION_VALID_HOURS};
pub use login::{confirm_password, landing, login, unit_scope, LoginOutcome, UnitScope};
pub use manage::{edit_user, set_enabled, UserEdit};
pub use reset::{
    reset_link, reset_password, reset_target, LinkCheck, LinkProblem, ResetError, ResetLink, RESET_VALID_HOURS,
};
pub use users::{add_user, NewUser, UserError};
