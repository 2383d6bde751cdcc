//! API-key permissions, with Immich's names, so that keys made for Immich tools
//! mean the same here.
//!
//! A key holds a set of permission strings; `all` stands for every one of them.
//! Session (login) callers hold everything their account may do; permissions only
//! narrow what an API key may do on its owner's behalf.

/// Every permission string Immich 3.1.0 defines, in its order.
pub const ALL_PERMISSIONS: &[&str] = &[
    "all",
    "activity.create",
    "activity.read",
    "activity.update",
    "activity.delete",
    "activity.statistics",
    "apiKey.create",
    "apiKey.read",
    "apiKey.update",
    "apiKey.delete",
    "asset.read",
    "asset.update",
    "asset.delete",
    "asset.statistics",
    "asset.share",
    "asset.view",
    "asset.download",
    "asset.upload",
    "asset.copy",
    "asset.derive",
    "asset.edit.get",
    "asset.edit.create",
    "asset.edit.delete",
    "album.create",
    "album.read",
    "album.update",
    "album.delete",
    "album.statistics",
    "album.share",
    "album.download",
    "albumAsset.create",
    "albumAsset.delete",
    "albumUser.create",
    "albumUser.update",
    "albumUser.delete",
    "auth.changePassword",
    "authDevice.delete",
    "archive.read",
    "backup.list",
    "backup.download",
    "backup.upload",
    "backup.delete",
    "duplicate.read",
    "duplicate.delete",
    "face.create",
    "face.read",
    "face.update",
    "face.delete",
    "folder.read",
    "job.create",
    "job.read",
    "library.create",
    "library.read",
    "library.update",
    "library.delete",
    "library.statistics",
    "timeline.read",
    "timeline.download",
    "maintenance",
    "map.read",
    "map.search",
    "memory.create",
    "memory.read",
    "memory.update",
    "memory.delete",
    "memory.statistics",
    "memoryAsset.create",
    "memoryAsset.delete",
    "notification.create",
    "notification.read",
    "notification.update",
    "notification.delete",
    "partner.create",
    "partner.read",
    "partner.update",
    "partner.delete",
    "person.create",
    "person.read",
    "person.update",
    "person.delete",
    "person.statistics",
    "person.merge",
    "person.reassign",
    "pinCode.create",
    "pinCode.update",
    "pinCode.delete",
    "plugin.create",
    "plugin.read",
    "plugin.update",
    "plugin.delete",
    "server.about",
    "server.apkLinks",
    "server.storage",
    "server.statistics",
    "server.versionCheck",
    "serverLicense.read",
    "serverLicense.update",
    "serverLicense.delete",
    "session.create",
    "session.read",
    "session.update",
    "session.delete",
    "session.lock",
    "sharedLink.create",
    "sharedLink.read",
    "sharedLink.update",
    "sharedLink.delete",
    "stack.create",
    "stack.read",
    "stack.update",
    "stack.delete",
    "sync.stream",
    "syncCheckpoint.read",
    "syncCheckpoint.update",
    "syncCheckpoint.delete",
    "systemConfig.read",
    "systemConfig.update",
    "systemMetadata.read",
    "systemMetadata.update",
    "tag.create",
    "tag.read",
    "tag.update",
    "tag.delete",
    "tag.asset",
    "user.read",
    "user.update",
    "userLicense.create",
    "userLicense.read",
    "userLicense.update",
    "userLicense.delete",
    "userOnboarding.read",
    "userOnboarding.update",
    "userOnboarding.delete",
    "userPreference.read",
    "userPreference.update",
    "userProfileImage.create",
    "userProfileImage.read",
    "userProfileImage.update",
    "userProfileImage.delete",
    "queue.read",
    "queue.update",
    "queueJob.create",
    "queueJob.read",
    "queueJob.update",
    "queueJob.delete",
    "workflow.create",
    "workflow.read",
    "workflow.update",
    "workflow.delete",
    "adminUser.create",
    "adminUser.read",
    "adminUser.update",
    "adminUser.delete",
    "adminSession.read",
    "adminAuth.unlinkAll",
];

/// One permission, always one of [`ALL_PERMISSIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permission(&'static str);

impl Permission {
    pub const ALL: Permission = Permission("all");
    pub const ASSET_READ: Permission = Permission("asset.read");
    pub const ASSET_UPDATE: Permission = Permission("asset.update");
    pub const ASSET_DELETE: Permission = Permission("asset.delete");
    pub const ASSET_STATISTICS: Permission = Permission("asset.statistics");
    pub const ASSET_VIEW: Permission = Permission("asset.view");
    pub const ASSET_DOWNLOAD: Permission = Permission("asset.download");
    pub const ASSET_UPLOAD: Permission = Permission("asset.upload");
    pub const ALBUM_CREATE: Permission = Permission("album.create");
    pub const ALBUM_READ: Permission = Permission("album.read");
    pub const ALBUM_UPDATE: Permission = Permission("album.update");
    pub const ALBUM_DELETE: Permission = Permission("album.delete");
    pub const ALBUM_STATISTICS: Permission = Permission("album.statistics");
    pub const ALBUM_ASSET_CREATE: Permission = Permission("albumAsset.create");
    pub const ALBUM_ASSET_DELETE: Permission = Permission("albumAsset.delete");
    pub const ALBUM_USER_CREATE: Permission = Permission("albumUser.create");
    pub const ALBUM_USER_UPDATE: Permission = Permission("albumUser.update");
    pub const ALBUM_USER_DELETE: Permission = Permission("albumUser.delete");
    pub const API_KEY_CREATE: Permission = Permission("apiKey.create");
    pub const API_KEY_READ: Permission = Permission("apiKey.read");
    pub const API_KEY_UPDATE: Permission = Permission("apiKey.update");
    pub const API_KEY_DELETE: Permission = Permission("apiKey.delete");
    pub const AUTH_CHANGE_PASSWORD: Permission = Permission("auth.changePassword");
    pub const TIMELINE_READ: Permission = Permission("timeline.read");
    pub const MAP_READ: Permission = Permission("map.read");
    pub const TAG_CREATE: Permission = Permission("tag.create");
    pub const TAG_READ: Permission = Permission("tag.read");
    pub const TAG_UPDATE: Permission = Permission("tag.update");
    pub const TAG_DELETE: Permission = Permission("tag.delete");
    pub const TAG_ASSET: Permission = Permission("tag.asset");
    pub const LIBRARY_CREATE: Permission = Permission("library.create");
    pub const LIBRARY_READ: Permission = Permission("library.read");
    pub const LIBRARY_UPDATE: Permission = Permission("library.update");
    pub const LIBRARY_DELETE: Permission = Permission("library.delete");
    pub const LIBRARY_STATISTICS: Permission = Permission("library.statistics");
    pub const SERVER_ABOUT: Permission = Permission("server.about");
    pub const SERVER_STORAGE: Permission = Permission("server.storage");
    pub const SERVER_STATISTICS: Permission = Permission("server.statistics");
    pub const SESSION_READ: Permission = Permission("session.read");
    pub const SESSION_DELETE: Permission = Permission("session.delete");
    pub const USER_READ: Permission = Permission("user.read");
    pub const USER_UPDATE: Permission = Permission("user.update");
    pub const USER_PREFERENCE_READ: Permission = Permission("userPreference.read");
    pub const QUEUE_READ: Permission = Permission("queue.read");
    pub const QUEUE_UPDATE: Permission = Permission("queue.update");
    pub const QUEUE_JOB_READ: Permission = Permission("queueJob.read");
    pub const QUEUE_JOB_CREATE: Permission = Permission("queueJob.create");
    pub const ADMIN_USER_CREATE: Permission = Permission("adminUser.create");
    pub const ADMIN_USER_READ: Permission = Permission("adminUser.read");
    pub const ADMIN_USER_UPDATE: Permission = Permission("adminUser.update");
    pub const ADMIN_USER_DELETE: Permission = Permission("adminUser.delete");

    /// Looks a permission up by its wire name.
    pub fn parse(name: &str) -> Option<Permission> {
        ALL_PERMISSIONS
            .iter()
            .find(|p| **p == name)
            .map(|p| Permission(p))
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Whether a granted set covers `needed`. `all` covers everything.
pub fn grants(granted: &[Permission], needed: Permission) -> bool {
    granted
        .iter()
        .any(|p| *p == Permission::ALL || *p == needed)
}

/// Whether every permission in `requested` is covered by `granted`: a key can
/// never hold more than the key that made it.
pub fn is_subset(requested: &[Permission], granted: &[Permission]) -> bool {
    if granted.contains(&Permission::ALL) {
        return true;
    }
    requested
        .iter()
        .all(|p| *p != Permission::ALL && granted.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_covers_everything_and_a_subset_covers_only_itself() {
        let all = [Permission::ALL];
        let some = [Permission::ASSET_READ, Permission::USER_READ];
        assert!(grants(&all, Permission::ASSET_UPLOAD));
        assert!(grants(&some, Permission::USER_READ));
        assert!(!grants(&some, Permission::ASSET_UPLOAD));
        assert!(is_subset(&[Permission::ASSET_READ], &some));
        assert!(!is_subset(&[Permission::ALL], &some));
        assert!(!is_subset(&[Permission::ASSET_UPLOAD], &some));
        assert!(is_subset(&[Permission::ALL], &all));
    }

    #[test]
    fn every_named_constant_is_a_known_permission() {
        for p in [
            Permission::ASSET_UPLOAD,
            Permission::ALBUM_ASSET_CREATE,
            Permission::ADMIN_USER_DELETE,
        ] {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        assert_eq!(Permission::parse("asset.fly"), None);
        assert_eq!(ALL_PERMISSIONS.len(), 155);
    }
}
