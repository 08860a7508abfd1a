//! NFC wristbands on PC/SC readers (ACR122U and alike), through the system's PC/SC service
//! (pcscd on Linux, WinSCard on Windows, CryptoTokenKit on macOS).
//!
//! A contactless reader shows an NFC chip as a card with a synthesised ATR; the chip's UID is read
//! with the PC/SC part 3 pseudo-APDU `FF CA 00 00 00` (GET DATA), answered with the UID and the
//! status word `90 00`. [`read_uid`] does that on a connected card; [`NfcWatcher`] follows
//! readers being plugged in and out and cards put on and taken off, and sends [`ScanEvent`]s.
//!
//! [`ScanEvent`]: crate::event::ScanEvent

mod tracker;
mod watcher;

use std::ffi::CStr;

use thiserror::Error;

pub use watcher::{NfcWatcher, WatcherConfig};

/// GET DATA, P1 = 00: the UID of the chip on the reader (PC/SC part 3, §3.2.2.1.3).
pub const GET_UID_APDU: [u8; 5] = [0xFF, 0xCA, 0x00, 0x00, 0x00];

/// What went wrong talking to a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NfcError {
    #[error(
        "the smart-card service (pcscd) is not running: start it, then plug the reader in again"
    )]
    ServiceNotRunning,
    #[error("no NFC reader is connected: plug the reader in")]
    NoReader,
    #[error("no wristband is on the reader: put it on the reader")]
    NoCard,
    #[error("the wristband left the reader during the read: hold it still on the reader")]
    CardRemoved,
    #[error(
        "the reader refused to read the chip's UID (status {sw1:02X} {sw2:02X}): it may not be an NFC wristband"
    )]
    BadStatusWord { sw1: u8, sw2: u8 },
    #[error("the reader's answer to the UID read is malformed ({len} bytes)")]
    BadResponse { len: usize },
    #[error("the NFC reader failed ({0}): take the wristband off and try again")]
    Reader(pcsc::Error),
    #[error("the NFC reader watcher could not start a thread: restart the app")]
    WatcherThread,
}

impl NfcError {
    /// The message in Chinese for the screen.
    pub fn message_zh(&self) -> String {
        match self {
            NfcError::ServiceNotRunning => {
                "智能卡服务（pcscd）未运行：请启动该服务后重新插入读卡器".to_string()
            }
            NfcError::NoReader => "未连接 NFC 读卡器：请插入读卡器".to_string(),
            NfcError::NoCard => "读卡器上没有手环：请将手环放到读卡器上".to_string(),
            NfcError::CardRemoved => "读取过程中手环离开了读卡器：请将手环放稳后重试".to_string(),
            NfcError::BadStatusWord { sw1, sw2 } => {
                format!("读卡器拒绝读取芯片 UID（状态字 {sw1:02X} {sw2:02X}）：这可能不是 NFC 手环")
            }
            NfcError::BadResponse { len } => {
                format!("读卡器返回的 UID 数据格式错误（{len} 字节）")
            }
            NfcError::Reader(e) => format!("NFC 读卡器出错（{e}）：请移开手环后重试"),
            NfcError::WatcherThread => "NFC 读卡器监听线程无法启动：请重启应用".to_string(),
        }
    }
}

impl From<pcsc::Error> for NfcError {
    fn from(e: pcsc::Error) -> Self {
        use pcsc::Error as E;
        match e {
            E::NoService | E::ServiceStopped => NfcError::ServiceNotRunning,
            E::NoReadersAvailable | E::UnknownReader | E::ReaderUnavailable => NfcError::NoReader,
            E::NoSmartcard => NfcError::NoCard,
            E::RemovedCard | E::ResetCard => NfcError::CardRemoved,
            other => NfcError::Reader(other),
        }
    }
}

/// The UID from the answer to [`GET_UID_APDU`]: the data bytes when the status word is `90 00`.
/// ISO 14443-A UIDs have 4, 7 or 10 bytes, ISO 14443-B PUPIs 4 and FeliCa IDms 8, so 4 to 10
/// bytes are accepted.
pub fn parse_uid_response(response: &[u8]) -> Result<Vec<u8>, NfcError> {
    let Some((data, sw)) = response.split_last_chunk::<2>() else {
        return Err(NfcError::BadResponse {
            len: response.len(),
        });
    };
    if *sw != [0x90, 0x00] {
        return Err(NfcError::BadStatusWord {
            sw1: sw[0],
            sw2: sw[1],
        });
    }
    if !(4..=10).contains(&data.len()) {
        return Err(NfcError::BadResponse {
            len: response.len(),
        });
    }
    Ok(data.to_vec())
}

/// Reads the UID of the chip on a connected card.
pub fn read_uid(card: &pcsc::Card) -> Result<Vec<u8>, NfcError> {
    let mut buffer = [0u8; 64];
    let response = card.transmit(&GET_UID_APDU, &mut buffer)?;
    parse_uid_response(response)
}

/// Connects to the card on `reader`, reads its UID and lets the card go.
pub fn read_uid_on(ctx: &pcsc::Context, reader: &CStr) -> Result<Vec<u8>, NfcError> {
    let card = ctx.connect(reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)?;
    let uid = read_uid(&card);
    // Leaving the card powered is what readers expect between reads; a failure to disconnect
    // (the card already gone) changes nothing for the caller.
    let _ = card.disconnect(pcsc::Disposition::LeaveCard);
    uid
}

/// The readers the PC/SC service knows now (none is not an error).
pub fn list_readers(ctx: &pcsc::Context) -> Result<Vec<String>, NfcError> {
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names
            .iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// A PC/SC context, with a missing service reported as [`NfcError::ServiceNotRunning`].
pub fn establish() -> Result<pcsc::Context, NfcError> {
    Ok(pcsc::Context::establish(pcsc::Scope::User)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uid_answer_gives_the_uid() {
        let answer = [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x90, 0x00];
        assert_eq!(
            parse_uid_response(&answer),
            Ok(vec![0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6])
        );
    }

    #[test]
    fn a_refusal_names_its_status_word() {
        let err = parse_uid_response(&[0x6A, 0x81]).expect_err("refused");
        assert_eq!(
            err,
            NfcError::BadStatusWord {
                sw1: 0x6A,
                sw2: 0x81
            }
        );
        assert!(err.to_string().contains("6A 81"));
        assert!(err.message_zh().contains("6A 81"));
    }

    #[test]
    fn short_or_oversized_answers_are_malformed() {
        assert_eq!(
            parse_uid_response(&[]),
            Err(NfcError::BadResponse { len: 0 })
        );
        assert_eq!(
            parse_uid_response(&[0x90]),
            Err(NfcError::BadResponse { len: 1 })
        );
        assert_eq!(
            parse_uid_response(&[0x90, 0x00]),
            Err(NfcError::BadResponse { len: 2 })
        );
        let mut long = vec![1u8; 11];
        long.extend([0x90, 0x00]);
        assert_eq!(
            parse_uid_response(&long),
            Err(NfcError::BadResponse { len: 13 })
        );
    }

    #[test]
    fn pcsc_errors_map_to_what_the_worker_can_do() {
        assert_eq!(
            NfcError::from(pcsc::Error::NoService),
            NfcError::ServiceNotRunning
        );
        assert_eq!(
            NfcError::from(pcsc::Error::ServiceStopped),
            NfcError::ServiceNotRunning
        );
        assert_eq!(
            NfcError::from(pcsc::Error::NoReadersAvailable),
            NfcError::NoReader
        );
        assert_eq!(
            NfcError::from(pcsc::Error::UnknownReader),
            NfcError::NoReader
        );
        assert_eq!(
            NfcError::from(pcsc::Error::RemovedCard),
            NfcError::CardRemoved
        );
        assert_eq!(NfcError::from(pcsc::Error::NoSmartcard), NfcError::NoCard);
        assert_eq!(
            NfcError::from(pcsc::Error::ResetCard),
            NfcError::CardRemoved
        );
        assert_eq!(
            NfcError::from(pcsc::Error::CommError),
            NfcError::Reader(pcsc::Error::CommError)
        );
    }

    #[test]
    fn every_error_has_a_chinese_message() {
        let all = [
            NfcError::ServiceNotRunning,
            NfcError::NoReader,
            NfcError::NoCard,
            NfcError::CardRemoved,
            NfcError::BadStatusWord { sw1: 0x63, sw2: 0 },
            NfcError::BadResponse { len: 1 },
            NfcError::Reader(pcsc::Error::CommError),
            NfcError::WatcherThread,
        ];
        for e in all {
            assert!(!e.message_zh().is_empty() && !e.to_string().is_empty());
        }
    }
}
