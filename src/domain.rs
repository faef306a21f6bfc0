//! Value types shared by several features. Each is parsed once at the edge ("parse, don't
//! validate") and carries its guarantee from then on.

use std::fmt;

/// An e-mail address as people type them: trimmed, one `@`, a dotted domain, bounded lengths.
/// The domain is lower-cased; the local part is kept as typed (comparisons use `citext`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    /// Parses `input`; the error is a translation key.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        if s.is_empty() {
            return Err("form.required");
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err("form.too_long");
        }
        let (local, domain) = s.rsplit_once('@').ok_or("form.invalid_email")?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let domain = domain.to_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && domain.len() <= 253
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.chars().all(char::is_alphabetic) && tld.len() >= 2);
        if !(local_ok && domain_ok) {
            return Err("form.invalid_email");
        }
        Ok(Self(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An internet domain name such as `contoso.com` or `contoso.onmicrosoft.com`: lower-cased
/// ASCII (internationalised names in their `xn--` form), at least two labels, a real top-level
/// domain shape.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Domain(String);

impl Domain {
    /// Parses `input`; the error is a translation key.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let d = input.trim().trim_end_matches('.').to_ascii_lowercase();
        if d.is_empty() {
            return Err("form.required");
        }
        if d.len() > 253 {
            return Err("form.too_long");
        }
        let labels: Vec<&str> = d.split('.').collect();
        let ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
            && labels.last().is_some_and(|tld| {
                tld.len() >= 2
                    && (tld.chars().all(|c| c.is_ascii_lowercase()) || tld.starts_with("xn--"))
            });
        if ok {
            Ok(Self(d))
        } else {
            Err("domain.invalid")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a Microsoft tenant's initial domain (`name.onmicrosoft.com`).
    pub fn is_onmicrosoft(&self) -> bool {
        self.0.ends_with(".onmicrosoft.com") && self.0.matches('.').count() == 2
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{Domain, Email};

    #[test]
    fn domains_have_a_real_form() {
        assert_eq!(
            Domain::parse(" Contoso.COM. ").unwrap().as_str(),
            "contoso.com"
        );
        assert!(
            Domain::parse("contoso.onmicrosoft.com")
                .unwrap()
                .is_onmicrosoft()
        );
        assert!(!Domain::parse("contoso.com").unwrap().is_onmicrosoft());
        assert!(Domain::parse("xn--caf-dma.com.br").is_ok());
        for bad in [
            "contoso",
            "-contoso.com",
            "contoso-.com",
            "conto so.com",
            "contoso.c",
            "contoso.123",
            "a..b.com",
            "http://contoso.com",
            "contóso.com",
        ] {
            assert_eq!(Domain::parse(bad), Err("domain.invalid"), "{bad}");
        }
        assert_eq!(Domain::parse(""), Err("form.required"));
    }

    #[test]
    fn emails_are_parsed_strictly_but_kindly() {
        assert_eq!(
            Email::parse("  Ana.Perez@Example.COM ").unwrap().as_str(),
            "Ana.Perez@example.com"
        );
        assert_eq!(
            Email::parse("joão@exemplo.com.br").unwrap().as_str(),
            "joão@exemplo.com.br"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "ana@@example.com",
            "ana@exa mple.com",
            "a..b@example.com",
            "ana@-example.com",
            "<b>@x.com",
            "ana@example.c0m",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(Email::parse(""), Err("form.required"));
        assert_eq!(
            Email::parse(&format!("{}@example.com", "a".repeat(250))),
            Err("form.too_long")
        );
    }
}
