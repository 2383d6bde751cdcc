//! The `keepsake` binary: wiring only. It parses the command line into one
//! typed [`config::Config`], opens the library and runs a command; everything
//! a command does is a `keepsake-library` operation.

mod config;
mod icloud;
mod import;

use std::io::Read;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use keepsake_library::{Library, NewUserInput};

use crate::config::{Config, StoreArgs};

#[derive(Parser)]
#[command(
    name = "keepsake",
    version,
    about = "A self-hosted photo and video library that speaks Immich's API."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on.
        #[arg(long, env = "KEEPSAKE_LISTEN", default_value = "127.0.0.1:2283")]
        listen: String,
        /// Watch external libraries' folders and scan what changes (inotify);
        /// without it they change only when scanned.
        #[arg(long, env = "KEEPSAKE_WATCH_LIBRARIES")]
        watch_libraries: bool,
        /// Flickr app key, for Flickr imports started from the web app.
        #[command(flatten)]
        flickr: import::FlickrArgs,
        /// Where Apple is, for the scheduled iCloud syncs.
        #[command(flatten)]
        icloud: icloud::EndpointArgs,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Bring photos in: folders, Google Takeout, Flickr (API or export).
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// Flickr sign-in.
    Flickr {
        #[command(subcommand)]
        command: import::FlickrCommand,
    },
    /// iCloud Photos: sign in, sync once or on a schedule, archive albums.
    Icloud {
        #[command(subcommand)]
        command: icloud::IcloudCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; reads the password from standard input.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        email: String,
        /// Read the password as the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create an API key for a user and print only its secret.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Permission to grant (repeatable); default `all`.
        #[arg(long = "permission")]
        permissions: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEEPSAKE_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("start the async runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Import { command } => import::run_import(command).await,
        Command::Flickr { command } => import::run_flickr(command).await,
        Command::Icloud { command } => icloud::run_icloud(command).await,
        command => run_admin(command).await.map(|()| 0),
    }
}

async fn run_admin(command: Command) -> Result<()> {
    match command {
        Command::Import { .. } | Command::Flickr { .. } | Command::Icloud { .. } => {
            unreachable!("handled by run")
        }
        Command::Serve {
            store,
            listen,
            watch_libraries,
            flickr,
            icloud,
        } => {
            let mut config = Config::new(store, Some(listen));
            config.library.watch_libraries = watch_libraries;
            serve(config, flickr.optional_config(), icloud.config()?).await
        }
        Command::User {
            command:
                UserCommand::Create {
                    store,
                    email,
                    password_stdin: _,
                    name,
                    admin,
                },
        } => {
            let password = read_password()?;
            let library = open(&Config::new(store, None)).await?;
            let input = NewUserInput {
                email,
                password,
                name: name.unwrap_or_default(),
                is_admin: admin,
                ..Default::default()
            };
            let user = library.create_user(None, &input).await?;
            eprintln!(
                "created {} account {} ({})",
                if user.is_admin { "admin" } else { "user" },
                user.email,
                user.id
            );
            println!("{}", user.id);
            Ok(())
        }
        Command::ApiKey {
            command:
                ApiKeyCommand::Create {
                    store,
                    email,
                    name,
                    permissions,
                },
        } => {
            let library = open(&Config::new(store, None)).await?;
            let key = library
                .create_api_key_locally(&email, &name, &permissions)
                .await?;
            eprintln!(
                "created API key {:?} for {email} with permissions {}",
                key.key.name,
                key.key.permissions.join(",")
            );
            println!("{}", key.secret);
            Ok(())
        }
    }
}

fn read_password() -> Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the password from standard input")?;
    let password = input.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        bail!(
            "no password on standard input; pipe it in, e.g. `echo 'secret' | keepsake user create … --password-stdin`"
        );
    }
    Ok(password)
}

async fn open(config: &Config) -> Result<Library> {
    Library::open(config.library.clone())
        .await
        .with_context(|| {
            format!(
                "opening the library in {}",
                config.library.data_dir.display()
            )
        })
}

async fn serve(
    config: Config,
    flickr: Option<keepsake_import::flickr::FlickrConfig>,
    icloud: keepsake_import::icloud::IcloudConfig,
) -> Result<()> {
    let library = open(&config).await?;
    let listen = config.listen.as_deref().unwrap_or("127.0.0.1:2283");
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!("cannot listen on {listen}; is another server using it? Pass --listen ADDR")
        })?;
    let addr = listener.local_addr()?;
    let workers = library.start_workers();
    let url = format!("http://{addr}");
    say(&format!("Keepsake is running at {url}"));
    if library.is_initialized().await? {
        say(&format!(
            "Open it in a browser to log in, or point the Immich CLI or app at {url}"
        ));
    } else {
        say(&format!(
            "No account yet: open {url} in a browser to create the admin (or POST {url}/api/auth/admin-sign-up),"
        ));
        say(&format!(
            "or: keepsake user create --admin --email you@example.com --password-stdin --data-dir {}",
            config.library.data_dir.display()
        ));
    }
    tracing::info!(data_dir = %config.library.data_dir.display(), database = %config.database_label(), "serving");
    let scheduler = keepsake_icloud::scheduler::Scheduler::start(library.clone(), icloud);
    let options = keepsake_http::HttpOptions {
        flickr,
        icloud: Some(scheduler),
    };
    keepsake_http::serve_with(listener, library.clone(), options, shutdown_signal()).await?;
    workers.stop().await;
    library.close().await;
    Ok(())
}

/// Prints a line for the person who started the server; a closed stdout
/// (a supervisor that stopped reading) must not take the server down.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.ok();
    tracing::info!("shutting down");
}
