//! Reading the asset files (jurisdictions and programs) from disk. Parsing and validation live in
//! `outpost_shared`; this is only the I/O around them. The programs' texts are kept as they were
//! read, as the set that sync sends to devices (`SyncResponse::programs`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use outpost_shared::i18n::{Describe, Lang};
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;
use outpost_shared::sync::message::{ProgramFile, ProgramSet};

pub struct Assets {
    pub jurisdictions: Jurisdictions,
    pub programs: Vec<Program>,
    /// The texts `programs` were parsed from, with their version: what devices are sent.
    pub program_files: ProgramSet,
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
    let mut files = Vec::new();
    for path in toml_files(&assets.join("programs"))? {
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = file_name(&path);
        match Program::from_toml_str(&text, &name) {
            Ok(program) => programs.push(program),
            Err(e) => problems.push(format!("{}\n  {e}", e.describe(Lang::Zh))),
        }
        files.push(ProgramFile { name, text });
    }
    // Two files of one program, or a program serving an area the tree lacks, would leave it
    // unclear which list goes where: refused here, where the administrator reads why.
    for (index, program) in programs.iter().enumerate() {
        if programs[..index].iter().any(|p| p.id() == program.id()) {
            problems.push(format!(
                "工作流程 `{id}` 在多个文件中定义\n  program `{id}` is defined in more than one file",
                id = program.id()
            ));
        }
        if let Err(e) = program.check_area(&jurisdictions) {
            problems.push(format!(
                "工作流程 `{}` 的服务范围 {} 不在行政区划文件中\n  {e}",
                e.program, e.code
            ));
        }
    }
    // A folder that devices would refuse is refused here, where its administrator reads why.
    let program_files = ProgramSet::new(files)
        .map_err(|e| problems.push(format!("{}\n  {e}", e.describe(Lang::Zh))))
        .ok();
    match program_files {
        Some(program_files) if problems.is_empty() => Ok(Assets {
            jurisdictions,
            programs,
            program_files,
        }),
        _ => bail!(
            "配置文件有误 / invalid asset files:\n{}",
            problems.join("\n")
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use outpost_shared::sync::message::MAX_PROGRAM_FILES;

    /// The shipped assets folder, and a deployment folder with Nansha's tree and no program.
    fn nansha_only() -> (std::path::PathBuf, tempfile::TempDir) {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("programs")).unwrap();
        std::fs::create_dir_all(dir.path().join("jurisdictions")).unwrap();
        let nansha = "jurisdictions/440115-nansha.toml";
        std::fs::copy(shipped.join(nansha), dir.path().join(nansha)).unwrap();
        (shipped, dir)
    }

    #[test]
    fn a_programs_folder_that_devices_would_refuse_is_refused_at_start() {
        let (shipped, dir) = nansha_only();
        let w1 = shipped.join("programs/w1-close-contact-whereabouts.toml");
        let w1 = std::fs::read_to_string(w1).unwrap();
        let copy = |n: usize, name: &str| {
            let text = w1.replace(
                "id = \"w1-close-contact-whereabouts\"",
                &format!("id = \"p{n:02}\""),
            );
            std::fs::write(dir.path().join(format!("programs/{name}")), text).unwrap();
        };
        for n in 0..MAX_PROGRAM_FILES {
            copy(n, &format!("p{n:02}.toml"));
        }
        let loaded = super::load(dir.path()).unwrap();
        assert_eq!(loaded.program_files.files.len(), MAX_PROGRAM_FILES);
        assert_eq!(loaded.program_files.files[0].name, "p00.toml");
        loaded.program_files.check().unwrap();

        copy(MAX_PROGRAM_FILES, "one-more.toml");
        let refused = super::load(dir.path()).err().unwrap().to_string();
        assert!(refused.contains("设备最多接收 64 个"), "{refused}");
        assert!(refused.contains("a device takes at most 64"), "{refused}");
    }

    #[test]
    fn two_files_of_one_program_or_an_area_the_tree_lacks_are_refused_at_start() {
        let (shipped, dir) = nansha_only();
        let w1 = shipped.join("programs/w1-close-contact-whereabouts.toml");
        std::fs::copy(&w1, dir.path().join("programs/w1.toml")).unwrap();
        super::load(dir.path()).unwrap();

        std::fs::copy(&w1, dir.path().join("programs/w1-copy.toml")).unwrap();
        let refused = super::load(dir.path()).err().unwrap().to_string();
        assert!(refused.contains("在多个文件中定义"), "{refused}");
        std::fs::remove_file(dir.path().join("programs/w1-copy.toml")).unwrap();

        // W2 serves Xiamen's 思明区, whose file this deployment does not have.
        let w2 = shipped.join("programs/w2-community-verification.toml");
        std::fs::copy(&w2, dir.path().join("programs/w2.toml")).unwrap();
        let refused = super::load(dir.path()).err().unwrap().to_string();
        assert!(refused.contains("服务范围 350203"), "{refused}");
    }
}
