//! `outpost-server`: the sync server's binary. Until the sync issue lands it offers the core
//! demo (real replica files, real asset files) and a checker for asset files.

mod assets;
mod demo;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "outpost-server",
    version,
    about = "Outpost 同步服务 / sync server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 演示：导入名单、离线认领与反馈、合并、查询（真实的 SQLite 副本文件）
    /// Demo: import a list, work offline on two devices, merge, search — on real replica files.
    Demo {
        /// Where the demo's replica files go (recreated on every run).
        #[arg(long, default_value = "outpost-demo-data")]
        data_dir: PathBuf,
        /// The assets folder with jurisdictions/ and programs/.
        #[arg(long, default_value = "assets")]
        assets: PathBuf,
        /// How many persons the demo list has.
        #[arg(long, default_value_t = 300)]
        persons: usize,
    },
    /// 检查行政区划与项目配置文件 / Check jurisdiction and program files; prints file:line: reason.
    Check {
        #[arg(long, default_value = "assets")]
        assets: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Demo {
            data_dir,
            assets,
            persons,
        } => demo::run(&assets, &data_dir, persons),
        Command::Check { assets } => {
            let loaded = assets::load(&assets)?;
            println!(
                "行政区划 {} 个单位，项目 {} 个，全部有效 / all valid",
                loaded.jurisdictions.len(),
                loaded.programs.len()
            );
            Ok(())
        }
    }
}
