//! Text helpers shared by features: accent- and case-insensitive folding for sorting and search.

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

#[cfg(test)]
mod tests {
    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(super::fold("Ação Ñandú México"), "acao nandu mexico");
        assert_eq!(super::fold("日本"), "日本");
    }
}
