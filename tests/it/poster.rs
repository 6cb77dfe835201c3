//! QR posters: downloads for operators and `skm qr`, readable as PDF by poppler.

use crate::common;

use common::{backends, samples_dir, seed_unit_and_user, skm, tool_available, TestApp, PASSWORD};
use skm::domain::names::Role;
use std::process::Command;

#[test]
fn operators_download_posters_in_three_formats() {
    for database in backends() {
        let app = TestApp::spawn_with(&database, |c| c.base_url = "https://skm.kutaitimurkab.go.id".into());
        seed_unit_and_user(&app, "disdukcapil", "op@kutaitimurkab.go.id", Role::Operator);
        seed_unit_and_user(&app, "dinkes", "op@dinkes.go.id", Role::Operator);
        let cookie = app.login("op@kutaitimurkab.go.id", PASSWORD).expect("signed in");
        for (ext, content_type) in [("pdf", "application/pdf"), ("png", "image/png"), ("svg", "image/svg+xml")] {
            let reply = app.get_as(&cookie, &format!("/operator/disdukcapil/poster.{ext}"));
            assert_eq!(reply.status, 200, "{}: {ext}", database.name);
            assert_eq!(reply.header("content-type"), Some(content_type));
            assert!(reply
                .header("content-disposition")
                .is_some_and(|d| d.contains(&format!("poster-skm-disdukcapil.{ext}"))));
            assert!(reply.bytes.len() > 1000);
        }
        let svg = app.get_as(&cookie, "/operator/disdukcapil/poster.svg?layanan=ktp-el").body;
        assert!(svg.contains("https://skm.kutaitimurkab.go.id/s/disdukcapil?layanan=ktp-el"), "per-service QR");
        assert_eq!(app.get_as(&cookie, "/operator/disdukcapil/poster.svg?layanan=paspor").status, 400);
        assert_eq!(app.get_as(&cookie, "/operator/disdukcapil/poster.gif").status, 404);
        assert_eq!(app.get_as(&cookie, "/operator/dinkes/poster.pdf").status, 404, "another unit's poster");
        assert_eq!(app.get_with("/operator/disdukcapil/poster.pdf", &[]).status, 303, "login required");
    }
}

#[test]
fn skm_qr_writes_a_pdf_poppler_can_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |args: &[&str]| {
        skm(dir.path()).env("SKM_BASE_URL", "https://skm.kutaitimurkab.go.id").args(args).output().expect("run")
    };
    assert!(run(&["unit", "add", "--slug", "kecamatan-bengalon", "--name", "Kantor Kecamatan Bengalon"])
        .status
        .success());
    let out = dir.path().join("poster.pdf");
    let result = run(&["qr", "kecamatan-bengalon", "--out", out.to_str().expect("path")]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let size = std::fs::metadata(&out).expect("poster written").len();
    assert!(size < 100_000, "the poster is {size} bytes: the fonts go in with only the glyphs drawn");
    let bad = run(&["qr", "kecamatan-bengalon", "--out", "poster.gif"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must end in .pdf, .svg or .png"));
    let missing = run(&["qr", "nowhere", "--out", "poster.svg"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no unit with slug 'nowhere'"));

    if !tool_available("pdftotext") {
        return;
    }
    let text = Command::new("pdftotext").arg(&out).arg("-").output().expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("SURVEI KEPUASAN MASYARAKAT"), "{text}");
    assert!(text.contains("Kantor Kecamatan Bengalon"), "{text}");
    assert!(text.contains("https://skm.kutaitimurkab.go.id/s/kecamatan-bengalon"), "{text}");
    let info = Command::new("pdfinfo").arg(&out).output().expect("pdfinfo");
    assert!(String::from_utf8_lossy(&info.stdout).contains("595."), "A4 width in points");
    // The QR code in the PDF scans, as a phone would read the printed poster.
    let page = samples_dir().join("poster-page");
    let status = Command::new("pdftoppm").args(["-png", "-r", "100", "-singlefile"]).arg(&out).arg(&page).status();
    assert!(status.is_ok_and(|s| s.success()), "pdftoppm");
    let bytes = std::fs::read(page.with_extension("png")).expect("page image");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("png");
    let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buffer).expect("frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buffer[(y * w + x) * channels]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the printed page");
    assert_eq!(grids[0].decode().expect("readable").1, "https://skm.kutaitimurkab.go.id/s/kecamatan-bengalon");
}
