//! Flickr's text fields as people should read them: titles and tags may carry
//! HTML entities (`Tom &amp; Jerry`), descriptions may also carry simple HTML
//! (`<br />`, `<a href=…>`, `<b>`). Entities are decoded, tags are dropped and
//! line breaks kept; anything that is not markup (`a <3 b`) stays as written.

/// Entities decoded; nothing else changed.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let decoded = after
            .find(';')
            .filter(|&end| end > 0 && end <= 32)
            .and_then(|end| entity(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push_str(c.as_str());
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A description as text: tags dropped (`<br>`, `</p>`, `</div>`, `<li>` become
/// line breaks), entities decoded, runs of blank lines shortened, ends trimmed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let looks_like_tag =
            after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>').filter(|_| looks_like_tag) {
            Some(gt) => {
                let tag = &after[..gt];
                let closing = tag.starts_with('/');
                let name = tag
                    .trim_start_matches('/')
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let mut next = &after[gt + 1..];
                let breaks = match name.as_str() {
                    "br" => true,
                    "p" | "div" | "blockquote" | "ul" | "ol" => closing,
                    "li" => !closing,
                    _ => false,
                };
                if breaks {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    // `<br />` followed by the newline the user typed is one break.
                    next = next
                        .strip_prefix("\r\n")
                        .or_else(|| next.strip_prefix('\n'))
                        .unwrap_or(next);
                }
                rest = next;
            }
            None => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    tidy_lines(&decode_entities(&out))
}

/// `\r\n` → `\n`, trailing spaces cut, at most one blank line in a row, trimmed.
fn tidy_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.replace("\r\n", "\n").split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_string()
}

fn entity(name: &str) -> Option<String> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse::<u32>().ok()?,
        };
        return char::from_u32(code)
            .filter(|c| *c != '\0')
            .map(String::from);
    }
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "middot" => '·',
        "bull" => '•',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "sect" => '§',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "frac12" => '½',
        "aacute" => 'á',
        "agrave" => 'à',
        "acirc" => 'â',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "eacute" => 'é',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "iacute" => 'í',
        "iuml" => 'ï',
        "ntilde" => 'ñ',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "ouml" => 'ö',
        "oslash" => 'ø',
        "uacute" => 'ú',
        "uuml" => 'ü',
        "szlig" => 'ß',
        "Aacute" => 'Á',
        "Agrave" => 'À',
        "Auml" => 'Ä',
        "Aring" => 'Å',
        "Ccedil" => 'Ç',
        "Eacute" => 'É',
        "Ouml" => 'Ö',
        "Oslash" => 'Ø',
        "Uuml" => 'Ü',
        _ => return None,
    };
    Some(c.to_string())
}
/// The title when it is only a file name's stem (Flickr's default title is
/// the uploaded file's name): `IMG_1234`, `DSC01234`, `P1010234`,
/// `IMG_20190704_183000`, or anything ending in a media extension
/// (`IMG_1234.JPG` → `IMG_1234`). Such a title is not kept as a title; the
/// item is named after it instead. Words (`Summer2019`, `2019`) stay titles.
pub fn file_name_title(title: &str) -> Option<String> {
    let title = decode_entities(title.trim()).trim().to_string();
    if title.is_empty() {
        return None;
    }
    if keepsake_core::AssetType::from_file_name(&title).is_some() {
        let dot = title.rfind('.')?;
        let stem = title[..dot].trim();
        return (!stem.is_empty()).then(|| stem.to_string());
    }
    if !title
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let digits = title.chars().filter(char::is_ascii_digit).count();
    let letters = title.chars().filter(char::is_ascii_alphabetic).count();
    let longest_word = title
        .split(|c: char| !c.is_ascii_alphabetic())
        .map(str::len)
        .max()
        .unwrap_or(0);
    let camera_like = digits >= 3 && letters <= digits && longest_word <= 5;
    let number_only = letters == 0 && !title.contains(['_', '-']);
    (camera_like && !(number_only && digits < 6)).then_some(title)
}
