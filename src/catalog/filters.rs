//! What a catalog list is asked for: the query string parsed (only known values pass to the
//! query; anything else means "no filter"), and the links that keep it.

use serde::Deserialize;

use crate::catalog::rules::{Billing, Category, Kind, Term};
use crate::catalog::store::{CatalogSort, PAGE_SIZE};
use crate::web::paging::Page;

/// The query string of the catalog (and of the cart's product search).
#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub term: String,
    #[serde(default)]
    pub billing: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: Option<String>,
}

/// What the catalog list is asked for.
#[derive(Clone, Debug)]
pub struct Query {
    pub q: String,
    pub vendor: String,
    pub program: String,
    pub category: Option<Category>,
    pub kind: Option<Kind>,
    pub term: Option<Term>,
    pub billing: Option<Billing>,
    pub sort: CatalogSort,
    pub page: Page,
    /// Staff see retired products too.
    pub include_retired: bool,
}

/// A vendor or program code as the catalog writes them.
fn slug(v: &str) -> String {
    if v.len() <= 60 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        v.to_string()
    } else {
        String::new()
    }
}

impl ListParams {
    pub fn to_query(&self) -> Query {
        Query {
            q: self.q.trim().chars().take(100).collect(),
            vendor: slug(&self.vendor),
            program: slug(&self.program),
            category: Category::from_code(&self.category),
            kind: Kind::from_code(&self.kind),
            term: Term::parse(&self.term),
            billing: Billing::parse(&self.billing),
            sort: CatalogSort::from_code(&self.sort).unwrap_or_default(),
            page: Page::parse(self.page.as_deref(), PAGE_SIZE),
            include_retired: false,
        }
    }
}

impl Query {
    /// The query string of this list at `page`, for links that keep the filters.
    pub fn query_string(&self, page: i64) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        let sort = (self.sort != CatalogSort::Name).then(|| self.sort.code());
        for (k, v) in [
            ("q", self.q.as_str()),
            ("vendor", &self.vendor),
            ("program", &self.program),
            ("category", self.category.map_or("", Category::code)),
            ("kind", self.kind.map_or("", Kind::code)),
            ("term", self.term.map_or("", Term::code)),
            ("billing", self.billing.map_or("", Billing::code)),
            ("sort", sort.unwrap_or("")),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        if page > 1 {
            s.append_pair("page", &page.to_string());
        }
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_values_reach_the_query() {
        let q = ListParams {
            q: "  office  ".into(),
            vendor: "microsoft".into(),
            program: "x'; drop".into(),
            category: "email".into(),
            kind: "gadget".into(),
            term: "p1y".into(),
            sort: "price_desc".into(),
            page: Some("3".into()),
            ..Default::default()
        }
        .to_query();
        assert_eq!(q.q, "office");
        assert_eq!(q.vendor, "microsoft");
        assert_eq!(q.program, "");
        assert_eq!(q.category, Some(Category::Email));
        assert_eq!(q.kind, None);
        assert_eq!(q.term, Some(Term::Yearly));
        assert_eq!(q.sort, CatalogSort::PriceDesc);
        assert_eq!(q.page.number, 3);
        assert_eq!(
            q.query_string(2),
            "q=office&vendor=microsoft&category=email&term=P1Y&sort=price_desc&page=2"
        );
    }
}
