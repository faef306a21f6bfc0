//! What a form's checks produce, without any web type (so pure rules can use it): messages
//! beside fields, keyed by field name (each a translation key), and the text-field helpers.

use std::collections::BTreeMap;

/// Messages beside fields: field name → translation key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<&'static str, &'static str>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// One error on one field.
    pub fn one(field: &'static str, key: &'static str) -> Self {
        let mut errors = Self::new();
        errors.add(field, key);
        errors
    }

    /// Records an error on `field` (the first one for a field wins).
    pub fn add(&mut self, field: &'static str, key: &'static str) {
        self.0.entry(field).or_insert(key);
    }

    /// The translation key of `field`'s error, if any.
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.get(field).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Trims a text field, bounds its length in characters and refuses control characters (a NUL,
/// an escape: nothing a person types; line breaks and tabs are kept).
pub fn trimmed(value: &str, max_chars: usize) -> Result<String, &'static str> {
    let v = value.trim();
    if v.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Err("form.control_characters")
    } else if v.chars().count() > max_chars {
        Err("form.too_long")
    } else {
        Ok(v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_per_field_wins() {
        let mut e = FieldErrors::new();
        e.add("email", "form.required");
        e.add("email", "form.invalid_email");
        assert_eq!(e.get("email"), Some("form.required"));
        assert_eq!(e.get("password"), None);
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn control_characters_are_refused_and_line_breaks_kept() {
        assert_eq!(trimmed("Acme\0", 20), Err("form.control_characters"));
        assert_eq!(trimmed("a\u{1b}[31m", 20), Err("form.control_characters"));
        assert_eq!(trimmed("a\u{85}b", 20), Err("form.control_characters"));
        assert_eq!(
            trimmed("line 1\r\nline\t2", 20),
            Ok("line 1\r\nline\t2".into())
        );
    }

    #[test]
    fn trimming_counts_characters_not_bytes() {
        assert_eq!(trimmed("  ação  ", 4), Ok("ação".to_string()));
        assert_eq!(trimmed("ação!", 4), Err("form.too_long"));
    }
}
