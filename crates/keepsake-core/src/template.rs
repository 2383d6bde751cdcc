//! The storage template: where an original lives inside the library, in words a
//! person can read (`library/admin/2019/2019-07-12/IMG_1234.jpg`).
//!
//! Owning your files is the point of Keepsake, so originals are never named by
//! uuid. Rendering is pure; the blob store resolves collisions with a `+N` suffix.

use crate::Timestamp;

pub const DEFAULT_TEMPLATE: &str = "{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Renders `template` for one asset into a relative path under `library/<user_dir>/`.
///
/// Every path segment is sanitised so that no input (a file name with `..`, a
/// slash, control characters) can escape the user's folder.
pub fn render(
    template: &str,
    user_dir: &str,
    taken: Timestamp,
    file_name: &str,
    asset_id: &str,
) -> String {
    let c = taken.civil();
    let base_name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let mut out = template.to_string();
    let pairs: [(&str, String); 8] = [
        ("{{y}}", format!("{:04}", c.year)),
        ("{{MMMM}}", MONTHS[c.month as usize - 1].to_string()),
        ("{{MMM}}", MONTHS[c.month as usize - 1][..3].to_string()),
        ("{{MM}}", format!("{:02}", c.month)),
        ("{{dd}}", format!("{:02}", c.day)),
        ("{{filename}}", base_name.to_string()),
        ("{{assetId}}", asset_id.to_string()),
        (
            "{{ext}}",
            crate::media::extension(base_name).unwrap_or_default(),
        ),
    ];
    for (token, value) in pairs {
        out = out.replace(token, &value);
    }
    let mut segments = vec!["library".to_string(), sanitize_segment(user_dir)];
    segments.extend(
        out.split('/')
            .filter(|s| !s.is_empty())
            .map(sanitize_segment),
    );
    segments.join("/")
}

/// Makes one path segment safe on every common file system.
pub fn sanitize_segment(segment: &str) -> String {
    let cleaned: String = segment
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_end_matches('.');
    match trimmed {
        "" | "." | ".." => "_".to_string(),
        t => t.to_string(),
    }
}

/// The `n`th alternative name for a path already taken: `a.jpg` → `a+1.jpg`.
pub fn with_suffix(path: &str, n: u32) -> String {
    let (dir, name) = match path.rfind('/') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => ("", path),
    };
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{dir}{}+{n}{}", &name[..dot], &name[dot..]),
        _ => format!("{dir}{name}+{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_template_gives_a_dated_human_path() {
        let t = Timestamp::parse_iso("2019-07-12T18:15:12Z").unwrap();
        assert_eq!(
            render(DEFAULT_TEMPLATE, "admin", t, "IMG_1234.jpg", "x"),
            "library/admin/2019/2019-07-12/IMG_1234.jpg"
        );
    }

    #[test]
    fn hostile_names_cannot_escape_the_user_folder() {
        let t = Timestamp(0);
        assert_eq!(render("{{filename}}", "..", t, "..", "x"), "library/_/_");
        assert_eq!(
            render("{{filename}}", "u", t, "a\\..\\b.jpg", "x"),
            "library/u/b.jpg"
        );
        assert_eq!(
            render("{{filename}}", "u", t, "x\u{0}y.jpg", "x"),
            "library/u/x_y.jpg"
        );
    }

    #[test]
    fn suffix_goes_before_the_extension() {
        assert_eq!(with_suffix("library/u/a.jpg", 1), "library/u/a+1.jpg");
        assert_eq!(with_suffix("library/u/noext", 2), "library/u/noext+2");
        assert_eq!(with_suffix(".hidden", 1), ".hidden+1");
    }
}
