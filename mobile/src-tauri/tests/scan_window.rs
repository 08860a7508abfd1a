//! Scanning in the real window, offline: a wristband's NFC chip put on a PC/SC reader and a
//! wristband's QR code in a camera frame each bind through the person's scan field, by the same
//! path a USB keyboard-wedge scanner takes (`native-scan.ts`). The reader is real — pcscd with
//! vsmartcard's virtual reader and the scan crate's virtual contactless card
//! (`mobile/scan/tests/virtual_card.py`); the app's own PC/SC watcher reads the chip. The
//! camera frame is a 640×480 grey picture of a wristband QR code handed to `scan_frame` as the
//! camera button would (there is no camera under Xvfb), decoded by the app's zxing-cpp.
//!
//! Run by `scripts/test.sh` (after `source scripts/pcsc.sh`) with `--ignored` under `xvfb-run`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod window;

use std::process::{Child, Command, Stdio};

use base64::Engine;
use outpost_shared::tag::WristbandId;
use window::*;

/// vpcd's first reader listens for its virtual card here.
const READER_PORT: u16 = 35963;

/// A contactless wristband lying on the reader until dropped.
struct VirtualCard(Child);

impl VirtualCard {
    fn put_on(uid_hex: &str) -> VirtualCard {
        let python =
            std::env::var("OUTPOST_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let script = workspace().join("mobile/scan/tests/virtual_card.py");
        let child = Command::new(&python)
            .arg(script)
            .args(["--uid", uid_hex, "--port", &READER_PORT.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the virtual card with {python}: {e}"));
        VirtualCard(child)
    }
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A 640×480 grey camera frame with `payload`'s QR code, 5 pixels a module, off centre.
fn camera_frame(payload: &str) -> Vec<u8> {
    let code = qrcode::QrCode::with_error_correction_level(payload, qrcode::EcLevel::Q).unwrap();
    let modules = code.width();
    let colors = code.to_colors();
    let (width, height, scale, left, top) = (640usize, 480usize, 5usize, 230usize, 150usize);
    let mut frame = vec![200u8; width * height];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules, i / modules);
        for y in 0..scale {
            for x in 0..scale {
                frame[(top + my * scale + y) * width + left + mx * scale + x] = 30;
            }
        }
    }
    frame
}

#[test]
#[ignore = "needs the built app, tauri-driver, pcscd with vpcd and a display: run by scripts/test.sh"]
fn an_nfc_chip_on_the_reader_and_a_qr_code_before_the_camera_bind_wristbands_offline() {
    assert!(
        std::env::var_os("OUTPOST_TEST_PCSC").is_some(),
        "this test needs pcscd with vsmartcard's virtual reader: source scripts/pcsc.sh first"
    );
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let persons = people(45, 2, &["350203001001"]);
    server.import_w2(&persons, "仁和社区");
    let window = Window::open(runtime.clone(), &dir.path().join("app"), "scanning");
    window.enrol(&server.enrolment("renhe-scan", "worker", "350203001001"));
    window.sync_online();
    window.wait_until("two persons", |w| w.count("tab-unclaimed-count") == Some(2));
    let ids = window.rows();
    assert_eq!(ids.len(), 2);

    // No signal from here on.
    server.halt();
    window.open_person(&ids[0]);
    window.wait_until("the reader is connected", |w| {
        w.text("scan-sources").contains("Virtual PCD")
    });
    let chip = VirtualCard::put_on("04A1B2C3D4E5F6");
    window.wait_until("the chip is bound", |w| {
        w.text("wristband-current").contains("NFC:04A1B2C3D4E5F6")
    });
    window.shot("nfc-bound");
    drop(chip);

    window.click("back");
    window.open_person(&ids[1]);
    let payload = WristbandId::new(7).unwrap().payload();
    let frame = base64::engine::general_purpose::STANDARD.encode(camera_frame(&payload));
    // What the camera button does with each captured frame (native-scan.ts, sendFrame).
    runtime
        .block_on(window.client().execute(
            "const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
             window.__TAURI__.core.invoke('scan_frame', bytes, {
               headers: { 'x-frame-width': '640', 'x-frame-height': '480' },
             });
             return null;",
            vec![serde_json::Value::String(frame)],
        ))
        .unwrap();
    window.wait_until("the QR wristband is bound", |w| {
        w.text("wristband-current").contains(&payload)
    });
    window.shot("camera-bound");
}
