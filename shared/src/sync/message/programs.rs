//! The server's program files as they travel to devices (`SyncResponse::programs`), so that a
//! new program is a file in the server's programs folder, not an app release.
//!
//! A set is named by its version: a SHA-256 over its files' names and texts in name order, so
//! that the same files give the same version whatever order a folder lists them in. A device
//! says which version it holds (`SyncRequest::programs_version`) and the server sends its set
//! only when that differs.
//!
//! What a device takes is bounded ([`MAX_PROGRAM_FILES`] files of at most
//! [`MAX_PROGRAM_FILE_BYTES`], names of at most [`MAX_PROGRAM_NAME_BYTES`]). Reading a set never
//! fails for its bounds: a text past them is not copied, the list stops growing past its bound
//! and the rest is read over, and the set reads as refused — [`ProgramSet::check`] and
//! [`ProgramSet::parse`] say why. A refused set is dropped, not the response around it, so a
//! future server with larger bounds cannot stop an older device's records from syncing. Our
//! server refuses at start a folder that devices would refuse.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::i18n::{Describe, Lang};
use crate::program::{Program, ProgramError};

/// The most program files in a set a device takes.
pub const MAX_PROGRAM_FILES: usize = 64;
/// The most bytes of one program file's text a device takes (the presets are about 10 KiB).
pub const MAX_PROGRAM_FILE_BYTES: usize = 256 * 1024;
/// The most bytes of a program file's name.
pub const MAX_PROGRAM_NAME_BYTES: usize = 128;
/// A version's length: SHA-256 in hex.
pub const PROGRAMS_VERSION_CHARS: usize = 64;

/// One program file (`w1-close-contact-whereabouts.toml`) as the server loaded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramFile {
    /// The file's name, which errors in it name.
    pub name: String,
    /// The TOML text, parsed by `Program::from_toml_str`.
    pub text: String,
}

/// The server's program files and their version (项目定义集).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramSet {
    pub version: String,
    /// In name order.
    pub files: Vec<ProgramFile>,
    /// Why a received set cannot be taken, found while it was read (`files` is then empty).
    #[serde(skip)]
    refused: Option<ProgramSetError>,
}

/// Why a program set cannot be sent or taken.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProgramSetError {
    #[error(
        "the program set has more than {MAX_PROGRAM_FILES} files and a device takes at most {MAX_PROGRAM_FILES}: keep fewer files in the programs folder"
    )]
    TooManyFiles,
    #[error(
        "program file {name} is {bytes} bytes and a device takes at most {MAX_PROGRAM_FILE_BYTES}: split or shorten it"
    )]
    FileTooLarge { name: String, bytes: usize },
    #[error("a program file's name has {bytes} bytes; names have 1 to {MAX_PROGRAM_NAME_BYTES}")]
    BadName { bytes: usize },
    #[error("two program files are named {0}")]
    DuplicateName(String),
    #[error("the program set's version does not match its files")]
    VersionMismatch,
    #[error("program {id} is defined by two files of the set")]
    DuplicateProgram { id: String },
    #[error(transparent)]
    Program(#[from] ProgramError),
}

impl Describe for ProgramSetError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Program(error), lang) => error.describe(lang),
            (_, Lang::En) => self.to_string(),
            (Self::TooManyFiles, Lang::Zh) => format!(
                "项目定义文件超过 {MAX_PROGRAM_FILES} 个，设备最多接收 {MAX_PROGRAM_FILES} 个，请减少项目文件"
            ),
            (Self::FileTooLarge { name, bytes }, Lang::Zh) => format!(
                "项目定义文件 {name} 有 {bytes} 字节，设备最多接收 {MAX_PROGRAM_FILE_BYTES} 字节，请拆分或精简"
            ),
            (Self::BadName { bytes }, Lang::Zh) => {
                format!("项目定义文件名有 {bytes} 字节，应为 1 至 {MAX_PROGRAM_NAME_BYTES} 字节")
            }
            (Self::DuplicateName(name), Lang::Zh) => format!("有两个项目定义文件名为 {name}"),
            (Self::VersionMismatch, Lang::Zh) => "项目定义集的版本与其文件不符".to_owned(),
            (Self::DuplicateProgram { id }, Lang::Zh) => {
                format!("项目 {id} 由两个文件定义")
            }
        }
    }
}

impl ProgramSet {
    /// The set of `files` in name order, with its version; refused when a device would refuse
    /// it.
    pub fn new(mut files: Vec<ProgramFile>) -> Result<Self, ProgramSetError> {
        files.sort_by(|a, b| a.name.cmp(&b.name));
        check_files(&files)?;
        Ok(Self {
            version: Self::version_of(&files),
            files,
            refused: None,
        })
    }

    /// The version of `files`, in any order: SHA-256 over each file's name and text in name
    /// order, each preceded by its length so that no two sets hash the same bytes.
    pub fn version_of(files: &[ProgramFile]) -> String {
        let mut sorted: Vec<&ProgramFile> = files.iter().collect();
        sorted.sort_by(|a, b| (&a.name, &a.text).cmp(&(&b.name, &b.text)));
        let mut hash = Sha256::new();
        for file in sorted {
            for part in [&file.name, &file.text] {
                hash.update((part.len() as u64).to_be_bytes());
                hash.update(part.as_bytes());
            }
        }
        hex::encode(hash.finalize())
    }

    /// Whether a device can take this set: within the bounds, names unique, the version its
    /// files'.
    pub fn check(&self) -> Result<(), ProgramSetError> {
        if let Some(refused) = &self.refused {
            return Err(refused.clone());
        }
        check_files(&self.files)?;
        if self.version != Self::version_of(&self.files) {
            return Err(ProgramSetError::VersionMismatch);
        }
        Ok(())
    }

    /// Every file of the set parsed and checked (`Program::from_toml_str`), in name order;
    /// refused whole if one file is, or if two define the same program.
    pub fn parse(&self) -> Result<Vec<Program>, ProgramSetError> {
        self.check()?;
        let mut ids = BTreeSet::new();
        let mut programs = Vec::with_capacity(self.files.len());
        for file in &self.files {
            let program = Program::from_toml_str(&file.text, &file.name)?;
            if !ids.insert(program.id().to_owned()) {
                return Err(ProgramSetError::DuplicateProgram {
                    id: program.id().to_owned(),
                });
            }
            programs.push(program);
        }
        Ok(programs)
    }
}

fn check_files(files: &[ProgramFile]) -> Result<(), ProgramSetError> {
    if files.len() > MAX_PROGRAM_FILES {
        return Err(ProgramSetError::TooManyFiles);
    }
    let mut names = BTreeSet::new();
    for file in files {
        if file.name.is_empty() || file.name.len() > MAX_PROGRAM_NAME_BYTES {
            return Err(ProgramSetError::BadName {
                bytes: file.name.len(),
            });
        }
        if file.text.len() > MAX_PROGRAM_FILE_BYTES {
            return Err(ProgramSetError::FileTooLarge {
                name: file.name.clone(),
                bytes: file.text.len(),
            });
        }
        if !names.insert(file.name.as_str()) {
            return Err(ProgramSetError::DuplicateName(file.name.clone()));
        }
    }
    Ok(())
}

impl<'de> Deserialize<'de> for ProgramSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            version: Limited<PROGRAMS_VERSION_CHARS>,
            files: Files,
        }
        let Wire { version, files } = Wire::deserialize(deserializer)?;
        let (version, refused) = match (version.0, files.refused) {
            (Ok(version), refused) => (version, refused),
            (Err(_), refused) => (
                String::new(),
                refused.or(Some(ProgramSetError::VersionMismatch)),
            ),
        };
        Ok(Self {
            version,
            files: files.files,
            refused,
        })
    }
}

/// A string of at most `MAX` bytes, or the length of a longer one, which is not kept (also
/// read by `names`).
pub(super) struct Limited<const MAX: usize>(pub(super) Result<String, usize>);

impl<'de, const MAX: usize> Deserialize<'de> for Limited<MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LimitedVisitor<const MAX: usize>;
        impl<const MAX: usize> Visitor<'_> for LimitedVisitor<MAX> {
            type Value = Limited<MAX>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Limited(if text.len() > MAX {
                    Err(text.len())
                } else {
                    Ok(text.to_owned())
                }))
            }

            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(Limited(if text.len() > MAX {
                    Err(text.len())
                } else {
                    Ok(text)
                }))
            }
        }
        deserializer.deserialize_string(LimitedVisitor::<MAX>)
    }
}

/// The files of a received set: at most [`MAX_PROGRAM_FILES`], each within its bounds, or none
/// and why.
struct Files {
    files: Vec<ProgramFile>,
    refused: Option<ProgramSetError>,
}

impl<'de> Deserialize<'de> for Files {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct WireFile {
            name: Limited<MAX_PROGRAM_NAME_BYTES>,
            text: Limited<MAX_PROGRAM_FILE_BYTES>,
        }

        struct FilesVisitor;
        impl<'de> Visitor<'de> for FilesVisitor {
            type Value = Files;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of program files")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Files, A::Error> {
                // Not sized by the sender's hint: it is the peer's to make up.
                let mut files = Vec::new();
                let refused = loop {
                    let Some(WireFile { name, text }) = seq.next_element::<WireFile>()? else {
                        return Ok(Files {
                            files,
                            refused: None,
                        });
                    };
                    if files.len() == MAX_PROGRAM_FILES {
                        break ProgramSetError::TooManyFiles;
                    }
                    let name = match name.0 {
                        Ok(name) if !name.is_empty() => name,
                        Ok(_) => break ProgramSetError::BadName { bytes: 0 },
                        Err(bytes) => break ProgramSetError::BadName { bytes },
                    };
                    match text.0 {
                        Ok(text) => files.push(ProgramFile { name, text }),
                        Err(bytes) => break ProgramSetError::FileTooLarge { name, bytes },
                    }
                };
                // The rest is read over without being kept.
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Files {
                    files: Vec::new(),
                    refused: Some(refused),
                })
            }
        }
        deserializer.deserialize_seq(FilesVisitor)
    }
}
