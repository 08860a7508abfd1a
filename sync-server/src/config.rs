//! Server configuration: a TOML file, overridable from the command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::notify::{NotifyConfig, NotifyConfigError, NotifyFile};

/// Where the ledger lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// One SQLite file (the embedded default).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://user@host/db`); instances may share it.
    Postgres(String),
}

impl Database {
    /// `sqlite:<path>`, a bare path, or `postgres://…` / `postgresql://…`.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Self::Postgres(text.to_owned())
        } else {
            Self::Sqlite(PathBuf::from(text.strip_prefix("sqlite:").unwrap_or(text)))
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database: Database,
    /// Bearer token for the administration endpoints.
    pub admin_token: String,
    /// The address devices use to reach this server (put into enrolment QR codes).
    pub public_url: Option<String>,
    /// The assets folder (jurisdictions, programs).
    pub assets: PathBuf,
    pub enrolment_code_hours: u32,
    pub max_request_bytes: usize,
    /// PostgreSQL connections per instance.
    pub pool_size: usize,
    /// Notification channels and routes (`[notify]`, see `notify::config`).
    pub notify: NotifyConfig,
    /// The built front-end folder the web console is served from (`console.html` inside).
    pub console_dir: PathBuf,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error(
        "admin_token must be at least 16 characters (set it in the config file or with --admin-token)"
    )]
    WeakAdminToken,
    #[error("[notify] section: {0}")]
    Notify(#[from] NotifyConfigError),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub listen: Option<SocketAddr>,
    pub database: Option<String>,
    pub admin_token: Option<String>,
    pub public_url: Option<String>,
    pub assets: Option<PathBuf>,
    pub enrolment_code_hours: Option<u32>,
    pub max_request_bytes: Option<usize>,
    pub pool_size: Option<usize>,
    /// `[notify]`, `[[notify.channels]]`, `[[notify.routes]]`.
    pub notify: Option<NotifyFile>,
    /// Default `mobile/ui/dist` (relative to the working directory).
    pub console_dir: Option<PathBuf>,
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// The configuration with defaults for everything the file leaves out.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let admin_token = self.admin_token.unwrap_or_default();
        if admin_token.len() < 16 {
            return Err(ConfigError::WeakAdminToken);
        }
        Ok(Config {
            listen: self
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            database: Database::parse(self.database.as_deref().unwrap_or("outpost-ledger.db")),
            admin_token,
            public_url: self.public_url,
            assets: self.assets.unwrap_or_else(|| PathBuf::from("assets")),
            enrolment_code_hours: self.enrolment_code_hours.unwrap_or(24),
            max_request_bytes: self.max_request_bytes.unwrap_or(16 * 1024 * 1024),
            pool_size: self.pool_size.unwrap_or(8),
            notify: self.notify.unwrap_or_default().validate()?,
            console_dir: self
                .console_dir
                .unwrap_or_else(|| PathBuf::from("mobile/ui/dist")),
        })
    }
}
