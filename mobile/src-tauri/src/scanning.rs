//! Wristband scans from the computer's own readers, pushed to the window.
//!
//! Two sources here end in `outpost-scan`'s one channel: PC/SC NFC readers (its watcher thread,
//! started with the app) and camera frames that the window captures and hands over with
//! [`scan_frame`] for QR decoding in Rust. A forwarding thread emits every event to the window
//! as the `scan` event, where the scan field on screen takes it exactly as it takes a USB
//! keyboard-wedge scanner's keystrokes. What is read stays raw until the field's action parses
//! it with `outpost_shared::tag`; chip UIDs go out in the tag's canonical `NFC:<hex>` form.
//!
//! Scanned content is never logged: the app's logs name readers only.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use outpost_app_core::AppError;
use outpost_scan::camera::CameraScanner;
use outpost_scan::decode::{FrameDecoder, default_decoder};
use outpost_scan::event::now_ms;
use outpost_scan::frame::Frame;
use outpost_scan::nfc::{NfcWatcher, WatcherConfig};
use outpost_scan::{ScanContent, ScanEvent, ScanEvents, ScanSource, channel};
use outpost_shared::i18n::Lang;
use outpost_shared::tag::{ChipUid, Tag};
use serde::Serialize;
use tauri::{Emitter, State};

use crate::{Reply, Shared};

/// The window event that carries every [`NativeScanEvent`].
pub(crate) const SCAN_EVENT: &str = "scan";

/// The largest camera frame taken (a 1920×1080 grey frame); larger ones are refused.
const MAX_FRAME_PIXELS: usize = 1920 * 1080;

type Camera = CameraScanner<Box<dyn FrameDecoder + Send>>;

/// The app's scanning state (Tauri managed state).
pub(crate) struct Scanning {
    camera: Mutex<Camera>,
    nfc: Mutex<NfcState>,
    /// Readers attached now, kept by the forwarding thread: the window may subscribe after the
    /// watcher reported the readers present at start.
    readers: Arc<Mutex<BTreeSet<String>>>,
}

enum NfcState {
    /// The watcher runs for the app's lifetime; dropping it would stop its thread.
    Watching(#[allow(dead_code)] NfcWatcher),
    /// No PC/SC service (no reader software on this computer): said once, in both languages.
    Unavailable { zh: String, en: String },
}

/// What the window receives for each scanning event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum NativeScanEvent {
    /// A wristband was read: `text` is what a scan field would have received from a keyboard
    /// scanner (the QR payload, or `NFC:<hex>` for a chip).
    Scanned {
        source: &'static str,
        text: String,
    },
    ReaderAttached {
        reader: String,
    },
    ReaderDetached {
        reader: String,
    },
    CardRemoved {
        reader: String,
    },
    Failed {
        zh: String,
        en: String,
    },
}

impl NativeScanEvent {
    fn kind(&self) -> &'static str {
        match self {
            NativeScanEvent::Scanned { .. } => "scanned",
            NativeScanEvent::ReaderAttached { .. } => "reader_attached",
            NativeScanEvent::ReaderDetached { .. } => "reader_detached",
            NativeScanEvent::CardRemoved { .. } => "card_removed",
            NativeScanEvent::Failed { .. } => "failed",
        }
    }
}

/// The readers' state for the scan fields' status line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ScanStatus {
    /// Whether NFC readers are watched (a PC/SC service answered).
    pub nfc_available: bool,
    /// The NFC readers attached now.
    pub readers: Vec<String>,
    /// Why not, in the user's language.
    pub nfc_message: Option<String>,
    /// The camera decoder compiled in (zxing-cpp, or rqrr without it).
    pub camera_decoder: &'static str,
}

impl Scanning {
    /// Starts the NFC watcher (if this computer has a PC/SC service) and the thread that
    /// forwards every scanning event to the window through `emit`.
    pub(crate) fn start<E>(emit: E) -> Scanning
    where
        E: Fn(NativeScanEvent) + Send + 'static,
    {
        let (sink, events) = channel();
        let nfc = match NfcWatcher::start(sink.clone(), WatcherConfig::default()) {
            Ok(watcher) => NfcState::Watching(watcher),
            Err(error) => {
                tracing::info!(%error, "no NFC readers: the PC/SC service did not answer");
                NfcState::Unavailable {
                    zh: error.message_zh(),
                    en: error.to_string(),
                }
            }
        };
        let readers = Arc::new(Mutex::new(BTreeSet::new()));
        let attached = readers.clone();
        std::thread::Builder::new()
            .name("scan-events".into())
            .spawn(move || forward(events, &attached, emit))
            .map_err(|error| tracing::warn!(%error, "the scan forwarding thread did not start"))
            .ok();
        Scanning {
            camera: Mutex::new(CameraScanner::new(default_decoder(), sink)),
            nfc: Mutex::new(nfc),
            readers,
        }
    }

    pub(crate) fn status(&self, lang: Lang) -> ScanStatus {
        let camera = self.camera.lock().unwrap_or_else(PoisonError::into_inner);
        let nfc = self.nfc.lock().unwrap_or_else(PoisonError::into_inner);
        let (nfc_available, nfc_message) = match &*nfc {
            NfcState::Watching(_) => (true, None),
            NfcState::Unavailable { zh, en } => (
                false,
                Some(match lang {
                    Lang::Zh => zh.clone(),
                    Lang::En => en.clone(),
                }),
            ),
        };
        let readers = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        ScanStatus {
            nfc_available,
            readers: readers.iter().cloned().collect(),
            nfc_message,
            camera_decoder: camera.decoder_name(),
        }
    }

    /// Decodes one grey camera frame; the codes it newly shows go to the window as `scan`
    /// events. Returns how many new codes it read.
    pub(crate) fn push_frame(
        &self,
        lang: Lang,
        width: u32,
        height: u32,
        luma: Vec<u8>,
    ) -> Result<usize, AppError> {
        if luma.len() > MAX_FRAME_PIXELS {
            return Err(AppError::bad_input(
                lang,
                "摄像头画面过大（最大 1920×1080）",
                "the camera frame is too large (1920×1080 at most)",
            ));
        }
        let frame = Frame::from_luma(width, height, luma)
            .map_err(|error| AppError::bad_input(lang, error.message_zh(), error.to_string()))?;
        let mut camera = self.camera.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(camera.push_frame(&frame, now_ms()).len())
    }
}

/// Emits every event of the channel until the app ends (the state holds a sender, so the
/// channel never closes while the app runs).
fn forward<E: Fn(NativeScanEvent)>(events: ScanEvents, readers: &Mutex<BTreeSet<String>>, emit: E) {
    loop {
        if let Some(event) = events.next_timeout(Duration::from_secs(1)) {
            let event = native_event(event);
            tracing::debug!(kind = event.kind(), "scan event");
            let mut attached = readers.lock().unwrap_or_else(PoisonError::into_inner);
            match &event {
                NativeScanEvent::ReaderAttached { reader } => {
                    attached.insert(reader.clone());
                }
                NativeScanEvent::ReaderDetached { reader } => {
                    attached.remove(reader);
                }
                _ => {}
            }
            drop(attached);
            emit(event);
        }
    }
}

/// The window's form of a scanning event.
pub(crate) fn native_event(event: ScanEvent) -> NativeScanEvent {
    match event {
        ScanEvent::Scanned(scan) => {
            let source = source_name(scan.source);
            match scan.content {
                ScanContent::Text(text) => NativeScanEvent::Scanned { source, text },
                ScanContent::ChipUid(uid) => match ChipUid::from_bytes(&uid) {
                    Ok(uid) => NativeScanEvent::Scanned {
                        source,
                        text: Tag::Nfc(uid).to_string(),
                    },
                    Err(_) => NativeScanEvent::Failed {
                        zh: format!("芯片编号长度不对（{} 字节），不是手环芯片", uid.len()),
                        en: format!(
                            "the chip's UID has {} bytes: not a wristband chip",
                            uid.len()
                        ),
                    },
                },
            }
        }
        ScanEvent::ReaderAttached { reader, .. } => NativeScanEvent::ReaderAttached { reader },
        ScanEvent::ReaderDetached { reader, .. } => NativeScanEvent::ReaderDetached { reader },
        ScanEvent::CardRemoved { reader, .. } => NativeScanEvent::CardRemoved { reader },
        ScanEvent::Failed {
            message,
            message_zh,
            ..
        } => NativeScanEvent::Failed {
            zh: message_zh,
            en: message,
        },
    }
}

fn source_name(source: ScanSource) -> &'static str {
    match source {
        ScanSource::Camera => "camera",
        ScanSource::KeyboardWedge => "keyboard_wedge",
        ScanSource::Nfc => "nfc",
        ScanSource::PhoneCamera => "phone_camera",
        ScanSource::PhoneNfc => "phone_nfc",
    }
}

/// Emits scanning events to the app's windows.
pub(crate) fn emitter(handle: tauri::AppHandle) -> impl Fn(NativeScanEvent) + Send + 'static {
    move |event| {
        if let Err(error) = handle.emit(SCAN_EVENT, event) {
            tracing::warn!(%error, "a scan event could not reach the window");
        }
    }
}

#[tauri::command]
pub(crate) async fn scan_status(
    state: State<'_, Shared>,
    scanning: State<'_, Scanning>,
) -> Reply<ScanStatus> {
    let lang = state.core().lang();
    Ok(scanning.status(lang))
}

/// A camera frame as grey bytes (one per pixel, row by row) in the request body, its size in
/// the `x-frame-width` and `x-frame-height` headers: raw bytes, not a JSON array of numbers.
#[tauri::command]
pub(crate) async fn scan_frame(
    request: tauri::ipc::Request<'_>,
    state: State<'_, Shared>,
    scanning: State<'_, Scanning>,
) -> Reply<usize> {
    let lang = state.core().lang();
    let dimension = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok())
            .ok_or_else(|| {
                AppError::bad_input(
                    lang,
                    format!("摄像头画面缺少尺寸（{name}）"),
                    format!("the camera frame lacks its size ({name})"),
                )
            })
    };
    let width = dimension("x-frame-width")?;
    let height = dimension("x-frame-height")?;
    let tauri::ipc::InvokeBody::Raw(luma) = request.body() else {
        return Err(AppError::bad_input(
            lang,
            "摄像头画面应为原始字节",
            "the camera frame must be sent as raw bytes",
        ));
    };
    // zxing-cpp decodes a 640×480 frame in about a millisecond: fine on the command's thread.
    scanning.push_frame(lang, width, height, luma.clone())
}

#[cfg(test)]
mod tests {
    use outpost_scan::{Scan, ScanContent, ScanEvent, ScanSource};

    use super::{NativeScanEvent, native_event};

    fn scanned(source: ScanSource, content: ScanContent) -> ScanEvent {
        ScanEvent::Scanned(Scan {
            source,
            content,
            at_ms: 1,
        })
    }

    #[test]
    fn a_chip_uid_reaches_the_window_in_the_tags_canonical_form() {
        let event = scanned(
            ScanSource::Nfc,
            ScanContent::ChipUid(vec![0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6]),
        );
        assert_eq!(
            native_event(event),
            NativeScanEvent::Scanned {
                source: "nfc",
                text: "NFC:04A1B2C3D4E5F6".into()
            }
        );
    }

    #[test]
    fn a_qr_payload_from_the_camera_is_passed_on_as_read() {
        let event = scanned(
            ScanSource::Camera,
            ScanContent::Text("OPW1-00012345-WJV6".into()),
        );
        assert_eq!(
            native_event(event),
            NativeScanEvent::Scanned {
                source: "camera",
                text: "OPW1-00012345-WJV6".into()
            }
        );
    }

    #[test]
    fn a_chip_of_an_impossible_length_is_a_failure_not_a_scan() {
        let event = scanned(ScanSource::Nfc, ScanContent::ChipUid(vec![1, 2, 3]));
        let NativeScanEvent::Failed { zh, en } = native_event(event) else {
            panic!("a 3-byte UID must not be a scan");
        };
        assert!(zh.contains("3 字节"), "{zh}");
        assert!(en.contains("3 bytes"), "{en}");
    }

    #[test]
    fn reader_events_name_the_reader() {
        let event = ScanEvent::ReaderAttached {
            source: ScanSource::Nfc,
            reader: "Virtual PCD 00 00".into(),
        };
        assert_eq!(
            native_event(event),
            NativeScanEvent::ReaderAttached {
                reader: "Virtual PCD 00 00".into()
            }
        );
    }
}
