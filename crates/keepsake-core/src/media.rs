//! Which files Keepsake accepts, decided by file-name extension as Immich does
//! (clients send every part as `application/octet-stream`).

/// Immich's asset types; Keepsake stores only images and videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetType {
    Image,
    Video,
}

impl AssetType {
    /// The wire and database name (`IMAGE`, `VIDEO`).
    pub fn as_str(self) -> &'static str {
        match self {
            AssetType::Image => "IMAGE",
            AssetType::Video => "VIDEO",
        }
    }

    pub fn parse(s: &str) -> Option<AssetType> {
        match s {
            "IMAGE" => Some(AssetType::Image),
            "VIDEO" => Some(AssetType::Video),
            _ => None,
        }
    }

    /// The type a file name's extension says, or `None` when Keepsake does not take it.
    pub fn from_file_name(name: &str) -> Option<AssetType> {
        let ext = extension(name)?;
        if IMAGE_EXTENSIONS.contains(&ext.as_str()) {
            Some(AssetType::Image)
        } else if VIDEO_EXTENSIONS.contains(&ext.as_str()) {
            Some(AssetType::Video)
        } else {
            None
        }
    }
}

/// The lower-case extension with its dot (`.jpg`), if the name has one.
pub fn extension(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let dot = base.rfind('.')?;
    if dot == 0 && base.len() == 1 {
        return None;
    }
    Some(base[dot..].to_ascii_lowercase())
}

/// Whether a file name is an XMP sidecar.
pub fn is_sidecar(name: &str) -> bool {
    extension(name).as_deref() == Some(".xmp")
}

pub const IMAGE_EXTENSIONS: &[&str] = &[
    ".3fr", ".ari", ".arw", ".avif", ".bmp", ".cap", ".cin", ".cr2", ".cr3", ".crw", ".dcr",
    ".dng", ".erf", ".fff", ".gif", ".heic", ".heif", ".hif", ".iiq", ".insp", ".jp2", ".jpe",
    ".jpeg", ".jpg", ".jxl", ".k25", ".kdc", ".mpo", ".mrw", ".nef", ".nrw", ".orf", ".ori",
    ".pef", ".png", ".psd", ".raf", ".raw", ".rw2", ".rwl", ".sr2", ".srf", ".srw", ".svg", ".tif",
    ".tiff", ".webp", ".x3f",
];

pub const VIDEO_EXTENSIONS: &[&str] = &[
    ".3gp", ".3gpp", ".avi", ".flv", ".insv", ".m2t", ".m2ts", ".m4v", ".mkv", ".mov", ".mp4",
    ".mpe", ".mpeg", ".mpg", ".mts", ".mxf", ".ts", ".vob", ".webm", ".wmv",
];

pub const SIDECAR_EXTENSIONS: &[&str] = &[".xmp"];

/// A MIME type for serving an original, by extension.
pub fn mime_type(name: &str) -> &'static str {
    match extension(name).as_deref() {
        Some(".jpg" | ".jpeg" | ".jpe") => "image/jpeg",
        Some(".png") => "image/png",
        Some(".gif") => "image/gif",
        Some(".webp") => "image/webp",
        Some(".avif") => "image/avif",
        Some(".heic") => "image/heic",
        Some(".heif" | ".hif") => "image/heif",
        Some(".tif" | ".tiff") => "image/tiff",
        Some(".bmp") => "image/bmp",
        Some(".jxl") => "image/jxl",
        Some(".svg") => "image/svg+xml",
        Some(".dng") => "image/x-adobe-dng",
        Some(".mp4" | ".m4v" | ".insv") => "video/mp4",
        Some(".mov") => "video/quicktime",
        Some(".webm") => "video/webm",
        Some(".mkv") => "video/x-matroska",
        Some(".avi") => "video/x-msvideo",
        Some(".3gp" | ".3gpp") => "video/3gpp",
        Some(".mpg" | ".mpeg" | ".mpe") => "video/mpeg",
        Some(".mts" | ".m2ts" | ".m2t" | ".ts") => "video/mp2t",
        Some(".wmv") => "video/x-ms-wmv",
        Some(".flv") => "video/x-flv",
        Some(".xmp") => "application/xml",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_comes_from_the_extension_in_any_case() {
        assert_eq!(
            AssetType::from_file_name("IMG_0001.JPG"),
            Some(AssetType::Image)
        );
        assert_eq!(
            AssetType::from_file_name("dir/clip.MoV"),
            Some(AssetType::Video)
        );
        assert_eq!(AssetType::from_file_name("notes.txt"), None);
        assert_eq!(AssetType::from_file_name("no-extension"), None);
        assert!(is_sidecar("a.jpg.XMP"));
    }
}
