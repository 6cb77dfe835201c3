//! A Mal Pelayanan Publik (issue 19 point 6), on every backend: a unit of kind `mpp` whose
//! agencies are its sub-units; its one QR (or kiosk) asks which agency, and the answer is
//! stored for that agency (through the hall), counted in its index, never for the hall or
//! another agency. Tampering (another agency's token, an agency outside the hall) stores
//! nothing and says why; the kiosk returns to the chooser; the hall's dashboard lists its
//! agencies; `skm unit add --kind mpp` takes the kind (the setup workbook is `setup.rs`).

use crate::common;

use common::{backends, filled, skm, token_of, TestApp, TestDb, PASSWORD};
use diesel::prelude::*;
use skm::aggregator::{self, Selection};
use skm::db::schema::responses;
use skm::db::units;
use skm::domain::names::Role;
use skm::domain::period::Period;

const ADMIN: &str = "bagor@kutaitimurkab.go.id";

/// `skm …` against the test's database; panics with its output when it fails.
fn cli(database: &TestDb, args: &[&str]) {
    let dir = tempfile::tempdir().expect("tmp");
    let out = skm(dir.path()).env("SKM_DATABASE_URL", &database.url).args(args).output().expect("run skm");
    assert!(
        out.status.success(),
        "{}: {args:?}: {}{}",
        database.name,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The regency, its hall `mpp` with two open agencies (Disdukcapil's and DPMPTSP's desks) and a
/// closed one, and Disdukcapil's own office outside the hall; all set up from the command line.
fn world(database: &TestDb) -> TestApp {
    let app = TestApp::spawn_with(database, |c| {
        c.rate_limit_per_minute = 1000;
        c.burst_threshold = 0;
    });
    let unit = |slug: &str, name: &str, kind: &str, parent: Option<&str>| {
        let mut args = vec!["unit", "add", "--slug", slug, "--name", name, "--kind", kind];
        if let Some(parent) = parent {
            args.extend(["--parent", parent]);
        }
        cli(database, &args);
    };
    let service = |unit: &str, slug: &str, name: &str| {
        cli(database, &["service", "add", "--unit", unit, "--slug", slug, "--name", name]);
    };
    unit("kutim", "Pemerintah Kabupaten Kutai Timur", "regency", None);
    unit("mpp", "Mal Pelayanan Publik Kutai Timur", "mpp", Some("kutim"));
    unit("gerai-capil", "Disdukcapil — gerai MPP", "sub_unit", Some("mpp"));
    service("gerai-capil", "ktp-el", "KTP elektronik");
    service("gerai-capil", "akta-lahir", "Akta kelahiran");
    unit("gerai-dpmptsp", "DPMPTSP — gerai perizinan MPP", "sub_unit", Some("mpp"));
    service("gerai-dpmptsp", "nib", "Nomor Induk Berusaha");
    unit("gerai-tutup", "Gerai Tutup", "sub_unit", Some("mpp"));
    service("gerai-tutup", "akta-lahir", "Akta kelahiran");
    cli(database, &["unit", "disable", "--unit", "gerai-tutup"]);
    unit("disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil", "opd", Some("kutim"));
    service("disdukcapil", "akta-lahir", "Akta kelahiran");
    let hash = skm::password::hash(PASSWORD).expect("hash");
    let admin = skm::db::users::NewUser {
        email: ADMIN,
        name: "Bagian Organisasi",
        password_hash: &hash,
        role: Role::Admin,
        unit_ids: &[],
    };
    skm::db::users::create(&mut app.conn(), &admin).expect("admin");
    app
}

/// (unit slug, hall slug, channel) of every response, oldest first.
fn stored(app: &TestApp) -> Vec<(String, Option<String>, String)> {
    let all = units::list(&mut app.conn()).expect("units");
    let slug = |id: i32| all.iter().find(|u| u.id == id).map(|u| u.slug.clone()).unwrap_or_default();
    let rows: Vec<(i32, Option<i32>, String)> = responses::table
        .order(responses::submitted_at)
        .select((responses::unit_id, responses::via_unit_id, responses::channel))
        .load(&mut app.conn())
        .expect("responses");
    rows.into_iter().map(|(unit, via, channel)| (slug(unit), via.map(slug), channel)).collect()
}

fn action_of(html: &str) -> String {
    let start = html.find("<form method=\"post\" action=\"").expect("the form") + 28;
    html[start..].split('"').next().unwrap_or_default().replace("&amp;", "&").replace("&#38;", "&")
}

/// The agency's form answered (with one of its services) and the fields to post.
fn answered(html: &str, service: &str) -> Vec<(String, String)> {
    let mut fields = filled(&token_of(html));
    if let Some(field) = fields.iter_mut().find(|(k, _)| k == "layanan") {
        field.1 = service.to_string();
    }
    fields
}

fn responses_of(app: &TestApp, slug: &str, with_subunits: bool) -> u64 {
    let mut conn = app.conn();
    let registry = common::registry(&mut conn);
    let unit = units::by_slug(&mut conn, slug).expect("unit");
    let today = skm::demo::today(app.config.timezone);
    let selection = Selection { period: Period::month_of(today), with_subunits, service_id: None };
    aggregator::unit_index(&mut conn, &registry, &unit, &selection).expect("index").result.responses
}

#[test]
fn a_response_through_the_hall_is_stored_for_the_chosen_agency_and_counted_in_its_index() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;

        // the hall's QR: a chooser of its open agencies, each with its services, in Indonesian
        let (status, chooser) = app.get("/s/mpp");
        assert_eq!(status, 200, "{name}: {chooser}");
        common::assert_indonesian(&chooser, "the hall's chooser");
        assert!(chooser.contains("Pilih instansi yang melayani Anda"), "{name}: {chooser}");
        assert!(chooser.contains("href=\"/s/mpp/gerai/gerai-capil?lang=id\""), "{name}: {chooser}");
        assert!(
            chooser.contains("KTP elektronik · Akta kelahiran") || chooser.contains("Akta kelahiran · KTP elektronik")
        );
        assert!(chooser.contains("href=\"/s/mpp/gerai/gerai-dpmptsp?lang=id\""), "{name}");
        assert!(!chooser.contains("gerai-tutup") && !chooser.contains("/gerai/disdukcapil"), "{name}: {chooser}");
        assert!(!chooser.contains("name=\"token\""), "{name}: the hall's page is no questionnaire");
        // the hall's QR poster (`skm qr mpp`, the admin's PDF) opens this chooser
        let mut conn = app.conn();
        let registry = common::registry(&mut conn);
        let hall = skm::survey::form_for_unit(&mut conn, &registry, "mpp").expect("db").expect("the hall");
        let poster = skm::reports::poster::Poster::for_form(&hall, None, "https://skm.kutaitimurkab.go.id");
        assert_eq!(poster.map(|p| p.url).as_deref(), Some("https://skm.kutaitimurkab.go.id/s/mpp"), "{name}");
        drop(conn);

        // the agency's form: its services only, sent back to the hall's own form
        let (status, form) = app.get("/s/mpp/gerai/gerai-capil?lang=id");
        assert_eq!(status, 200, "{name}: {form}");
        assert!(form.contains("Disdukcapil — gerai MPP · Mal Pelayanan Publik Kutai Timur"), "{name}: {form}");
        assert!(form.contains("value=\"ktp-el\"") && !form.contains("value=\"nib\""), "{name}: {form}");
        assert_eq!(action_of(&form), "/s/mpp/gerai/gerai-capil", "{name}");
        let reply = app.post_form(&action_of(&form), &answered(&form, "ktp-el"));
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        assert_eq!(reply.header("location"), Some("/s/mpp/terima-kasih?lang=id"), "{name}");

        // the agency's own QR at its desk in the hall: its response, not through the hall's form
        let (_, own) = app.get("/s/gerai-capil");
        let reply = app.post_form("/s/gerai-capil", &answered(&own, "akta-lahir"));
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);

        assert_eq!(
            stored(&app),
            vec![
                (String::from("gerai-capil"), Some(String::from("mpp")), String::from("web")),
                (String::from("gerai-capil"), None, String::from("web")),
            ],
            "{name}"
        );
        // counted in the agency's index, in the hall's combined one, never in the hall's own or
        // in another agency's, nor in the same agency's office outside the hall
        assert_eq!(responses_of(&app, "gerai-capil", false), 2, "{name}");
        assert_eq!(responses_of(&app, "gerai-dpmptsp", false), 0, "{name}");
        assert_eq!(responses_of(&app, "disdukcapil", false), 0, "{name}");
        assert_eq!(responses_of(&app, "mpp", false), 0, "{name}");
        assert_eq!(responses_of(&app, "mpp", true), 2, "{name}");
    }
}

#[test]
fn a_token_of_another_agency_or_an_agency_outside_the_hall_stores_nothing_and_says_why() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;

        // Disdukcapil's form, posted as DPMPTSP's: refused like a forged token, the form again
        let (_, capil) = app.get("/s/mpp/gerai/gerai-capil");
        let reply = app.post_form("/s/mpp/gerai/gerai-dpmptsp", &answered(&capil, "nib"));
        assert_eq!(reply.status, 422, "{name}: {}", reply.body);
        assert!(reply.body.contains("DPMPTSP — gerai perizinan MPP"), "{name}: {}", reply.body);
        assert!(reply.body.contains("Formulir ini tidak dapat diproses"), "{name}: {}", reply.body);

        // an agency outside the hall, named in the address: the chooser, with the reason
        let (_, outside) = app.get("/s/disdukcapil");
        let reply = app.post_form("/s/mpp/gerai/disdukcapil", &answered(&outside, "akta-lahir"));
        assert_eq!(reply.status, 422, "{name}: {}", reply.body);
        assert!(reply.body.contains("tidak ada di Mal Pelayanan Publik ini. Jawaban Anda belum tersimpan"), "{name}");
        assert!(reply.body.contains("href=\"/s/mpp/gerai/gerai-capil?lang=id\""), "{name}");
        let (status, page) = app.get("/s/mpp/gerai/disdukcapil");
        assert_eq!(status, 404, "{name}: {page}");
        assert!(page.contains("Instansi itu tidak ada di Mal Pelayanan Publik ini"), "{name}: {page}");
        for missing in ["/s/mpp/gerai/tidak-ada", "/s/disdukcapil/gerai/gerai-capil", "/s/tidak-ada/gerai/gerai-capil"]
        {
            let (status, _) = app.get(missing);
            assert_eq!(status, 404, "{name}: {missing}");
        }

        // the agency's own form (not through the hall) posted to the hall's: refused, and the
        // form it comes back with is signed through the hall, so sending again is stored
        let (_, own) = app.get("/s/gerai-capil");
        let reply = app.post_form("/s/mpp/gerai/gerai-capil", &answered(&own, "ktp-el"));
        assert_eq!(reply.status, 422, "{name}: {}", reply.body);
        assert!(stored(&app).is_empty(), "{name}: nothing stored by any of these");
        let again = app.post_form("/s/mpp/gerai/gerai-capil", &answered(&reply.body, "ktp-el"));
        assert_eq!(again.status, 303, "{name}: {}", again.body);

        // a closed agency: a polite page; the hall itself takes no response of its own
        let (status, closed) = app.get("/s/mpp/gerai/gerai-tutup");
        assert_eq!(status, 200, "{name}");
        assert!(closed.contains("sedang tidak dibuka") && closed.contains("href=\"/s/mpp?lang=id\""), "{name}");
        let mut conn = app.conn();
        let registry = common::registry(&mut conn);
        let hall = skm::survey::form_for_unit(&mut conn, &registry, "mpp").expect("db").expect("the hall's form");
        let today = chrono::Utc::now().date_naive();
        let fields = answered("name=\"token\" value=\"\"", "");
        let fields = fields.into_iter().collect();
        let outcome = skm::survey::submit_paper(&mut conn, &hall, &fields, today, chrono::Utc::now(), 1);
        assert!(matches!(outcome, Ok(skm::survey::Outcome::Rejected(_))), "{name}: {outcome:?}");
        drop(conn);
        assert_eq!(
            stored(&app),
            vec![(String::from("gerai-capil"), Some(String::from("mpp")), String::from("web"))],
            "{name}"
        );
    }
}

#[test]
fn the_hall_kiosk_returns_to_the_chooser_after_each_citizen() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        let (_, chooser) = app.get("/s/mpp/kiosk");
        assert!(chooser.contains("class=\"kiosk\""), "{name}");
        assert!(chooser.contains("href=\"/s/mpp/kiosk/gerai/gerai-dpmptsp?lang=id\""), "{name}: {chooser}");
        let (_, form) = app.get("/s/mpp/kiosk/gerai/gerai-dpmptsp?lang=id");
        assert_eq!(action_of(&form), "/s/mpp/kiosk/gerai/gerai-dpmptsp", "{name}");
        let reply = app.post_form(&action_of(&form), &answered(&form, "nib"));
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        let thanks = reply.header("location").expect("redirect").to_string();
        assert_eq!(thanks, "/s/mpp/kiosk/terima-kasih?lang=id", "{name}");
        let (status, page) = app.get(&thanks);
        assert_eq!(status, 200, "{name}");
        assert!(page.contains("url=/s/mpp/kiosk\""), "{name}: back to the chooser, not the agency's form: {page}");
        assert_eq!(
            stored(&app),
            vec![(String::from("gerai-dpmptsp"), Some(String::from("mpp")), String::from("kiosk"))],
            "{name}"
        );
    }
}

#[test]
fn the_hall_dashboard_lists_its_agencies_with_their_responses() {
    for database in backends() {
        let app = world(&database);
        let name = database.name;
        for (agency, service, times) in [("gerai-capil", "ktp-el", 3), ("gerai-dpmptsp", "nib", 1)] {
            for _ in 0..times {
                let (_, form) = app.get(&format!("/s/mpp/gerai/{agency}"));
                let reply = app.post_form(&action_of(&form), &answered(&form, service));
                assert_eq!(reply.status, 303, "{name}: {}", reply.body);
            }
        }
        // one by the agency's own QR, one at the same agency's office outside the hall
        for slug in ["gerai-capil", "disdukcapil"] {
            let (_, own) = app.get(&format!("/s/{slug}"));
            assert_eq!(app.post_form(&format!("/s/{slug}"), &answered(&own, "akta-lahir")).status, 303, "{name}");
        }
        let cookie = app.login(ADMIN, PASSWORD).expect("signed in");
        let month = Period::month_of(skm::demo::today(app.config.timezone));
        let page = app.get_as(&cookie, &format!("/dasbor/unit/mpp?period={month}"));
        assert_eq!(page.status, 200, "{name}: {}", page.body);
        let body = &page.body;
        assert!(body.contains("Instansi di Mal Pelayanan Publik"), "{name}: {body}");
        assert!(body.contains("4 dari 5 tanggapan masuk lewat formulir MPP"), "{name}: {body}");
        let row = |slug: &str| {
            let start = body.find(&format!("/dasbor/unit/{slug}?")).unwrap_or_else(|| panic!("{name}: {slug} listed"));
            let end = body[start..].find("</tr>").map_or(body.len(), |e| start + e);
            body[start..end].to_string()
        };
        assert!(row("gerai-capil").contains("</a></td><td>4</td><td>3</td>"), "{name}: {}", row("gerai-capil"));
        assert!(row("gerai-dpmptsp").contains("</a></td><td>1</td><td>1</td>"), "{name}: {}", row("gerai-dpmptsp"));
        assert!(!body.contains("/dasbor/unit/disdukcapil?"), "{name}: the office outside the hall is not listed");
        assert!(
            !body.contains("type=\"checkbox\" name=\"sub\""),
            "{name}: a hall's page is always its agencies' roll-up"
        );
    }
}
