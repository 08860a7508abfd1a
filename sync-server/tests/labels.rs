//! Wristband label sheets read back as a scanner would: the PNG pages decoded with rqrr, the PDF
//! checked for structure (and, with poppler's `pdftoppm`, rasterised and decoded too), the CLI
//! run as a process, and the admin route on a real server bound to 127.0.0.1:0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use outpost_shared::tag::WristbandId;
use outpost_sync_server::labels::{self, LABELS_PER_PAGE, LabelRange, layout};
use reqwest::blocking::Client;
use serde_json::Value;

mod served;

use served::Server;

const ADMIN: &str = "labels-test-admin-token-0123";

/// The serial on every label of a page image at `dpi`, in reading order: each label's cell is
/// cut out and scanned on its own, as a scanner sees one wristband.
fn scan_labels(bytes: &[u8], dpi: f32, labels: u32) -> Vec<u32> {
    let page = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .unwrap()
        .to_luma8();
    let px = |mm: f32| (mm * dpi / 25.4).round() as u32;
    (0..labels)
        .map(|index| {
            let (x, y) = layout::cell_origin_mm(index);
            let cell = image::imageops::crop_imm(
                &page,
                px(x),
                px(y),
                px(layout::CELL_WIDTH_MM),
                px(layout::CELL_HEIGHT_MM),
            )
            .to_image();
            let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
                cell.width() as usize,
                cell.height() as usize,
                |x, y| cell.get_pixel(x as u32, y as u32).0[0],
            );
            let grids = prepared.detect_grids();
            assert_eq!(grids.len(), 1, "label {index}: one QR code");
            let (_, content) = grids[0].decode().expect("the label's QR code decodes");
            WristbandId::parse(&content)
                .expect("its payload parses")
                .serial()
        })
        .collect()
}

fn scan_png(bytes: &[u8], labels: u32) -> Vec<u32> {
    scan_labels(bytes, 300.0, labels)
}

#[test]
fn every_label_on_a_png_page_scans_back_to_its_serial() {
    let range = LabelRange::new(1, 100).unwrap();
    assert_eq!(range.pages(), 3);
    let full = scan_png(
        &labels::png::render_page(range, 1).unwrap(),
        LABELS_PER_PAGE,
    );
    assert_eq!(full, (1..=LABELS_PER_PAGE).collect::<Vec<_>>());
    let last = scan_png(&labels::png::render_page(range, 3).unwrap(), 20);
    assert_eq!(last, (2 * LABELS_PER_PAGE + 1..=100).collect::<Vec<_>>());
}

#[test]
fn labels_near_the_last_serial_scan_back_too() {
    let range = LabelRange::new(99_999_990, 10).unwrap();
    let png = labels::png::render_page(range, 1).unwrap();
    assert_eq!(
        scan_png(&png, 10),
        (99_999_990..=99_999_999).collect::<Vec<_>>()
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// Checks that the file is a PDF whose `startxref` points at its cross-reference table and
/// whose every table entry points at the object it names (offsets in bytes: the deflated
/// streams are binary).
fn check_structure(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
    let at = rfind(pdf, b"startxref").unwrap() + "startxref".len();
    let startxref: usize = std::str::from_utf8(&pdf[at..])
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(pdf[startxref..].starts_with(b"xref"));
    let table = std::str::from_utf8(&pdf[startxref..]).unwrap();
    let mut lines = table.lines().skip(1);
    let header: Vec<usize> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let entries = header[1];
    assert!(entries > 5);
    for (number, line) in lines.take(entries).enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields[2] == "n" {
            let offset: usize = fields[0].parse().unwrap();
            let object = format!("{number} 0 obj");
            assert!(
                pdf[offset..].starts_with(object.as_bytes()),
                "object {number}"
            );
        }
    }
    assert!(find(pdf, b"/Root").is_some());
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn page_count(pdf: &[u8]) -> usize {
    count(pdf, b"/Type /Page") - count(pdf, b"/Type /Pages")
}

#[test]
fn a_pdf_sheet_is_well_formed_with_one_page_per_forty_labels() {
    for (count, pages) in [(1, 1), (40, 1), (41, 2), (100, 3), (1_000, 25)] {
        let pdf = labels::pdf::render(LabelRange::new(1, count).unwrap()).unwrap();
        check_structure(&pdf);
        assert_eq!(page_count(&pdf), pages, "{count} labels");
        assert!(find(&pdf, format!("/Count {pages}").as_bytes()).is_some());
        assert!(find(&pdf, b"/BaseFont /Courier-Bold").is_some());
        assert!(find(&pdf, b"/FontFile").is_none(), "no embedded font");
    }
}

fn pdftoppm() -> Option<std::path::PathBuf> {
    ["/usr/bin/pdftoppm", "/usr/local/bin/pdftoppm"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
}

#[test]
#[ignore = "needs pdftoppm (Debian: poppler-utils); run with --ignored"]
fn a_pdf_page_rasterised_by_poppler_scans_back_to_its_serials() {
    let pdftoppm = pdftoppm().expect("pdftoppm is installed (apt-get install poppler-utils)");
    let dir = tempfile::tempdir().unwrap();
    let range = LabelRange::new(501, 60).unwrap();
    let pdf_path = dir.path().join("sheet.pdf");
    std::fs::write(&pdf_path, labels::pdf::render(range).unwrap()).unwrap();
    let prefix = dir.path().join("page");
    let status = Command::new(pdftoppm)
        .args(["-r", "200", "-gray", "-png", "-f", "2", "-l", "2"])
        .arg(&pdf_path)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(status.success());
    let page = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("pdftoppm wrote page 2");
    let serials = scan_labels(&std::fs::read(page).unwrap(), 200.0, 20);
    assert_eq!(serials, (541..=560).collect::<Vec<_>>());
}

#[test]
fn the_cli_writes_one_pdf_or_one_png_per_page() {
    let dir = tempfile::tempdir().unwrap();
    let run = |format: &str, out: &str| {
        Command::new(env!("CARGO_BIN_EXE_outpost-server"))
            .args([
                "labels", "--from", "1", "--count", "100", "--format", format,
            ])
            .arg("--out")
            .arg(dir.path().join(out))
            .output()
            .unwrap()
    };
    let pdf = run("pdf", "sheet.pdf");
    assert!(
        pdf.status.success(),
        "{}",
        String::from_utf8_lossy(&pdf.stderr)
    );
    assert_eq!(
        page_count(&std::fs::read(dir.path().join("sheet.pdf")).unwrap()),
        3
    );

    let png = run("png", "sheet.png");
    assert!(
        png.status.success(),
        "{}",
        String::from_utf8_lossy(&png.stderr)
    );
    let written: Vec<String> = String::from_utf8(png.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = ["sheet-p1.png", "sheet-p2.png", "sheet-p3.png"]
        .iter()
        .map(|name| dir.path().join(name).display().to_string())
        .collect();
    assert_eq!(written, expected);
    let page2 = scan_png(&std::fs::read(dir.path().join("sheet-p2.png")).unwrap(), 40);
    assert_eq!(page2, (41..=80).collect::<Vec<_>>());

    let refused = Command::new(env!("CARGO_BIN_EXE_outpost-server"))
        .args(["labels", "--from", "1", "--count", "10001", "--out"])
        .arg(dir.path().join("big.pdf"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("10000"), "{stderr}");
    assert!(!dir.path().join("big.pdf").exists());
}

fn start() -> Server {
    served::start(ADMIN, |_| {})
}

fn get(server: &Server, query: &str, token: Option<&str>) -> reqwest::blocking::Response {
    let mut request = Client::new().get(format!("{}/admin/wristbands/labels?{query}", server.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().unwrap()
}

fn header(response: &reqwest::blocking::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[test]
fn the_admin_route_serves_pdf_and_png_sheets_to_administrators_only() {
    let server = start();

    let anonymous = get(&server, "from=1&count=100&format=pdf", None);
    assert_eq!(anonymous.status(), 401);
    let wrong = get(
        &server,
        "from=1&count=100&format=pdf",
        Some("not-the-admin-token"),
    );
    assert_eq!(wrong.status(), 401);

    let pdf = get(&server, "from=1&count=100&format=pdf", Some(ADMIN));
    assert_eq!(pdf.status(), 200);
    assert_eq!(header(&pdf, "content-type"), "application/pdf");
    assert_eq!(
        header(&pdf, "content-disposition"),
        "attachment; filename=\"wristband-labels-00000001-00000100.pdf\""
    );
    let bytes = pdf.bytes().unwrap();
    check_structure(&bytes);
    assert_eq!(page_count(&bytes), 3);

    let png = get(&server, "from=1&count=100&format=png&page=3", Some(ADMIN));
    assert_eq!(png.status(), 200);
    assert_eq!(header(&png, "content-type"), "image/png");
    assert_eq!(header(&png, "x-page-count"), "3");
    assert_eq!(
        header(&png, "content-disposition"),
        "attachment; filename=\"wristband-labels-00000001-00000100-p3.png\""
    );
    assert_eq!(
        scan_png(&png.bytes().unwrap(), 20),
        (81..=100).collect::<Vec<_>>()
    );
}

#[test]
fn the_admin_route_refuses_bad_ranges_with_a_clear_message() {
    let server = start();
    for (query, says) in [
        ("from=1&count=0", "至少"),
        ("from=1", "至少"),
        ("from=1&count=10001", "10000"),
        ("from=99999999&count=2", "99999999"),
        ("from=abc&count=2", "from"),
        ("from=1&count=-5", "count"),
        ("from=1&count=10&format=svg", "pdf"),
        ("from=1&count=100&format=png&page=4", "3"),
        ("from=1&count=100&format=png&page=0", "3"),
    ] {
        let response = get(&server, query, Some(ADMIN));
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().unwrap();
        assert_eq!(body["error"], "bad_label_request", "{query}");
        let zh = body["message_zh"].as_str().unwrap();
        assert!(zh.contains(says), "{query}: {zh}");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
}
