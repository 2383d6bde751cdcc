//! Domain events for live updates: what changed, told to whoever listens
//! (the HTTP layer's socket connections), without knowing how it is shown.
//!
//! Events are sent on a `tokio::sync::broadcast` channel owned by the
//! [`Library`]. Sending never blocks and never fails the operation that sent
//! it: with no listener the event is simply dropped, and a listener that
//! falls behind loses the oldest events (it sees `Lagged`), which is safe
//! because every event only hints at something the sync stream also carries.

use keepsake_db::sync::{SyncAsset, SyncExif};

use crate::{Caller, Credential, Library, Result};

/// Events buffered per listener before the slowest one starts losing them.
pub(crate) const EVENT_CAPACITY: usize = 1024;

/// Something that happened in the library that connected clients may want now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LibraryEvent {
    /// An asset's thumbnails exist (timeline and archive assets only).
    AssetReady { owner_id: String, asset_id: String },
    /// An album's content or settings changed; `user_ids` are its members.
    AlbumUpdated {
        album_id: String,
        user_ids: Vec<String>,
    },
    /// Login sessions of `user_id` ended (logout, revocation, a password
    /// change that signs out elsewhere): their live-update connections
    /// close, as their cookie no longer opens anything else either.
    SessionsEnded {
        user_id: String,
        ended: EndedSessions,
    },
}

impl LibraryEvent {
    /// Whether this event ends the login session `caller` is signed in with
    /// (never one signed in with an API key, which stays valid).
    pub fn ends_session_of(&self, caller: &Caller) -> bool {
        match (self, &caller.credential) {
            (
                LibraryEvent::SessionsEnded {
                    user_id,
                    ended: EndedSessions::UserDeleted,
                },
                _,
            ) => *user_id == caller.user_id(),
            (
                LibraryEvent::SessionsEnded { user_id, ended },
                Credential::Session { session_id },
            ) => *user_id == caller.user_id() && ended.includes(session_id),
            _ => false,
        }
    }
}

/// Which of a user's sessions a [`LibraryEvent::SessionsEnded`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndedSessions {
    One(String),
    /// Every session but this one (`None`: every session).
    AllBut(Option<String>),
    /// The user was deleted: every connection of theirs ends, API keys' too.
    UserDeleted,
}

impl EndedSessions {
    /// Whether `session_id` is among the ended ones.
    pub fn includes(&self, session_id: &str) -> bool {
        match self {
            EndedSessions::One(id) => id == session_id,
            EndedSessions::AllBut(kept) => kept.as_deref() != Some(session_id),
            EndedSessions::UserDeleted => true,
        }
    }
}

impl Library {
    /// A receiver of every event sent from now on.
    pub fn subscribe_events(&self) -> tokio::sync::broadcast::Receiver<LibraryEvent> {
        self.inner.events.subscribe()
    }

    /// Sends an event to whoever listens now (nobody listening is fine).
    pub(crate) fn emit(&self, event: LibraryEvent) {
        let _ = self.inner.events.send(event);
    }

    /// Tells live-update connections that sessions of `user_id` ended.
    pub(crate) fn emit_sessions_ended(&self, user_id: &str, ended: EndedSessions) {
        self.emit(LibraryEvent::SessionsEnded {
            user_id: user_id.to_string(),
            ended,
        });
    }

    /// Tells an album's members that it changed.
    pub(crate) async fn emit_album_updated(&self, album_id: &str) {
        match self.db().album_members(album_id).await {
            Ok(members) => self.emit(LibraryEvent::AlbumUpdated {
                album_id: album_id.to_string(),
                user_ids: members.into_iter().map(|m| m.user_id).collect(),
            }),
            Err(e) => tracing::warn!(album_id, "cannot list album members for a live update: {e}"),
        }
    }

    /// An asset and its EXIF row as the sync stream sends them, for its owner
    /// only (`None` when the asset is gone or belongs to someone else).
    pub async fn live_asset(
        &self,
        caller: &Caller,
        asset_id: &str,
    ) -> Result<Option<(SyncAsset, Option<SyncExif>)>> {
        let found = self.db().sync_asset_with_exif(asset_id).await?;
        Ok(found.filter(|(asset, _)| asset.owner_id == caller.user_id()))
    }
}
