//! The one typed configuration, built from flags and `KEEPSAKE_*` variables
//! (clap reads both; flags win), with defaults from `LibraryConfig::new`.

use std::path::PathBuf;

use keepsake_library::LibraryConfig;

/// Where the library lives; every command takes these.
#[derive(clap::Args, Debug, Clone)]
pub struct StoreArgs {
    /// Folder holding the originals (and the SQLite database unless --database is given).
    #[arg(long, env = "KEEPSAKE_DATA_DIR", default_value = "./keepsake-data")]
    pub data_dir: PathBuf,
    /// Metadata database: `postgres://…`, or a SQLite file path (default: DATA_DIR/keepsake.db).
    #[arg(long, env = "KEEPSAKE_DATABASE_URL")]
    pub database: Option<String>,
    /// Background jobs to run at once.
    #[arg(long, env = "KEEPSAKE_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// The key sealing stored sign-ins (iCloud, Flickr); default
    /// DATA_DIR/secret.key. Servers sharing one database need the same key.
    #[arg(long, env = "KEEPSAKE_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
}

/// Everything a command needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub library: LibraryConfig,
    pub listen: Option<String>,
}

impl Config {
    pub fn new(store: StoreArgs, listen: Option<String>) -> Config {
        let mut library = LibraryConfig::new(store.data_dir);
        library.database = store.database.filter(|d| !d.is_empty());
        library.worker_concurrency = store.workers.max(1);
        library.secret_key_file = store.secret_key_file;
        Config { library, listen }
    }

    /// The database for logs, without any password.
    pub fn database_label(&self) -> String {
        match &self.library.database {
            Some(url) if url.contains('@') => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
                format!(
                    "{scheme}://…@{}",
                    rest.split_once('@').map(|(_, h)| h).unwrap_or(rest)
                )
            }
            Some(url) => url.clone(),
            None => self.library.database_target(),
        }
    }
}
