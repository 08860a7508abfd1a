//! The phone's camera and NFC, behind the same interface as the desktop sources.
//!
//! The mobile plugins (Android/iOS) cannot be built here; their bridge calls these adapters with
//! what the platform delivers, and the adapters send the same [`ScanEvent`]s as the desktop
//! sources. The plugin side is thin: it forwards camera frames (the Y plane of YUV 4:2:0) or
//! codes the platform's barcode API already decoded, and the UIDs of NFC tags it discovers.
//!
//! [`ScanEvent`]: crate::event::ScanEvent

use thiserror::Error;

use crate::camera::CameraScanner;
use crate::decode::FrameDecoder;
use crate::event::{ScanContent, ScanEvent, ScanSink, ScanSource, Scanner};
use crate::frame::{Frame, FrameError};

/// The phone's camera: frames or platform-decoded codes pushed by the plugin.
pub struct PhoneCamera<D> {
    camera: CameraScanner<D>,
}

impl<D: FrameDecoder> PhoneCamera<D> {
    pub fn new(decoder: D, sink: ScanSink) -> Self {
        PhoneCamera {
            camera: CameraScanner::with_source(decoder, sink, ScanSource::PhoneCamera),
        }
    }

    /// A camera frame's Y plane (`stride` bytes per row), taken at `at_ms`; returns the new scans.
    pub fn push_luma_plane(
        &mut self,
        width: u32,
        height: u32,
        stride: usize,
        plane: &[u8],
        at_ms: u64,
    ) -> Result<Vec<String>, FrameError> {
        let frame = Frame::from_luma_plane(width, height, stride, plane)?;
        Ok(self.camera.push_frame(&frame, at_ms))
    }

    /// Codes the platform decoded (ML Kit, Vision), seen at `at_ms`; returns the new scans.
    pub fn push_decoded(&mut self, texts: Vec<String>, at_ms: u64) -> Vec<String> {
        self.camera.push_decoded(texts, at_ms)
    }
}

impl<D: FrameDecoder + Send> Scanner for PhoneCamera<D> {
    fn source(&self) -> ScanSource {
        ScanSource::PhoneCamera
    }
}

/// A UID from the phone's NFC that cannot be a chip UID.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneNfcError {
    #[error("the NFC tag's UID has {0} bytes; ISO 14443 UIDs have 4, 7 or 10")]
    BadUidLength(usize),
    #[error("the NFC tag's UID is not hexadecimal")]
    NotHex,
}

impl PhoneNfcError {
    /// The message in Chinese for the screen.
    pub fn message_zh(&self) -> String {
        match self {
            PhoneNfcError::BadUidLength(n) => {
                format!("NFC 标签的 UID 为 {n} 字节，应为 4、7 或 10 字节，请重新贴近手机")
            }
            PhoneNfcError::NotHex => "NFC 标签的 UID 不是十六进制，请重新贴近手机".to_string(),
        }
    }
}

/// Whether `uid` has a length an ISO 14443-A chip UID can have.
pub fn is_chip_uid_length(len: usize) -> bool {
    matches!(len, 4 | 7 | 10)
}

/// The phone's NFC: tag UIDs pushed by the plugin as tags come and go.
#[derive(Debug)]
pub struct PhoneNfc {
    sink: ScanSink,
    present: bool,
}

/// The reader name phone NFC events carry.
pub const PHONE_NFC_READER: &str = "phone";

impl PhoneNfc {
    pub fn new(sink: ScanSink) -> Self {
        PhoneNfc {
            sink,
            present: false,
        }
    }

    /// A tag was discovered (Android `Tag.getId()`, iOS `NFCMiFareTag.identifier`).
    pub fn push_uid(&mut self, uid: &[u8], at_ms: u64) -> Result<(), PhoneNfcError> {
        if !is_chip_uid_length(uid.len()) {
            return Err(PhoneNfcError::BadUidLength(uid.len()));
        }
        self.present = true;
        self.sink.scanned(
            ScanSource::PhoneNfc,
            ScanContent::ChipUid(uid.to_vec()),
            at_ms,
        );
        Ok(())
    }

    /// A tag discovered, its UID as hex text (what JavaScript bridges usually pass; `:` and
    /// spaces between bytes are accepted).
    pub fn push_uid_hex(&mut self, hex: &str, at_ms: u64) -> Result<(), PhoneNfcError> {
        let digits: Vec<u8> = hex
            .bytes()
            .filter(|b| !matches!(b, b':' | b' ' | b'-'))
            .collect();
        if !digits.len().is_multiple_of(2) {
            return Err(PhoneNfcError::NotHex);
        }
        let uid = digits
            .chunks_exact(2)
            .map(|pair| {
                let text = std::str::from_utf8(pair).map_err(|_| PhoneNfcError::NotHex)?;
                u8::from_str_radix(text, 16).map_err(|_| PhoneNfcError::NotHex)
            })
            .collect::<Result<Vec<u8>, _>>()?;
        self.push_uid(&uid, at_ms)
    }

    /// The tag left the phone (the plugin's "tag lost" callback); only reported once.
    pub fn tag_lost(&mut self) {
        if std::mem::take(&mut self.present) {
            self.sink.send(ScanEvent::CardRemoved {
                source: ScanSource::PhoneNfc,
                reader: PHONE_NFC_READER.to_string(),
            });
        }
    }
}

impl Scanner for PhoneNfc {
    fn source(&self) -> ScanSource {
        ScanSource::PhoneNfc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::RqrrDecoder;
    use crate::event::channel;

    #[test]
    fn a_uid_from_the_phone_becomes_a_phone_nfc_scan() {
        let (sink, events) = channel();
        let mut nfc = PhoneNfc::new(sink);
        nfc.push_uid(&[0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6], 7)
            .expect("7-byte uid");
        nfc.push_uid_hex("04:a1:b2:c3", 8).expect("4-byte uid");
        let got = events.drain();
        assert_eq!(got.len(), 2);
        let ScanEvent::Scanned(scan) = &got[1] else {
            panic!("expected a scan, got {got:?}");
        };
        assert_eq!(scan.source, ScanSource::PhoneNfc);
        assert_eq!(
            scan.content,
            ScanContent::ChipUid(vec![0x04, 0xA1, 0xB2, 0xC3])
        );
        assert_eq!(nfc.source(), ScanSource::PhoneNfc);
    }

    #[test]
    fn uids_of_impossible_lengths_or_not_hex_are_refused() {
        let (sink, events) = channel();
        let mut nfc = PhoneNfc::new(sink);
        assert_eq!(
            nfc.push_uid(&[1, 2, 3], 0),
            Err(PhoneNfcError::BadUidLength(3))
        );
        assert_eq!(nfc.push_uid_hex("04A1B2C", 0), Err(PhoneNfcError::NotHex));
        assert_eq!(nfc.push_uid_hex("04A1B2CG", 0), Err(PhoneNfcError::NotHex));
        assert_eq!(nfc.push_uid_hex("é1A1B2C3", 0), Err(PhoneNfcError::NotHex));
        assert!(events.drain().is_empty());
        assert!(!PhoneNfcError::NotHex.message_zh().is_empty());
    }

    #[test]
    fn losing_a_tag_is_reported_once_and_only_after_one_was_read() {
        let (sink, events) = channel();
        let mut nfc = PhoneNfc::new(sink);
        nfc.tag_lost();
        nfc.push_uid_hex("04A1B2C3", 0).expect("uid");
        nfc.tag_lost();
        nfc.tag_lost();
        let got = events.drain();
        assert_eq!(got.len(), 2);
        assert!(matches!(
            &got[1],
            ScanEvent::CardRemoved {
                source: ScanSource::PhoneNfc,
                ..
            }
        ));
    }

    #[test]
    fn a_bad_camera_plane_from_the_plugin_is_an_error_not_a_panic() {
        let (sink, events) = channel();
        let mut camera = PhoneCamera::new(RqrrDecoder, sink);
        assert!(camera.push_luma_plane(640, 480, 640, &[0; 100], 0).is_err());
        let blank = vec![255; 704 * 480];
        assert_eq!(camera.push_luma_plane(640, 480, 704, &blank, 0), Ok(vec![]));
        assert_eq!(camera.source(), ScanSource::PhoneCamera);
        assert_eq!(
            camera
                .push_decoded(vec!["OPW1-00000001-ABCD".into()], 5)
                .len(),
            1
        );
        let got = events.drain();
        assert!(matches!(&got[0], ScanEvent::Scanned(s) if s.source == ScanSource::PhoneCamera));
    }
}
