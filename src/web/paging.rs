//! Paging of lists: the page asked for (from `?page=`, or by keyset from `?after=`/`?before=`),
//! the rows it covers, and the links to the pages before and after it, which the
//! `partials/pager.html` include shows.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

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

/// A position in a list: the sort key of a row (as text) and its id, which breaks ties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}\u{0}{}", self.key, self.id))
    }

    /// The cursor of a link (`None` for anything a link of ours did not make).
    pub fn decode(s: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(s.as_bytes()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (key, id) = text.split_once('\u{0}')?;
        Some(Self {
            key: key.to_string(),
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

/// A page of a list read by keyset: its rows in display order, whether rows follow them in the
/// direction of travel, and how many the filters find in all (estimated beyond 10,000).
#[derive(Debug)]
pub struct Listing<T> {
    pub rows: Vec<T>,
    pub more: bool,
    pub total: crate::db::Total,
}

impl<T> Listing<T> {
    /// The page of `rows` read with one row more than `size` (to know whether more follow),
    /// put back in display order.
    pub fn of(mut rows: Vec<T>, size: i64, at: &Keyset, total: crate::db::Total) -> Self {
        let more = rows.len() as i64 > size;
        rows.truncate(size.max(0) as usize);
        if at.backwards() {
            rows.reverse();
        }
        Self { rows, more, total }
    }
}

/// Keyset paging: the page after or before a row (late pages cost what early ones do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keyset {
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
}

impl Keyset {
    /// The position of `?after=` and `?before=` (the first page when neither is one of ours).
    pub fn parse(after: &str, before: &str) -> Self {
        Self {
            after: Cursor::decode(after),
            before: Cursor::decode(before),
        }
    }

    /// The row the page starts from, if any.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.after.as_ref().or(self.before.as_ref())
    }

    /// Whether the page goes back from its cursor (rows are read in the reverse order).
    pub fn backwards(&self) -> bool {
        self.before.is_some() && self.after.is_none()
    }

    /// The links around `rows` (in display order); `more` says whether rows follow them in the
    /// direction of travel; `link("after" | "before", row)` is the address of the page after or
    /// before `row`.
    pub fn pager<R>(&self, rows: &[R], more: bool, link: impl Fn(&str, &R) -> String) -> Pager {
        let back = self.backwards();
        let first_page = self.cursor().is_none();
        let next = match rows.last() {
            Some(last) if more || back => Some(link("after", last)),
            _ => None,
        };
        let prev = match rows.first() {
            Some(first) if !first_page && (!back || more) => Some(link("before", first)),
            _ => None,
        };
        Pager::keyset(prev, next)
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
    fn cursors_survive_links_and_refuse_anything_else() {
        let c = Cursor {
            key: "padaria são joão".into(),
            id: Uuid::nil(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("!!!"), None);
        assert_eq!(Cursor::decode("YWJj"), None);
    }

    #[test]
    fn keyset_links_follow_the_direction_of_travel() {
        let link = |k: &str, r: &i32| format!("{k}:{r}");
        let first = Keyset::default();
        assert_eq!(first.pager(&[1, 2], true, link).prev, None);
        assert_eq!(
            first.pager(&[1, 2], true, link).next.as_deref(),
            Some("after:2")
        );
        assert!(!first.pager(&[1, 2], false, link).is_needed());
        let c = Cursor {
            key: "k".into(),
            id: Uuid::nil(),
        }
        .encode();
        let forward = Keyset::parse(&c, "");
        let last = forward.pager(&[3, 4], false, link);
        assert_eq!((last.prev.as_deref(), last.next), (Some("before:3"), None));
        // Going back: the next page is always there; the previous one only if rows remain.
        let back = Keyset::parse("", &c);
        assert!(back.backwards());
        let p = back.pager(&[1, 2], false, link);
        assert_eq!((p.prev, p.next.as_deref()), (None, Some("after:2")));
        assert_eq!(
            back.pager(&[1, 2], true, link).prev.as_deref(),
            Some("before:1")
        );
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
