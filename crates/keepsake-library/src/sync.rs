//! The mobile sync stream's logic: who may sync, which rows a session still
//! needs, in which order, and when only a reset is safe.
//!
//! A stream reads one database snapshot, phase by phase in the order the
//! phone's foreign keys need (users, own assets, other people's assets in the
//! user's albums, albums, album members, album contents, EXIF), each phase's
//! deletes before its upserts, a bounded page at a time. It ends with
//! `Complete`, or is only `Reset` when an incremental answer cannot be proven
//! complete: the session is flagged (it lost access to an album), or a delete
//! record it may not have seen was pruned since its last complete sync.
//! Checkpoints are per login session, never per user.

use std::collections::VecDeque;

use keepsake_core::Permission;
use keepsake_db::sync::{
    DeleteScope, Keyset, SyncAlbum, SyncAsset, SyncCheckpoint, SyncExif, SyncSnapshot, SyncUser,
};

use crate::{Caller, Credential, Library, LibraryError, Result};

/// The checkpoint (not a cursor the phone acks) holding the change id as of
/// which a session's mirror began: the snapshot of its first stream after a
/// fresh login or a reset. It goes with every other checkpoint on a reset.
const BASE_KEY: &str = "base";

/// Rows read per page: bytes flow at once and a page stays small in memory.
pub const SYNC_PAGE_SIZE: i64 = 500;

/// What a phone may ask for that Keepsake has data for (other requested
/// types are valid and simply empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SyncRequest {
    AuthUsers,
    Users,
    Assets,
    AlbumAssets,
    Albums,
    AlbumUsers,
    AlbumToAssets,
    AssetExifs,
    AlbumAssetExifs,
}

/// A cursor a session acknowledges: one per stream of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncCursor {
    AuthUser,
    User,
    UserDelete,
    Asset,
    AssetDelete,
    AlbumAsset,
    Album,
    AlbumDelete,
    AlbumUser,
    AlbumUserDelete,
    AlbumToAsset,
    AlbumToAssetDelete,
    AssetExif,
    AlbumAssetExif,
    Complete,
    /// Acknowledging a reset forgets every checkpoint of the session.
    Reset,
}

impl SyncCursor {
    pub const ALL: [SyncCursor; 16] = [
        SyncCursor::AuthUser,
        SyncCursor::User,
        SyncCursor::UserDelete,
        SyncCursor::Asset,
        SyncCursor::AssetDelete,
        SyncCursor::AlbumAsset,
        SyncCursor::Album,
        SyncCursor::AlbumDelete,
        SyncCursor::AlbumUser,
        SyncCursor::AlbumUserDelete,
        SyncCursor::AlbumToAsset,
        SyncCursor::AlbumToAssetDelete,
        SyncCursor::AssetExif,
        SyncCursor::AlbumAssetExif,
        SyncCursor::Complete,
        SyncCursor::Reset,
    ];

    /// The name checkpoints are stored under.
    pub fn key(self) -> &'static str {
        match self {
            SyncCursor::AuthUser => "auth_user",
            SyncCursor::User => "user",
            SyncCursor::UserDelete => "user_delete",
            SyncCursor::Asset => "asset",
            SyncCursor::AssetDelete => "asset_delete",
            SyncCursor::AlbumAsset => "album_asset",
            SyncCursor::Album => "album",
            SyncCursor::AlbumDelete => "album_delete",
            SyncCursor::AlbumUser => "album_user",
            SyncCursor::AlbumUserDelete => "album_user_delete",
            SyncCursor::AlbumToAsset => "album_to_asset",
            SyncCursor::AlbumToAssetDelete => "album_to_asset_delete",
            SyncCursor::AssetExif => "asset_exif",
            SyncCursor::AlbumAssetExif => "album_asset_exif",
            SyncCursor::Complete => "complete",
            SyncCursor::Reset => "reset",
        }
    }

    fn from_key(key: &str) -> Option<SyncCursor> {
        SyncCursor::ALL.into_iter().find(|c| c.key() == key)
    }

    /// Whether positions are `k|album id|other id` rather than one change id.
    fn is_keyset(self) -> bool {
        matches!(
            self,
            SyncCursor::AlbumAsset
                | SyncCursor::AlbumUser
                | SyncCursor::AlbumToAsset
                | SyncCursor::AlbumAssetExif
        )
    }

    /// Checks a position the phone sent back (it only echoes what we sent).
    fn validate(self, position: &str) -> Result<()> {
        let bad = || {
            LibraryError::Invalid(format!(
                "Invalid ack position {position:?}: send back the ack string exactly as the sync stream gave it"
            ))
        };
        match self {
            SyncCursor::Reset => Ok(()),
            c if c.is_keyset() => {
                let parts: Vec<&str> = position.split('|').collect();
                if parts.len() == 3 && parts[0].parse::<i64>().is_ok() {
                    Ok(())
                } else {
                    Err(bad())
                }
            }
            _ => position.parse::<i64>().map(|_| ()).map_err(|_| bad()),
        }
    }
}

/// One line of the stream: what to send, and the position that acknowledges it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncEvent {
    pub item: SyncItem,
    pub cursor: SyncCursor,
    pub position: String,
}

/// What a line carries.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncItem {
    AuthUser(SyncUser),
    User(SyncUser),
    UserDelete {
        user_id: String,
    },
    Asset(SyncAsset),
    AssetDelete {
        asset_id: String,
    },
    /// Another person's asset the user sees through an album.
    AlbumAsset(SyncAsset),
    Album(SyncAlbum),
    AlbumDelete {
        album_id: String,
    },
    AlbumUser {
        album_id: String,
        user_id: String,
        role: String,
    },
    AlbumUserDelete {
        album_id: String,
        user_id: String,
    },
    AlbumToAsset {
        album_id: String,
        asset_id: String,
    },
    AlbumToAssetDelete {
        album_id: String,
        asset_id: String,
    },
    AssetExif(SyncExif),
    AlbumAssetExif(SyncExif),
    Complete,
    Reset,
}

/// A running stream: call [`SyncStream::next_page`] until it returns `None`.
pub struct SyncStream {
    snapshot: Option<SyncSnapshot>,
    user_id: String,
    phases: VecDeque<SyncCursor>,
    /// Where the current phase has got to.
    position: Position,
    /// The snapshot's newest change id (the `Complete` position).
    now: i64,
    /// Only a reset line, then the end.
    reset: bool,
    /// The session's checkpoints when the stream started.
    checkpoints: Vec<SyncCheckpoint>,
}

#[derive(Debug, Clone)]
enum Position {
    Id(i64),
    Keyset(Keyset),
}

impl Library {
    /// Starts a sync stream for the caller's session. `reset` forgets the
    /// session's checkpoints first (a full sync).
    pub async fn sync_stream(
        &self,
        caller: &Caller,
        requests: &[SyncRequest],
        reset: bool,
    ) -> Result<SyncStream> {
        caller.require(Permission::parse("sync.stream").unwrap_or(Permission::ALL))?;
        let session = sync_session(caller)?;
        let db = self.db();
        if reset {
            db.delete_sync_checkpoints(session, None).await?;
        }
        let checkpoints = db.sync_checkpoints(session).await?;
        let mut snapshot = db.sync_snapshot().await?;
        let now = snapshot.latest_change_id().await?;
        let pending = snapshot
            .session_pending_reset(session)
            .await?
            .ok_or_else(|| LibraryError::Unauthorized("Invalid user token".into()))?;
        let stored = |key: &str| {
            checkpoints
                .iter()
                .find(|c| c.sync_type == key)
                .and_then(|c| c.ack.parse::<i64>().ok())
        };
        let started = checkpoints.iter().any(|c| c.sync_type != BASE_KEY);
        // Every row the phone holds was read in a snapshot at or after its
        // base, so only delete records newer than the later of its base and
        // its last complete sync can concern it; a pruned record older than
        // that was never its business. Measuring from the last complete sync
        // alone would answer a reset to every resumed first sync on a server
        // that has ever pruned: a phone that cannot read a large library in
        // one connection would then start over for ever.
        let seen = stored(SyncCursor::Complete.key())
            .unwrap_or(0)
            .max(stored(BASE_KEY).unwrap_or(0));
        let stale = started && seen < snapshot.prune_mark().await?;
        if !started {
            // The mirror starts from nothing here: remember where.
            db.set_sync_checkpoints(
                session,
                &[SyncCheckpoint {
                    sync_type: BASE_KEY.to_string(),
                    ack: now.to_string(),
                }],
            )
            .await?;
        }
        let mut requests = requests.to_vec();
        requests.sort();
        requests.dedup();
        let phases = requests
            .iter()
            .flat_map(|r| match r {
                SyncRequest::AuthUsers => vec![SyncCursor::AuthUser],
                SyncRequest::Users => vec![SyncCursor::UserDelete, SyncCursor::User],
                SyncRequest::Assets => vec![SyncCursor::AssetDelete, SyncCursor::Asset],
                SyncRequest::AlbumAssets => vec![SyncCursor::AlbumAsset],
                SyncRequest::Albums => vec![SyncCursor::AlbumDelete, SyncCursor::Album],
                SyncRequest::AlbumUsers => {
                    vec![SyncCursor::AlbumUserDelete, SyncCursor::AlbumUser]
                }
                SyncRequest::AlbumToAssets => {
                    vec![SyncCursor::AlbumToAssetDelete, SyncCursor::AlbumToAsset]
                }
                SyncRequest::AssetExifs => vec![SyncCursor::AssetExif],
                SyncRequest::AlbumAssetExifs => vec![SyncCursor::AlbumAssetExif],
            })
            .collect();
        let mut stream = SyncStream {
            snapshot: Some(snapshot),
            user_id: caller.user.id.clone(),
            phases,
            position: Position::Id(0),
            now,
            reset: pending || stale,
            checkpoints,
        };
        stream.start_phase();
        Ok(stream)
    }

    /// Stores the session's acknowledgements: `(cursor, position)` pairs as
    /// the stream gave them. Acknowledging `Reset` forgets every checkpoint
    /// and clears the session's pending reset.
    pub async fn sync_ack(&self, caller: &Caller, acks: &[(SyncCursor, String)]) -> Result<()> {
        caller.require(Permission::parse("syncCheckpoint.update").unwrap_or(Permission::ALL))?;
        let session = sync_session(caller)?;
        if acks.len() > 1000 {
            return Err(LibraryError::Invalid(
                "Too many acks: send at most 1000 per call".into(),
            ));
        }
        let mut store = Vec::new();
        for (cursor, position) in acks {
            cursor.validate(position)?;
            if *cursor == SyncCursor::Reset {
                self.db().finish_sync_reset(session).await?;
                store.clear();
                continue;
            }
            store.retain(|c: &SyncCheckpoint| c.sync_type != cursor.key());
            store.push(SyncCheckpoint {
                sync_type: cursor.key().to_string(),
                ack: position.clone(),
            });
        }
        self.db().set_sync_checkpoints(session, &store).await?;
        Ok(())
    }

    /// The session's checkpoints.
    pub async fn sync_checkpoints(&self, caller: &Caller) -> Result<Vec<(SyncCursor, String)>> {
        caller.require(Permission::parse("syncCheckpoint.read").unwrap_or(Permission::ALL))?;
        let session = sync_session(caller)?;
        Ok(self
            .db()
            .sync_checkpoints(session)
            .await?
            .into_iter()
            .filter_map(|c| SyncCursor::from_key(&c.sync_type).map(|k| (k, c.ack)))
            .collect())
    }

    /// Forgets the session's checkpoints of `cursors` (`None`: all), so those
    /// rows are sent again from the start.
    pub async fn sync_forget(&self, caller: &Caller, cursors: Option<&[SyncCursor]>) -> Result<()> {
        caller.require(Permission::parse("syncCheckpoint.delete").unwrap_or(Permission::ALL))?;
        let session = sync_session(caller)?;
        let keys: Option<Vec<String>> =
            cursors.map(|cs| cs.iter().map(|c| c.key().to_string()).collect());
        self.db()
            .delete_sync_checkpoints(session, keys.as_deref())
            .await?;
        Ok(())
    }
}

/// Sync is per login session: API keys and the local command have none.
fn sync_session(caller: &Caller) -> Result<&str> {
    match &caller.credential {
        Credential::Session { session_id } => Ok(session_id),
        _ => Err(LibraryError::Forbidden(
            "Sync endpoints cannot be used with API keys: log in with a password to get a session"
                .into(),
        )),
    }
}

impl SyncStream {
    /// Whether this stream is only a reset.
    pub fn is_reset(&self) -> bool {
        self.reset
    }

    /// Sets the position to the session's checkpoint for the current phase.
    fn start_phase(&mut self) {
        let Some(cursor) = self.phases.front().copied() else {
            return;
        };
        let stored = self
            .checkpoints
            .iter()
            .find(|c| c.sync_type == cursor.key())
            .map(|c| c.ack.as_str());
        self.position = if cursor.is_keyset() {
            let mut parts = stored.unwrap_or("0||").splitn(3, '|');
            Position::Keyset(Keyset {
                key: parts.next().and_then(|k| k.parse().ok()).unwrap_or(0),
                album_id: parts.next().unwrap_or("").to_string(),
                other_id: parts.next().unwrap_or("").to_string(),
            })
        } else {
            Position::Id(stored.and_then(|p| p.parse().ok()).unwrap_or(0))
        };
    }

    /// The next page of lines, or `None` at the end. A page is at most
    /// [`SYNC_PAGE_SIZE`] rows; an empty phase yields no lines.
    pub async fn next_page(&mut self) -> Result<Option<Vec<SyncEvent>>> {
        let Some(snapshot) = self.snapshot.as_mut() else {
            return Ok(None);
        };
        if self.reset {
            self.finish().await?;
            return Ok(Some(vec![SyncEvent {
                item: SyncItem::Reset,
                cursor: SyncCursor::Reset,
                position: "reset".into(),
            }]));
        }
        let Some(cursor) = self.phases.front().copied() else {
            self.finish().await?;
            return Ok(Some(vec![SyncEvent {
                item: SyncItem::Complete,
                cursor: SyncCursor::Complete,
                position: self.now.to_string(),
            }]));
        };
        let user = self.user_id.as_str();
        let limit = SYNC_PAGE_SIZE;
        let id_after = match &self.position {
            Position::Id(id) => *id,
            Position::Keyset(k) => k.key,
        };
        let keyset_after = match &self.position {
            Position::Keyset(k) => k.clone(),
            Position::Id(_) => Keyset::default(),
        };
        let id_event = |item: SyncItem, change_id: i64| SyncEvent {
            item,
            cursor,
            position: change_id.to_string(),
        };
        let keyset_event = |item: SyncItem, k: &Keyset| SyncEvent {
            item,
            cursor,
            position: format!("{}|{}|{}", k.key, k.album_id, k.other_id),
        };
        let events: Vec<SyncEvent> = match cursor {
            SyncCursor::AuthUser => snapshot
                .users(Some(user), id_after, limit)
                .await?
                .into_iter()
                .map(|u| {
                    let id = u.change_id;
                    id_event(SyncItem::AuthUser(u), id)
                })
                .collect(),
            SyncCursor::User => snapshot
                .users(None, id_after, limit)
                .await?
                .into_iter()
                .map(|u| {
                    let id = u.change_id;
                    id_event(SyncItem::User(u), id)
                })
                .collect(),
            SyncCursor::Asset => snapshot
                .own_assets(user, id_after, limit)
                .await?
                .into_iter()
                .map(|a| {
                    let id = a.change_id;
                    id_event(SyncItem::Asset(a), id)
                })
                .collect(),
            SyncCursor::AlbumAsset => snapshot
                .album_assets(user, &keyset_after, limit)
                .await?
                .into_iter()
                .map(|(k, a)| keyset_event(SyncItem::AlbumAsset(a), &k))
                .collect(),
            SyncCursor::Album => snapshot
                .albums(user, id_after, limit)
                .await?
                .into_iter()
                .map(|a| {
                    let id = a.key;
                    id_event(SyncItem::Album(a), id)
                })
                .collect(),
            SyncCursor::AlbumUser => snapshot
                .album_users(user, &keyset_after, limit)
                .await?
                .into_iter()
                .map(|(k, user_id, role)| {
                    let item = SyncItem::AlbumUser {
                        album_id: k.album_id.clone(),
                        user_id,
                        role,
                    };
                    keyset_event(item, &k)
                })
                .collect(),
            SyncCursor::AlbumToAsset => snapshot
                .album_to_assets(user, &keyset_after, limit)
                .await?
                .into_iter()
                .map(|k| {
                    let item = SyncItem::AlbumToAsset {
                        album_id: k.album_id.clone(),
                        asset_id: k.other_id.clone(),
                    };
                    keyset_event(item, &k)
                })
                .collect(),
            SyncCursor::AssetExif => snapshot
                .own_exif(user, id_after, limit)
                .await?
                .into_iter()
                .map(|e| {
                    let id = e.change_id;
                    id_event(SyncItem::AssetExif(e), id)
                })
                .collect(),
            SyncCursor::AlbumAssetExif => snapshot
                .album_asset_exif(user, &keyset_after, limit)
                .await?
                .into_iter()
                .map(|(k, e)| keyset_event(SyncItem::AlbumAssetExif(e), &k))
                .collect(),
            SyncCursor::UserDelete
            | SyncCursor::AssetDelete
            | SyncCursor::AlbumDelete
            | SyncCursor::AlbumUserDelete
            | SyncCursor::AlbumToAssetDelete => {
                let scope = match cursor {
                    SyncCursor::UserDelete => DeleteScope::Users,
                    SyncCursor::AssetDelete => DeleteScope::OwnAssets,
                    SyncCursor::AlbumDelete => DeleteScope::Albums,
                    SyncCursor::AlbumUserDelete => DeleteScope::AlbumUsers,
                    _ => DeleteScope::AlbumAssets,
                };
                snapshot
                    .deletes(scope, user, id_after, limit)
                    .await?
                    .into_iter()
                    .map(|d| {
                        let id2 = d.id2.unwrap_or_default();
                        let item = match cursor {
                            SyncCursor::UserDelete => SyncItem::UserDelete { user_id: d.id1 },
                            SyncCursor::AssetDelete => SyncItem::AssetDelete { asset_id: d.id1 },
                            SyncCursor::AlbumDelete => SyncItem::AlbumDelete { album_id: d.id1 },
                            SyncCursor::AlbumUserDelete => SyncItem::AlbumUserDelete {
                                album_id: d.id1,
                                user_id: id2,
                            },
                            _ => SyncItem::AlbumToAssetDelete {
                                album_id: d.id1,
                                asset_id: id2,
                            },
                        };
                        id_event(item, d.change_id)
                    })
                    .collect()
            }
            SyncCursor::Complete | SyncCursor::Reset => Vec::new(),
        };
        if (events.len() as i64) < limit {
            // The phase is done within this snapshot: on to the next one.
            self.phases.pop_front();
            self.start_phase();
        } else if let Some(last) = events.last() {
            self.position = if cursor.is_keyset() {
                let mut parts = last.position.splitn(3, '|');
                Position::Keyset(Keyset {
                    key: parts.next().and_then(|k| k.parse().ok()).unwrap_or(0),
                    album_id: parts.next().unwrap_or("").to_string(),
                    other_id: parts.next().unwrap_or("").to_string(),
                })
            } else {
                Position::Id(last.position.parse().unwrap_or(0))
            };
        }
        Ok(Some(events))
    }

    async fn finish(&mut self) -> Result<()> {
        if let Some(snapshot) = self.snapshot.take() {
            snapshot.finish().await?;
        }
        Ok(())
    }
}
