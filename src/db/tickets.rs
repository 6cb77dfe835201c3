//! Ticket mode: codes printed on queue tickets; each counts once (spent in `responses`).

use super::schema::{ticket_codes, units};
use super::{now_utc, DbConnection, DbError};
use diesel::prelude::*;

/// No 0/O or 1/I: codes are read off paper and typed on phones.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const CODE_LENGTH: usize = 6;

pub fn set_ticket_mode(conn: &mut DbConnection, unit_id: i32, on: bool) -> Result<(), DbError> {
    let updated = diesel::update(units::table.find(unit_id)).set(units::ticket_mode.eq(on)).execute(conn)?;
    if updated == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

fn random_code() -> String {
    uuid::Uuid::new_v4().as_bytes()[..CODE_LENGTH]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Makes `count` fresh codes for a unit (in one transaction) and returns them for printing.
pub fn generate(conn: &mut DbConnection, unit_id: i32, count: usize) -> Result<Vec<String>, DbError> {
    conn.transaction(|conn| {
        let mut codes = Vec::with_capacity(count);
        while codes.len() < count {
            let code = random_code();
            let exists = ticket_codes::table.find((unit_id, &code)).count().get_result::<i64>(conn)? > 0;
            if exists {
                continue;
            }
            diesel::insert_into(ticket_codes::table)
                .values((
                    ticket_codes::unit_id.eq(unit_id),
                    ticket_codes::code.eq(&code),
                    ticket_codes::created_at.eq(now_utc()),
                ))
                .execute(conn)?;
            codes.push(code);
        }
        Ok(codes)
    })
}
