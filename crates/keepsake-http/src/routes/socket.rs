//! `/api/socket.io/`: live updates for the mobile app, as the Socket.IO v5
//! protocol over an Engine.IO v4 websocket (the app's only transport).
//!
//! A connection is authenticated at the upgrade exactly like any request
//! (cookie, bearer, `x-immich-user-token`, API key); without credentials the
//! upgrade is refused with `401`. Then: the server sends the open packet
//! `0{"sid",…}`, the client joins the main namespace with `40` and gets
//! `40{"sid"}`, the server pings (`2`) every interval and closes the socket
//! when no pong (`3`) comes within the timeout. The library's events become
//! `42["AssetUploadReadyV2",{asset,exif}]` (to the asset's owner) and
//! `42["on_album_update","<album id>"]` (to the album's members). When the
//! connection's login session ends (logout, revocation, a password change
//! that signs out other devices) it gets `41` and is closed. Polling, which
//! the app never uses, is answered `400`.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use keepsake_library::{Caller, LibraryEvent};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::sync::{AssetExifV1, AssetV2};
use crate::auth::{Auth, query_param};
use crate::{ApiError, AppState};

/// Largest message Engine.IO lets a peer send, as the open packet announces.
const MAX_PAYLOAD: usize = 1_000_000;

/// The handshake: checks the protocol, authenticates, then upgrades.
pub async fn connect(
    State(state): State<AppState>,
    uri: Uri,
    auth: Result<Auth, ApiError>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let query = uri.query().unwrap_or("");
    if query_param(query, "EIO").as_deref() != Some("4") {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "Unsupported protocol version: connect with Engine.IO v4 (EIO=4)",
        )
        .into_response();
    }
    if query_param(query, "transport").as_deref() != Some("websocket") {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "Only the websocket transport is offered: connect with transport=websocket",
        )
        .into_response();
    }
    let caller = match auth {
        Ok(Auth(caller)) => caller,
        Err(e) => return e.into_response(),
    };
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(_) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "Expected a websocket upgrade (GET with Connection: Upgrade)",
            )
            .into_response();
        }
    };
    let timing = Heartbeat {
        interval: state.library.config().live_ping_interval,
        timeout: state.library.config().live_ping_timeout,
    };
    upgrade
        .max_message_size(MAX_PAYLOAD)
        .on_upgrade(move |socket| run(socket, state, caller, timing))
}

#[derive(Clone, Copy)]
struct Heartbeat {
    interval: Duration,
    timeout: Duration,
}

/// Where the heartbeat stands: waiting to ping, or waiting for the pong.
enum Beat {
    PingAt(Instant),
    PongBy(Instant),
}

/// One connection, until either side closes it or a pong is missed.
async fn run(mut socket: WebSocket, state: AppState, caller: Caller, timing: Heartbeat) {
    let mut events = state.library.subscribe_events();
    let open = json!({
        "sid": keepsake_library::db::new_id(),
        "upgrades": [],
        "pingInterval": timing.interval.as_millis() as u64,
        "pingTimeout": timing.timeout.as_millis() as u64,
        "maxPayload": MAX_PAYLOAD,
    });
    if send(&mut socket, format!("0{open}")).await.is_err() {
        return;
    }
    let mut joined = false;
    let mut beat = Beat::PingAt(Instant::now() + timing.interval);
    loop {
        let due = match beat {
            Beat::PingAt(t) | Beat::PongBy(t) => t,
        };
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                match text.as_str() {
                    "3" => beat = Beat::PingAt(Instant::now() + timing.interval),
                    "2" => if send(&mut socket, "3".into()).await.is_err() { return },
                    "1" => return,
                    packet => match namespace_packet(packet) {
                        Reply::Join(answer) => {
                            joined = true;
                            if send(&mut socket, answer).await.is_err() { return }
                        }
                        Reply::Refuse(answer) => if send(&mut socket, answer).await.is_err() { return },
                        Reply::Leave => joined = false,
                        Reply::Nothing => {}
                    },
                }
            }
            event = events.recv() => {
                let event = match event {
                    Ok(event) => event,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, user = caller.user_id(), "a live-update connection fell behind; the next sync brings what it missed");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                if matches!(event, LibraryEvent::SessionsEnded { .. }) {
                    if event.ends_session_of(&caller) {
                        // Socket.IO's server-side disconnect: the app's client
                        // does not reconnect by itself after it (its cookie
                        // would be refused now anyway), then the close.
                        if joined {
                            let _ = send(&mut socket, "41".into()).await;
                        }
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                    continue;
                }
                if !joined {
                    continue;
                }
                if let Some(frame) = frame_for(&state, &caller, event).await
                    && send(&mut socket, frame).await.is_err()
                {
                    return;
                }
            }
            () = tokio::time::sleep_until(due) => match beat {
                Beat::PingAt(_) => {
                    if send(&mut socket, "2".into()).await.is_err() { return }
                    beat = Beat::PongBy(Instant::now() + timing.timeout);
                }
                Beat::PongBy(_) => {
                    tracing::debug!(user = caller.user_id(), "no pong within the ping timeout; closing the live-update connection");
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            },
        }
    }
}

/// What to do with a Socket.IO packet from the client.
enum Reply {
    Join(String),
    Refuse(String),
    Leave,
    Nothing,
}

/// Socket.IO packets inside Engine.IO message packets (`4…`): only the main
/// namespace exists; client events and acks are ignored.
fn namespace_packet(packet: &str) -> Reply {
    let Some(rest) = packet.strip_prefix('4') else {
        return Reply::Nothing;
    };
    let (kind, body) = rest.split_at(rest.len().min(1));
    let namespace = body
        .strip_prefix('/')
        .map(|b| b.split_once(',').map_or(b, |(n, _)| n))
        .map(|n| format!("/{n}"));
    match (kind, namespace.as_deref()) {
        ("0", None | Some("/")) => {
            let sid = keepsake_library::db::new_id();
            Reply::Join(format!("40{}", json!({ "sid": sid })))
        }
        ("0", Some(other)) => Reply::Refuse(format!(
            "44{other},{}",
            json!({ "message": "Invalid namespace" })
        )),
        ("1", None | Some("/")) => Reply::Leave,
        _ => Reply::Nothing,
    }
}

/// The wire frame an event becomes for this connection's user, if any.
async fn frame_for(state: &AppState, caller: &Caller, event: LibraryEvent) -> Option<String> {
    let (name, payload) = match event {
        LibraryEvent::AssetReady { owner_id, asset_id } => {
            if owner_id != caller.user_id() {
                return None;
            }
            let (asset, exif) = match state.library.live_asset(caller, &asset_id).await {
                Ok(Some(found)) => found,
                Ok(None) => return None,
                Err(e) => {
                    tracing::warn!(asset_id, "cannot read an asset for a live update: {e}");
                    return None;
                }
            };
            let exif = exif
                .as_ref()
                .map(AssetExifV1::from)
                .unwrap_or_else(|| AssetExifV1 {
                    asset_id: asset_id.clone(),
                    ..AssetExifV1::default()
                });
            let payload = json!({ "asset": AssetV2::from(&asset), "exif": exif });
            ("AssetUploadReadyV2", payload)
        }
        LibraryEvent::AlbumUpdated { album_id, user_ids } => {
            if !user_ids.iter().any(|u| u == caller.user_id()) {
                return None;
            }
            ("on_album_update", Value::String(album_id))
        }
        LibraryEvent::SessionsEnded { .. } => return None,
    };
    Some(format!("42{}", json!([name, payload])))
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), axum::Error> {
    socket.send(Message::Text(text.into())).await
}
