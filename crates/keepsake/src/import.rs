//! `keepsake import …` and `keepsake flickr login`: wiring the importers'
//! sources to the library's import engine, with progress on stderr and a
//! summary at the end. Exit status: 0 when every item went well, 1 when any
//! failed or the run stopped, 42 on a Flickr rate limit with
//! `--exit-on-rate-limit` (so a scheduler can try again later).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use keepsake_import::flickr::{
    FlickrClient, FlickrConfig, FlickrSource, LoopbackCallback, RateLimitPolicy,
    verifier_from_pasted,
};
use keepsake_import::flickr_export::FlickrExportSource;
use keepsake_import::folder::FolderSource;
use keepsake_import::takeout::TakeoutSource;
use keepsake_library::imports::{ImportOptions, ImportProgress, ImportRunRecord, Source};
use keepsake_library::{Caller, Library, LibraryError};

use crate::config::{Config, StoreArgs};

/// Exit status for "Flickr is rate limiting; try again later".
pub const EXIT_RATE_LIMITED: u8 = 42;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Copy a folder tree in.
    Folder {
        #[command(flatten)]
        common: CommonArgs,
        /// Folders to import.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Make an album per folder, named by its path (`Trips/2019/Paris`).
        #[arg(long)]
        album_from_folder: bool,
    },
    /// Import a Google Takeout: its zip parts or extracted folders, in any mix.
    Takeout {
        #[command(flatten)]
        common: CommonArgs,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Import a Flickr account through the API (after `keepsake flickr login`).
    Flickr {
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        flickr: FlickrArgs,
        /// The account: `me`, a username, an NSID or a profile URL.
        user_or_url: String,
        /// Only this album (photoset id).
        #[arg(long)]
        album: Option<String>,
        /// Stop with exit status 42 when Flickr rate limits, instead of waiting.
        #[arg(long)]
        exit_on_rate_limit: bool,
    },
    /// Import a Flickr account-data export: its zips or extracted folders.
    FlickrExport {
        #[command(flatten)]
        common: CommonArgs,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum FlickrCommand {
    /// Sign in to Flickr (OAuth 1.0a) and store the token for a user.
    Login {
        #[command(flatten)]
        store: StoreArgs,
        /// Whose Keepsake library the token is for.
        #[arg(long)]
        user: String,
        #[command(flatten)]
        flickr: FlickrArgs,
        /// Do not open a browser: print the URL alone on stdout and wait for
        /// the callback, or for the code Flickr shows, pasted on stdin.
        #[arg(long)]
        no_browser: bool,
    },
}

#[derive(Args)]
pub struct CommonArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Whose library receives the items (e-mail).
    #[arg(long)]
    user: String,
    /// Decide and report everything, store nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
pub struct FlickrArgs {
    #[arg(long, env = "KEEPSAKE_FLICKR_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    #[arg(long, env = "KEEPSAKE_FLICKR_API_SECRET", hide_env_values = true)]
    api_secret: Option<String>,
    #[arg(long, env = "KEEPSAKE_FLICKR_REST_URL", hide = true)]
    rest_url: Option<String>,
    #[arg(long, env = "KEEPSAKE_FLICKR_OAUTH_URL", hide = true)]
    oauth_url: Option<String>,
    /// Flickr's budget per API key is 3,600 calls an hour; raise it only for
    /// a key with a higher limit (or a test server).
    #[arg(long, env = "KEEPSAKE_FLICKR_CALLS_PER_HOUR", default_value_t = 3600)]
    calls_per_hour: u32,
}

impl FlickrArgs {
    /// The config when a key and secret were given (the server's optional Flickr support).
    pub fn optional_config(&self) -> Option<FlickrConfig> {
        self.config().ok()
    }

    fn config(&self) -> Result<FlickrConfig> {
        let (Some(key), Some(secret)) = (&self.api_key, &self.api_secret) else {
            bail!(
                "a Flickr API key and secret are needed: set KEEPSAKE_FLICKR_API_KEY and KEEPSAKE_FLICKR_API_SECRET (or --api-key/--api-secret); create them at https://www.flickr.com/services/apps/create/"
            );
        };
        let mut config = FlickrConfig::new(key, secret);
        if let Some(url) = &self.rest_url {
            config.rest_url = url.clone();
        }
        if let Some(url) = &self.oauth_url {
            config.oauth_url = url.clone();
        }
        config.calls_per_hour = self.calls_per_hour.max(1);
        Ok(config)
    }
}

/// What `keepsake flickr login` stores.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredFlickrToken {
    token: String,
    secret: String,
    user_nsid: String,
    username: String,
}

/// Runs an import command; returns the process exit status.
pub async fn run_import(command: ImportCommand) -> Result<u8> {
    match command {
        ImportCommand::Folder {
            common,
            dirs,
            album_from_folder,
        } => {
            let source = FolderSource::open(&dirs, album_from_folder)?;
            let label = keepsake_import::source_label(&dirs);
            run_source(&common, source, label).await
        }
        ImportCommand::Takeout { common, paths } => {
            let source = TakeoutSource::open(&paths)?;
            run_source(&common, source, keepsake_import::source_label(&paths)).await
        }
        ImportCommand::FlickrExport { common, paths } => {
            let source = FlickrExportSource::open(&paths)?;
            run_source(&common, source, keepsake_import::source_label(&paths)).await
        }
        ImportCommand::Flickr {
            common,
            flickr,
            user_or_url,
            album,
            exit_on_rate_limit,
        } => {
            let mut config = flickr.config()?;
            if exit_on_rate_limit {
                config.on_rate_limit = RateLimitPolicy::Fail;
            }
            let library = open_library(&common.store).await?;
            let caller = library.local_caller(&common.user).await?;
            let stored = library
                .service_credential(&caller, "flickr")
                .await?
                .ok_or_else(|| {
                    anyhow!(
                        "{} has not signed in to Flickr; run `keepsake flickr login --user {}` first",
                        common.user,
                        common.user
                    )
                })?;
            let token: StoredFlickrToken = serde_json::from_str(&stored).context(
                "the stored Flickr login is unreadable; run `keepsake flickr login` again",
            )?;
            let client = FlickrClient::new(config)?.with_token(token.token, token.secret);
            eprintln!("listing the Flickr account {user_or_url}…");
            let source = match FlickrSource::open(client, &user_or_url, album.as_deref()).await {
                Ok(s) => s,
                Err(e @ keepsake_import::flickr::FlickrError::RateLimited { .. })
                    if exit_on_rate_limit =>
                {
                    eprintln!("error: {e}");
                    return Ok(EXIT_RATE_LIMITED);
                }
                Err(e) => return Err(e.into()),
            };
            let label = match &album {
                Some(a) => format!("{user_or_url} album {a}"),
                None => user_or_url.clone(),
            };
            run_with(&library, &caller, common.dry_run, source, label).await
        }
    }
}

async fn open_library(store: &StoreArgs) -> Result<Library> {
    crate::open(&Config::new(store.clone(), None)).await
}

async fn run_source<S: Source>(common: &CommonArgs, source: S, label: String) -> Result<u8> {
    let library = open_library(&common.store).await?;
    let caller = library.local_caller(&common.user).await?;
    run_with(&library, &caller, common.dry_run, source, label).await
}

async fn run_with<S: Source>(
    library: &Library,
    caller: &Caller,
    dry_run: bool,
    mut source: S,
    label: String,
) -> Result<u8> {
    let options = ImportOptions { label, dry_run };
    // Begun first, so a run that stops part-way is summarised by its own id
    // (not whichever run of this user happens to be newest).
    let started = match library.begin_import(caller, source.kind(), &options).await {
        Ok(started) => started,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
    };
    let run_id = started.run.id.clone();
    let reporter = Reporter::new(source.total());
    let result = library
        .continue_import(caller, started, &mut source, &options, &|p| {
            reporter.report(p)
        })
        .await;
    reporter.finish();
    let code = match &result {
        Ok(run) if run.failed > 0 => 1,
        Ok(_) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            if matches!(e, LibraryError::RateLimited(_)) {
                EXIT_RATE_LIMITED
            } else {
                1
            }
        }
    };
    if let Ok(run) = library.import_run(caller, &run_id).await {
        summarise(library, caller, &run).await;
    }
    Ok(code)
}

pub(crate) async fn summarise(library: &Library, caller: &Caller, run: &ImportRunRecord) {
    let what = if run.dry_run {
        "dry run (nothing stored)"
    } else {
        "import"
    };
    eprintln!(
        "{what} {} {}: {} {}, {} duplicate, {} skipped, {} failed ({} items)",
        run.id,
        run.state,
        run.imported,
        if run.dry_run { "to import" } else { "imported" },
        run.duplicate,
        run.skipped,
        run.failed,
        run.seen
    );
    for outcome in ["failed", "skipped"] {
        let items = library
            .import_run_items(caller, &run.id, Some(outcome), 0, 20)
            .await
            .unwrap_or_default();
        for item in &items {
            eprintln!(
                "  {outcome}: {} — {}",
                item.file_name,
                item.reason.as_deref().unwrap_or("")
            );
        }
        let count = if outcome == "failed" {
            run.failed
        } else {
            run.skipped
        };
        if count > items.len() as i64 {
            eprintln!(
                "  … and {} more {outcome} (GET /api/imports/{}/items?outcome={outcome})",
                count - items.len() as i64,
                run.id
            );
        }
    }
    println!("{}", run.id);
}

/// A progress bar on a terminal; a line every few seconds otherwise.
pub(crate) struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    last_line: Mutex<Instant>,
}

impl Reporter {
    pub(crate) fn new(total: Option<u64>) -> Reporter {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {per_sec} {msg}",
                )
                .expect("a valid template"),
            );
            bar
        });
        Reporter {
            bar,
            last_line: Mutex::new(Instant::now()),
        }
    }

    pub(crate) fn report(&self, p: &ImportProgress) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(p.seen);
                bar.set_message(format!(
                    "{} new, {} dup, {} skipped, {} failed",
                    p.imported, p.duplicate, p.skipped, p.failed
                ));
            }
            None => {
                let mut last = self.last_line.lock().expect("not poisoned");
                if last.elapsed() >= Duration::from_secs(2) {
                    *last = Instant::now();
                    eprintln!(
                        "{}{}: {} imported, {} duplicate, {} skipped, {} failed",
                        p.seen,
                        p.total.map(|t| format!("/{t}")).unwrap_or_default(),
                        p.imported,
                        p.duplicate,
                        p.skipped,
                        p.failed
                    );
                }
            }
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `keepsake flickr login`.
pub async fn run_flickr(command: FlickrCommand) -> Result<u8> {
    let FlickrCommand::Login {
        store,
        user,
        flickr,
        no_browser,
    } = command;
    let config = flickr.config()?;
    let library = open_library(&store).await?;
    let caller = library.local_caller(&user).await?;
    let client = FlickrClient::new(config)?;
    let callback = LoopbackCallback::bind()
        .await
        .context("opening a loopback port for Flickr's redirect")?;
    let request_token = client.request_token(callback.url()).await?;
    let url = client.authorize_url(&request_token);
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{url}")?;
        out.flush()?;
    }
    if !no_browser {
        let opened = std::process::Command::new("xdg-open")
            .arg(&url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !opened {
            eprintln!("could not open a browser; open the URL above yourself");
        }
    }
    eprintln!(
        "Allow Keepsake read access on the Flickr page. If the browser is on another machine, paste the code Flickr shows here and press Enter."
    );
    let (pasted_tx, mut pasted_rx) = tokio::sync::mpsc::channel::<String>(1);
    std::thread::spawn(move || {
        // A closed or empty stdin means "keep waiting for the callback".
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { return };
            if let Some(v) = verifier_from_pasted(&line)
                && pasted_tx.blocking_send(v).is_err()
            {
                return;
            }
        }
    });
    let verifier = tokio::select! {
        params = callback.wait() => {
            let params = params?;
            if params.oauth_token != request_token.token {
                bail!("Flickr's redirect was for another sign-in; run `keepsake flickr login` again");
            }
            params.oauth_verifier
        }
        Some(v) = pasted_rx.recv() => v,
    };
    let access = client.access_token(&request_token, &verifier).await?;
    let stored = StoredFlickrToken {
        token: access.token.clone(),
        secret: access.secret.clone(),
        user_nsid: access.user_nsid.clone(),
        username: access.username.clone(),
    };
    library
        .set_service_credential(&caller, "flickr", &serde_json::to_string(&stored)?)
        .await?;
    eprintln!(
        "signed in to Flickr as {} ({}); the token is stored for {user}",
        if access.username.is_empty() {
            &access.user_nsid
        } else {
            &access.username
        },
        access.user_nsid
    );
    Ok(0)
}
