//! Exclusion patterns of external libraries: globs matched against a file's
//! absolute path, as Immich's are (`**/@eaDir/**`, `**/._*`, `**/*.tmp`).
//!
//! `*` matches within one path component, `?` one character of it, `[abc]`,
//! `[a-z]` and `[!abc]` one character from (or not from) a set, and `**`
//! anything, slashes included; `**/` matches zero or more whole folders. A
//! pattern without any `/` is matched against the file name alone, so `*.tmp`
//! means what people expect. Matching is memoised: linear in the pattern times
//! the path, whatever the pattern.

/// A parsed exclusion pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glob {
    tokens: Vec<Token>,
    name_only: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Char(char),
    /// `?`
    One,
    /// `*`
    Star,
    /// `**` (not followed by `/`)
    Deep,
    /// `**/`: nothing, or anything that ends with `/`.
    Folders,
    /// `[…]`: (negated, ranges)
    Class(bool, Vec<(char, char)>),
}

impl Glob {
    /// Parses a pattern; an unclosed `[` is an error that says where.
    pub(crate) fn parse(pattern: &str) -> Result<Glob, String> {
        if pattern.is_empty() {
            return Err("an exclusion pattern cannot be empty".into());
        }
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    let stars = chars[i..].iter().take_while(|c| **c == '*').count();
                    i += stars;
                    // `***` and the like mean the same as `**`.
                    if stars == 1 {
                        tokens.push(Token::Star);
                    } else if chars.get(i) == Some(&'/') {
                        tokens.push(Token::Folders);
                        i += 1;
                    } else {
                        tokens.push(Token::Deep);
                    }
                }
                '?' => {
                    tokens.push(Token::One);
                    i += 1;
                }
                '[' => {
                    let (token, next) = parse_class(&chars, i).ok_or_else(|| {
                        format!(
                            "the pattern {pattern:?} opens a character set with [ at position {} and never closes it; add ] or write [[] for a literal [",
                            i + 1
                        )
                    })?;
                    tokens.push(token);
                    i = next;
                }
                c => {
                    tokens.push(Token::Char(c));
                    i += 1;
                }
            }
        }
        Ok(Glob {
            name_only: !pattern.contains('/'),
            tokens,
        })
    }

    /// Whether `path` (absolute, `/`-separated) matches.
    pub(crate) fn matches(&self, path: &str) -> bool {
        let subject = if self.name_only {
            path.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(path)
        } else {
            path
        };
        let s: Vec<char> = subject.chars().collect();
        let mut failed = Memo::new(self.tokens.len() + 1, s.len() + 1);
        match_at(&self.tokens, &s, 0, 0, &mut failed)
    }
}

fn parse_class(chars: &[char], open: usize) -> Option<(Token, usize)> {
    let mut i = open + 1;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        // A `]` right after the opening is a member, not the end.
        if c == ']' && !first {
            return Some((Token::Class(negated, ranges), i + 1));
        }
        first = false;
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|e| *e != ']') {
            ranges.push((c, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
}

/// States already known not to match: (token index, subject index).
struct Memo {
    width: usize,
    bits: Vec<u64>,
}

impl Memo {
    fn new(tokens: usize, subject: usize) -> Memo {
        Memo {
            width: subject,
            bits: vec![0; (tokens * subject).div_ceil(64)],
        }
    }

    fn index(&self, t: usize, s: usize) -> (usize, u64) {
        let n = t * self.width + s;
        (n / 64, 1 << (n % 64))
    }

    fn known_failure(&self, t: usize, s: usize) -> bool {
        let (w, b) = self.index(t, s);
        self.bits[w] & b != 0
    }

    fn record_failure(&mut self, t: usize, s: usize) {
        let (w, b) = self.index(t, s);
        self.bits[w] |= b;
    }
}

fn match_at(tokens: &[Token], s: &[char], t: usize, i: usize, memo: &mut Memo) -> bool {
    if memo.known_failure(t, i) {
        return false;
    }
    let matched = match tokens.get(t) {
        None => i == s.len(),
        Some(Token::Char(c)) => s.get(i) == Some(c) && match_at(tokens, s, t + 1, i + 1, memo),
        Some(Token::One) => {
            s.get(i).is_some_and(|c| *c != '/') && match_at(tokens, s, t + 1, i + 1, memo)
        }
        Some(Token::Class(negated, ranges)) => {
            s.get(i).is_some_and(|c| {
                *c != '/' && ranges.iter().any(|(lo, hi)| lo <= c && c <= hi) != *negated
            }) && match_at(tokens, s, t + 1, i + 1, memo)
        }
        Some(Token::Star) => {
            let end = s[i..]
                .iter()
                .position(|c| *c == '/')
                .map_or(s.len(), |p| i + p);
            (i..=end).any(|j| match_at(tokens, s, t + 1, j, memo))
        }
        Some(Token::Deep) => (i..=s.len()).any(|j| match_at(tokens, s, t + 1, j, memo)),
        Some(Token::Folders) => {
            match_at(tokens, s, t + 1, i, memo)
                || (i..s.len()).any(|j| s[j] == '/' && match_at(tokens, s, t + 1, j + 1, memo))
        }
    };
    if !matched {
        memo.record_failure(t, i);
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn m(pattern: &str, path: &str) -> bool {
        Glob::parse(pattern).unwrap().matches(path)
    }

    #[test]
    fn immichs_example_patterns_match_what_they_name() {
        assert!(m(
            "**/@eaDir/**",
            "/photos/2019/@eaDir/IMG_1.jpg/SYNOFILE_THUMB_M.jpg"
        ));
        assert!(m("**/@eaDir/**", "/photos/@eaDir/x.jpg"));
        assert!(!m("**/@eaDir/**", "/photos/eaDir/x.jpg"));
        assert!(m("**/._*", "/photos/trip/._IMG_1.jpg"));
        assert!(!m("**/._*", "/photos/trip/IMG_._1.jpg"));
        assert!(m("**/*.tmp", "/photos/a/b/c.tmp"));
        assert!(!m("**/*.tmp", "/photos/a/b/c.tmp.jpg"));
    }

    #[test]
    fn a_single_star_stays_within_one_folder() {
        assert!(m("/photos/*/raw.jpg", "/photos/2019/raw.jpg"));
        assert!(!m("/photos/*/raw.jpg", "/photos/2019/07/raw.jpg"));
        assert!(m("/photos/**/raw.jpg", "/photos/2019/07/raw.jpg"));
        assert!(m("/photos/**/raw.jpg", "/photos/raw.jpg"));
        assert!(m("/photos/private/**", "/photos/private/a/b.jpg"));
        assert!(!m("/photos/private/**", "/photos/privateer/b.jpg"));
    }

    #[test]
    fn question_marks_and_sets_match_one_character() {
        assert!(m("**/IMG_?.jpg", "/p/IMG_1.jpg"));
        assert!(!m("**/IMG_?.jpg", "/p/IMG_12.jpg"));
        assert!(m("**/[Tt]humbs.db", "/p/thumbs.db"));
        assert!(m("**/IMG_[0-4].jpg", "/p/IMG_3.jpg"));
        assert!(!m("**/IMG_[0-4].jpg", "/p/IMG_7.jpg"));
        assert!(m("**/IMG_[!0-4].jpg", "/p/IMG_7.jpg"));
        assert!(Glob::parse("**/[abc.jpg").is_err());
        assert!(Glob::parse("").is_err());
    }

    #[test]
    fn a_pattern_without_a_slash_names_files_anywhere() {
        assert!(m("*.tmp", "/photos/a/b.tmp"));
        assert!(m("Thumbs.db", "/photos/a/Thumbs.db"));
        assert!(!m("*.tmp", "/photos/a.tmp/b.jpg"));
    }

    #[test]
    fn pathological_patterns_finish_quickly() {
        let path = format!("/{}b", "a/".repeat(300));
        assert!(!m("**/**/**/**/**/**/**/**/c", &path));
        assert!(!m("*a*a*a*a*a*a*a*a*a*c", &"a".repeat(2000)));
    }
}
