//! Survey invitations (issue 19, point 2) on every backend: one-time short links a unit's
//! service system asks for (idempotent by transaction reference, kept only as a keyed hash),
//! their expiry, their spending by exactly one response, and the counts behind response rates.
//! (Not `invitation.rs`, which is about staff accounts' sign-up links.)

use crate::common;

use chrono::{Duration, NaiveDateTime};
use common::{backends, TestDb};
use diesel::prelude::*;
use skm::db::invitations as stored;
use skm::db::schema::invitations as table;
use skm::db::units::{self, Unit};
use skm::db::DbConnection;
use skm::invitations::{self, Field, InvitationError, NewInvitation, Opened};
use skm::security::Keys;

fn keys() -> Keys {
    Keys::derive("invitation test secret")
}

/// Whole seconds, as invitations are stored.
fn now() -> NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    now - Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)))
}

fn for_reference(reference: &str, service: Option<&str>) -> NewInvitation {
    NewInvitation {
        reference: Some(reference.to_string()),
        service: service.map(str::to_string),
        ..NewInvitation::default()
    }
}

/// The Disdukcapil unit (services `ktp-el`, `akta-lahir`) with counter `loket-1`.
fn unit(conn: &mut DbConnection) -> Unit {
    let (id, _) = common::create_service_unit(conn, "disdukcapil");
    skm::db::counters::add(conn, skm::db::counters::Roster::Counters, id, "loket-1", "Loket 1").expect("counter");
    units::by_id(conn, id).expect("unit")
}

/// A stored paper response of the unit, for an invitation to point at.
fn paper_response_id(conn: &mut DbConnection, unit_id: i32) -> String {
    let registry = common::registry(conn);
    let unit = units::by_id(conn, unit_id).expect("unit");
    let (version, _) = registry.current_for(&unit).expect("version");
    let response = common::paper_response(unit_id, version, chrono::Utc::now().date_naive(), 4);
    skm::db::responses::insert(conn, &response).expect("insert");
    response.id.to_string()
}

fn each_backend(test: impl Fn(&TestDb, &mut DbConnection, &Unit)) {
    for database in backends() {
        let pool = database.pool();
        let mut conn = pool.get().expect("connection");
        let unit = unit(&mut conn);
        test(&database, &mut conn, &unit);
    }
}

#[test]
fn the_same_reference_gives_the_same_invitation_and_only_its_hash_is_stored() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let (keys, at) = (keys(), now());
        let first = invitations::issue(conn, &keys, unit, &for_reference("KTP-2026-000123", Some("ktp-el")), at, 14)
            .expect("issue");
        assert!(first.created, "{name}");
        assert_eq!(first.invitation.code.len(), 10, "{name}");
        assert_eq!(first.invitation.expires_at, at + Duration::days(14), "{name}");
        // again, even naming another service: the same invitation, not created
        let again =
            invitations::issue(conn, &keys, unit, &for_reference(" KTP-2026-000123 ", Some("akta-lahir")), at, 14)
                .expect("again");
        assert!(!again.created, "{name}");
        assert_eq!(again.invitation, first.invitation, "{name}");
        let other = invitations::issue(conn, &keys, unit, &for_reference("KTP-2026-000124", None), at, 14)
            .expect("another reference");
        assert!(other.created && other.invitation.code != first.invitation.code, "{name}");
        // the reference itself is nowhere in the table
        let hashes: Vec<Option<String>> = table::table.select(table::ref_hash).load(conn).expect("hashes");
        assert!(hashes.iter().flatten().all(|h| h.len() == 64 && !h.contains("000123")), "{name}: {hashes:?}");
        // slips (no reference) are always new
        let slip = |conn: &mut DbConnection| {
            invitations::issue(conn, &keys, unit, &NewInvitation::default(), at, 14).expect("slip").invitation
        };
        assert_ne!(slip(conn).id, slip(conn).id, "{name}");
    });
}

#[test]
fn a_request_naming_what_the_unit_does_not_have_is_refused_by_field() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let keys = keys();
        let refused = |conn: &mut DbConnection, new: NewInvitation| match invitations::issue(
            conn,
            &keys,
            unit,
            &new,
            now(),
            14,
        ) {
            Err(InvitationError::Invalid { field, index: None, .. }) => field,
            other => panic!("{name}: {new:?} gave {other:?}"),
        };
        assert_eq!(refused(conn, for_reference("A-1", Some("paspor"))), Field::Service, "{name}");
        assert_eq!(refused(conn, for_reference("", None)), Field::Reference, "{name}");
        assert_eq!(refused(conn, for_reference(&"x".repeat(201), None)), Field::Reference, "{name}");
        let counter = NewInvitation { counter: Some("loket-9".into()), ..for_reference("A-2", None) };
        assert_eq!(refused(conn, counter), Field::Counter, "{name}");
        let officer = NewInvitation { officer: Some("p-01".into()), ..for_reference("A-3", None) };
        assert_eq!(refused(conn, officer), Field::Officer, "{name}");
        skm::db::counters::set_enabled(conn, skm::db::counters::Roster::Counters, unit.id, "loket-1", false)
            .expect("disable");
        let retired = NewInvitation { counter: Some("LOKET-1".into()), ..for_reference("A-4", None) };
        assert_eq!(refused(conn, retired), Field::Counter, "{name}");
        assert_eq!(table::table.count().get_result::<i64>(conn).expect("count"), 0, "{name}");
    });
}

#[test]
fn a_batch_is_one_transaction_in_order_and_at_most_1000() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let keys = keys();
        let items: Vec<NewInvitation> = (0..5).map(|i| for_reference(&format!("B-{i}"), Some("ktp-el"))).collect();
        let issued = invitations::issue_batch(conn, &keys, unit, &items, now(), 14).expect("batch");
        assert_eq!(issued.len(), 5, "{name}");
        assert!(issued.iter().all(|i| i.created), "{name}");
        // the same batch again: the same invitations, in order
        let again = invitations::issue_batch(conn, &keys, unit, &items, now(), 14).expect("again");
        let ids = |list: &[invitations::Issued]| list.iter().map(|i| i.invitation.id).collect::<Vec<_>>();
        assert_eq!(ids(&again), ids(&issued), "{name}");
        assert!(again.iter().all(|i| !i.created), "{name}");
        // one bad item refuses the whole batch, naming it; nothing more is stored
        let mut bad = items.clone();
        bad.push(for_reference("B-new", None));
        bad.push(for_reference("B-bad", Some("paspor")));
        match invitations::issue_batch(conn, &keys, unit, &bad, now(), 14) {
            Err(InvitationError::Invalid { index: Some(6), field: Field::Service, .. }) => {}
            other => panic!("{name}: {other:?}"),
        }
        let too_many: Vec<NewInvitation> = (0..1001).map(|_| NewInvitation::default()).collect();
        assert!(
            matches!(
                invitations::issue_batch(conn, &keys, unit, &too_many, now(), 14),
                Err(InvitationError::TooMany(1001))
            ),
            "{name}"
        );
        assert_eq!(table::table.count().get_result::<i64>(conn).expect("count"), 5, "{name}");
    });
}

#[test]
fn a_link_opens_until_it_expires_or_is_spent_and_typos_are_unknown() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let at = now();
        let issued = invitations::issue(conn, &keys(), unit, &for_reference("C-1", Some("ktp-el")), at, 14)
            .expect("issue")
            .invitation;
        let code = issued.code.clone();
        let lower_grouped = format!("{}-{} {}", &code[..3], &code[3..6], &code[6..]).to_lowercase();
        match invitations::open(conn, &lower_grouped, at).expect("open") {
            Opened::Open { invitation, service, .. } => {
                assert_eq!(invitation.id, issued.id, "{name}");
                assert_eq!(service.map(|s| s.slug).as_deref(), Some("ktp-el"), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        let last = code.chars().last().expect("a check character");
        let typo = format!("{}{}", &code[..9], if last == '2' { '3' } else { '2' });
        assert!(matches!(invitations::open(conn, &typo, at), Ok(Opened::Unknown)), "{name}");
        assert!(matches!(invitations::open(conn, "../etc", at), Ok(Opened::Unknown)), "{name}");
        let later = at + Duration::days(14);
        assert!(matches!(invitations::open(conn, &code, later), Ok(Opened::Expired { .. })), "{name}");
        assert!(matches!(invitations::open(conn, &code, later - Duration::seconds(1)), Ok(Opened::Open { .. })));
        // spent once, and only once
        let response = paper_response_id(conn, unit.id);
        assert!(stored::spend(conn, issued.id, &response, at).expect("spend"), "{name}");
        assert!(!stored::spend(conn, issued.id, &response, at).expect("spend again"), "{name}");
        assert!(matches!(invitations::open(conn, &code, at), Ok(Opened::Spent { .. })), "{name}");
    });
}

#[test]
fn counts_group_issued_and_answered_by_unit_service_and_counter() {
    each_backend(|database, conn, unit| {
        let name = database.name;
        let (keys, at) = (keys(), now());
        let at_counter =
            |r: &str| NewInvitation { counter: Some("loket-1".into()), ..for_reference(r, Some("ktp-el")) };
        let mut ids = Vec::new();
        for new in
            [at_counter("D-1"), at_counter("D-2"), for_reference("D-3", Some("ktp-el")), NewInvitation::default()]
        {
            ids.push(invitations::issue(conn, &keys, unit, &new, at, 14).expect("issue").invitation.id);
        }
        let response = paper_response_id(conn, unit.id);
        assert!(stored::spend(conn, ids[0], &response, at).expect("spend"), "{name}");
        let counts =
            invitations::counts(conn, &[unit.id], at - Duration::hours(1), at + Duration::hours(1)).expect("counts");
        let ktp = units::service_by_slug(conn, unit.id, "ktp-el").expect("service").id;
        let counter = skm::db::counters::by_code(conn, skm::db::counters::Roster::Counters, unit.id, "loket-1")
            .expect("counter")
            .map(|c| c.id);
        let row = |service, counter_id| stored::Count {
            unit_id: unit.id,
            service_id: service,
            counter_id,
            issued: 0,
            answered: 0,
        };
        let mut expected = vec![
            stored::Count { issued: 1, ..row(None, None) },
            stored::Count { issued: 1, ..row(Some(ktp), None) },
            stored::Count { issued: 2, answered: 1, ..row(Some(ktp), counter) },
        ];
        let mut got = counts.clone();
        let key = |c: &stored::Count| (c.service_id, c.counter_id);
        got.sort_by_key(key);
        expected.sort_by_key(key);
        assert_eq!(got, expected, "{name}");
        let outside =
            invitations::counts(conn, &[unit.id], at + Duration::hours(1), at + Duration::hours(2)).expect("counts");
        assert!(outside.is_empty(), "{name}");
    });
}
