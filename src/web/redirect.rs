//! `?next=` targets: only paths on this site are followed, never another host.

/// `next` when it is a plain local path (`/orders?x=1`); `None` for anything that a browser could
/// read as another site (`//evil.example`, `/\evil.example`, `https://evil.example`) or that
/// carries control characters.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
        && next.len() <= 2048;
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_pass() {
        assert_eq!(safe_next("/orders?page=2"), Some("/orders?page=2"));
        assert_eq!(safe_next("/"), Some("/"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "evil.example",
            "/\tevil",
            "/ok\r\nSet-Cookie: x=1",
            "",
            "javascript:alert(1)",
            "/%0d%0a",
        ] {
            if bad == "/%0d%0a" {
                // Percent-encoded bytes stay inert in a Location header: allowed as a path.
                assert_eq!(safe_next(bad), Some(bad));
            } else {
                assert_eq!(safe_next(bad), None, "{bad:?} must be refused");
            }
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(3000))), None);
    }
}
