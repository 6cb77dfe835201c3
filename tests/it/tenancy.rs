//! Province and national deployments (issue 21), on both databases: admins held to their
//! subtree, a regency's own time zone, and the monthly roll-ups with their freshness on the
//! region pages.

use crate::common::{self, backends, TestApp, PASSWORD};
use crate::devices::{code_on, enrol_with, new_key, response, start_enrolment, version_of};
use diesel::prelude::*;
use skm::db::schema::responses;
use skm::db::units::{self, NewUnit, Unit};
use skm::db::users::{self, NewUser};
use skm::domain::names::{Role, Slug, UnitKind};

fn unit(conn: &mut skm::db::DbConnection, slug: &str, name: &str, kind: UnitKind, parent: Option<&Unit>) -> Unit {
    units::create(
        conn,
        &NewUnit {
            slug: &Slug::parse(slug).expect("slug"),
            name,
            kind,
            parent_id: parent.map(|p| p.id),
            contact_emails: &[],
            template_id: None,
        },
    )
    .expect("unit")
}

fn user(conn: &mut skm::db::DbConnection, email: &str, role: Role, units: &[i32]) {
    let hash = skm::password::hash(PASSWORD).expect("hash");
    users::create(conn, &NewUser { email, name: "Pengguna", password_hash: &hash, role, unit_ids: units })
        .expect("user");
}

/// Indonesia → Kalimantan Timur (Kutai Timur, Samarinda) and Papua (Jayapura, in WIT), an
/// office of civil registration in each; March 2026's paper responses: Kutai Timur three of all
/// 4s, Samarinda two of 3s, Jayapura one of 2s. Admins of the nation, of Kalimantan Timur and of
/// Kutai Timur.
struct Nation {
    app: TestApp,
}

const MARCH: &str = "2026-03";

impl Nation {
    fn build(app: TestApp) -> Nation {
        {
            let mut conn = app.conn();
            let nation = unit(&mut conn, "indonesia", "Indonesia", UnitKind::Nation, None);
            let kaltim = unit(&mut conn, "kaltim", "Provinsi Kalimantan Timur", UnitKind::Province, Some(&nation));
            let papua = unit(&mut conn, "papua", "Provinsi Papua", UnitKind::Province, Some(&nation));
            let kutim = unit(&mut conn, "kutim", "Kabupaten Kutai Timur", UnitKind::Regency, Some(&kaltim));
            let samarinda = unit(&mut conn, "samarinda", "Kota Samarinda", UnitKind::City, Some(&kaltim));
            let jayapura = unit(&mut conn, "jayapura", "Kabupaten Jayapura", UnitKind::Regency, Some(&papua));
            skm::units::set_zone(&mut conn, None, "jayapura", Some(chrono_tz::Asia::Jayapura)).expect("zone");
            let (version, _) = common::registry(&mut conn).current("permenpanrb-14-2017").expect("template");
            let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 10).expect("date");
            for (parent, slug, score, count) in [
                (&kutim, "disdukcapil-kutim", 4, 3),
                (&samarinda, "disdukcapil-smd", 3, 2),
                (&jayapura, "disdukcapil-jpr", 2, 1),
            ] {
                let office =
                    unit(&mut conn, slug, &format!("Disdukcapil {}", parent.name), UnitKind::Opd, Some(parent));
                for s in ["ktp-el", "akta-lahir"] {
                    units::add_service(&mut conn, office.id, &Slug::parse(s).expect("slug"), s).expect("service");
                }
                for _ in 0..count {
                    skm::db::responses::insert(&mut conn, &common::paper_response(office.id, version, day, score))
                        .expect("response");
                }
            }
            user(&mut conn, "nasional@menpan.go.id", Role::Admin, &[]);
            user(&mut conn, "admin@kaltimprov.go.id", Role::Admin, &[kaltim.id]);
            user(&mut conn, "admin@kutaitimurkab.go.id", Role::Admin, &[kutim.id]);
            user(&mut conn, "operator@jayapurakab.go.id", Role::Operator, &[jayapura.id]);
        }
        Nation { app }
    }

    fn refresh(&self, months: &[&str]) {
        let months: Vec<String> = months.iter().map(|m| m.to_string()).collect();
        skm::rollup::refresh(&mut self.app.conn(), &months, chrono::Utc::now(), |_, _| {}).expect("roll-ups");
    }

    fn login(&self, email: &str) -> String {
        self.app.login(email, PASSWORD).expect("login")
    }

    fn status(&self, cookie: &str, path: &str) -> u16 {
        self.app.get_as(cookie, path).status
    }
}

/// The ranking table's rows as (name, IKM, responses), in order.
fn ranking(page: &str, heading_id: &str) -> Vec<(String, String, String)> {
    let start = page.find(&format!("id=\"{heading_id}\"")).unwrap_or_else(|| panic!("no {heading_id}: {page}"));
    let table = &page[start..];
    let body = &table[table.find("<tbody>").expect("tbody")..table.find("</tbody>").expect("tbody end")];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            let cells: Vec<String> = row
                .split("<td")
                .skip(1)
                .map(|cell| {
                    let text = &cell[cell.find('>').map_or(0, |i| i + 1)..];
                    let mut plain = String::new();
                    let mut in_tag = false;
                    for c in text.chars() {
                        match c {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            _ if !in_tag => plain.push(c),
                            _ => {}
                        }
                    }
                    plain.trim().to_string()
                })
                .collect();
            (cells[1].clone(), cells[2].clone(), cells[4].clone())
        })
        .collect()
}

#[test]
fn an_admin_of_a_province_or_regency_sees_its_subtree_and_nothing_outside_it() {
    for database in backends() {
        let name = database.name;
        let nation = Nation::build(TestApp::spawn(&database));
        nation.refresh(&[MARCH]);
        let province = nation.login("admin@kaltimprov.go.id");
        let page = nation.app.get_as(&province, &format!("/dasbor/wilayah/kaltim?period={MARCH}"));
        assert_eq!(page.status, 200, "{name}: {}", page.body);
        assert_eq!(
            ranking(&page.body, "h-children"),
            [
                ("Kabupaten Kutai Timur Kabupaten".to_string(), "100,00".to_string(), "3".to_string()),
                ("Kota Samarinda Kota".to_string(), "75,00".to_string(), "2".to_string()),
            ],
            "{name}"
        );
        // the chart says what it ranks
        assert!(page.body.contains("Peringkat kabupaten/kota menurut NIK"), "{name}: {}", page.body);
        assert!(!page.body.contains("Peringkat unit menurut"), "{name}: a region's chart ranks no units");
        // (3 × 4 + 2 × 3) / 5 = 3,6 → 90,00 pooled over the province's respondents
        assert!(page.body.contains("<strong>90,00</strong>"), "{name}: {}", page.body);
        assert!(!page.body.contains("Jayapura"), "{name}: another province's regency on the page");
        common::assert_indonesian(&page.body, "the province page");
        for (path, expected) in [
            ("/dasbor/wilayah/papua", 404),
            ("/dasbor/wilayah/indonesia", 404),
            ("/dasbor/unit/disdukcapil-jpr", 404),
            ("/dasbor/unit/jayapura", 404),
            ("/dasbor/unit/disdukcapil-kutim", 200),
            ("/dasbor/unit/disdukcapil-smd", 200),
            ("/dasbor/unit/disdukcapil-jpr/laporan.csv?period=2026-03", 404),
            ("/operator/disdukcapil-jpr/kertas", 404),
            ("/operator/disdukcapil-smd/kertas", 200),
            // the console, for the province's own units and users (below, for a regency's admin)
            ("/admin", 200),
            ("/admin/bukti.zip?period=2026-03", 404),
            ("/api/v1/units/disdukcapil-jpr/index?period=2026-03", 404),
        ] {
            assert_eq!(nation.status(&province, path), expected, "{name}: the province admin at {path}");
        }
        let overview = nation.app.get_as(&province, "/dasbor?period=2026-03");
        assert_eq!(overview.status, 200, "{name}");
        assert!(overview.body.contains("/dasbor/wilayah/kaltim"), "{name}: no link to the province's page");
        assert!(overview.body.contains("Disdukcapil Kabupaten Kutai Timur"), "{name}");
        assert!(!overview.body.contains("disdukcapil-jpr"), "{name}: Papua's office on Kaltim's overview");
        assert!(overview.body.contains("href=\"/admin\""), "{name}: the console, for the province's subtree");

        let regency = nation.login("admin@kutaitimurkab.go.id");
        for (path, expected) in [
            ("/dasbor/unit/disdukcapil-kutim", 200),
            ("/dasbor/unit/disdukcapil-smd", 404),
            ("/dasbor/wilayah/kaltim", 404),
            ("/operator/disdukcapil-kutim/kertas", 200),
            ("/operator/disdukcapil-smd/kertas", 404),
            ("/admin/bukti.zip?period=2026-03", 404),
        ] {
            assert_eq!(nation.status(&regency, path), expected, "{name}: the regency admin at {path}");
        }
        // a regency is shown on its own dashboard, with its units rolled up
        let redirect = nation.app.get_as(&regency, "/dasbor/wilayah/kutim");
        assert_eq!(redirect.status, 303, "{name}");

        let national = nation.login("nasional@menpan.go.id");
        let page = nation.app.get_as(&national, &format!("/dasbor/wilayah/indonesia?period={MARCH}"));
        assert_eq!(page.status, 200, "{name}: {}", page.body);
        assert_eq!(
            ranking(&page.body, "h-children"),
            [
                ("Provinsi Kalimantan Timur Provinsi".to_string(), "90,00".to_string(), "5".to_string()),
                ("Provinsi Papua Provinsi".to_string(), "50,00".to_string(), "1".to_string()),
            ],
            "{name}"
        );
        let all: Vec<String> =
            ranking(&page.body, "h-regencies").into_iter().map(|(n, i, _)| format!("{n} {i}")).collect();
        assert_eq!(
            all,
            [
                "Kabupaten Kutai Timur Kabupaten 100,00",
                "Kota Samarinda Kota 75,00",
                "Kabupaten Jayapura Kabupaten 50,00"
            ],
            "{name}"
        );
        assert_eq!(nation.status(&national, "/admin"), 200, "{name}");
        // the national admin's overview is the nation's region page, not a list of every unit;
        // the list stays one link away
        let landing = nation.app.get_as(&national, &format!("/dasbor?period={MARCH}"));
        assert_eq!(landing.status, 303, "{name}");
        assert_eq!(landing.header("location"), Some("/dasbor/wilayah/indonesia?period=2026-03"), "{name}");
        assert!(page.body.contains("href=\"/dasbor?semua=1&#38;period=2026-03\""), "{name}: {}", page.body);
        let every = nation.app.get_as(&national, &format!("/dasbor?semua=1&period={MARCH}"));
        assert_eq!(every.status, 200, "{name}");
        for office in ["disdukcapil-kutim", "disdukcapil-smd", "disdukcapil-jpr"] {
            assert!(every.body.contains(office), "{name}: {office} missing from the list of every unit");
        }
        nation.app.stop();
    }
}

#[test]
fn the_region_pages_say_how_fresh_their_roll_ups_are_and_match_a_live_count() {
    for database in backends() {
        let name = database.name;
        let nation = Nation::build(TestApp::spawn(&database));
        let admin = nation.login("nasional@menpan.go.id");
        let path = format!("/dasbor/wilayah/kaltim?period={MARCH}");
        // never refreshed: the page says so and shows no numbers it does not have
        let page = nation.app.get_as(&admin, &path);
        assert_eq!(page.status, 200, "{name}");
        assert!(page.body.contains("belum dihitung untuk 2026-03"), "{name}: {}", page.body);
        assert_eq!(ranking(&page.body, "h-children")[0].1, "–", "{name}");

        nation.refresh(&[MARCH]);
        let page = nation.app.get_as(&admin, &path);
        assert!(page.body.contains("Data per "), "{name}: {}", page.body);
        // the roll-ups hold whole months: a range cut inside one is refused at the picker, in Indonesian
        let cut = nation.app.get_as(&admin, "/dasbor/wilayah/kaltim?period=&dari=2026-03-05&sampai=2026-03-31");
        assert_eq!(cut.status, 400, "{name}");
        assert!(cut.body.contains("menghitung per bulan penuh"), "{name}: {}", cut.body);
        common::assert_indonesian(&cut.body, "the region page with a cut range");
        assert_eq!(ranking(&page.body, "h-children")[0].2, "3", "{name}");

        // a new response counts on the unit's live dashboard at once, on the region page after the
        // next refresh
        {
            let mut conn = nation.app.conn();
            let office = units::by_slug(&mut conn, "disdukcapil-kutim").expect("office");
            let (version, _) = common::registry(&mut conn).current("permenpanrb-14-2017").expect("template");
            let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 20).expect("date");
            skm::db::responses::insert(&mut conn, &common::paper_response(office.id, version, day, 1))
                .expect("response");
        }
        let stale = nation.app.get_as(&admin, &path);
        assert_eq!(ranking(&stale.body, "h-children")[0].2, "3", "{name}: the roll-up is not live");
        nation.refresh(&[MARCH]);
        let fresh = nation.app.get_as(&admin, &path);
        let rows = ranking(&fresh.body, "h-children");
        // 3 × 4 + 1 × 1 over 4 respondents: NRR 3,25 → 81,25; Samarinda (75,00) stays second
        assert_eq!((rows[0].1.as_str(), rows[0].2.as_str()), ("81,25", "4"), "{name}");

        // `skm rebuild-totals` (after a bulk load) leaves the roll-ups agreeing with its totals
        {
            let mut conn = nation.app.conn();
            let office = units::by_slug(&mut conn, "disdukcapil-kutim").expect("office");
            let (version, _) = common::registry(&mut conn).current("permenpanrb-14-2017").expect("template");
            let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 21).expect("date");
            skm::db::responses::insert(&mut conn, &common::paper_response(office.id, version, day, 4))
                .expect("response");
        }
        let dir = tempfile::tempdir().expect("tmp");
        let out = common::skm(dir.path())
            .env("SKM_DATABASE_URL", &database.url)
            .arg("rebuild-totals")
            .output()
            .expect("run skm");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && said.contains("roll-ups of"), "{name}: {said}");
        let rebuilt = ranking(&nation.app.get_as(&admin, &path).body, "h-children");
        // 4 × 4 + 1 × 1 over 5: NRR 3,4 → 85,00
        assert_eq!((rebuilt[0].1.as_str(), rebuilt[0].2.as_str()), ("85,00", "5"), "{name}");

        // the roll-up of a regency equals the live aggregate of its subtree
        let mut conn = nation.app.conn();
        let registry = common::registry(&mut conn);
        let kutim = units::by_slug(&mut conn, "kutim").expect("regency");
        let version_ids = skm::db::templates::version_ids(&mut conn, "permenpanrb-14-2017").expect("versions");
        let rolled = skm::db::rollup::totals(&mut conn, &[kutim.id], &[MARCH.to_string()], &version_ids)
            .expect("roll-up")
            .remove(&kutim.id)
            .expect("kutim's roll-up");
        let live = skm::aggregator::unit_index(
            &mut conn,
            &registry,
            &kutim,
            &skm::aggregator::Selection {
                period: MARCH.parse().expect("period"),
                with_subunits: true,
                service_id: None,
            },
        )
        .expect("live index");
        assert_eq!(rolled.responses, live.result.responses, "{name}");
        let (_, template) = registry.default_template();
        let from_rollup = skm::domain::ikm::compute(&template, &rolled.tally(&template), None);
        assert_eq!(from_rollup.index, live.result.index, "{name}");
        drop(conn);
        nation.app.stop();
    }
}

/// The last 15:30 UTC at least ten minutes ago: 00:30 WIT of the next day, 22:30 WIB of its own.
fn half_past_midnight_wit() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now() - chrono::Duration::minutes(10);
    let today = now.date_naive().and_hms_opt(15, 30, 0).expect("time").and_utc();
    if today <= now {
        today
    } else {
        today - chrono::Duration::days(1)
    }
}

#[test]
fn a_response_at_half_past_midnight_wit_counts_on_the_papuan_day_not_the_western_one() {
    for database in backends() {
        let name = database.name;
        let nation = Nation::build(TestApp::spawn_with(&database, |c| c.timezone = chrono_tz::Asia::Jakarta));
        let app = &nation.app;
        // an operator of Jayapura enrols a kiosk of the office, which took its regency's zone
        let cookie = nation.login("operator@jayapurakab.go.id");
        let page = start_enrolment(
            app,
            &cookie,
            "disdukcapil-jpr",
            &[("jenis", "kiosk"), ("nama", "Tablet"), ("unit", "disdukcapil-jpr")],
        );
        assert_eq!(page.status, 200, "{name}: {}", page.body);
        let device = enrol_with(app, &code_on(&page.body), new_key());
        let version = version_of(&device.config(app), "disdukcapil-jpr");
        let at = half_past_midnight_wit();
        let id = uuid::Uuid::now_v7().to_string();
        let (reply, body) = device.upload(app, &[response(&id, "disdukcapil-jpr", version, &at.to_rfc3339(), 4)], 0);
        assert_eq!(reply.status, 200, "{name}: {body}");
        let day: String = responses::table
            .filter(responses::id.eq(&id))
            .select(responses::survey_date)
            .first(&mut app.conn())
            .expect("the stored response");
        let papua_day = (at + chrono::Duration::hours(9)).date_naive();
        assert_eq!(day, papua_day.to_string(), "{name}: counted on the deployment's (WIB) day");
        assert_eq!(papua_day, at.date_naive() + chrono::Duration::days(1), "{name}: the WIB day is the one before");

        // the public form of a unit in the deployment's zone still counts WIB days, and a zone
        // set on a regency reaches a unit added below it later
        {
            let mut conn = app.conn();
            let jayapura = units::by_slug(&mut conn, "jayapura").expect("regency");
            let later = unit(&mut conn, "rsud-jayapura", "RSUD Jayapura", UnitKind::Opd, Some(&jayapura));
            assert_eq!(later.time_zone.as_deref(), Some("Asia/Jayapura"), "{name}");
            let kutim = units::by_slug(&mut conn, "disdukcapil-kutim").expect("office");
            assert_eq!(kutim.time_zone, None, "{name}");
        }
        let form = app.get("/s/disdukcapil-kutim").1;
        let fields = common::filled(&common::token_of(&form));
        let before = chrono::Utc::now();
        let reply = app.post_form("/s/disdukcapil-kutim", &fields);
        assert!(reply.status == 303 || reply.status == 200, "{name}: {}", reply.body);
        let stored: Vec<String> = responses::table
            .inner_join(skm::db::schema::units::table)
            .filter(skm::db::schema::units::slug.eq("disdukcapil-kutim"))
            .filter(responses::channel.eq("web"))
            .select(responses::survey_date)
            .load(&mut app.conn())
            .expect("web responses");
        let wib =
            |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono_tz::Asia::Jakarta).date_naive().to_string();
        assert_eq!(stored.len(), 1, "{name}");
        assert!(stored[0] == wib(before) || stored[0] == wib(chrono::Utc::now()), "{name}: {stored:?}");
        nation.app.stop();
    }
}

/// A regency's admin in a national deployment runs their own regency in the console: its units,
/// services, letterheads and users, and nothing of the rest of the tree or of the deployment.
#[test]
fn a_regency_admin_manages_its_own_units_and_users_in_the_console_and_nothing_else() {
    for database in backends() {
        let name = database.name;
        let nation = Nation::build(TestApp::spawn(&database));
        let admin = nation.login("admin@kutaitimurkab.go.id");
        let page = nation.app.get_as(&admin, "/admin");
        assert_eq!(page.status, 200, "{name}: {}", page.body);
        assert!(page.body.contains("Disdukcapil Kabupaten Kutai Timur"), "{name}");
        for other in ["Kota Samarinda", "Kabupaten Jayapura", "admin@kaltimprov.go.id", "nasional@menpan.go.id"] {
            assert!(!page.body.contains(other), "{name}: {other} on the regency admin's console");
        }
        assert!(!page.body.contains("/admin/buku-kerja"), "{name}: the workbook is the deployment's");
        assert!(page.body.contains("Anda admin wilayah"), "{name}");
        common::assert_indonesian(&page.body, "the regency admin's console");
        let csrf = common::hidden(&page.body, "csrf");
        let post = |action: &str, fields: &[(&str, &str)]| {
            let mut body: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            body.push(("csrf".into(), csrf.clone()));
            nation.app.post_form_as(&admin, &format!("/admin/{action}"), &body)
        };
        let services = |slug: &str| {
            let mut conn = nation.app.conn();
            let unit = units::by_slug(&mut conn, slug).expect("unit");
            units::services_of_units(&mut conn, &[unit.id])
                .expect("services")
                .remove(&unit.id)
                .unwrap_or_default()
                .len()
        };
        // inside: done
        let done = post("service", &[("unit", "disdukcapil-kutim"), ("slug", "kk"), ("name", "Kartu Keluarga")]);
        assert_eq!(done.status, 303, "{name}: {}", done.body);
        assert_eq!(services("disdukcapil-kutim"), 3, "{name}");
        let added = post(
            "unit",
            &[("slug", "dinkes-kutim"), ("name", "Dinas Kesehatan"), ("kind", "opd"), ("parent", "kutim")],
        );
        assert_eq!(added.status, 303, "{name}: {}", added.body);
        let head = post(
            "user",
            &[
                ("email", "kadis@dinkes.kutaitimurkab.go.id"),
                ("name", "Kadis"),
                ("role", "unit_head"),
                ("unit", "dinkes-kutim"),
            ],
        );
        assert_eq!(head.status, 200, "{name}: the invitation is shown: {}", head.body);
        // the regency's own edit form lists no parent outside the regency: it keeps Kaltim
        let renamed = post(
            "unit-edit",
            &[("unit", "kutim"), ("name", "Kabupaten Kutai Timur (Kutim)"), ("kind", "regency"), ("parent", "")],
        );
        assert_eq!(renamed.status, 303, "{name}: {}", renamed.body);
        {
            let mut conn = nation.app.conn();
            let kutim = units::by_slug(&mut conn, "kutim").expect("kutim");
            let kaltim = units::by_slug(&mut conn, "kaltim").expect("kaltim");
            assert_eq!(
                (kutim.name.as_str(), kutim.parent_id),
                ("Kabupaten Kutai Timur (Kutim)", Some(kaltim.id)),
                "{name}"
            );
        }
        // outside, or the deployment's: refused with the reason, nothing changed
        for (action, fields, says) in [
            ("service", vec![("unit", "disdukcapil-smd"), ("slug", "kk"), ("name", "KK")], "tidak ada"),
            (
                "unit",
                vec![("slug", "dishub-kaltim"), ("name", "Dishub"), ("kind", "opd"), ("parent", "kaltim")],
                "tidak ada",
            ),
            (
                "unit-edit",
                vec![("unit", "kutim"), ("name", "Kutim"), ("kind", "regency"), ("parent", "papua")],
                "tidak ada",
            ),
            (
                "user",
                vec![("email", "x@smd.go.id"), ("name", "X"), ("role", "unit_head"), ("unit", "disdukcapil-smd")],
                "tidak ada",
            ),
            ("user", vec![("email", "y@kutim.go.id"), ("name", "Y"), ("role", "admin"), ("unit", "")], "wilayah Anda"),
            ("user-disable", vec![("user", "admin@kaltimprov.go.id")], "tidak ada pengguna"),
            ("user-reset", vec![("user", "nasional@menpan.go.id")], "tidak ada pengguna"),
            (
                "api-key-create",
                vec![("unit", "disdukcapil-kutim"), ("name", "SIAK"), ("scopes", "read")],
                "seluruh penerapan",
            ),
        ] {
            let reply = post(action, &fields);
            assert_eq!(reply.status, 422, "{name}: {action} {fields:?}: {}", reply.status);
            assert!(reply.body.contains(says), "{name}: {action}: {}", reply.body);
        }
        assert_eq!(services("disdukcapil-smd"), 2, "{name}: Samarinda's services untouched");
        {
            let mut conn = nation.app.conn();
            assert!(units::by_slug(&mut conn, "dishub-kaltim").is_err(), "{name}");
            let province_admin = skm::db::users::by_email(&mut conn, "admin@kaltimprov.go.id").expect("user");
            assert!(!province_admin.disabled, "{name}");
            assert!(skm::db::users::by_email(&mut conn, "x@smd.go.id").is_err(), "{name}");
        }
        // the deployment's console pages stay closed
        assert_eq!(nation.status(&admin, "/admin/buku-kerja/contoh.xlsx"), 404, "{name}");
        nation.app.stop();
    }
}
