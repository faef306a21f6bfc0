//! Paging of lists: the page asked for (from `?page=`), the rows it covers, and the links to the
//! pages before and after it, which the `partials/pager.html` include shows.

/// Rows on a page of a table.
pub const TABLE_ROWS: i64 = 25;
/// The deepest page a link may ask for; deeper lists are narrowed with filters (or use keyset
/// paging, as customers do).
pub const MAX_PAGE: i64 = 10_000;

/// One page of a list: its number (from 1) and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub number: i64,
    pub size: i64,
}

impl Page {
    /// The page of `?page=` (1 when missing or not a number, at most [`MAX_PAGE`]), `size` rows.
    pub fn parse(raw: Option<&str>, size: i64) -> Self {
        let number = raw
            .and_then(|p| p.trim().parse::<i64>().ok())
            .unwrap_or(1)
            .clamp(1, MAX_PAGE);
        Self { number, size }
    }

    /// A page of a table ([`TABLE_ROWS`] rows).
    pub fn of_table(raw: Option<&str>) -> Self {
        Self::parse(raw, TABLE_ROWS)
    }

    /// How many rows come before this page.
    pub fn offset(self) -> i64 {
        (self.number - 1) * self.size
    }

    /// How many pages `total` rows fill (at least one, so an empty list is "page 1 of 1").
    pub fn count(self, total: i64) -> i64 {
        ((total.max(0) + self.size - 1) / self.size).max(1)
    }

    /// The links around this page of `total` rows; `link(n)` is the address of page `n`.
    pub fn links(self, total: i64, link: impl Fn(i64) -> String) -> Pager {
        let pages = self.count(total);
        Pager {
            prev: (self.number > 1).then(|| link((self.number - 1).min(pages))),
            next: (self.number < pages).then(|| link(self.number + 1)),
            label: None,
            number: self.number,
            pages,
        }
    }
}

/// What the pager shows: links to the previous and next pages, and an optional label
/// ("page 2 of 7").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pager {
    pub prev: Option<String>,
    pub next: Option<String>,
    pub label: Option<String>,
    pub number: i64,
    pub pages: i64,
}

impl Pager {
    /// Links for a list that knows only whether more rows follow (keyset paging).
    pub fn keyset(prev: Option<String>, next: Option<String>) -> Self {
        Self {
            prev,
            next,
            ..Self::default()
        }
    }

    /// The same pager with `label` between its links.
    pub fn labelled(self, label: String) -> Self {
        Self {
            label: Some(label),
            ..self
        }
    }

    /// Whether there is more than one page (the pager is shown).
    pub fn is_needed(&self) -> bool {
        self.prev.is_some() || self.next.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_or_huge_page_number_is_bounded() {
        assert_eq!(Page::of_table(None).number, 1);
        assert_eq!(Page::of_table(Some("x")).number, 1);
        assert_eq!(Page::of_table(Some("-4")).number, 1);
        assert_eq!(Page::of_table(Some(" 3 ")).number, 3);
        assert_eq!(Page::of_table(Some("99999999999")).number, MAX_PAGE);
        assert_eq!(Page::parse(Some("3"), 24).offset(), 48);
    }

    #[test]
    fn page_counts_and_links() {
        let page = Page::of_table(Some("2"));
        assert_eq!(page.count(0), 1);
        assert_eq!(page.count(25), 1);
        assert_eq!(page.count(26), 2);
        let pager = page.links(60, |n| format!("/x?page={n}"));
        assert_eq!(pager.prev.as_deref(), Some("/x?page=1"));
        assert_eq!(pager.next.as_deref(), Some("/x?page=3"));
        assert_eq!(pager.pages, 3);
        let last = Page::of_table(Some("3")).links(60, |n| n.to_string());
        assert_eq!(last.next, None);
        assert!(last.is_needed());
        let only = Page::of_table(None).links(3, |n| n.to_string());
        assert!(!only.is_needed());
        // Past the end, "previous" leads back to the last page.
        let beyond = Page::of_table(Some("9")).links(30, |n| n.to_string());
        assert_eq!(beyond.prev.as_deref(), Some("2"));
    }
}
