//! Text helpers shared by features: accent- and case-insensitive folding for sorting and search,
//! the forgiving word match of searches (a prefix, or one typo), and escaping for LIKE patterns.

/// Lower-cases and strips the accents of Latin letters (`Ação` → `acao`, `Ñandú` → `nandu`).
pub fn fold(input: &str) -> String {
    input
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// A part of a file's name made of `input`: folded letters and digits, a dash for anything
/// else, at most 40 characters (`Papelería La Esperanza, S.A.` → `papeleria-la-esperanza-s-a`).
pub fn file_part(input: &str) -> String {
    let mut out = String::new();
    for c in fold(input).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let cut: String = out.chars().take(40).collect();
    cut.trim_end_matches('-').to_string()
}

/// `input` made literal inside a LIKE pattern: `%`, `_` and the escape character (backslash)
/// match only themselves (a search for `50%` finds "50%", not everything starting with 50).
pub fn like_escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The folded words of `text`.
pub fn words(text: &str) -> Vec<String> {
    crate::text::fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether `typed` (folded) finds `word`: it begins it, or (in a word of five letters or more)
/// one letter differs, is missing or is extra.
pub fn finds(typed: &str, word: &str) -> bool {
    if word.starts_with(typed) {
        return true;
    }
    typed.chars().count() >= 5 && within_one(typed, word)
}

/// Whether `a` and `b` are at most one edit apart.
pub fn within_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < short.len() && j < long.len() {
        if short[i] == long[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        if short.len() == long.len() {
            i += 1;
        }
        j += 1;
    }
    edits + (long.len() - j) + (short.len() - i) <= 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_parts_are_plain_letters_digits_and_dashes() {
        assert_eq!(
            super::file_part("Papelería La Esperanza, S.A."),
            "papeleria-la-esperanza-s-a"
        );
        assert_eq!(super::file_part("  ¿Ñandú?  "), "nandu");
        assert_eq!(super::file_part("../../etc"), "etc");
        assert_eq!(super::file_part(&"a".repeat(99)).len(), 40);
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(super::like_escape("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(super::like_escape("contoso"), "contoso");
    }

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(super::fold("Ação Ñandú México"), "acao nandu mexico");
        assert_eq!(super::fold("日本"), "日本");
    }

    #[test]
    fn words_are_found_by_their_start_or_with_one_typo() {
        assert!(super::within_one("licencia", "licensia"));
        assert!(super::within_one("token", "tokens"));
        assert!(super::within_one("offce", "office"));
        assert!(!super::within_one("token", "tokenss"));
        assert!(super::finds("fact", "factura"));
        assert!(super::finds("factra", "factura"), "a letter missing");
        assert!(
            !super::finds("factuar", "factura"),
            "two letters swapped are two edits"
        );
        assert!(
            !super::finds("pdf", "pfd"),
            "a short word must begin the word"
        );
        assert_eq!(super::words("Ação, S.A. — 365"), ["acao", "s", "a", "365"]);
    }
}
