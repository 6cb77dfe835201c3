//! Accounts: signing in (`login`). Blocking (argon2 and the database): call from `web::block` in
//! a handler.

mod login;

pub use login::{login, unit_scope, LoginOutcome};
