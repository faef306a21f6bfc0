//! Text helpers shared by features: accent- and case-insensitive folding for sorting and search,
//! and escaping for LIKE patterns.

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
}
