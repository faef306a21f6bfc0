//! The context every page template receives (`ctx` in templates): the request's locale, the CSRF
//! token for forms, flash messages, the signed-in user for the header, and the current path for
//! the language selector. Pages render through [`render`], which marks the response as final so
//! the error-page middleware leaves it alone.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tower_sessions::Session;

use crate::error::AppError;
use crate::i18n::{self, Locale};
use crate::identity::{CurrentUser, Role};
use crate::web::flash::Flash;
use crate::web::{assets, csrf, flash, keys, locale};

#[derive(Clone, Debug)]
pub struct PageCtx {
    pub locale: Locale,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    /// Path and query of this request, for "come back here" links.
    pub path: String,
    pub user: Option<CurrentUser>,
}

/// Marks a response whose body is already the page the user should see.
#[derive(Clone, Copy, Debug)]
pub struct Rendered;

impl PageCtx {
    /// Whether this page was asked for with a query (filters, a search): an empty list then
    /// offers to clear them rather than to add the first item.
    pub fn filtered(&self) -> bool {
        self.path.contains('?')
    }

    /// Whether the signed-in user may place orders (an empty list offers a new one).
    pub fn may_order(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.orders())
    }

    /// Builds the context from the request and its session; creates the CSRF token if needed.
    pub async fn build(parts: &Parts, session: Option<&Session>) -> Self {
        let session_locale = match session {
            Some(s) => s.get::<Locale>(keys::LOCALE).await.ok().flatten(),
            None => None,
        };
        let locale = locale::resolve(&parts.headers, session_locale);
        let csrf = csrf::page_token(parts, session).await;
        let flashes = match session {
            Some(s) => flash::take(s).await,
            None => Vec::new(),
        };
        let user = parts.extensions.get::<CurrentUser>().cloned();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Self {
            locale,
            csrf,
            flashes,
            path,
            user,
        }
    }

    /// The translation of `key` in this page's language.
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.locale, key)
    }

    /// Like [`PageCtx::t`] with `%{name}` placeholders filled.
    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::t_with(self.locale, key, args)
    }

    /// The time zone pages show times in: the reseller's, for its users; UTC for staff.
    pub fn time_zone(&self) -> Option<&str> {
        self.user.as_ref().and_then(|u| u.time_zone.as_deref())
    }

    /// A moment with date, time and zone, in the viewer's time zone.
    pub fn moment(&self, at: time::OffsetDateTime) -> String {
        i18n::format_moment(self.locale, at, self.time_zone())
    }

    /// An amount of money in this page's language (`US$ 1,234.50`, `R$ 1.234,50`).
    pub fn money(&self, amount: rust_decimal::Decimal, currency: &str) -> String {
        i18n::format_money(self.locale, amount, currency)
    }

    /// A unit price, with the decimals it has beyond the cent (up to four).
    pub fn month(&self, day: time::Date) -> String {
        crate::i18n::format_month(self.locale, day)
    }

    pub fn date(&self, day: time::Date) -> String {
        crate::i18n::format_date(self.locale, day)
    }

    pub fn unit_price(&self, amount: rust_decimal::Decimal, currency: &str) -> String {
        i18n::format_unit_price(self.locale, amount, currency)
    }

    /// The date of a moment in the viewer's time zone.
    pub fn day(&self, at: time::OffsetDateTime) -> String {
        i18n::format_date(self.locale, i18n::local_date(at, self.time_zone()))
    }

    /// "N things": `many` with `%{count}` filled, or `one` when there is exactly one (both
    /// keys literals at the call, so the missing-key test sees them).
    pub fn t_count(&self, many: &str, one: &str, count: i64) -> String {
        let key = if count == 1 { one } else { many };
        self.t_with(key, &[("count", &i18n::format_integer(self.locale, count))])
    }

    /// How many rows a list has: `many` / `one` when counted, `about` when estimated
    /// (`%{count}` filled, rounded to two figures).
    pub fn t_total(&self, many: &str, one: &str, about: &str, total: crate::db::Total) -> String {
        match total {
            crate::db::Total::Exact(n) => self.t_count(many, one, n),
            crate::db::Total::About(n) => {
                let count = i18n::format_integer(self.locale, two_figures(n));
                self.t_with(about, &[("count", &count)])
            }
        }
    }

    /// The `lang` attribute of the page.
    pub fn lang(&self) -> &'static str {
        self.locale.code()
    }

    /// The languages for the selector: (code, native name, link, is current).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, String, bool)> {
        Locale::ALL
            .iter()
            .map(|l| {
                (
                    l.code(),
                    l.native_name(),
                    locale::switch_link(*l, &self.path),
                    *l == self.locale,
                )
            })
            .collect()
    }

    /// The URL of a static file, with its version for long caching.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session>().cloned();
        Ok(Self::build(parts, session.as_ref()).await)
    }
}

/// Renders a page template with a status; the response is final (no error page replaces it).
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            response.extensions_mut().insert(Rendered);
            response
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

/// 200, or 422 when the form on the page has errors to show.
pub fn form_status(errors: &crate::fields::FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A page with status 200.
pub fn ok(page: &impl Template) -> Response {
    render(StatusCode::OK, page)
}

/// A redirect after a successful form post (303, so the browser follows with GET).
pub fn see_other(location: &str) -> Response {
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_string())],
    )
        .into_response();
    response.extensions_mut().insert(Rendered);
    response
}

/// The help article each area of the portal opens from its help link (the first path prefix
/// that matches; the articles are `help/{slug}.*.md`), and the help centre's FAQ elsewhere.
const HELP_FOR: &[(&str, &str)] = &[
    ("/access-request", "first-access"),
    ("/login", "first-access"),
    ("/mfa", "first-access"),
    ("/password", "password-recovery"),
    ("/invitation", "users-and-roles"),
    ("/partner/users", "users-and-roles"),
    ("/partner/programs", "requesting-programs"),
    ("/partner", "google-transfer-token"),
    ("/customers", "adding-a-customer"),
    ("/orders", "ordering"),
    ("/catalog", "ordering"),
    ("/subscriptions", "managing-subscriptions"),
    ("/billing", "invoices-and-downloads"),
    ("/reports", "dashboard-and-reports"),
    ("/support/tickets", "support-tickets"),
];

impl PageCtx {
    /// The help article for this page: its area's, the licences' on a tenant's users, the
    /// dashboard's at home, the help centre's index on its own pages.
    pub fn help_href(&self) -> String {
        let path = self.path.split('?').next().unwrap_or("/");
        if path.starts_with("/support/help") {
            return "/support/help".into();
        }
        if path.starts_with("/customers/") && path.contains("/users") {
            return "/support/help/licences".into();
        }
        if path == "/" {
            return "/support/help/dashboard-and-reports".into();
        }
        let slug = HELP_FOR
            .iter()
            .find(|(prefix, _)| path == *prefix || path.starts_with(&format!("{prefix}/")))
            .map_or("faq", |(_, slug)| slug);
        format!("/support/help/{slug}")
    }
}

impl PageCtx {
    /// The main menu for the signed-in user: (link, label, is the current section). Entries
    /// are added here as features land, so the menu never shows a dead link.
    pub fn menu(&self) -> Vec<(&'static str, String, bool)> {
        let Some(user) = &self.user else {
            return Vec::new();
        };
        let path = self.path.split('?').next().unwrap_or("/");
        let mut entries: Vec<(&'static str, &'static str)> = Vec::new();
        if user.role == Role::Staff {
            entries.push(("/staff", "menu.staff_home"));
            entries.push(("/staff/access-requests", "menu.access_requests"));
            entries.push(("/staff/program-requests", "menu.program_requests"));
            entries.push(("/staff/resellers", "menu.resellers"));
            entries.push(("/staff/orders", "menu.staff_orders"));
            entries.push(("/staff/catalog", "menu.staff_catalog"));
            entries.push(("/staff/billing", "menu.staff_billing"));
            entries.push(("/staff/reports", "menu.reports"));
            entries.push(("/staff/tickets", "menu.help_desk"));
        } else {
            entries.push(("/", "menu.home"));
            entries.push(("/customers", "menu.customers"));
            entries.push(("/orders", "menu.orders"));
            entries.push(("/subscriptions", "menu.subscriptions"));
            entries.push(("/catalog", "menu.catalog"));
            if user.role.sees_billing() {
                entries.push(("/billing", "menu.billing"));
                entries.push(("/reports", "menu.reports"));
            }
            entries.push(("/support/tickets", "menu.support"));
            entries.push(("/partner/programs", "menu.programs"));
            entries.push(("/partner", "menu.account"));
            if user.role.manages_users() {
                entries.push(("/partner/users", "menu.users"));
            }
        }
        entries.push(("/profile", "menu.profile"));
        entries
            .iter()
            .map(|(href, key)| {
                let current = if *href == "/" || *href == "/staff" || *href == "/partner" {
                    path == *href
                } else {
                    path == *href || path.starts_with(&format!("{href}/"))
                };
                (*href, self.t(key), current)
            })
            .collect()
    }
}

/// An estimate rounded to its two leading figures (962 381 → 960 000): it is not exact, so it
/// does not look exact.
fn two_figures(n: i64) -> i64 {
    let unit = 10_i64.pow(n.max(1).ilog10().saturating_sub(1));
    (n + unit / 2) / unit * unit
}

#[cfg(test)]
mod tests {
    use super::two_figures;

    #[test]
    fn estimates_keep_two_leading_figures() {
        assert_eq!(two_figures(962_381), 960_000);
        assert_eq!(two_figures(10_001), 10_000);
        assert_eq!(two_figures(10_501), 11_000);
        assert_eq!(two_figures(99_999), 100_000);
        assert_eq!(two_figures(57), 57);
        assert_eq!(two_figures(0), 0);
    }
}
