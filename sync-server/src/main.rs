//! `outpost-server`: the sync server's binary — serve (optionally seeded with demo data), the
//! offline core demo, and a checker for asset files.

mod demo;
mod import_cli;
mod labels_cli;
mod seed;

use outpost_sync_server::assets;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use outpost_sync_server::config::ConfigFile;

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
    /// 启动同步服务 / Run the sync server.
    Serve {
        /// TOML config file (listen, database, admin_token, public_url, assets, …).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on, e.g. 0.0.0.0:8080 (overrides the config file).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Ledger: a SQLite file path (default outpost-ledger.db) or postgres://… URL.
        #[arg(long)]
        database: Option<String>,
        /// Administrator bearer token (≥ 16 characters; overrides the config file).
        #[arg(long, env = "OUTPOST_ADMIN_TOKEN")]
        admin_token: Option<String>,
        /// The built web console (mobile/ui/dist; overrides the config file).
        #[arg(long)]
        console_dir: Option<PathBuf>,
        /// Seed demo users and a demo batch (if the ledger has none yet) and print an
        /// enrolment code.
        #[arg(long)]
        demo: bool,
    },
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
    /// 批量导入名单 / Import a list: prints one JSON line {"batch", "rows", "imported", "failed"}
    /// and writes the failure workbook. Exits non-zero when the file cannot be read (or the
    /// ledger or server cannot be reached), never because rows failed.
    Import {
        /// Program id, e.g. w1-close-contact-whereabouts.
        #[arg(long)]
        program: String,
        /// The list (.xlsx; .xls and .ods are read too).
        file: PathBuf,
        /// Where to write the failure workbook (原始列 + 异常信息); not written when every row
        /// was imported.
        #[arg(long)]
        failures: Option<PathBuf>,
        /// Import through a running server's admin API (e.g. http://127.0.0.1:8080) instead of
        /// into the configured ledger.
        #[arg(long)]
        server: Option<String>,
        /// Administrator token for --server.
        #[arg(long, env = "OUTPOST_ADMIN_TOKEN")]
        admin_token: Option<String>,
        /// TOML config file (its database and assets are used).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Ledger: a SQLite file path or postgres://… URL (overrides the config file).
        #[arg(long)]
        database: Option<String>,
        /// The user the batch is attributed to (创建人).
        #[arg(long, default_value = "admin")]
        creator: String,
        /// Only towns/communities within this unit code are accepted, e.g. 440115.
        #[arg(long)]
        within: Option<String>,
    },
    /// 打印手环标签 / Wristband label sheets: A4 pages of QR codes with the printed id under
    /// each. PDF: one file. PNG: one 300 dpi image per page — FILE itself for one page,
    /// otherwise FILE's name with -p1, -p2, … (-p001 from 100 pages) before the extension.
    /// Prints every file written.
    Labels {
        /// The first wristband serial, e.g. 1.
        #[arg(long)]
        from: u64,
        /// How many labels (at most 10,000; 40 to a page).
        #[arg(long)]
        count: u64,
        #[arg(long, value_enum, default_value = "pdf")]
        format: outpost_sync_server::labels::Format,
        /// Where to write the sheet.
        #[arg(long)]
        out: PathBuf,
    },
    /// 检查行政区划与项目配置文件 / Check jurisdiction and program files; prints file:line: reason.
    Check {
        #[arg(long, default_value = "assets")]
        assets: PathBuf,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve {
            config,
            listen,
            database,
            admin_token,
            console_dir,
            demo,
        } => {
            let mut file = match &config {
                Some(path) => ConfigFile::read(path)?,
                None => ConfigFile::default(),
            };
            file.listen = listen.or(file.listen);
            file.database = database.or(file.database);
            file.admin_token = admin_token.or(file.admin_token);
            file.console_dir = console_dir.or(file.console_dir);
            let config = file.resolve()?;
            let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
            runtime.block_on(serve(config, demo))
        }
        Command::Demo {
            data_dir,
            assets,
            persons,
        } => demo::run(&assets, &data_dir, persons),
        Command::Import {
            program,
            file,
            failures,
            server,
            admin_token,
            config,
            database,
            creator,
            within,
        } => {
            let request = import_cli::Request {
                program,
                file,
                failures,
                creator,
                within,
            };
            match server {
                Some(server) => import_cli::through_server(&request, &server, admin_token),
                None => {
                    let mut file = match &config {
                        Some(path) => ConfigFile::read(path)?,
                        None => ConfigFile::default(),
                    };
                    file.database = database.or(file.database);
                    import_cli::into_ledger(&request, file)
                }
            }
        }
        Command::Labels {
            from,
            count,
            format,
            out,
        } => labels_cli::run(from, count, format, &out),
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

async fn serve(config: outpost_sync_server::config::Config, demo: bool) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    let mut config = config;
    let demo_push = if demo {
        seed::loopback_push(&mut config).await?
    } else {
        None
    };
    let app = tokio::task::spawn_blocking(move || outpost_sync_server::app(config)).await??;
    println!("Outpost 同步服务已启动 / sync server listening on http://{address}");
    if demo {
        let seeded = {
            let app = app.clone();
            tokio::task::spawn_blocking(move || seed::demo(&app)).await??
        };
        seeded.print(&app.config);
        if let Some(push) = &demo_push {
            println!(
                "告警推送演示通道 / demo push channel: {} — 超过时限的告警会打印在这里 / alerts past their deadline are printed here",
                push.url
            );
        }
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    outpost_sync_server::serve_app(listener, app, shutdown).await?;
    if let Some(push) = demo_push {
        let count = push.received.lock().map_or(0, |r| r.len());
        println!(
            "演示通道共收到 {count} 条告警推送 / the demo channel received {count} alert pushes"
        );
    }
    Ok(())
}
