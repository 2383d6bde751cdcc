//! Watching external libraries (`LibraryConfig::watch_libraries`, the
//! server's `KEEPSAKE_WATCH_LIBRARIES=1`): inotify watches on every import
//! path, and a task that turns the changes it reports into scans of just the
//! paths that changed.
//!
//! Changes are gathered until the folders have been quiet for a moment (a copy
//! of many files becomes one scan), then queued as one scan job per library.
//! Reads are not changes, so the scans' own hashing and the media jobs never
//! trigger scans. When the kernel's queue overflows, the library is scanned
//! whole. The set of watched folders follows the libraries: it is brought up
//! to date when one is created, changed or deleted, and after each full scan
//! (an import path whose disk was mounted since gets watched then).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::Library;

/// How long the folders must be quiet before the changes are scanned.
const QUIET: Duration = Duration::from_millis(300);
/// How long changes may pile up before they are scanned anyway.
const MAX_GATHER: Duration = Duration::from_secs(5);
/// More changed paths than this in one library: scan it whole instead.
const MAX_PATHS: usize = 1000;

/// The live watcher and the folders it watches.
pub(crate) struct WatchState {
    watcher: notify::RecommendedWatcher,
    watched: BTreeSet<PathBuf>,
}

/// Changes reported since the last scans were queued.
#[derive(Default)]
struct Changes {
    paths: BTreeSet<PathBuf>,
    /// Events were lost (queue overflow): every library must be scanned whole.
    rescan_all: bool,
}

impl Changes {
    fn add(&mut self, event: notify::Result<notify::Event>) {
        match event {
            Err(e) => {
                tracing::warn!(error = %e, "the library watcher reported an error; rescanning");
                self.rescan_all = true;
            }
            Ok(event) => {
                if event.need_rescan() {
                    self.rescan_all = true;
                }
                if !matches!(event.kind, EventKind::Access(_)) {
                    self.paths.extend(event.paths);
                }
            }
        }
    }
}

/// The changed paths under `import_paths`, without any that lie inside
/// another listed one (scanning the folder covers them).
fn paths_for(import_paths: &[String], changed: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in changed {
        if !import_paths.iter().any(|ip| p.starts_with(ip)) {
            continue;
        }
        // Sorted order puts a folder before everything inside it.
        if out.last().is_some_and(|last| p.starts_with(last)) {
            continue;
        }
        out.push(p.clone());
    }
    out
}

impl Library {
    /// Starts the watcher and its task; `None` (logged) when the system
    /// cannot watch.
    pub(crate) fn start_watching(
        &self,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let watcher = notify::recommended_watcher(move |event| {
            let _ = tx.send(event);
        });
        let watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(error = %e, "cannot watch external libraries; they are updated only by scans");
                return None;
            }
        };
        if let Ok(mut state) = self.inner.watcher.lock() {
            *state = Some(WatchState {
                watcher,
                watched: BTreeSet::new(),
            });
        }
        let library = self.clone();
        Some(tokio::spawn(async move {
            library.rewatch().await;
            'watching: loop {
                let first = tokio::select! {
                    event = rx.recv() => match event {
                        Some(e) => e,
                        None => break,
                    },
                    _ = stop.changed() => break,
                };
                let mut changes = Changes::default();
                changes.add(first);
                let started = Instant::now();
                while started.elapsed() < MAX_GATHER {
                    tokio::select! {
                        next = tokio::time::timeout(QUIET, rx.recv()) => match next {
                            Ok(Some(event)) => changes.add(event),
                            Ok(None) | Err(_) => break,
                        },
                        _ = stop.changed() => break 'watching,
                    }
                }
                library.queue_watched_changes(&changes).await;
            }
            if let Ok(mut state) = library.inner.watcher.lock() {
                *state = None;
            }
        }))
    }

    async fn queue_watched_changes(&self, changes: &Changes) {
        let libraries = match self.db().list_libraries().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the libraries to scan what changed");
                return;
            }
        };
        for library in libraries {
            let paths = paths_for(&library.import_paths, &changes.paths);
            let scope = if changes.rescan_all || paths.len() > MAX_PATHS {
                None
            } else if paths.is_empty() {
                continue;
            } else {
                Some(
                    paths
                        .iter()
                        .map(|p| p.to_string_lossy().into_owned())
                        .collect(),
                )
            };
            tracing::debug!(library = %library.id, ?scope, "files changed in an external library");
            if let Err(e) = self.queue_library_scan(&library.id, scope).await {
                tracing::warn!(library = %library.id, error = %e, "cannot queue a scan of what changed");
            }
        }
    }

    /// Brings the watched folders in line with the libraries' import paths
    /// (a no-op when watching is off).
    pub(crate) async fn rewatch(&self) {
        let watching = self.inner.watcher.lock().is_ok_and(|s| s.is_some());
        if !watching {
            return;
        }
        let libraries = match self.db().list_libraries().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the libraries to watch");
                return;
            }
        };
        let wanted: BTreeSet<PathBuf> = libraries
            .iter()
            .flat_map(|l| l.import_paths.iter().map(PathBuf::from))
            .collect();
        let library = self.clone();
        // Adding a recursive watch walks the tree: blocking work.
        let done = tokio::task::spawn_blocking(move || {
            let Ok(mut guard) = library.inner.watcher.lock() else {
                return;
            };
            let Some(state) = guard.as_mut() else { return };
            let gone: Vec<PathBuf> = state.watched.difference(&wanted).cloned().collect();
            for path in gone {
                let _ = state.watcher.unwatch(&path);
                state.watched.remove(&path);
            }
            for path in wanted.difference(&state.watched.clone()) {
                if !Path::new(path).is_dir() {
                    tracing::debug!(path = %path.display(), "an import path is not there yet; it is watched after a scan finds it");
                    continue;
                }
                match state.watcher.watch(path, RecursiveMode::Recursive) {
                    Ok(()) => {
                        state.watched.insert(path.clone());
                        tracing::info!(path = %path.display(), "watching an external library's folder");
                    }
                    Err(e) => tracing::warn!(
                        path = %path.display(),
                        error = %e,
                        "cannot watch an import path; scans still find its changes (on Linux, raising fs.inotify.max_user_watches may help)"
                    ),
                }
            }
        })
        .await;
        if let Err(e) = done {
            tracing::error!(error = %e, "updating the library watches crashed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_paths_are_kept_per_library_without_those_inside_a_changed_folder() {
        let changed: BTreeSet<PathBuf> = [
            "/photos/2019",
            "/photos/2019/a.jpg",
            "/photos/2019/b/c.jpg",
            "/photos/2020/d.jpg",
            "/photos-other/e.jpg",
            "/elsewhere/f.jpg",
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(
            paths_for(&["/photos".into()], &changed),
            vec![
                PathBuf::from("/photos/2019"),
                PathBuf::from("/photos/2020/d.jpg")
            ]
        );
    }

    #[test]
    fn reads_are_not_changes_and_lost_events_mean_a_full_rescan() {
        let mut changes = Changes::default();
        changes.add(Ok(notify::Event::new(EventKind::Access(
            notify::event::AccessKind::Any,
        ))
        .add_path("/photos/a.jpg".into())));
        assert!(changes.paths.is_empty());
        changes.add(Ok(notify::Event::new(EventKind::Create(
            notify::event::CreateKind::File,
        ))
        .add_path("/photos/b.jpg".into())));
        assert_eq!(changes.paths.len(), 1);
        assert!(!changes.rescan_all);
        changes.add(Ok(
            notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan)
        ));
        assert!(changes.rescan_all);
    }
}
