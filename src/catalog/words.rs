//! What a catalog search means, without I/O: the vendors' abbreviations resellers type
//! ("M365", "O365", "GWS") read as the words the catalog writes, and a typed word the catalog
//! does not have corrected to the nearest one it has, one letter off ("offce" → "office").

use crate::text::{within_one, words};

/// Abbreviations and the words they stand for, folded.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("m365", "microsoft 365"),
    ("ms365", "microsoft 365"),
    ("o365", "office 365"),
    ("d365", "dynamics 365"),
    ("gws", "google workspace"),
    ("gsuite", "google workspace"),
    ("gcp", "google cloud"),
    ("aad", "entra id"),
    ("ms", "microsoft"),
    ("msft", "microsoft"),
    ("ppt", "powerpoint"),
    ("xls", "excel"),
];

/// The folded words of `typed`, abbreviations spelled out.
pub fn spelled_out(typed: &str) -> Vec<String> {
    words(typed)
        .into_iter()
        .flat_map(
            |w| match ABBREVIATIONS.iter().find(|(short, _)| *short == w) {
                Some((_, long)) => long.split(' ').map(str::to_string).collect(),
                None => vec![w],
            },
        )
        .collect()
}

/// Whether a word may be corrected: a typo is told from a short word or a number only in a
/// word of five letters or more.
pub fn correctable(word: &str) -> bool {
    word.chars().count() >= 5 && word.chars().any(char::is_alphabetic)
}

/// `word` itself when the catalog has it, else the first of `known` (the catalog's words most
/// like it, best first) one letter off, else `word`.
pub fn corrected(word: &str, known: &[String]) -> String {
    if !correctable(word) || known.iter().any(|k| k == word) {
        return word.to_string();
    }
    known
        .iter()
        .find(|k| within_one(word, k))
        .cloned()
        .unwrap_or_else(|| word.to_string())
}

/// Whether `typed` could be a SKU: one run of letters, digits and dashes with a digit in it.
pub fn may_be_sku(typed: &str) -> bool {
    let t = typed.trim();
    (4..=40).contains(&t.len())
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_read_as_the_catalog_writes_them() {
        assert_eq!(spelled_out("M365 E3"), ["microsoft", "365", "e3"]);
        assert_eq!(spelled_out("o365"), ["office", "365"]);
        assert_eq!(
            spelled_out("GWS Business"),
            ["google", "workspace", "business"]
        );
        assert_eq!(spelled_out("Teams"), ["teams"]);
        assert!(spelled_out("  ").is_empty());
    }

    #[test]
    fn a_word_one_letter_off_becomes_the_catalogs() {
        let known = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(corrected("offce", &known(&["offer", "office"])), "office");
        assert_eq!(
            corrected("office", &known(&["offices", "office"])),
            "office"
        );
        assert_eq!(
            corrected("bussines", &known(&["business"])),
            "bussines",
            "two letters off"
        );
        assert_eq!(corrected("busines", &known(&["business"])), "business");
        assert_eq!(
            corrected("tems", &known(&["teams"])),
            "tems",
            "too short to tell"
        );
        assert_eq!(corrected("zzzzz", &known(&[])), "zzzzz");
    }

    #[test]
    fn skus_are_told_from_words() {
        assert!(may_be_sku("CFQ7TTC0LH18"));
        assert!(may_be_sku("cfq7ttc0lh18:0001"));
        assert!(!may_be_sku("office"));
        assert!(!may_be_sku("m365 e3"));
        assert!(!may_be_sku("e3"));
    }
}
