//! The sync stream's queries (`keepsake_db::sync`) on both engines:
//! checkpoints per session, the reset flag the schema raises when someone
//! loses an album, the prune mark, and bounded keyset pages.

use keepsake_db::auth::DeviceInfo;
use keepsake_db::sync::{DeleteScope, Keyset, SyncCheckpoint};
use keepsake_db::{Db, testing};

use super::{created, new_asset, new_user};

async fn user(db: &Db, email: &str) -> String {
    db.insert_user(&new_user(email, false), false)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn session(db: &Db, user_id: &str, token: u8) -> String {
    let device = DeviceInfo {
        device_type: "iOS".into(),
        device_os: "iOS".into(),
        app_version: "3.1.0".into(),
    };
    db.insert_session(user_id, &[token; 32], &device)
        .await
        .unwrap()
        .id
}

async fn pending(db: &Db, session_id: &str) -> bool {
    let mut snap = db.sync_snapshot().await.unwrap();
    let p = snap
        .session_pending_reset(session_id)
        .await
        .unwrap()
        .unwrap();
    snap.finish().await.unwrap();
    p
}

fn cp(t: &str, ack: &str) -> SyncCheckpoint {
    SyncCheckpoint {
        sync_type: t.into(),
        ack: ack.into(),
    }
}

on_each_engine!(
    sync_checkpoints_are_per_session_and_a_reset_clears_them,
    |db| {
        let alice = user(&db, "alice@example.com").await;
        let s1 = session(&db, &alice, 1).await;
        let s2 = session(&db, &alice, 2).await;
        db.set_sync_checkpoints(&s1, &[cp("asset", "5"), cp("user", "3")])
            .await
            .unwrap();
        db.set_sync_checkpoints(&s1, &[cp("asset", "9")])
            .await
            .unwrap();
        assert_eq!(
            db.sync_checkpoints(&s1).await.unwrap(),
            vec![cp("asset", "9"), cp("user", "3")]
        );
        assert!(db.sync_checkpoints(&s2).await.unwrap().is_empty());
        db.delete_sync_checkpoints(&s1, Some(&["user".to_string()]))
            .await
            .unwrap();
        assert_eq!(
            db.sync_checkpoints(&s1).await.unwrap(),
            vec![cp("asset", "9")]
        );
        assert_eq!(db.flag_sync_reset(&alice).await.unwrap(), 2);
        assert!(pending(&db, &s1).await && pending(&db, &s2).await);
        db.finish_sync_reset(&s1).await.unwrap();
        assert!(!pending(&db, &s1).await, "the acked session is clear");
        assert!(pending(&db, &s2).await, "the other one is still flagged");
        assert!(db.sync_checkpoints(&s1).await.unwrap().is_empty());
    }
);

on_each_engine!(
    losing_an_album_flags_a_reset_but_its_deletion_does_not,
    |db| {
        let alice = user(&db, "alice@example.com").await;
        let bob = user(&db, "bob@example.com").await;
        let bob_session = session(&db, &bob, 3).await;
        let members = [(bob.clone(), "viewer".to_string())];
        let kept = db
            .create_album(&alice, "Kept", "", "desc", &members, &[])
            .await
            .unwrap();
        let gone = db
            .create_album(&alice, "Gone", "", "desc", &members, &[])
            .await
            .unwrap();
        db.delete_album(&gone).await.unwrap();
        assert!(
            !pending(&db, &bob_session).await,
            "a deleted album is a delete, not a reset"
        );
        let mut snap = db.sync_snapshot().await.unwrap();
        let albums = snap
            .deletes(DeleteScope::Albums, &bob, 0, 10)
            .await
            .unwrap();
        assert_eq!(albums.len(), 1);
        assert_eq!(albums[0].id1, gone);
        let others = snap
            .deletes(DeleteScope::Albums, "nobody", 0, 10)
            .await
            .unwrap();
        assert!(others.is_empty(), "only former members hear of it");
        snap.finish().await.unwrap();
        assert!(db.remove_album_user(&kept, &bob).await.unwrap());
        assert!(pending(&db, &bob_session).await, "losing access resets");
    }
);

on_each_engine!(pruning_delete_records_raises_the_prune_mark, |db| {
    let alice = user(&db, "alice@example.com").await;
    assert_eq!(db.change_prune_mark().await.unwrap(), 0);
    let id = created(&db, &new_asset(&alice, 1, "a.jpg", 1)).await;
    db.delete_assets(std::slice::from_ref(&id)).await.unwrap();
    let deleted = db.deletes_since("asset", 0, 10).await.unwrap();
    assert_eq!(deleted.len(), 1);
    db.prune_deletes(i64::MAX).await.unwrap();
    assert!(db.change_prune_mark().await.unwrap() >= deleted[0].change_id);
});

on_each_engine!(sync_pages_are_bounded_and_follow_change_ids, |db| {
    let alice = user(&db, "alice@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let mut ids = Vec::new();
    for i in 0..5u8 {
        ids.push(created(&db, &new_asset(&alice, i, "a.jpg", 1)).await);
    }
    created(&db, &new_asset(&bob, 9, "b.jpg", 1)).await;
    let mut snap = db.sync_snapshot().await.unwrap();
    let page1 = snap.own_assets(&alice, 0, 2).await.unwrap();
    let page2 = snap
        .own_assets(&alice, page1[1].change_id, 2)
        .await
        .unwrap();
    let page3 = snap
        .own_assets(&alice, page2[1].change_id, 2)
        .await
        .unwrap();
    let seen: Vec<String> = page1
        .iter()
        .chain(&page2)
        .chain(&page3)
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(
        seen, ids,
        "every own asset once, in change order, none of Bob's"
    );
    // Album membership rows page by (k, album, id) without losing ties.
    snap.finish().await.unwrap();
    let members = [(bob.clone(), "editor".to_string())];
    let album = db
        .create_album(&alice, "Trip", "", "desc", &members, &ids)
        .await
        .unwrap();
    let mut snap = db.sync_snapshot().await.unwrap();
    let mut after = Keyset::default();
    let mut got = Vec::new();
    loop {
        let page = snap.album_assets(&bob, &after, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().unwrap().0.clone();
        got.extend(page.into_iter().map(|(k, a)| {
            assert_eq!(k.album_id, album);
            a.id
        }));
    }
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want, "Bob sees Alice's album assets exactly once each");
    assert!(
        snap.album_assets(&alice, &Keyset::default(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    snap.finish().await.unwrap();
});
