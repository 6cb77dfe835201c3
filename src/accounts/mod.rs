//! Accounts: signing in (`login`), adding users (`users`), correcting, disabling and enabling
//! them (`manage`) and admin-made password reset links (`reset`): the rules both front ends (the
//! `/admin` forms and `skm user …`) share. Blocking (argon2 and the database): call from
//! `web::block` in a handler.

mod login;
mod manage;
mod reset;
mod users;

pub use login::{landing, login, unit_scope, LoginOutcome};
pub use manage::{edit_user, set_enabled, UserEdit};
pub use reset::{reset_link, reset_password, reset_target, LinkProblem, ResetError, ResetLink, RESET_VALID_HOURS};
pub use users::{add_user, add_user_without_password, NewAccount, NewUser, UserError, NO_PASSWORD};
