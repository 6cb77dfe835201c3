//! The charts where people see them: in a dashboard's card on a desktop and on a phone (filling
//! the card, text as large as the page's small print), and in the PDF report (vector drawing,
//! its text real text, numbers as the tables write them). The layout's own guarantees (no two
//! texts overlap, with extreme inputs) are tested in `src/charts/tests.rs`.

use crate::common;

use common::{samples_dir, tool_available, TestApp};
use skm::demo::{self, DemoAccount};
use skm::domain::names::Role;
use skm::domain::period::Period;
use std::process::Command;

fn year_to_date() -> String {
    let today = demo::today(chrono_tz::Asia::Makassar);
    Period::Range { from: today - chrono::Duration::days(364), to: today }.to_string()
}

fn admin(accounts: &[DemoAccount]) -> &DemoAccount {
    accounts.iter().find(|a| a.role == Role::Admin).expect("admin")
}

/// For each chart on the page: the width of its card's inside, the width its visible SVG takes,
/// the smallest text on it in CSS pixels (font size × how much the SVG is scaled) and its right
/// edge.
const MEASURE: &str = "return [...document.querySelectorAll('figure.chart')].map(f => {
    const svg = [...f.querySelectorAll('svg')].find(s => s.getBoundingClientRect().width > 0);
    if (!svg) return {card: f.clientWidth, drawn: 0, text: 0};
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')));
    const style = getComputedStyle(f);
    const inside = f.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return {card: inside, drawn: svg.getBoundingClientRect().width, text: Math.min(...sizes) * scale,
            right: svg.getBoundingClientRect().right, layout: svg.getAttribute('class')};
});";

#[test]
fn the_dashboards_charts_fill_their_cards_with_readable_text_on_a_desktop_and_a_phone() {
    if !tool_available("chromium") || !tool_available("chromedriver") {
        return;
    }
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let accounts = common::seed_demo(&mut app.conn(), 1500, 7).1;
    let admin = admin(&accounts);
    let period = year_to_date();
    for (width, height, layout) in [(1366, 900, "chart-wide"), (390, 844, "chart-narrow")] {
        let browser = common::webdriver::Browser::start(width, height);
        browser.sign_in(&app.url("/masuk"), &admin.email, &admin.password);
        let pages = [
            ("unit", format!("/dasbor/unit/disdukcapil?period={period}"), "NIK per unsur", 6),
            ("regency", format!("/dasbor?period={period}"), "Peringkat unit menurut NIK", 1),
        ];
        for (name, path, text, count) in pages {
            browser.open(&app.url(&path));
            browser.wait_for_text(text);
            browser.screenshot(&samples_dir().join(format!("charts-dashboard-{name}-{width}.png")));
            let charts = browser.script(MEASURE, vec![]);
            let charts = charts.as_array().expect("a list of charts");
            assert!(charts.len() >= count, "{name}: {charts:?}");
            for chart in charts {
                let number = |key: &str| chart[key].as_f64().unwrap_or(0.0);
                assert!(number("drawn") >= number("card") - 1.0, "{name} at {width} px fills its card: {chart}");
                assert!(number("text") >= 10.0, "{name} at {width} px has no text under 10 px: {chart}");
                assert!(number("right") <= f64::from(width), "{name} at {width} px is inside the screen: {chart}");
                assert_eq!(chart["layout"], layout, "{name} at {width} px: {chart}");
            }
        }
    }
}

#[test]
fn the_pdf_report_draws_its_charts_as_vectors_with_indonesian_numbers() {
    let database = common::TestDb::sqlite();
    let app = TestApp::spawn(&database);
    let accounts = common::seed_demo(&mut app.conn(), 600, 7).1;
    let cookie = app.login(&admin(&accounts).email, &admin(&accounts).password).expect("signed in");
    let reply = app.get_as(&cookie, &format!("/dasbor/unit/kutim/laporan.pdf?period={}&sub=1", year_to_date()));
    assert_eq!(reply.status, 200);
    // no bitmap in the report (no logo is configured): the charts are drawn, not pasted
    let images = reply.bytes.windows(b"/Image".len()).filter(|w| *w == b"/Image").count();
    assert_eq!(images, 0, "the charts are vector drawings");
    if !tool_available("pdftotext") {
        return;
    }
    let path = samples_dir().join("charts-report.pdf");
    std::fs::write(&path, &reply.bytes).expect("write pdf");
    let out = Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&out.stdout);
    for title in ["NIK per unsur", "Peringkat unit menurut NIK", "Jenis kelamin responden", "unsur terendah"] {
        assert!(text.contains(title), "the chart's text is text: {title}");
    }
    // the axes are labelled like the tables: "100", never "100.0"
    assert!(!text.contains("100.0") && !text.contains(".00 "), "no decimal points in the charts");
    if tool_available("pdftoppm") {
        let prefix = samples_dir().join("charts-report");
        let _ = Command::new("pdftoppm").args(["-png", "-r", "60"]).arg(&path).arg(&prefix).status();
    }
}
