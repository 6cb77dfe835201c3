//! Bounded imports (issue 18, point 7): a workbook whose shared string unpacks to 200 MB from a
//! 200 KB upload is refused by the upload page and by `skm import`, quickly and without the
//! server or the command taking the memory; a cell longer than 2,000 characters is refused,
//! named by its row and column.

use crate::common;

use common::{agent, backends, hidden, skm, token_of, tool_available, TestDb, PASSWORD};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use skm::domain::names::Role;
use std::io::{Cursor, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The shared string's unpacked size.
const BOMB_BYTES: usize = 200 * 1024 * 1024;

/// A part of the archive: its bytes deflated, and what it unpacks to.
struct Part {
    name: String,
    deflated: Vec<u8>,
    crc: u32,
    size: u32,
}

/// `input` deflated on its own, byte-aligned: with `FlushCompress::Full` it ends without
/// closing the stream, so segments deflated apart can follow each other.
fn segment(input: &[u8], flush: FlushCompress) -> Vec<u8> {
    let mut compress = Compress::new(Compression::best(), false);
    let mut out = Vec::new();
    loop {
        out.reserve(64 * 1024);
        let consumed = compress.total_in() as usize;
        let status = compress.compress_vec(&input[consumed..], &mut out, flush).expect("deflate");
        let done = compress.total_in() as usize == input.len() && out.len() < out.capacity();
        if status == Status::StreamEnd || (done && !matches!(flush, FlushCompress::Finish)) {
            return out;
        }
    }
}

fn crc(bytes: &[u8]) -> Crc {
    let mut crc = Crc::new();
    crc.update(bytes);
    crc
}

/// A part of `head`, `times` copies of `chunk`, `tail`: the chunk is deflated once and its
/// bytes repeated, so a 200 MB part is made in milliseconds.
fn repeated(name: &str, head: &[u8], chunk: &[u8], times: usize, tail: &[u8]) -> Part {
    let once = segment(chunk, FlushCompress::Full);
    let mut deflated = segment(head, FlushCompress::Full);
    let mut sum = crc(head);
    let chunk_crc = crc(chunk);
    for _ in 0..times {
        deflated.extend_from_slice(&once);
        sum.combine(&chunk_crc);
    }
    deflated.extend(segment(tail, FlushCompress::Finish));
    sum.combine(&crc(tail));
    let size = u32::try_from(head.len() + chunk.len() * times + tail.len()).expect("under 4 GB");
    Part { name: name.to_string(), deflated, crc: sum.sum(), size }
}

/// A ZIP archive of the parts, as a spreadsheet program writes one.
fn zip_of(parts: &[Part]) -> Vec<u8> {
    let (mut out, mut directory) = (Vec::new(), Vec::new());
    for part in parts {
        let offset = out.len() as u32;
        let fixed = |signature: u32, out: &mut Vec<u8>| {
            out.extend(signature.to_le_bytes());
            if signature == 0x0201_4b50 {
                out.extend(20u16.to_le_bytes()); // made by
            }
            // needed version, flags, deflate, time, date (1980-01-01)
            for field in [20u16, 0, 8, 0, 0x21] {
                out.extend(field.to_le_bytes());
            }
            for field in [part.crc, part.deflated.len() as u32, part.size] {
                out.extend(field.to_le_bytes());
            }
            out.extend((part.name.len() as u16).to_le_bytes());
            out.extend(0u16.to_le_bytes()); // extra field
        };
        fixed(0x0403_4b50, &mut out);
        out.extend(part.name.as_bytes());
        out.extend(&part.deflated);
        fixed(0x0201_4b50, &mut directory);
        // comment, disk, internal and external attributes, offset
        for field in [0u16, 0, 0] {
            directory.extend(field.to_le_bytes());
        }
        directory.extend(0u32.to_le_bytes());
        directory.extend(offset.to_le_bytes());
        directory.extend(part.name.as_bytes());
    }
    let start = out.len() as u32;
    out.extend(&directory);
    out.extend(0x0605_4b50u32.to_le_bytes());
    for field in [0u16, 0, parts.len() as u16, parts.len() as u16] {
        out.extend(field.to_le_bytes());
    }
    out.extend((directory.len() as u32).to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A workbook: U1 and unit in the header row, 4 and `cell` below.
fn workbook(cell: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "U1").expect("cell");
    sheet.write_string(0, 1, "unit").expect("cell");
    sheet.write_number(1, 0, 4.0).expect("cell");
    sheet.write_string(1, 1, cell).expect("cell");
    book.save_to_buffer().expect("xlsx")
}

/// A valid workbook whose shared string (cell B2) is 200 MB of `a`, in about 200 KB: made by
/// rust_xlsxwriter with a marker string, whose part is written again around the marker.
fn bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        const MARKER: &str = "BOMB-MARKER";
        let small = workbook(MARKER);
        let mut archive = zip::ZipArchive::new(Cursor::new(small)).expect("zip");
        let mut parts = Vec::new();
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).expect("entry");
            let name = entry.name().expect("a name").to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read");
            let (head, tail) = match std::str::from_utf8(&bytes).ok().and_then(|t| t.split_once(MARKER)) {
                Some((head, tail)) if name == "xl/sharedStrings.xml" => {
                    (head.as_bytes().to_vec(), tail.as_bytes().to_vec())
                }
                _ => (bytes, Vec::new()),
            };
            let chunk = vec![b'a'; 1024 * 1024];
            let times = if tail.is_empty() { 0 } else { BOMB_BYTES / chunk.len() };
            parts.push(repeated(&name, &head, &chunk, times, &tail));
        }
        zip_of(&parts)
    })
}

#[test]
fn the_bomb_is_a_valid_workbook_of_200_mb_in_a_few_hundred_kilobytes() {
    let bomb = bomb();
    assert!(bomb.len() < 400 * 1024, "{} bytes", bomb.len());
    let mut archive = zip::ZipArchive::new(Cursor::new(bomb)).expect("a ZIP");
    let mut strings = archive.by_name("xl/sharedStrings.xml").expect("shared strings");
    assert!(strings.size() > BOMB_BYTES as u64, "declares {}", strings.size());
    // the whole part inflates, checksum and all, to what it declares
    let inflated = std::io::copy(&mut strings, &mut std::io::sink()).expect("inflates");
    assert!(inflated > BOMB_BYTES as u64);
}

/// The most memory the process has held so far, in bytes (Linux).
fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    let kilobytes = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).expect("VmHWM");
    kilobytes.trim().trim_end_matches("kB").trim().parse::<u64>().expect("a number") * 1024
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A unit `disdukcapil` and its operator in the database.
fn seed(database: &TestDb) {
    use skm::db::users;
    let pool = database.pool();
    let mut conn = pool.get().expect("connection");
    let (unit, _) = common::create_service_unit(&mut conn, "disdukcapil");
    let hash = skm::password::hash(PASSWORD).expect("hash");
    let user = users::NewUser {
        email: "op@kutaitimurkab.go.id",
        name: "Petugas",
        password_hash: &hash,
        role: Role::Operator,
        unit_ids: &[unit],
    };
    users::create(&mut conn, &user).expect("operator");
}

/// A multipart upload of `file` to `url` with the CSRF token; status and body.
fn upload(url: &str, cookie: &str, csrf: &str, name: &str, file: &[u8]) -> (u16, String) {
    let boundary = "skmlimitsboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut reply = agent()
        .post(url)
        .header("cookie", cookie)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .send(&body[..])
        .expect("upload");
    (reply.status().as_u16(), reply.body_mut().read_to_string().expect("body"))
}

#[test]
fn the_upload_page_refuses_a_bomb_quickly_without_taking_the_memory_and_names_a_long_cell() {
    for database in backends() {
        seed(&database);
        let dir = tempfile::tempdir().expect("tmp");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let child = skm(dir.path())
            .env("SKM_DATABASE_URL", &database.url)
            .env("SKM_LISTEN", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let server = Server(child);
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let login_page = loop {
            if let Ok(mut reply) = agent().get(&format!("{base}/masuk")).call() {
                break reply.body_mut().read_to_string().expect("page");
            }
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(100));
        };
        let signed_in = agent()
            .post(&format!("{base}/masuk"))
            .send_form([
                ("token", token_of(&login_page).as_str()),
                ("email", "op@kutaitimurkab.go.id"),
                ("password", PASSWORD),
                ("next", "/operator"),
            ])
            .expect("sign in");
        let cookie = signed_in.headers().get("set-cookie").and_then(|c| c.to_str().ok()).expect("session cookie");
        let cookie = cookie.split(';').next().unwrap_or_default().to_string();
        let page = format!("{base}/operator/disdukcapil/impor");
        let mut form = agent().get(&page).header("cookie", &cookie).call().expect("import page");
        let csrf = hidden(&form.body_mut().read_to_string().expect("page"), "csrf");

        // a long cell first: the reading path is warm before memory is measured
        let long = workbook(&"a".repeat(3_000));
        let (status, body) = upload(&page, &cookie, &csrf, "panjang.xlsx", &long);
        assert_eq!(status, 422, "{}: {body}", database.name);
        assert!(
            body.contains("<td>2</td><td>B</td><td>Sel ini berisi lebih dari 2000 karakter (batas impor)</td>"),
            "{body}"
        );

        let before = peak_memory(server.0.id());
        let started = Instant::now();
        let (status, body) = upload(&page, &cookie, &csrf, "bom.xlsx", bomb());
        let took = started.elapsed();
        let grown = peak_memory(server.0.id()).saturating_sub(before);
        assert_eq!(status, 422, "{}", database.name);
        assert!(body.contains("Isi buku kerja ini setelah dibuka lebih dari 50 MB (batas impor)"), "{body}");
        assert!(took < Duration::from_secs(5), "{}: refused after {took:?}", database.name);
        let upload = bomb().len() as u64;
        assert!(grown < 10 * upload, "{}: the server grew by {grown} bytes for an upload of {upload}", database.name);
    }
}

/// `skm import` of `file` into disdukcapil, under GNU time for its peak memory (`%M`,
/// kilobytes): success, stderr, and the most memory it held in bytes.
fn skm_import(database: &TestDb, dir: &Path, file: &Path) -> (bool, String, u64) {
    let peak = dir.join("peak");
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&peak)
        .arg(env!("CARGO_BIN_EXE_skm"))
        .arg("import")
        .arg(file)
        .args(["--unit", "disdukcapil"])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SKM_DATABASE_URL", &database.url)
        .output()
        .expect("run skm under time");
    // after "Command exited with non-zero status 1", when it did
    let written = std::fs::read_to_string(&peak).expect("peak");
    let kilobytes: u64 = written.lines().last().and_then(|l| l.trim().parse().ok()).expect("kilobytes");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned(), kilobytes * 1024)
}

#[test]
fn skm_import_refuses_a_bomb_without_taking_the_memory_and_names_a_long_cell() {
    if !tool_available("/usr/bin/time") {
        return;
    }
    for database in backends() {
        seed(&database);
        let dir = tempfile::tempdir().expect("tmp");
        let long = dir.path().join("panjang.xlsx");
        std::fs::write(&long, workbook(&"a".repeat(3_000))).expect("write");
        let (ok, err, ordinary) = skm_import(&database, dir.path(), &long);
        assert!(!ok);
        assert!(err.contains("baris 2, kolom B: sel ini berisi lebih dari 2000 karakter (batas impor)"), "{err}");

        let path = dir.path().join("bom.xlsx");
        std::fs::write(&path, bomb()).expect("write");
        let started = Instant::now();
        let (ok, err, peak) = skm_import(&database, dir.path(), &path);
        assert!(!ok);
        assert!(err.contains("Isi buku kerja ini setelah dibuka lebih dari 50 MB (batas impor)"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10), "{}: {:?}", database.name, started.elapsed());
        let upload = bomb().len() as u64;
        assert!(
            peak < ordinary + 10 * upload,
            "{}: {peak} bytes at most for the bomb, {ordinary} for a small file",
            database.name
        );
    }
}
