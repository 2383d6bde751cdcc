//! The storage contract: one suite, run against a real SQLite file and a real
//! PostgreSQL database (when `KEEPSAKE_TEST_POSTGRES_URL` is set). Every
//! behaviour the library relies on from `Db` is pinned here for both engines.

use keepsake_db::albums::{AddOutcome, AlbumFilter};
use keepsake_db::assets::{AssetChanges, AssetFilter, InsertOutcome};
use keepsake_db::changes::ChangeTable;
use keepsake_db::jobs::NewJob;
use keepsake_db::users::NewUser;
use keepsake_db::{Db, NewAsset, testing};

/// Runs `body` once per available engine, each on a fresh database.
macro_rules! on_each_engine {
    ($name:ident, |$db:ident| $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for engine in testing::engines() {
                let dir = tempfile::tempdir().unwrap();
                let target = testing::fresh_database(engine, dir.path()).await;
                let $db = Db::connect(&target).await.unwrap();
                assert_eq!($db.engine(), engine);
                $body
                $db.close().await;
            }
        }
    };
}

fn new_user(email: &str, admin: bool) -> NewUser {
    NewUser {
        email: email.into(),
        name: email.split('@').next().unwrap().into(),
        password_hash: "x".into(),
        is_admin: admin,
        should_change_password: false,
        storage_label: None,
        quota_size_bytes: None,
    }
}

fn new_asset(owner: &str, checksum: u8, name: &str, taken: i64) -> NewAsset {
    NewAsset {
        id: keepsake_db::new_id(),
        owner_id: owner.into(),
        asset_type: "IMAGE".into(),
        original_path: format!("library/{owner}/{}-{name}", keepsake_db::new_id()),
        original_file_name: name.into(),
        sidecar_path: None,
        checksum: vec![checksum; 20],
        file_size: 100,
        file_created_at: taken,
        file_modified_at: taken,
        local_date_time: taken,
        is_favorite: false,
        visibility: "timeline".into(),
        duration_ms: None,
        live_photo_video_id: None,
        library_id: None,
    }
}

async fn created(db: &Db, asset: &NewAsset) -> String {
    match db.insert_asset(asset, &[]).await.unwrap() {
        InsertOutcome::Created(id) => id,
        other => panic!("expected a new asset, got {other:?}"),
    }
}

on_each_engine!(
    migrations_run_once_and_running_them_again_is_harmless,
    |db| {
        db.migrate().await.unwrap();
        use sqlx::Row;
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM keepsake_migrations")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get("n");
        assert_eq!(n, keepsake_db::migration_count() as i64);
        assert_eq!(db.latest_change_id().await.unwrap(), 0);
    }
);

on_each_engine!(
    only_one_admin_can_sign_up_and_emails_are_unique_ignoring_case,
    |db| {
        let admin = db
            .insert_user(&new_user("admin@example.com", true), true)
            .await
            .unwrap();
        assert!(admin.is_some());
        let second = db
            .insert_user(&new_user("other@example.com", true), true)
            .await
            .unwrap();
        assert!(second.is_none(), "a second admin sign-up must be refused");
        let err = db
            .insert_user(&new_user("ADMIN@example.com", false), false)
            .await
            .unwrap_err();
        assert!(err.is_unique_violation());
        assert_eq!(
            db.user_by_email("Admin@Example.com")
                .await
                .unwrap()
                .unwrap()
                .id,
            admin.unwrap().id
        );
        assert_eq!(db.count_admins().await.unwrap(), 1);
    }
);

on_each_engine!(
    same_checksum_for_one_owner_is_a_duplicate_but_not_across_owners,
    |db| {
        let a = db
            .insert_user(&new_user("a@x", true), false)
            .await
            .unwrap()
            .unwrap();
        let b = db
            .insert_user(&new_user("b@x", false), false)
            .await
            .unwrap()
            .unwrap();
        let first = created(&db, &new_asset(&a.id, 1, "one.jpg", 0)).await;
        let again = db
            .insert_asset(&new_asset(&a.id, 1, "copy.jpg", 0), &[])
            .await
            .unwrap();
        assert_eq!(again, InsertOutcome::Duplicate(first.clone()));
        created(&db, &new_asset(&b.id, 1, "one.jpg", 0)).await;
        let found = db
            .assets_by_checksums(&a.id, &[vec![1; 20], vec![9; 20]])
            .await
            .unwrap();
        assert_eq!(found, vec![(vec![1; 20], first.clone(), false)]);
        db.trash_assets(std::slice::from_ref(&first)).await.unwrap();
        let found = db.assets_by_checksums(&a.id, &[vec![1; 20]]).await.unwrap();
        assert!(found[0].2, "a trashed duplicate is reported as trashed");
    }
);

on_each_engine!(
    concurrent_inserts_of_the_same_bytes_create_exactly_one_asset,
    |db| {
        let a = db
            .insert_user(&new_user("a@x", true), false)
            .await
            .unwrap()
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let db = db.clone();
            let asset = new_asset(&a.id, 7, &format!("same{i}.jpg"), 0);
            tasks.push(tokio::spawn(async move {
                db.insert_asset(&asset, &[]).await.unwrap()
            }));
        }
        let mut created_n = 0;
        let mut ids = std::collections::HashSet::new();
        for t in tasks {
            match t.await.unwrap() {
                InsertOutcome::Created(id) => {
                    created_n += 1;
                    ids.insert(id);
                }
                InsertOutcome::Duplicate(id) => {
                    ids.insert(id);
                }
            }
        }
        assert_eq!(created_n, 1);
        assert_eq!(
            ids.len(),
            1,
            "every duplicate names the one asset that was created"
        );
    }
);

on_each_engine!(
    every_write_to_a_synced_row_takes_a_new_change_id_and_deletes_are_recorded,
    |db| {
        let a = db
            .insert_user(&new_user("a@x", true), false)
            .await
            .unwrap()
            .unwrap();
        let user_change = db
            .row_change_id(ChangeTable::Users, &a.id)
            .await
            .unwrap()
            .unwrap();
        assert!(user_change > 0);
        let id = created(&db, &new_asset(&a.id, 1, "one.jpg", 0)).await;
        let c1 = db
            .row_change_id(ChangeTable::Assets, &id)
            .await
            .unwrap()
            .unwrap();
        let e1 = db
            .row_change_id(ChangeTable::AssetExif, &id)
            .await
            .unwrap()
            .unwrap();
        assert!(c1 > user_change && e1 > c1);
        db.update_assets(
            std::slice::from_ref(&id),
            &AssetChanges {
                is_favorite: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let c2 = db
            .row_change_id(ChangeTable::Assets, &id)
            .await
            .unwrap()
            .unwrap();
        assert!(c2 > e1, "an update moves the row past every earlier change");
        db.update_assets(
            std::slice::from_ref(&id),
            &AssetChanges {
                description: Some("hi".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            db.row_change_id(ChangeTable::AssetExif, &id)
                .await
                .unwrap()
                .unwrap()
                > c2
        );
        let album = db
            .create_album(&a.id, "Trip", "", "desc", &[], std::slice::from_ref(&id))
            .await
            .unwrap();
        let before_delete = db.latest_change_id().await.unwrap();
        db.delete_assets(std::slice::from_ref(&id)).await.unwrap();
        let asset_deletes = db.deletes_since("asset", before_delete, 100).await.unwrap();
        assert_eq!(asset_deletes.len(), 1);
        assert_eq!(asset_deletes[0].id1, id);
        assert_eq!(asset_deletes[0].user_id.as_deref(), Some(a.id.as_str()));
        let album_asset_deletes = db
            .deletes_since("album_asset", before_delete, 100)
            .await
            .unwrap();
        assert_eq!(album_asset_deletes.len(), 1, "the cascade is recorded too");
        assert_eq!(album_asset_deletes[0].id1, album);
        assert_eq!(album_asset_deletes[0].id2.as_deref(), Some(id.as_str()));
        assert!(
            db.deletes_since("asset", asset_deletes[0].change_id, 100)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(db.prune_deletes(keepsake_db::now_ms() + 1).await.unwrap() >= 2);
    }
);

on_each_engine!(trash_restore_and_hard_delete_queue_file_removal, |db| {
    let a = db
        .insert_user(&new_user("a@x", true), false)
        .await
        .unwrap()
        .unwrap();
    let id = created(&db, &new_asset(&a.id, 1, "one.jpg", 0)).await;
    assert_eq!(db.trash_assets(std::slice::from_ref(&id)).await.unwrap(), 1);
    assert_eq!(db.trashed_asset_ids(&a.id).await.unwrap(), vec![id.clone()]);
    assert_eq!(db.restore_assets(&a.id, None).await.unwrap(), 1);
    assert!(
        db.asset_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .deleted_at
            .is_none()
    );
    let removed = db.delete_assets(std::slice::from_ref(&id)).await.unwrap();
    assert_eq!(removed.len(), 1);
    assert!(db.asset_by_id(&id).await.unwrap().is_none());
    let job = db
        .claim_job(&["backgroundTask".into()], "w1", 10_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.kind, "FileDelete");
    assert!(job.payload.contains(&removed[0].paths[0]));
});

on_each_engine!(jobs_are_leased_retried_fenced_and_paused, |db| {
    let queues = vec!["q".to_string()];
    db.enqueue(&NewJob::new("q", "k", "{}").unique("once"))
        .await
        .unwrap();
    db.enqueue(&NewJob::new("q", "k", "{}").unique("once"))
        .await
        .unwrap();
    let job = db.claim_job(&queues, "w1", 60_000).await.unwrap().unwrap();
    assert!(
        db.claim_job(&queues, "w2", 10_000).await.unwrap().is_none(),
        "a unique key enqueues once"
    );
    // Simulate w1 dying: its lease is set to have run out already.
    assert!(db.heartbeat_job(job.id, "w1", -1).await.unwrap());
    // w2 takes the job over, and w1 can no longer finish it.
    let again = db.claim_job(&queues, "w2", 10_000).await.unwrap().unwrap();
    assert_eq!(again.id, job.id);
    assert_eq!(again.attempts, 2);
    assert!(!db.complete_job(job.id, "w1").await.unwrap());
    assert!(!db.heartbeat_job(job.id, "w1", 10_000).await.unwrap());
    db.fail_job(job.id, "w2", "boom", Some(0)).await.unwrap();
    let third = db.claim_job(&queues, "w3", 10_000).await.unwrap().unwrap();
    assert_eq!(third.last_error.as_deref(), Some("boom"));
    db.fail_job(job.id, "w3", "corrupt file", None)
        .await
        .unwrap();
    let failed = db.list_jobs("q", &["failed"], 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("corrupt file"));
    db.set_queue_paused("q", true).await.unwrap();
    assert_eq!(db.retry_failed_jobs("q").await.unwrap(), 1);
    assert!(
        db.claim_job(&queues, "w4", 10_000).await.unwrap().is_none(),
        "a paused queue hands out nothing"
    );
    let counts = db.queue_counts().await.unwrap();
    assert_eq!(counts.len(), 1);
    assert!(counts[0].is_paused);
    assert_eq!(counts[0].waiting, 1);
    db.set_queue_paused("q", false).await.unwrap();
    let j = db.claim_job(&queues, "w4", 10_000).await.unwrap().unwrap();
    assert!(db.complete_job(j.id, "w4").await.unwrap());
    assert_eq!(db.queue_counts().await.unwrap()[0].completed, 1);
});

on_each_engine!(pruning_forgets_finished_jobs_before_the_cutoff_only, |db| {
    let queues = vec!["q".to_string()];
    for key in ["a", "b", "c"] {
        db.enqueue(&NewJob::new("q", "k", "{}").unique(key))
            .await
            .unwrap();
    }
    let done = db.claim_job(&queues, "w", 60_000).await.unwrap().unwrap();
    assert!(db.complete_job(done.id, "w").await.unwrap());
    let failed = db.claim_job(&queues, "w", 60_000).await.unwrap().unwrap();
    db.fail_job(failed.id, "w", "corrupt file", None)
        .await
        .unwrap();
    // The third stays queued.
    assert_eq!(
        db.prune_done_jobs(0).await.unwrap(),
        0,
        "finished after the cutoff"
    );
    let later = keepsake_db::now_ms() + 1_000;
    assert_eq!(db.prune_done_jobs(later).await.unwrap(), 1);
    assert!(db.job(done.id).await.unwrap().is_none());
    assert!(
        db.job(failed.id).await.unwrap().is_some(),
        "failed jobs stay visible"
    );
    assert_eq!(db.queue_counts().await.unwrap()[0].waiting, 1);
});

on_each_engine!(
    albums_list_by_ownership_and_report_duplicates_per_asset,
    |db| {
        let a = db
            .insert_user(&new_user("a@x", true), false)
            .await
            .unwrap()
            .unwrap();
        let b = db
            .insert_user(&new_user("b@x", false), false)
            .await
            .unwrap()
            .unwrap();
        let x = created(&db, &new_asset(&a.id, 1, "x.jpg", 1_000)).await;
        let y = created(&db, &new_asset(&a.id, 2, "y.jpg", 2_000)).await;
        let album = db
            .create_album(&a.id, "Trip", "", "desc", &[], &[])
            .await
            .unwrap();
        let added = db
            .add_album_assets(&album, &[x.clone(), x.clone(), y.clone()])
            .await
            .unwrap();
        assert_eq!(
            added,
            vec![AddOutcome::Added, AddOutcome::Duplicate, AddOutcome::Added]
        );
        let rec = db.album_by_id(&album).await.unwrap().unwrap();
        assert_eq!(rec.asset_count, 2);
        assert_eq!(rec.thumbnail_asset_id.as_deref(), Some(x.as_str()));
        assert_eq!((rec.start_date, rec.end_date), (Some(1_000), Some(2_000)));
        assert_eq!(rec.users.len(), 1);
        db.upsert_album_user(&album, &b.id, "viewer").await.unwrap();
        assert_eq!(
            db.album_role(&album, &b.id).await.unwrap().as_deref(),
            Some("viewer")
        );
        let owned_by_b = db
            .list_albums(
                &b.id,
                &AlbumFilter {
                    is_owned: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(owned_by_b.is_empty());
        let shared_with_b = db
            .list_albums(
                &b.id,
                &AlbumFilter {
                    is_owned: Some(false),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(shared_with_b.len(), 1);
        assert_eq!(shared_with_b[0].users[0].role, "owner");
        assert_eq!(
            db.list_albums(
                &a.id,
                &AlbumFilter {
                    asset_id: Some(y.clone()),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .len(),
            1
        );
        assert_eq!(
            db.remove_album_assets(&album, &[x.clone(), x.clone()])
                .await
                .unwrap(),
            vec![true, false]
        );
        assert_eq!(
            db.album_by_id(&album)
                .await
                .unwrap()
                .unwrap()
                .thumbnail_asset_id
                .as_deref(),
            Some(y.as_str())
        );
        assert!(
            !db.remove_album_user(&album, &a.id).await.unwrap(),
            "the owner cannot be removed"
        );
        assert!(db.delete_album(&album).await.unwrap());
        assert!(db.album_by_id(&album).await.unwrap().is_none());
    }
);

on_each_engine!(timeline_buckets_group_by_local_month_newest_first, |db| {
    let a = db
        .insert_user(&new_user("a@x", true), false)
        .await
        .unwrap()
        .unwrap();
    let jul = keepsake_core::Timestamp::parse_iso("2019-07-12T18:15:12Z")
        .unwrap()
        .0;
    let jul2 = keepsake_core::Timestamp::parse_iso("2019-07-31T23:59:59Z")
        .unwrap()
        .0;
    let jan = keepsake_core::Timestamp::parse_iso("2021-01-01T00:00:00Z")
        .unwrap()
        .0;
    created(&db, &new_asset(&a.id, 1, "a.jpg", jul)).await;
    let b = created(&db, &new_asset(&a.id, 2, "b.jpg", jul2)).await;
    let gone = created(&db, &new_asset(&a.id, 3, "c.jpg", jan)).await;
    let filter = AssetFilter {
        owner_ids: vec![a.id.clone()],
        is_trashed: Some(false),
        ..Default::default()
    };
    assert_eq!(
        db.time_buckets(&filter, false).await.unwrap(),
        vec![("2021-01-01".to_string(), 1), ("2019-07-01".to_string(), 2)]
    );
    db.trash_assets(&[gone]).await.unwrap();
    assert_eq!(
        db.time_buckets(&filter, false).await.unwrap(),
        vec![("2019-07-01".to_string(), 2)]
    );
    let july = AssetFilter {
        local_from: Some(keepsake_core::Timestamp(jul).month_start().0),
        local_to: Some(keepsake_core::Timestamp(jul).next_month_start().0),
        ..filter.clone()
    };
    let names: Vec<String> = db
        .find_assets(&july, false, 100, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.original_file_name)
        .collect();
    assert_eq!(names, vec!["b.jpg", "a.jpg"]);
    let search = AssetFilter {
        file_name_contains: Some("B.J".into()),
        ..filter
    };
    assert_eq!(db.count_assets(&search).await.unwrap().images, 1);
    // A filter on the metadata (here the description) still narrows the
    // months and counts, which otherwise leave the metadata table out.
    let described = AssetChanges {
        description: Some("Harbour at dusk".into()),
        ..Default::default()
    };
    db.update_assets(std::slice::from_ref(&b), &described)
        .await
        .unwrap();
    let by_description = AssetFilter {
        description_contains: Some("harbour".into()),
        file_name_contains: None,
        ..search
    };
    assert_eq!(
        db.time_buckets(&by_description, false).await.unwrap(),
        vec![("2019-07-01".to_string(), 1)]
    );
    assert_eq!(db.count_assets(&by_description).await.unwrap().images, 1);
    let nowhere = AssetFilter {
        description_contains: Some("mountain".into()),
        ..by_description
    };
    assert!(db.time_buckets(&nowhere, false).await.unwrap().is_empty());
    assert_eq!(db.count_assets(&nowhere).await.unwrap().images, 0);
});

on_each_engine!(
    pending_files_without_an_asset_are_reported_for_cleanup,
    |db| {
        let a = db
            .insert_user(&new_user("a@x", true), false)
            .await
            .unwrap()
            .unwrap();
        let asset = new_asset(&a.id, 1, "kept.jpg", 0);
        db.add_pending_file(&asset.original_path, &[1; 20])
            .await
            .unwrap();
        db.add_pending_file("library/x/crashed.jpg", &[2; 20])
            .await
            .unwrap();
        created(&db, &asset).await;
        assert_eq!(
            db.orphaned_pending_files().await.unwrap(),
            vec![("library/x/crashed.jpg".to_string(), vec![2; 20])]
        );
        db.clear_pending_files(&["library/x/crashed.jpg".to_string()])
            .await
            .unwrap();
        assert!(db.orphaned_pending_files().await.unwrap().is_empty());
    }
);

on_each_engine!(
    extracted_metadata_fills_exif_and_dates_but_keeps_what_the_user_edited,
    |db| {
        use keepsake_db::media::{MediaStep, MetadataUpdate};
        let a = db
            .insert_user(&new_user("a@x", true), false)
            .await
            .unwrap()
            .unwrap();
        let edited = created(&db, &new_asset(&a.id, 1, "edited.jpg", 0)).await;
        let plain = created(&db, &new_asset(&a.id, 2, "plain.jpg", 0)).await;
        assert_eq!(
            db.assets_for_step(MediaStep::Metadata, false)
                .await
                .unwrap()
                .len(),
            2
        );
        let changes = AssetChanges {
            description: Some("my words".into()),
            ..Default::default()
        };
        db.update_assets(std::slice::from_ref(&edited), &changes)
            .await
            .unwrap();
        let update = MetadataUpdate {
            make: Some("Canon".into()),
            description: Some("from the camera".into()),
            date_time_original: Some(1_562_947_200_000),
            local_date_time: Some(1_562_954_400_000),
            time_zone: Some("UTC+2".into()),
            latitude: Some(-33.86),
            longitude: Some(151.2),
            city: Some("Sydney".into()),
            tags: vec!["Places/Sydney".into()],
            f_number: Some(2.8),
            width: Some(4000),
            height: Some(3000),
            ..Default::default()
        };
        let before = db.latest_change_id().await.unwrap();
        for id in [&edited, &plain] {
            assert!(db.apply_metadata(id, &update, &[]).await.unwrap());
        }
        assert!(db.latest_change_id().await.unwrap() > before);
        let e = db.asset_by_id(&edited).await.unwrap().unwrap();
        assert_eq!(e.exif.description, "my words");
        assert_eq!(e.exif.make.as_deref(), Some("Canon"));
        let p = db.asset_by_id(&plain).await.unwrap().unwrap();
        assert_eq!(p.exif.description, "from the camera");
        assert_eq!(p.file_created_at, 1_562_947_200_000);
        assert_eq!(p.local_date_time, 1_562_954_400_000);
        assert_eq!(p.exif.time_zone.as_deref(), Some("UTC+2"));
        assert_eq!(p.exif.latitude, Some(-33.86));
        assert_eq!(p.exif.f_number, Some(2.8));
        assert_eq!((p.width, p.height), (Some(4000), Some(3000)));
        assert!(
            db.assets_for_step(MediaStep::Metadata, false)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            db.assets_for_step(MediaStep::Metadata, true)
                .await
                .unwrap()
                .len(),
            2
        );
        assert!(
            !db.apply_metadata("no-such-asset", &update, &[])
                .await
                .unwrap()
        );
    }
);

on_each_engine!(
    derived_files_are_recorded_and_removed_with_their_asset,
    |db| {
        use keepsake_db::media::{AssetFile, MediaStep};
        let a = db
            .insert_user(&new_user("a@x", true), false)
            .await
            .unwrap()
            .unwrap();
        let id = created(&db, &new_asset(&a.id, 1, "x.jpg", 0)).await;
        let files = vec![
            AssetFile {
                kind: "preview".into(),
                path: format!("thumbs/{id}_preview.jpeg"),
            },
            AssetFile {
                kind: "thumbnail".into(),
                path: format!("thumbs/{id}_thumbnail.webp"),
            },
        ];
        assert!(
            db.set_thumbnails(&id, Some(&[1, 2, 3]), &files)
                .await
                .unwrap()
        );
        // Running the step again replaces rather than duplicates.
        assert!(db.set_thumbnails(&id, Some(&[4, 5]), &files).await.unwrap());
        assert_eq!(db.asset_files(&id).await.unwrap(), files);
        let asset = db.asset_by_id(&id).await.unwrap().unwrap();
        assert_eq!(asset.thumbhash, Some(vec![4, 5]));
        assert!(db.media_steps(&id).await.unwrap()[1].is_some());
        assert!(
            db.assets_for_step(MediaStep::Thumbnails, false)
                .await
                .unwrap()
                .is_empty()
        );
        let removed = db.delete_assets(std::slice::from_ref(&id)).await.unwrap();
        let paths = &removed[0].paths;
        assert!(paths.contains(&files[0].path) && paths.contains(&files[1].path));
        assert!(db.asset_files(&id).await.unwrap().is_empty());
        assert!(!db.set_thumbnails(&id, None, &files).await.unwrap());
    }
);

on_each_engine!(
    live_photo_halves_are_found_by_content_id_and_the_video_is_hidden,
    |db| {
        use keepsake_db::media::MetadataUpdate;
        let a = db
            .insert_user(&new_user("a@x", true), false)
            .await
            .unwrap()
            .unwrap();
        let still = created(&db, &new_asset(&a.id, 1, "IMG_1.HEIC", 0)).await;
        let mut video = new_asset(&a.id, 2, "IMG_1.MOV", 0);
        video.asset_type = "VIDEO".into();
        let video = created(&db, &video).await;
        let cid = MetadataUpdate {
            live_photo_cid: Some("CID-1".into()),
            ..Default::default()
        };
        db.apply_metadata(&still, &cid, &[]).await.unwrap();
        db.apply_metadata(&video, &cid, &[]).await.unwrap();
        let album = db
            .create_album(
                &a.id,
                "trip",
                "",
                "desc",
                &[],
                &[video.clone(), still.clone()],
            )
            .await
            .unwrap();
        assert_eq!(
            db.live_photo_partner(&a.id, "CID-1", "VIDEO", &still)
                .await
                .unwrap(),
            Some(video.clone())
        );
        assert_eq!(
            db.live_photo_partner(&a.id, "CID-1", "IMAGE", &video)
                .await
                .unwrap(),
            Some(still.clone())
        );
        assert_eq!(
            db.live_photo_partner(&a.id, "CID-2", "VIDEO", &still)
                .await
                .unwrap(),
            None
        );
        db.link_live_photo(&still, &video).await.unwrap();
        let s = db.asset_by_id(&still).await.unwrap().unwrap();
        assert_eq!(s.live_photo_video_id.as_deref(), Some(video.as_str()));
        let v = db.asset_by_id(&video).await.unwrap().unwrap();
        assert_eq!(v.visibility, "hidden");
        assert_eq!(
            db.album_ids_for_asset(&video).await.unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(db.album_ids_for_asset(&still).await.unwrap(), vec![album]);
    }
);

on_each_engine!(
    jobs_of_one_kind_for_one_asset_run_one_at_a_time_in_order,
    |db| {
        let queues = vec!["q".to_string()];
        let asset = "00000000-0000-4000-8000-0000000000aa";
        for n in 0..2 {
            db.enqueue(&NewJob::new("q", "write", format!("{{\"n\":{n}}}")).for_asset(asset))
                .await
                .unwrap();
        }
        db.enqueue(&NewJob::new("q", "other", "{}").for_asset(asset))
            .await
            .unwrap();
        let first = db.claim_job(&queues, "w1", 60_000).await.unwrap().unwrap();
        assert_eq!(first.payload, "{\"n\":0}");
        // Its twin waits; other kinds for the same asset do not.
        let next = db.claim_job(&queues, "w2", 60_000).await.unwrap().unwrap();
        assert_eq!(next.kind, "other");
        assert!(db.claim_job(&queues, "w2", 60_000).await.unwrap().is_none());
        assert!(db.complete_job(first.id, "w1").await.unwrap());
        let second = db.claim_job(&queues, "w2", 60_000).await.unwrap().unwrap();
        assert_eq!(second.payload, "{\"n\":1}");

        // A unique job queued again while it runs gets a second run, after the first.
        let keyed = || {
            NewJob::new("q", "extract", "{}")
                .for_asset(asset)
                .unique("extract:a")
        };
        db.enqueue(&keyed()).await.unwrap();
        db.enqueue(&keyed()).await.unwrap();
        let running = db.claim_job(&queues, "w3", 60_000).await.unwrap().unwrap();
        assert_eq!(running.kind, "extract");
        db.enqueue(&keyed()).await.unwrap();
        db.enqueue(&keyed()).await.unwrap();
        assert!(db.claim_job(&queues, "w4", 60_000).await.unwrap().is_none());
        assert!(db.complete_job(running.id, "w3").await.unwrap());
        let rerun = db.claim_job(&queues, "w4", 60_000).await.unwrap().unwrap();
        assert_eq!(rerun.kind, "extract");
        assert!(db.complete_job(rerun.id, "w4").await.unwrap());
        assert!(db.claim_job(&queues, "w4", 60_000).await.unwrap().is_none());
    }
);
mod sync;
