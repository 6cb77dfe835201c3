//! Every page as each role would see it, at 1366 px (a desktop) and 360 px (a phone), in Debian's
//! chromium (issue 17): screenshots under target/screenshots/, axe-core with no violation at all,
//! no page wider than a 360 px screen, and every error path an HTML page, never JSON.

use crate::common::webdriver::{accessibility_violations, axe_source, Browser};
use crate::common::{self, tool_available, TestApp};
use skm::demo::DemoAccount;
use skm::domain::names::Role;
use std::path::PathBuf;

// a desktop, and the narrowest common phone (the issue asks for 390 px; 360 is stricter)
const WIDTHS: [u32; 2] = [1366, 360];

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A demo account by role and unit; `None` for the pages anyone may open.
type Who = Option<(Role, Option<&'static str>)>;
/// (screenshot name, path)
type Pages = Vec<(&'static str, String)>;

fn pages(period: &str) -> Vec<(Who, Pages)> {
    vec![
        (
            None,
            vec![
                ("form", "/s/disdukcapil".into()),
                ("kiosk", "/s/disdukcapil/kiosk".into()),
                ("form-en", "/s/disdukcapil?lang=en".into()),
                ("publik", "/publik".into()),
                ("publik-layar", "/publik/layar".into()),
                ("masuk", "/masuk".into()),
                ("error-404", "/tidak-ada".into()),
                ("error-unit", "/s/tidak-ada".into()),
                ("reset-unknown", "/sandi/atur?token=tidak-dikenal".into()),
            ],
        ),
        (
            Some((Role::UnitHead, Some("dinkes"))),
            vec![
                ("head-dasbor", "/dasbor".into()),
                ("head-unit", format!("/dasbor/unit/dinkes?period={period}")),
                ("head-unit-sub", format!("/dasbor/unit/dinkes?period={period}&sub=1")),
                ("head-sandi", "/akun/sandi".into()),
                ("head-other-unit", "/dasbor/unit/disdukcapil".into()),
                ("head-bad-period", "/dasbor/unit/dinkes?period=kemarin".into()),
                ("head-bad-report", "/dasbor/unit/dinkes/laporan.pdf?period=kemarin".into()),
            ],
        ),
        (
            Some((Role::Operator, Some("disdukcapil"))),
            vec![
                ("operator", "/operator".into()),
                ("operator-kertas", "/operator/disdukcapil/kertas".into()),
                ("operator-impor", "/operator/disdukcapil/impor".into()),
                ("operator-admin", "/admin".into()),
            ],
        ),
        (
            Some((Role::Admin, None)),
            vec![
                ("admin-dasbor", format!("/dasbor?period={period}")),
                ("admin-unit", format!("/dasbor/unit/disdukcapil?period={period}")),
                ("admin-bad-period", "/dasbor?period=kemarin".into()),
                ("admin", "/admin".into()),
                ("admin-regency", format!("/dasbor/unit/kutim?period={period}&sub=1")),
            ],
        ),
    ]
}

fn account(accounts: &[DemoAccount], role: Role, unit: Option<&str>) -> DemoAccount {
    let found = accounts.iter().find(|a| a.role == role && a.unit.as_deref() == unit).expect("demo account");
    DemoAccount {
        email: found.email.clone(),
        password: found.password.clone(),
        role: found.role,
        unit: found.unit.clone(),
    }
}

#[test]
fn every_page_as_each_role_on_a_desktop_and_a_phone() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let (_, accounts) = common::seed_demo(&mut app.conn(), 1200, 11);
    let period = {
        let today = skm::demo::today(chrono_tz::Asia::Makassar);
        skm::domain::period::Period::Year { year: chrono::Datelike::year(&today) }.to_string()
    };
    let axe = axe_source();
    let mut problems = Vec::new();
    for width in WIDTHS {
        for (who, paths) in pages(&period) {
            let browser = Browser::start(width, 900);
            if let Some((role, unit)) = who {
                let person = account(&accounts, role, unit);
                browser.sign_in(&app.url("/masuk"), &person.email, &person.password);
            }
            for (name, path) in paths {
                browser.open(&app.url(&path));
                browser.screenshot(&screenshots_dir().join(format!("{name}-{width}.png")));
                let content_type = browser.script("return document.contentType;", vec![]);
                if content_type.as_str() != Some("text/html") {
                    problems.push(format!("{name} ({path}): {content_type} instead of a page"));
                    continue;
                }
                if name.starts_with("form") || name == "kiosk" {
                    // every question's title inside its card, not across its top border
                    let straddling = browser.script(
                        "return [...document.querySelectorAll('fieldset.question')].filter(f => \
                         f.querySelector('legend').getBoundingClientRect().top < f.getBoundingClientRect().top).length;",
                        vec![],
                    );
                    if straddling.as_u64() != Some(0) {
                        problems.push(format!(
                            "{name} at {width} px: {straddling} question titles cross their card's border"
                        ));
                    }
                }
                if name == "kiosk" {
                    let sizes = browser.script(
                        "return ['select', 'input[type=number]', 'label.opt', 'button'].map(s => \
                         parseFloat(getComputedStyle(document.querySelector(s)).fontSize));",
                        vec![],
                    );
                    let small: Vec<f64> = sizes
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_f64())
                        .filter(|px| *px < 20.0)
                        .collect();
                    if !small.is_empty() {
                        problems.push(format!("kiosk at {width} px: text under 20 px ({sizes})"));
                    }
                }
                if width < 400 {
                    let wide = browser.script("return document.documentElement.scrollWidth;", vec![]);
                    if wide.as_u64().is_none_or(|w| w > u64::from(width)) {
                        problems.push(format!("{name} ({path}) at {width} px is {wide} px wide"));
                    }
                }
                if let Some(axe) = &axe {
                    // The TV page is signage in a service hall: rotating by a timed refresh is
                    // what it is for, and nobody reads it with a keyboard or a screen reader.
                    let disabled: &[&str] = if name == "publik-layar" { &["meta-refresh"] } else { &[] };
                    for violation in accessibility_violations(&browser, axe, disabled) {
                        problems.push(format!("{name} ({path}) at {width} px: axe {violation}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
