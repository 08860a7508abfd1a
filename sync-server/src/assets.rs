//! Reading the asset files (jurisdictions and programs) from disk. Parsing and validation live in
//! `outpost_shared`; this is only the I/O around them.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;

pub struct Assets {
    pub jurisdictions: Jurisdictions,
    pub programs: Vec<Program>,
}

fn toml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read folder {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Loads every jurisdiction and program file under `assets`, reporting every bad file (with
/// file, line and reason, in Chinese and English) rather than stopping at the first.
pub fn load(assets: &Path) -> Result<Assets> {
    let mut problems = Vec::new();
    let mut jurisdictions = Jurisdictions::default();
    for path in toml_files(&assets.join("jurisdictions"))? {
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        match Jurisdictions::from_toml_str(&text, &file_name(&path))
            .and_then(|district| jurisdictions.merge(district))
        {
            Ok(()) => {}
            Err(e) => problems.push(format!("{}\n  {e}", e.describe(Lang::Zh))),
        }
    }
    let mut programs = Vec::new();
    for path in toml_files(&assets.join("programs"))? {
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        match Program::from_toml_str(&text, &file_name(&path)) {
            Ok(program) => programs.push(program),
            Err(e) => problems.push(format!("{}\n  {e}", e.describe(Lang::Zh))),
        }
    }
    if !problems.is_empty() {
        bail!(
            "配置文件有误 / invalid asset files:\n{}",
            problems.join("\n")
        );
    }
    Ok(Assets {
        jurisdictions,
        programs,
    })
}
