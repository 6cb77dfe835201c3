//! The public survey over HTTP, on every backend: storing, re-rendering with answers kept,
//! one-time tokens, rate limits, ticket codes, kiosk mode, honeypot and bursts.

use crate::common;

use common::{backends, filled, token_of, TestApp};
use diesel::prelude::*;
use skm::db::schema::{answers, responses};
use skm::db::tickets;

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(field) => field.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

fn remove(fields: &mut Vec<(String, String)>, name: &str) {
    fields.retain(|(k, _)| k != name);
}

fn response_count(app: &TestApp) -> i64 {
    responses::table.count().get_result(&mut app.conn()).expect("count")
}

#[test]
fn a_valid_submission_is_stored_with_every_field() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let unit_id = common::seed_service_unit(&app, "disdukcapil");
        let (status, html) = app.get("/s/disdukcapil?layanan=akta-lahir");
        assert_eq!(status, 200, "{}", database.name);
        assert!(html.contains("Dinas Kependudukan dan Pencatatan Sipil"));
        assert!(html.contains("<option value=\"akta-lahir\" selected>"), "service preselected");
        assert!(
            html.contains("<legend>3. Bagaimana pendapat Saudara tentang kecepatan waktu"),
            "questions in Bahasa Indonesia"
        );

        let reply = app.post_form("/s/disdukcapil", &filled(&token_of(&html)));
        assert_eq!(reply.status, 303, "{}: {}", database.name, reply.body);
        let location = reply.header("location").expect("redirect").to_string();
        assert_eq!(location, "/s/disdukcapil/terima-kasih?lang=id");
        let (status, thanks) = app.get(&location);
        assert_eq!(status, 200);
        assert!(thanks.contains("Terima kasih!"));

        let mut conn = app.conn();
        type Row = (
            String,
            i32,
            Option<i32>,
            String,
            Option<String>,
            Option<i32>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            bool,
        );
        let row: Row = responses::table
            .select((
                responses::id,
                responses::unit_id,
                responses::service_id,
                responses::channel,
                responses::gender,
                responses::age,
                responses::education,
                responses::occupation,
                responses::saran,
                responses::client_hash,
                responses::survey_date,
                responses::flagged,
            ))
            .first(&mut conn)
            .expect("one response");
        assert_eq!(row.1, unit_id);
        assert!(row.2.is_some(), "service stored");
        assert_eq!(row.3, "web");
        assert_eq!(
            (row.4.as_deref(), row.5, row.6.as_deref(), row.7.as_deref()),
            (Some("P"), Some(34), Some("D4-S1"), Some("WIRAUSAHA"))
        );
        assert_eq!(row.8.as_deref(), Some("Ruang tunggu perlu kipas angin"));
        let hash = row.9.expect("client hash");
        assert!(!hash.contains("127.0.0.1") && hash.len() == 32, "{hash}");
        assert_eq!(row.10.len(), 10, "survey date");
        assert!(!row.11);
        assert_eq!(uuid::Uuid::parse_str(&row.0).expect("uuid").get_version_num(), 7);
        let scores: Vec<(String, i32)> = answers::table
            .filter(answers::response_id.eq(&row.0))
            .order(answers::element_code)
            .select((answers::element_code, answers::score))
            .load(&mut conn)
            .expect("answers");
        assert_eq!(scores.len(), 9);
        assert_eq!(scores[0], ("U1".to_string(), 3));
    }
}

#[test]
fn each_kind_of_invalid_field_re_renders_with_the_answers_kept() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        common::seed_service_unit(&app, "disdukcapil");
        let (_, html) = app.get("/s/disdukcapil");
        let token = token_of(&html);
        let mut fields = filled(&token);
        remove(&mut fields, "U3");
        set(&mut fields, "U5", "7");
        set(&mut fields, "usia", "9");
        set(&mut fields, "pendidikan", "PhD");
        set(&mut fields, "layanan", "paspor");
        let reply = app.post_form("/s/disdukcapil", &fields);
        assert_eq!(reply.status, 422, "{}", database.name);
        let page = &reply.body;
        for expected in [
            "id=\"e-U3\">Mohon pilih salah satu jawaban.",
            "id=\"e-U5\">Isi nilai 1–4.",
            "id=\"e-usia\">Isi angka dari 15 sampai 100.",
            "id=\"e-pendidikan\">Pilihan ini tidak tersedia.",
            "id=\"e-layanan\">Pilihan ini tidak tersedia.",
            "<a href=\"#q-U3\">Waktu Penyelesaian: Mohon pilih salah satu jawaban.</a>",
        ] {
            assert!(page.contains(expected), "{}: missing {expected}", database.name);
        }
        // the summary follows the form's order and names every field: service first, then the
        // profile, then the questions
        let summary = page.split("id=\"errors\"").nth(1).and_then(|s| s.split("</ul>").next()).expect("summary");
        let items: Vec<&str> = summary.split("<li>").skip(1).collect();
        assert_eq!(items.len(), 5, "{summary}");
        for (item, starts) in items.iter().zip([
            "<a href=\"#f-layanan\">Jenis layanan yang Anda terima: ",
            "<a href=\"#f-usia\">",
            "<a href=\"#f-pendidikan\">",
            "<a href=\"#q-U3\">",
            "<a href=\"#q-U5\">",
        ]) {
            assert!(item.starts_with(starts), "summary item {item:?} should start with {starts:?}");
        }
        // kept: the U1 answer, the other profile values, the saran, the same token
        assert!(page.contains("name=\"U1\" value=\"3\" checked"), "U1 kept");
        assert!(page.contains("<option value=\"P\" selected>"), "gender kept");
        assert!(page.contains("value=\"9\""), "the wrong age is shown for correction");
        assert!(page.contains(">Ruang tunggu perlu kipas angin</textarea>"), "saran kept");
        assert_eq!(token_of(page), token, "the unspent token is reused");

        set(&mut fields, "usia", "tiga puluh");
        set(&mut fields, "saran", &"panjang ".repeat(300));
        let page = app.post_form("/s/disdukcapil", &fields).body;
        assert!(page.contains("id=\"e-usia\">Isi dengan angka."), "not a number");
        assert!(page.contains("id=\"e-saran\">Terlalu panjang: paling banyak 2000 karakter."), "too long");
        assert_eq!(response_count(&app), 0, "{}: nothing stored", database.name);

        // in English, the messages are English
        set(&mut fields, "lang", "en");
        let page = app.post_form("/s/disdukcapil", &fields).body;
        assert!(page.contains("id=\"e-U3\">Please choose one answer."), "english messages");
        assert!(page.contains("<html lang=\"en\">"));
    }
}

#[test]
fn a_replayed_token_is_refused_and_stores_nothing_twice() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        common::seed_service_unit(&app, "disdukcapil");
        let (_, html) = app.get("/s/disdukcapil");
        let fields = filled(&token_of(&html));
        assert_eq!(app.post_form("/s/disdukcapil", &fields).status, 303);
        let replay = app.post_form("/s/disdukcapil", &fields);
        assert_eq!(replay.status, 409, "{}", database.name);
        assert!(replay.body.contains("Survei ini sudah terkirim"), "{}", replay.body);
        assert_eq!(response_count(&app), 1);
    }
}

#[test]
fn forged_or_expired_tokens_re_render_with_a_fresh_token() {
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn_with(&database, |c| c.form_token_minutes = 1);
    common::seed_service_unit(&app, "disdukcapil");
    let (_, html) = app.get("/s/disdukcapil");
    let good = token_of(&html);
    let mut fields = filled(&format!("{good}x"));
    let reply = app.post_form("/s/disdukcapil", &fields);
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("Formulir ini tidak dapat diproses"));
    assert!(reply.body.contains("name=\"U1\" value=\"3\" checked"), "answers kept");
    let fresh = token_of(&reply.body);
    assert_ne!(fresh, good);
    set(&mut fields, "token", &fresh);
    assert_eq!(app.post_form("/s/disdukcapil", &fields).status, 303, "the fresh token works");

    // a kiosk token is not valid on the web form
    let (_, kiosk) = app.get("/s/disdukcapil/kiosk");
    set(&mut fields, "token", &token_of(&kiosk));
    assert_eq!(app.post_form("/s/disdukcapil", &fields).status, 422);
}

#[test]
fn the_rate_limit_answers_429() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.rate_limit_per_minute = 2);
        common::seed_service_unit(&app, "disdukcapil");
        for expected in [303, 303, 429] {
            let (_, html) = app.get("/s/disdukcapil");
            let reply = app.post_form("/s/disdukcapil", &filled(&token_of(&html)));
            assert_eq!(reply.status, expected, "{}", database.name);
            if expected == 429 {
                assert!(reply.body.contains("Terlalu banyak survei dikirim dari jaringan ini"), "{}", reply.body);
                assert!(reply.header("retry-after").is_some());
            }
        }
        assert_eq!(response_count(&app), 2);
    }
}

/// A citizen behind a busy shared address (a service hall's Wi-Fi) who meets the rate limit gets
/// their form back with every answer and the same token, told when to send it again; nothing is
/// stored, and the page is in the language they chose.
#[test]
fn a_rate_limited_citizen_keeps_their_answers() {
    for database in backends() {
        let name = database.name;
        let app = TestApp::spawn_with(&database, |c| c.rate_limit_per_minute = 1);
        common::seed_service_unit(&app, "disdukcapil");
        let (_, html) = app.get("/s/disdukcapil");
        assert_eq!(app.post_form("/s/disdukcapil", &filled(&token_of(&html))).status, 303, "{name}");
        for (lang, path, notice) in [
            ("id", "/s/disdukcapil", "coba kirim lagi dalam"),
            ("en", "/s/disdukcapil?lang=en", "try sending again in"),
            ("id", "/s/disdukcapil/kiosk", "coba kirim lagi dalam"),
        ] {
            let (_, html) = app.get(path);
            let token = token_of(&html);
            let mut fields = filled(&token);
            set(&mut fields, "lang", lang);
            set(&mut fields, "saran", "Antrean <lama> & \"panas\"");
            let action = path.split('?').next().unwrap_or(path);
            let reply = app.post_form(action, &fields);
            assert_eq!(reply.status, 429, "{name} {path}: {}", reply.body);
            let seconds = reply.header("retry-after").expect("Retry-After").to_string();
            assert!(reply.body.contains(&format!("{notice} {seconds} ")), "{name} {path}: says when: {}", reply.body);
            assert_eq!(token_of(&reply.body), token, "{name} {path}: the same token goes back");
            assert!(
                reply.body.contains("Antrean &#60;lama&#62; &#38; &#34;panas&#34;</textarea>"),
                "{name} {path}: saran kept"
            );
            assert!(reply.body.contains("<option value=\"akta-lahir\" selected>"), "{name} {path}: service kept");
            assert!(reply.body.contains(&format!("action=\"{action}\"")), "{name} {path}: sent back to the same form");
            let checked = reply.body.matches(" checked>").count();
            assert_eq!(checked, 9, "{name} {path}: every answer kept");
        }
        assert_eq!(response_count(&app), 1, "{name}: nothing stored while limited");
    }
}

#[test]
fn ticket_codes_count_once() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        let unit_id = common::seed_service_unit(&app, "disdukcapil");
        let codes = {
            let mut conn = app.conn();
            tickets::set_ticket_mode(&mut conn, unit_id, true).expect("ticket mode");
            tickets::generate(&mut conn, unit_id, 2).expect("codes")
        };
        let (_, html) = app.get("/s/disdukcapil");
        assert!(html.contains("Kode pada tiket antrean Anda"));
        let mut fields = filled(&token_of(&html));
        let reply = app.post_form("/s/disdukcapil", &fields);
        assert!(reply.status == 422 && reply.body.contains("id=\"e-tiket\">Mohon isi kolom ini."), "{}", database.name);
        set(&mut fields, "tiket", "ZZZZZZ");
        let reply = app.post_form("/s/disdukcapil", &fields);
        assert!(reply.status == 422 && reply.body.contains("Kode tiket tidak dikenal"), "{}", database.name);
        set(&mut fields, "tiket", &codes[0].to_lowercase());
        assert_eq!(app.post_form("/s/disdukcapil", &fields).status, 303, "{}: lower case accepted", database.name);

        let (_, html) = app.get("/s/disdukcapil");
        let mut again = filled(&token_of(&html));
        set(&mut again, "tiket", &codes[0]);
        let reply = app.post_form("/s/disdukcapil", &again);
        assert!(reply.status == 422 && reply.body.contains("sudah dipakai"), "{}", database.name);
        set(&mut again, "tiket", &codes[1]);
        assert_eq!(app.post_form("/s/disdukcapil", &again).status, 303);
        assert_eq!(response_count(&app), 2);
    }
}

#[test]
fn kiosk_records_channel_kiosk_and_returns_to_a_blank_form() {
    for database in backends() {
        let app = TestApp::spawn(&database);
        common::seed_service_unit(&app, "disdukcapil");
        let (status, html) = app.get("/s/disdukcapil/kiosk");
        assert_eq!(status, 200);
        assert!(html.contains("<body class=\"kiosk\">") && html.contains("action=\"/s/disdukcapil/kiosk\""));
        let reply = app.post_form("/s/disdukcapil/kiosk", &filled(&token_of(&html)));
        assert_eq!(reply.status, 303, "{}", database.name);
        let location = reply.header("location").expect("redirect").to_string();
        assert!(location.starts_with("/s/disdukcapil/kiosk/terima-kasih"));
        let (_, thanks) = app.get(&location);
        assert!(thanks.contains("http-equiv=\"refresh\" content=\"8;url=/s/disdukcapil/kiosk\""), "{thanks}");
        // a citizen who switched the kiosk to English: their thank-you is English, the next
        // citizen starts again in the kiosk's own language
        let (_, english) = app.get("/s/disdukcapil/kiosk/terima-kasih?lang=en");
        assert!(english.contains("<html lang=\"en\">"), "{english}");
        assert!(
            english.contains("content=\"8;url=/s/disdukcapil/kiosk\""),
            "no ?lang=en for the next citizen: {english}"
        );
        assert!(!english.contains("kiosk?lang=en"), "{english}");
        let channel: String = responses::table.select(responses::channel).first(&mut app.conn()).expect("row");
        assert_eq!(channel, "kiosk");
    }
}

#[test]
fn the_honeypot_pretends_success_and_stores_nothing() {
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    common::seed_service_unit(&app, "disdukcapil");
    let (_, html) = app.get("/s/disdukcapil");
    let mut fields = filled(&token_of(&html));
    set(&mut fields, "website", "http://spam.example");
    assert_eq!(app.post_form("/s/disdukcapil", &fields).status, 303);
    assert_eq!(response_count(&app), 0);
}

#[test]
fn identical_bursts_from_one_client_are_flagged_not_dropped() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.burst_threshold = 3);
        common::seed_service_unit(&app, "disdukcapil");
        for _ in 0..3 {
            let (_, html) = app.get("/s/disdukcapil");
            assert_eq!(app.post_form("/s/disdukcapil", &filled(&token_of(&html))).status, 303);
        }
        let flags: Vec<bool> = responses::table.select(responses::flagged).load(&mut app.conn()).expect("rows");
        assert_eq!(flags, [true, true, true], "{}", database.name);
    }
}

#[test]
fn language_unknown_units_and_bad_bodies() {
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    common::seed_service_unit(&app, "disdukcapil");
    let (_, html) = app.get("/s/disdukcapil?lang=en");
    assert!(html.contains("<html lang=\"en\">") && html.contains("How fast was the service delivered?"));
    assert!(html.contains("href=\"/s/disdukcapil?lang=id\""), "visible switch back");
    let reply = app.get_with("/s/disdukcapil", &[("accept-language", "en-GB,en;q=0.9")]);
    assert!(reply.body.contains("Send survey"));

    let (status, html) = app.get("/s/tidak-ada");
    assert_eq!(status, 404);
    assert!(html.contains("Halaman tidak ditemukan"), "friendly 404 page");

    let oversized = format!("saran={}", "x".repeat(70 * 1024));
    let reply = app.post_raw("/s/disdukcapil", "application/x-www-form-urlencoded", &oversized);
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body.contains("Permintaan tidak dapat diproses"));
    let headers = app.get_with("/s/disdukcapil", &[]);
    assert!(headers.header("content-security-policy").is_some_and(|v| v.contains("script-src 'none'")));
    assert_eq!(headers.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn the_form_weighs_under_30_kb_with_its_stylesheet() {
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    common::seed_service_unit(&app, "disdukcapil");
    let (_, html) = app.get("/s/disdukcapil");
    assert!(
        !html.contains("<script") && !html.contains("http://") && !html.contains("https://"),
        "no scripts, fonts or CDNs"
    );
    let stylesheets: Vec<&str> = html
        .match_indices("rel=\"stylesheet\" href=\"")
        .map(|(i, m)| html[i + m.len()..].split('"').next().unwrap_or(""))
        .collect();
    assert_eq!(stylesheets, ["/static/skm.css"]);
    let (status, css) = app.get("/static/skm.css");
    assert_eq!(status, 200);
    let total = html.len() + css.len();
    assert!(total < 30 * 1024, "form page weighs {total} bytes");
    for (page, name) in [(app.get("/s/disdukcapil/kiosk").1, "kiosk"), (app.get("/s/disdukcapil?lang=en").1, "english")]
    {
        assert!(page.len() + css.len() < 30 * 1024, "{name} page too heavy");
    }
}
