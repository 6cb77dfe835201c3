//! Accounts: signing in (`login`) and adding users (`users`), the rules both front ends (the
//! `/admin` forms and `skm user …`) share. Blocking (argon2 and the database): call from
//! `web::block` in a handler.

mod login;
mod users;

pub use login::{landing, login, unit_scope, LoginOutcome};
pub use users::{add_user, NewUser, UserError};
