//! The help centre's articles: Markdown in the repository (`help/{slug}.{lang}.md`), one per
//! language, built into the binary, rendered once by pulldown-cmark with raw HTML escaped and
//! only the portal's own links kept (decision 0026), and searched with the catalog's
//! forgiveness: accents ignored, one typo allowed in a longer word.

use std::sync::OnceLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::i18n::Locale;
use crate::text::{finds, words};

crate::text_enum! {
    /// The help centre's topics, in the order it lists them.
    pub enum Topic {
        Access = "access" => "help.topic_access",
        Programs = "programs" => "help.topic_programs",
        Customers = "customers" => "help.topic_customers",
        Orders = "orders" => "help.topic_orders",
        Subscriptions = "subscriptions" => "help.topic_subscriptions",
        Billing = "billing" => "help.topic_billing",
        Support = "support" => "help.topic_support",
        Faq = "faq" => "help.topic_faq",
    }
}

/// The articles' sources: each slug in Spanish, English and Portuguese.
macro_rules! sources {
    ($($slug:literal),+ $(,)?) => {
        &[$(($slug, [
            include_str!(concat!("../../help/", $slug, ".es.md")),
            include_str!(concat!("../../help/", $slug, ".en.md")),
            include_str!(concat!("../../help/", $slug, ".pt-BR.md")),
        ])),+]
    };
}

const SOURCES: &[(&str, [&str; 3])] = sources![
    "first-access",
    "password-recovery",
    "users-and-roles",
    "requesting-programs",
    "microsoft-partner-enrolment",
    "adding-a-customer",
    "ordering",
    "google-transfer-token",
    "managing-subscriptions",
    "licences",
    "invoices-and-downloads",
    "dashboard-and-reports",
    "support-tickets",
    "faq",
];

/// An article in one language.
#[derive(Debug)]
pub struct Article {
    pub slug: &'static str,
    pub locale: Locale,
    pub title: String,
    pub topic: Topic,
    /// The body as HTML (safe to show as is).
    pub html: String,
    /// The title's words and the body's, folded (no accents, lower case), for the search.
    title_words: Vec<String>,
    words: Vec<String>,
}

/// Why a source is not an article.
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    NoFrontMatter,
    NoTitle,
    UnknownTopic(String),
}

/// The article of `source` (front matter `title:` and `topic:` between `---` lines, then the
/// Markdown body).
pub fn parse(slug: &'static str, locale: Locale, source: &str) -> Result<Article, Invalid> {
    let rest = source
        .trim_start_matches('\u{feff}')
        .strip_prefix("---")
        .ok_or(Invalid::NoFrontMatter)?;
    let (head, body) = rest.split_once("\n---").ok_or(Invalid::NoFrontMatter)?;
    let field = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let title = field("title")
        .filter(|t| !t.is_empty())
        .ok_or(Invalid::NoTitle)?;
    let topic = field("topic").unwrap_or_default();
    let topic = Topic::from_code(&topic).ok_or(Invalid::UnknownTopic(topic))?;
    let body = body.trim_start_matches(['-', '\r', '\n']);
    Ok(Article {
        slug,
        locale,
        title_words: words(&title),
        words: words(&plain(body)),
        html: render(body),
        title,
        topic,
    })
}

/// The Markdown `body` as HTML: raw HTML is shown as text, and a link or image that does not
/// point into the portal (a path starting with one `/`) keeps only its text.
pub fn render(body: &str) -> String {
    let mut depth_dropped = Vec::new();
    let events = Parser::new_ext(body, Options::ENABLE_TABLES).filter_map(|e| match e {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { dest_url, .. }) if !is_ours(&dest_url) => {
            depth_dropped.push(true);
            None
        }
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            depth_dropped.push(false);
            Some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => match depth_dropped.pop() {
            Some(true) => None,
            _ => Some(Event::End(TagEnd::Link)),
        },
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

fn is_ours(url: &CowStr) -> bool {
    url.starts_with('/') && !url.starts_with("//")
}

/// The text of a Markdown body, without its marks.
fn plain(body: &str) -> String {
    let mut text = String::new();
    for e in Parser::new(body) {
        if let Event::Text(t) | Event::Code(t) = e {
            text.push_str(&t);
            text.push(' ');
        }
    }
    text
}

impl Article {
    /// How well `query`'s words (folded) find the article: none when a word finds nothing; a
    /// word in the title counts more than one in the body.
    pub fn score(&self, query: &[String]) -> Option<u32> {
        let mut score = 0;
        for q in query {
            let in_title = self.title_words.iter().any(|w| finds(q, w));
            let in_body = self.words.iter().filter(|w| finds(q, w)).count() as u32;
            if !in_title && in_body == 0 {
                return None;
            }
            score += if in_title { 10 } else { 0 } + in_body.min(5);
        }
        Some(score)
    }
}

/// Every article, parsed once.
pub fn articles() -> &'static [Article] {
    static ALL: OnceLock<Vec<Article>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = Vec::new();
        for (slug, sources) in SOURCES {
            for (locale, source) in [Locale::Es, Locale::En, Locale::PtBr]
                .into_iter()
                .zip(sources)
            {
                match parse(slug, locale, source) {
                    Ok(a) => all.push(a),
                    // The test over every article keeps this from happening in a build.
                    Err(e) => tracing::error!(slug, ?e, "help article not read"),
                }
            }
        }
        all
    })
}

/// The article `slug` in `locale`.
pub fn article(slug: &str, locale: Locale) -> Option<&'static Article> {
    articles()
        .iter()
        .find(|a| a.slug == slug && a.locale == locale)
}

/// The articles in `locale` that `q` finds, best first (all, by topic, when `q` is blank).
pub fn search(q: &str, locale: Locale) -> Vec<&'static Article> {
    let query = words(q);
    let mut found: Vec<(u32, &Article)> = articles()
        .iter()
        .filter(|a| a.locale == locale)
        .filter_map(|a| {
            if query.is_empty() {
                Some((0, a))
            } else {
                a.score(&query).map(|s| (s, a))
            }
        })
        .collect();
    found.sort_by(|(sa, a), (sb, b)| sb.cmp(sa).then(a.topic.cmp(&b.topic)));
    found.into_iter().map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_article_is_written_in_every_language() {
        assert_eq!(
            articles().len(),
            SOURCES.len() * 3,
            "an article did not parse"
        );
        for (slug, _) in SOURCES {
            for locale in [Locale::Es, Locale::En, Locale::PtBr] {
                let a = article(slug, locale).unwrap_or_else(|| panic!("{slug} {locale:?}"));
                assert!(!a.html.is_empty());
                assert!(!a.html.contains("<script"), "{slug}");
            }
        }
    }

    #[test]
    fn raw_html_and_outside_links_do_not_pass() {
        let html = render(
            "Hola <script>alert(1)</script> [fuera](https://evil.example) y [dentro](/billing) \
             ![x](https://evil.example/x.png)\n\n<iframe src=x></iframe>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<iframe"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("evil.example"), "{html}");
        assert!(html.contains(r#"<a href="/billing">dentro</a>"#), "{html}");
        assert!(html.contains("fuera"));
        assert!(!render("[x](//evil.example)").contains("href"));
    }

    #[test]
    fn the_front_matter_names_the_title_and_topic() {
        let a = parse(
            "x",
            Locale::Es,
            "---\ntitle: Primer acceso\ntopic: access\n---\nTexto *aquí*.",
        )
        .unwrap();
        assert_eq!(a.title, "Primer acceso");
        assert_eq!(a.topic, Topic::Access);
        assert!(a.html.contains("<em>aquí</em>"));
        assert_eq!(
            parse("x", Locale::Es, "no front matter").unwrap_err(),
            Invalid::NoFrontMatter
        );
        assert_eq!(
            parse("x", Locale::Es, "---\ntitle: T\ntopic: nope\n---\n").unwrap_err(),
            Invalid::UnknownTopic("nope".into())
        );
    }

    #[test]
    fn search_forgives_accents_and_one_typo() {
        let a = parse(
            "x",
            Locale::Es,
            "---\ntitle: Facturación mensual\ntopic: billing\n---\nDescargue la factura en PDF.",
        )
        .unwrap();
        let q = |s: &str| words(s);
        assert!(a.score(&q("facturacion")).is_some());
        assert!(a.score(&q("factuacion")).is_some(), "one letter missing");
        assert!(a.score(&q("descarge pdf")).is_some());
        assert!(a.score(&q("facturacion transferencia")).is_none());
        assert!(
            a.score(&q("pfd")).is_none(),
            "short words must match their start"
        );
        assert!(
            a.score(&q("factura")) > a.score(&q("descargue")),
            "titles first"
        );
    }
}
