//! `keepsake icloud …`: connect an Apple ID (`login`), sync it once or on a
//! schedule (`sync`), archive an album (`archive`) and see where things stand
//! (`status`). Codes Apple sends are read from the terminal or, when stdin is
//! not a terminal, as lines from stdin; a running server takes them through
//! its API at the same time.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use keepsake_icloud::run::{self, CodeInput, RunError, Settings, SettingsChanges};
use keepsake_icloud::sync::{SyncRequest, sync};
use keepsake_import::icloud::IcloudConfig;
use keepsake_library::{Caller, Library};
use tokio::sync::mpsc;

use crate::config::{Config, StoreArgs};

#[derive(Subcommand)]
pub enum IcloudCommand {
    /// Sign in to an Apple ID (with the code Apple sends) and keep the session.
    Login {
        #[command(flatten)]
        common: CommonArgs,
        /// The Apple ID (e-mail or phone number).
        #[arg(long)]
        apple_id: String,
        #[command(flatten)]
        choices: ChoiceArgs,
        /// Also sync on this cron schedule in the server (`"0 2 * * *"`).
        #[arg(long)]
        schedule: Option<String>,
    },
    /// Sync the connected iCloud library once, or on a cron schedule.
    Sync {
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        choices: ChoiceArgs,
        /// Stay running and sync on this cron schedule (`"0 2 * * *"`); it is
        /// also stored, so a running server keeps to it.
        #[arg(long)]
        schedule: Option<String>,
        /// Decide and report everything, store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Take over from a sync that looks alive elsewhere.
        #[arg(long)]
        force: bool,
    },
    /// Archive an album: keep it here as it is now, whatever happens to it in
    /// iCloud; optionally delete its non-favourite photos from iCloud.
    Archive {
        #[command(flatten)]
        common: CommonArgs,
        /// The album's name (full path for albums in folders: `Trips/2019/Paris`).
        album: String,
        /// Delete the album's photos that are not favourites from iCloud (they
        /// go to iCloud's Recently Deleted).
        #[arg(long)]
        remote_delete: bool,
        /// List what would be deleted; change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        force: bool,
    },
    /// Show the connection's state, schedule, last run and trust token.
    Status {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        user: String,
    },
}

#[derive(Args)]
pub struct CommonArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Whose library receives the items (e-mail).
    #[arg(long)]
    user: String,
    /// Read the Apple ID password as the first line of stdin.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    endpoints: EndpointArgs,
}

/// Where Apple is (tests point these at a fake) and how hard to push it.
#[derive(Args, Clone)]
pub struct EndpointArgs {
    #[arg(long, env = "KEEPSAKE_ICLOUD_AUTH_URL", hide = true)]
    auth_url: Option<String>,
    #[arg(long, env = "KEEPSAKE_ICLOUD_SETUP_URL", hide = true)]
    setup_url: Option<String>,
    /// At most N metadata requests per MS milliseconds (`N/MS`), as
    /// icloud-photos-sync's option; downloads are not counted.
    #[arg(long, value_name = "N/MS")]
    metadata_rate: Option<String>,
    /// Downloads at once.
    #[arg(long, default_value_t = 5)]
    download_threads: usize,
}

impl EndpointArgs {
    pub fn config(&self) -> Result<IcloudConfig> {
        let mut c = IcloudConfig::new();
        if let Some(u) = &self.auth_url {
            c.auth_url = u.clone();
        }
        if let Some(u) = &self.setup_url {
            c.setup_url = u.clone();
        }
        if let Some(rate) = &self.metadata_rate {
            c.metadata_rate = parse_rate(rate)?;
        }
        c.download_concurrency = self.download_threads.max(1);
        Ok(c)
    }
}

/// `N/MS` (`Infinity/0` for no limit).
fn parse_rate(text: &str) -> Result<Option<(u32, Duration)>> {
    let Some((n, ms)) = text.split_once('/') else {
        bail!("--metadata-rate takes N/MS, e.g. 1/20 for one request every 20 ms");
    };
    if n.eq_ignore_ascii_case("infinity") {
        return Ok(None);
    }
    let n: u32 = n.parse().context("--metadata-rate: N must be a number")?;
    let ms: u64 = ms.parse().context("--metadata-rate: MS must be a number")?;
    if n == 0 || ms == 0 {
        return Ok(None);
    }
    Ok(Some((n, Duration::from_millis(ms))))
}

#[derive(Args, Clone, Default)]
pub struct ChoiceArgs {
    /// Edited photos: keep the `original`, the `edited` version, or `both`.
    #[arg(long)]
    edits: Option<String>,
    /// Shared-library items: `include`, `skip`, or `album:NAME` (also put them in that album).
    #[arg(long)]
    shared: Option<String>,
    /// Items deleted in iCloud: `keep` them here, or move them to the `trash`.
    #[arg(long)]
    deleted: Option<String>,
    /// Only this album (name or full path).
    #[arg(long)]
    album: Option<String>,
    /// Seconds to wait for the code Apple sends.
    #[arg(long)]
    mfa_timeout: Option<u64>,
}

impl ChoiceArgs {
    fn changes(&self) -> SettingsChanges {
        SettingsChanges {
            edits: self.edits.clone(),
            shared: self.shared.clone(),
            deleted: self.deleted.clone(),
            album: self.album.clone(),
            mfa_timeout_secs: self.mfa_timeout,
        }
    }
}

/// Runs an iCloud command; returns the process exit status.
pub async fn run_icloud(command: IcloudCommand) -> Result<u8> {
    match command {
        IcloudCommand::Login {
            common,
            apple_id,
            choices,
            schedule,
        } => {
            let (library, caller) = open(&common.store, &common.user).await?;
            let config = common.endpoints.config()?;
            let (password, lines) =
                password_and_lines(common.password_stdin, &apple_id, true).await?;
            let password = password.expect("asked for");
            let stored = stored_settings(&library, &caller).await?;
            let settings = stored.changed(&choices.changes())?;
            let mut input = lines.into_input();
            match run::login(
                &library,
                &caller,
                config,
                &apple_id,
                &password,
                &settings,
                schedule.as_deref(),
                &mut input,
            )
            .await
            {
                Ok(state) => {
                    eprintln!(
                        "signed in to iCloud as {apple_id}; the session is kept (sealed) for later syncs"
                    );
                    if let Some(t) = state.trust_expires_at {
                        eprintln!(
                            "Apple trusts this session until {}; sign in again before then to avoid a code",
                            iso(t * 1000)
                        );
                    }
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(1)
                }
            }
        }
        IcloudCommand::Sync {
            common,
            choices,
            schedule,
            dry_run,
            force,
        } => {
            let Connection {
                library,
                caller,
                config,
                password,
                mut input,
            } = connection(&common).await?;
            let changes = choices.changes();
            let settings = if changes.is_empty() {
                None
            } else {
                Some(
                    stored_settings(&library, &caller)
                        .await?
                        .changed(&changes)?,
                )
            };
            let request = SyncRequest {
                password,
                force,
                dry_run,
                settings,
            };
            match schedule {
                None => Ok(sync_once(&library, &caller, &config, request, &mut input).await),
                Some(cron) => {
                    let schedule = keepsake_icloud::schedule::Schedule::parse(&cron)
                        .map_err(anyhow::Error::msg)?;
                    store_schedule(&library, &caller, &cron).await?;
                    loop {
                        let tz = jiff_system_zone();
                        let Some(next) = schedule.next_after(jiff_now(), &tz) else {
                            bail!("the schedule {cron:?} never fires");
                        };
                        eprintln!("next iCloud sync at {}", iso(next.as_millisecond()));
                        let wait = (next.as_millisecond() - jiff_now().as_millisecond()).max(0);
                        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
                        sync_once(&library, &caller, &config, request.clone(), &mut input).await;
                    }
                }
            }
        }
        IcloudCommand::Archive {
            common,
            album,
            remote_delete,
            dry_run,
            force,
        } => {
            let Connection {
                library,
                caller,
                config,
                password,
                mut input,
            } = connection(&common).await?;
            let request = keepsake_icloud::archive::ArchiveRequest {
                album,
                remote_delete,
                dry_run,
                force,
                password,
            };
            let reporter = crate::import::Reporter::new(None);
            match keepsake_icloud::archive::archive(
                &library,
                &caller,
                config,
                request,
                &mut input,
                &|p| reporter.report(p),
            )
            .await
            {
                Ok(report) => {
                    reporter.finish();
                    eprintln!(
                        "album {:?} archived ({} photos; later iCloud changes to it are ignored here)",
                        report.album_name, report.members
                    );
                    for item in &report.deleted {
                        eprintln!(
                            "  {} {}",
                            if dry_run {
                                "would delete from iCloud:"
                            } else {
                                "deleted from iCloud:"
                            },
                            item
                        );
                    }
                    for (item, why) in &report.failed {
                        eprintln!("  not deleted: {item} — {why}");
                    }
                    if remote_delete {
                        eprintln!(
                            "{} {} from iCloud (favourites kept: {})",
                            report.deleted.len(),
                            if dry_run {
                                "would be deleted"
                            } else {
                                "deleted"
                            },
                            report.kept_favourites
                        );
                    }
                    println!("{}", report.album_id);
                    Ok(if report.failed.is_empty() { 0 } else { 1 })
                }
                Err(e) => {
                    reporter.finish();
                    eprintln!("error: {e}");
                    Ok(1)
                }
            }
        }
        IcloudCommand::Status { store, user } => {
            let (library, caller) = open(&store, &user).await?;
            match library.remote_account(&caller, run::SERVICE).await? {
                None => {
                    eprintln!("no iCloud account is connected; run `keepsake icloud login`");
                    Ok(1)
                }
                Some(a) => {
                    println!("apple id: {}", a.account);
                    println!(
                        "state: {}{}",
                        a.state,
                        a.state_message
                            .map(|m| format!(" ({m})"))
                            .unwrap_or_default()
                    );
                    println!("schedule: {}", a.schedule.as_deref().unwrap_or("none"));
                    if let Some(n) = a.next_run_at {
                        println!("next sync: {}", iso(n));
                    }
                    if let Some(r) = &a.last_run_id {
                        println!("last run: {r} (GET /api/imports/{r})");
                    }
                    if let Some(e) = &a.last_error {
                        println!("last error: {e}");
                    }
                    if let Some(t) = a.trust_expires_at {
                        println!("trusted until: {}", iso(t));
                    }
                    Ok(0)
                }
            }
        }
    }
}

async fn sync_once(
    library: &Library,
    caller: &Caller,
    config: &IcloudConfig,
    request: SyncRequest,
    input: &mut CodeInput,
) -> u8 {
    let reporter = crate::import::Reporter::new(None);
    let result = sync(library, caller, config.clone(), request, input, &|p| {
        reporter.report(p)
    })
    .await;
    reporter.finish();
    match result {
        Ok(report) => {
            crate::import::summarise(library, caller, &report.run).await;
            if !report.deleted_in_icloud.is_empty() {
                eprintln!(
                    "{} item(s) were deleted in iCloud; {}",
                    report.deleted_in_icloud.len(),
                    if report.trashed > 0 {
                        format!(
                            "{} moved to the trash here (restore them from the trash)",
                            report.trashed
                        )
                    } else {
                        "kept here (choose --deleted trash to move them to the trash)".to_string()
                    }
                );
            }
            if let Some(t) = report.trust_expires_at {
                let days = (t - jiff_now().as_millisecond()) / 86_400_000;
                if days < 7 {
                    eprintln!(
                        "warning: Apple's trust in this session ends in {days} day(s) ({}); run `keepsake icloud login` to renew it",
                        iso(t)
                    );
                }
            }
            if report.run.failed > 0 { 1 } else { 0 }
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let RunError::Library(keepsake_library::LibraryError::RateLimited(_)) = e {
                crate::import::EXIT_RATE_LIMITED
            } else {
                1
            }
        }
    }
}

/// What `sync` and `archive` start from: a connection made earlier by `login`,
/// with the password (when given) and the input that codes arrive on.
struct Connection {
    library: Library,
    caller: Caller,
    config: IcloudConfig,
    password: Option<String>,
    input: CodeInput,
}

async fn connection(common: &CommonArgs) -> Result<Connection> {
    let (library, caller) = open(&common.store, &common.user).await?;
    let config = common.endpoints.config()?;
    let id = stored_apple_id(&library, &caller).await;
    let (password, lines) = password_and_lines(common.password_stdin, &id, false).await?;
    Ok(Connection {
        library,
        caller,
        config,
        password,
        input: lines.into_input(),
    })
}

async fn open(store: &StoreArgs, user: &str) -> Result<(Library, Caller)> {
    let library = crate::open(&Config::new(store.clone(), None)).await?;
    let caller = library.local_caller(user).await?;
    Ok((library, caller))
}

async fn stored_settings(library: &Library, caller: &Caller) -> Result<Settings> {
    Ok(library
        .remote_account(caller, run::SERVICE)
        .await?
        .and_then(|a| serde_json::from_str(&a.settings).ok())
        .unwrap_or_default())
}

async fn stored_apple_id(library: &Library, caller: &Caller) -> String {
    library
        .remote_account(caller, run::SERVICE)
        .await
        .ok()
        .flatten()
        .map(|a| a.account)
        .unwrap_or_default()
}

async fn store_schedule(library: &Library, caller: &Caller, cron: &str) -> Result<()> {
    let Some(a) = library.remote_account(caller, run::SERVICE).await? else {
        bail!("no iCloud account is connected; run `keepsake icloud login` first");
    };
    let next = run::next_run_at(Some(cron))?;
    library
        .connect_remote_account(
            caller,
            run::SERVICE,
            &a.account,
            &a.settings,
            Some(cron),
            next,
        )
        .await?;
    Ok(())
}

/// Lines from stdin, read on a thread of their own so a sign-in can wait for
/// them and for the API at once. Closed or empty stdin just never yields.
struct StdinLines {
    rx: mpsc::Receiver<String>,
}

impl StdinLines {
    fn start() -> StdinLines {
        let (tx, rx) = mpsc::channel(16);
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let Ok(line) = line else { break };
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        StdinLines { rx }
    }

    fn into_input(self) -> CodeInput {
        let terminal = std::io::stdin().is_terminal();
        CodeInput {
            lines: Some(self.rx),
            notify: Box::new(move |m| {
                eprintln!("{m}");
                if terminal {
                    eprint!("code: ");
                    let _ = std::io::stderr().flush();
                }
            }),
        }
    }
}

/// The password and the stdin lines that may carry codes afterwards:
/// `KEEPSAKE_ICLOUD_PASSWORD`, else the first stdin line (with
/// `--password-stdin`, or when stdin is not a terminal), else — when `needed`
/// — a prompt on the terminal that does not echo (asked before stdin is read
/// for codes, so the two never compete for a line). `None` means "use the
/// sealed one".
async fn password_and_lines(
    from_stdin: bool,
    apple_id: &str,
    needed: bool,
) -> Result<(Option<String>, StdinLines)> {
    if let Ok(p) = std::env::var("KEEPSAKE_ICLOUD_PASSWORD")
        && !p.is_empty()
    {
        return Ok((Some(p), StdinLines::start()));
    }
    let terminal = std::io::stdin().is_terminal();
    if from_stdin || (needed && !terminal) {
        let mut lines = StdinLines::start();
        let Some(line) = lines.rx.recv().await else {
            bail!(
                "no password on stdin: give it as the first line, or set KEEPSAKE_ICLOUD_PASSWORD"
            );
        };
        return Ok((Some(line.trim_end_matches(['\r', '\n']).to_string()), lines));
    }
    if needed {
        let prompt = format!("Apple ID password for {apple_id}: ");
        let p = tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt))
            .await
            .context("reading the password")??;
        return Ok((Some(p), StdinLines::start()));
    }
    Ok((None, StdinLines::start()))
}

fn jiff_now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn jiff_system_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::system()
}

fn iso(ms: i64) -> String {
    keepsake_core::time::Timestamp(ms).to_iso()
}
