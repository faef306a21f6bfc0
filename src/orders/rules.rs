//! Order rules without I/O: what makes a cart line orderable, and the totals.

use rust_decimal::Decimal;

use crate::audit::Action;
use crate::catalog::rules::{Billing, Term};
use crate::countries::address;
use crate::customers::rules::parse_tenant;
use crate::domain::Email;
use crate::fields::{FieldErrors, trimmed};
use crate::partners::access::parse_phone;
use crate::vendors::TenantProfile;

/// Why a line cannot be ordered; each is a translation key (`orders.refused.<key>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    CustomerInactive,
    ProductRetired,
    NotOffered,
    NoPrice,
    Quantity,
    NeedsTenant,
    NeedsBase,
    Program(crate::partners::programs::NotOrderable),
    Currency,
    /// The product's vendor has no connection to order through.
    VendorNotConnected,
    Empty,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::CustomerInactive => "orders.refused.customer_inactive",
            Refusal::ProductRetired => "orders.refused.product_retired",
            Refusal::NotOffered => "orders.refused.not_offered",
            Refusal::NoPrice => "orders.refused.no_price",
            Refusal::Quantity => "orders.refused.quantity",
            Refusal::NeedsTenant => "orders.refused.needs_tenant",
            Refusal::NeedsBase => "orders.refused.needs_base",
            Refusal::Program(why) => why.key(),
            Refusal::Currency => "orders.refused.currency",
            Refusal::VendorNotConnected => "orders.refused.vendor_not_connected",
            Refusal::Empty => "orders.refused.empty",
        }
    }
}

/// What the checks of one line need to know.
#[derive(Clone, Debug)]
pub struct LineFacts {
    pub product_active: bool,
    pub offered: bool,
    pub has_price: bool,
    pub quantity: i32,
    pub min_seats: i32,
    pub max_seats: i32,
    pub has_tenant: bool,
    pub is_addon: bool,
    /// The base product is in the same cart or already subscribed for the customer.
    pub base_present: bool,
    /// The line was quoted in the cart's currency, which is still the reseller's.
    pub same_currency: bool,
    pub program: Result<(), crate::partners::programs::NotOrderable>,
    /// The portal can order from the product's vendor (Microsoft, Google).
    pub vendor_connected: bool,
}

/// The first reason this line cannot be ordered, if any.
pub fn check_line(f: &LineFacts) -> Result<(), Refusal> {
    f.program.map_err(Refusal::Program)?;
    if !f.vendor_connected {
        return Err(Refusal::VendorNotConnected);
    }
    if !f.product_active {
        return Err(Refusal::ProductRetired);
    }
    if !f.offered {
        return Err(Refusal::NotOffered);
    }
    if !f.has_price {
        return Err(Refusal::NoPrice);
    }
    if !f.same_currency {
        return Err(Refusal::Currency);
    }
    if f.quantity < f.min_seats || f.quantity > f.max_seats {
        return Err(Refusal::Quantity);
    }
    if !f.has_tenant {
        return Err(Refusal::NeedsTenant);
    }
    if f.is_addon && !f.base_present {
        return Err(Refusal::NeedsBase);
    }
    Ok(())
}

/// What the reseller saw when placing: each line's id, quantity, tenant and current unit cost,
/// hashed. Placing with another quote (prices changed since the page was shown) is refused.
pub fn quote(
    lines: impl IntoIterator<Item = (uuid::Uuid, i32, Option<uuid::Uuid>, Decimal)>,
    currency: &str,
) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(currency.as_bytes());
    for (id, quantity, tenant, cost) in lines {
        hash.update(format!("|{id}:{quantity}:{tenant:?}:{}", cost.normalize()).as_bytes());
    }
    hex::encode(&hash.finalize()[..12])
}

/// The data a vendor requires to create a tenant, as typed (prefilled from the customer).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
}

impl ProfileForm {
    /// Checks the vendor's required data with the customer's `country` rules.
    pub fn parse(&self, country: &str) -> Result<TenantProfile, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut text = |field: &'static str, value: &str, max: usize| match trimmed(value, max) {
            Ok(v) if v.is_empty() => {
                e.add(field, "form.required");
                v
            }
            Ok(v) => v,
            Err(k) => {
                e.add(field, k);
                String::new()
            }
        };
        let company = text("company", &self.company, 200);
        let contact_name = text("contact_name", &self.contact_name, 120);
        let address_line1 = text("address_line1", &self.address_line1, 200);
        let city = text("city", &self.city, 100);
        let contact_email = Email::parse(&self.contact_email)
            .map_err(|k| e.add("contact_email", k))
            .map(|m| m.to_string())
            .unwrap_or_default();
        let contact_phone = parse_phone(&self.contact_phone)
            .map_err(|k| e.add("contact_phone", k))
            .unwrap_or_default();
        let region = match address::find_region(country, &self.region) {
            Some(r) => r.name.to_string(),
            None if self.region.trim().is_empty() => {
                e.add("region", "form.required");
                String::new()
            }
            None => {
                e.add("region", "address.region_unknown");
                String::new()
            }
        };
        let postal_code = address::normalize_postal_code(country, &self.postal_code)
            .map_err(|k| e.add("postal_code", k))
            .unwrap_or_default();
        if !e.is_empty() {
            return Err(e);
        }
        Ok(TenantProfile {
            company,
            contact_name,
            contact_email,
            contact_phone,
            address_line1,
            city,
            region,
            postal_code,
            country: country.to_string(),
        })
    }
}

/// A new Microsoft tenant's domain from the prefix typed (`contoso` → `contoso.onmicrosoft.com`).
pub fn microsoft_domain(prefix: &str) -> Result<String, &'static str> {
    let prefix = prefix.trim().to_lowercase();
    let prefix = prefix.strip_suffix(".onmicrosoft.com").unwrap_or(&prefix);
    if prefix.is_empty() {
        return Err("form.required");
    }
    if prefix.len() > 27
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err("orders.configure.prefix_invalid");
    }
    let request = parse_tenant(
        "microsoft",
        "reserved",
        &format!("{prefix}.onmicrosoft.com"),
    )
    .map_err(|_| "orders.configure.prefix_invalid")?;
    Ok(request.domain)
}

/// A Google Workspace domain typed for a new tenant or a transfer.
pub fn google_domain(input: &str) -> Result<String, &'static str> {
    if input.trim().is_empty() {
        return Err("form.required");
    }
    parse_tenant("google", "linked", input)
        .map(|r| r.domain)
        .map_err(|(_, key)| key)
}

/// Rounds an amount to the cent (half away from zero): the one rounding of a line.
pub use crate::subscriptions::proration::cents;

/// The amount of one line per billing period: unit × quantity, rounded to the cent.
pub fn line_total(unit: Decimal, quantity: i32) -> Decimal {
    cents(unit * Decimal::from(quantity))
}

/// How many billing periods one term holds (a year billed monthly: 12; billed yearly: 1).
pub fn periods_in_term(term: Term, billing: Billing) -> u32 {
    (term.months() / billing.months()).max(1)
}

/// What one line commits to for its whole first term: its total per period times the periods.
pub fn commitment_total(unit: Decimal, quantity: i32, term: Term, billing: Billing) -> Decimal {
    line_total(unit, quantity) * Decimal::from(periods_in_term(term, billing))
}

/// The end of the first term starting on `start`.
pub fn term_end(start: time::Date, term: Term) -> time::Date {
    crate::subscriptions::proration::add_months(start, term.months() as i32)
}

/// Whether a billing frequency can be chosen for a term (`Billing::fits`).
pub fn fits(term: Term, billing: Billing) -> bool {
    billing.fits(term)
}

crate::text_enum! {
    /// Where an order stands: submitted → provisioning → completed | failed (the vendor's
    /// reason) | rejected (staff's reason). Its timeline's events carry the same values.
    pub enum OrderStatus {
        Submitted = "submitted" => "orders.status_submitted",
        Provisioning = "provisioning" => "orders.status_provisioning",
        Completed = "completed" => "orders.status_completed",
        Failed = "failed" => "orders.status_failed",
        Rejected = "rejected" => "orders.status_rejected",
    }
}

impl OrderStatus {
    /// The statuses in the order the filters list them (what needs attention first).
    pub const FILTERS: [OrderStatus; 5] = [
        OrderStatus::Failed,
        OrderStatus::Submitted,
        OrderStatus::Provisioning,
        OrderStatus::Completed,
        OrderStatus::Rejected,
    ];

    /// Still on its way to the vendor (the order page refreshes itself).
    pub fn in_progress(self) -> bool {
        matches!(self, OrderStatus::Submitted | OrderStatus::Provisioning)
    }

    /// A status filter from a query string: a known status, or none (all).
    pub fn filter(raw: &str) -> Option<Self> {
        Self::from_code(raw)
    }
}

crate::text_enum! {
    /// Where one line of an order stands at the vendor.
    pub enum LineStatus {
        Pending = "pending" => "orders.line_pending",
        Completed = "completed" => "orders.line_completed",
        Failed = "failed" => "orders.line_failed",
    }
}

crate::text_enum! {
    /// Where the first administrator of a tenant an order brings into being stands.
    pub enum AdminStatus {
        Pending = "pending" => "orders.admin.pending",
        Made = "made" => "orders.admin.made",
        Refused = "refused" => "orders.admin.refused",
    }
}

/// The display name of a new tenant's first administrator, as vendors name it.
pub const ADMIN_DISPLAY_NAME: &str = "Administrator";

/// The user name of a new tenant's first administrator: `admin@` its domain.
pub fn admin_user_name(domain: &str) -> String {
    format!("admin@{}", domain.to_lowercase())
}

crate::text_enum! {
    /// A cart is open until its order is placed.
    pub enum CartStatus {
        Open = "open",
        Ordered = "ordered",
    }
}

crate::text_enum! {
    /// What staff decide about an order.
    pub enum Decision {
        Retry = "retry",
        Reject = "reject",
    }
}

/// What a staff decision does to an order in `status`: the audit action and the status the
/// order moves to. `None` when the decision no longer applies (decided by someone else, or the
/// order moved on), which the page says instead of changing anything.
pub fn decide(status: OrderStatus, decision: Decision) -> Option<(Action, OrderStatus)> {
    match (status, decision) {
        (OrderStatus::Failed, Decision::Retry) => {
            Some((Action::OrderRetried, OrderStatus::Provisioning))
        }
        (OrderStatus::Failed | OrderStatus::Submitted, Decision::Reject) => {
            Some((Action::OrderRejected, OrderStatus::Rejected))
        }
        _ => None,
    }
}

/// How provisioning ends: failed with the first vendor reason when a line failed, completed
/// otherwise.
pub fn outcome(failure: Option<&str>) -> OrderStatus {
    if failure.is_some() {
        OrderStatus::Failed
    } else {
        OrderStatus::Completed
    }
}

/// An order's number as people say it (`ORD-001042`).
pub fn order_number(n: i64) -> String {
    format!("ORD-{n:06}")
}

crate::text_enum! {
    /// How the orders list is sorted.
    #[derive(Default)]
    pub enum OrderSort {
        #[default]
        Newest = "newest" => "orders.sort_newest",
        Oldest = "oldest" => "orders.sort_oldest",
        TotalDesc = "total_desc" => "orders.sort_total_desc",
        TotalAsc = "total_asc" => "orders.sort_total_asc",
    }
}

impl OrderSort {
    /// From a query string; anything unknown sorts newest first.
    pub fn parse(raw: &str) -> Self {
        Self::from_code(raw).unwrap_or_default()
    }

    /// The ORDER BY clause, or its reverse to read a page backwards (ties broken by id, so
    /// pages never overlap).
    pub fn sql(self, backwards: bool) -> &'static str {
        match (self, backwards) {
            (OrderSort::Newest, false) | (OrderSort::Oldest, true) => {
                "o.created_at DESC, o.id DESC"
            }
            (OrderSort::Oldest, false) | (OrderSort::Newest, true) => "o.created_at ASC, o.id ASC",
            (OrderSort::TotalDesc, false) | (OrderSort::TotalAsc, true) => {
                "o.total_price DESC, o.id DESC"
            }
            (OrderSort::TotalAsc, false) | (OrderSort::TotalDesc, true) => {
                "o.total_price ASC, o.id ASC"
            }
        }
    }
}

/// A date filter typed as `YYYY-MM-DD` (what `<input type=date>` sends): empty is no filter,
/// anything else that is not a date is an error to show beside the field.
pub fn date_filter(raw: &str) -> Result<Option<time::Date>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw, &format)
        .map(Some)
        .map_err(|_| "orders.invalid_date")
}

/// The order number a search names (`ORD-001042`, `ord-1042` or `1042`), if it names one.
pub fn order_number_query(q: &str) -> Option<i64> {
    let q = q.trim();
    let digits = match q.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("ord-") => &q[4..],
        _ => q,
    };
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn a_unit_price_is_not_rounded_before_it_is_multiplied() {
        // 0.0125 at 20 % is 0.015 a unit: 100 000 units are 1 500.00, not 0.02 × 100 000.
        let unit = crate::catalog::rules::your_price(Decimal::new(125, 4), Decimal::from(20));
        assert_eq!(unit, Decimal::new(15, 3));
        assert_eq!(line_total(unit, 100_000), Decimal::new(150_000, 2));
        assert_eq!(
            line_total(Decimal::new(3_833_295, 6), 3),
            Decimal::new(1150, 2)
        );
    }

    proptest! {
        /// A line is its exact amount rounded once to the cent: never more than half a cent
        /// away, whatever the cost (4 decimals), the markup (2) and the quantity.
        #[test]
        fn a_line_is_its_exact_amount_rounded_once(
            cost in 0i64..100_000_000,
            markup in 0i64..50_000,
            quantity in 1i32..300_000,
        ) {
            let (cost, markup) = (Decimal::new(cost, 4), Decimal::new(markup, 2));
            let unit = crate::catalog::rules::your_price(cost, markup);
            let exact = cost * (Decimal::ONE + markup / Decimal::ONE_HUNDRED) * Decimal::from(quantity);
            let line = line_total(unit, quantity);
            prop_assert_eq!(line.scale() <= 2, true);
            prop_assert!((line - exact).abs() <= Decimal::new(5, 3));
            prop_assert_eq!(line, cents(exact));
        }
    }

    fn ok_facts() -> LineFacts {
        LineFacts {
            product_active: true,
            offered: true,
            has_price: true,
            quantity: 10,
            min_seats: 1,
            max_seats: 300,
            has_tenant: true,
            is_addon: false,
            base_present: false,
            same_currency: true,
            program: Ok(()),
            vendor_connected: true,
        }
    }

    #[test]
    fn lines_are_checked_in_order() {
        assert_eq!(check_line(&ok_facts()), Ok(()));
        let mut f = ok_facts();
        f.quantity = 301;
        assert_eq!(check_line(&f), Err(Refusal::Quantity));
        let mut f = ok_facts();
        f.is_addon = true;
        assert_eq!(check_line(&f), Err(Refusal::NeedsBase));
        f.base_present = true;
        assert_eq!(check_line(&f), Ok(()));
        let mut f = ok_facts();
        f.program = Err(crate::partners::programs::NotOrderable::Pending);
        f.quantity = 0;
        assert_eq!(
            check_line(&f),
            Err(Refusal::Program(
                crate::partners::programs::NotOrderable::Pending
            ))
        );
        let mut f = ok_facts();
        f.has_tenant = false;
        assert_eq!(check_line(&f), Err(Refusal::NeedsTenant));
        let mut f = ok_facts();
        f.vendor_connected = false;
        assert_eq!(check_line(&f), Err(Refusal::VendorNotConnected));
    }

    #[test]
    fn a_line_quoted_in_another_currency_is_refused() {
        let mut f = ok_facts();
        f.same_currency = false;
        assert_eq!(check_line(&f), Err(Refusal::Currency));
    }

    #[test]
    fn the_quote_changes_with_any_price_quantity_or_tenant() {
        let (a, t) = (uuid::Uuid::new_v4(), Some(uuid::Uuid::new_v4()));
        let cost: Decimal = "11.00".parse().unwrap();
        let base = quote([(a, 10, t, cost)], "USD");
        assert_eq!(base, quote([(a, 10, t, "11".parse().unwrap())], "USD"));
        assert_ne!(base, quote([(a, 10, t, "11.01".parse().unwrap())], "USD"));
        assert_ne!(base, quote([(a, 11, t, cost)], "USD"));
        assert_ne!(base, quote([(a, 10, None, cost)], "USD"));
        assert_ne!(base, quote([(a, 10, t, cost)], "BRL"));
    }

    #[test]
    fn new_tenant_domains_follow_the_vendor() {
        assert_eq!(
            microsoft_domain(" Contoso "),
            Ok("contoso.onmicrosoft.com".into())
        );
        assert_eq!(
            microsoft_domain("contoso.onmicrosoft.com"),
            Ok("contoso.onmicrosoft.com".into())
        );
        assert_eq!(microsoft_domain(""), Err("form.required"));
        assert_eq!(
            microsoft_domain("con toso"),
            Err("orders.configure.prefix_invalid")
        );
        assert_eq!(
            microsoft_domain(&"a".repeat(28)),
            Err("orders.configure.prefix_invalid")
        );
        assert_eq!(google_domain("Fabrikam.com"), Ok("fabrikam.com".into()));
        assert!(google_domain("x.onmicrosoft.com").is_err());
        assert_eq!(google_domain(" "), Err("form.required"));
    }

    #[test]
    fn the_vendor_profile_needs_every_field_in_the_country_format() {
        let form = ProfileForm {
            company: "Contoso México".into(),
            contact_name: "Ana".into(),
            contact_email: "ana@contoso.example".into(),
            contact_phone: "+52 55 5555 5555".into(),
            address_line1: "Reforma 1".into(),
            city: "Ciudad de México".into(),
            region: "CMX".into(),
            postal_code: "06600".into(),
        };
        let profile = form.parse("MX").unwrap();
        assert_eq!(profile.country, "MX");
        let bad = ProfileForm {
            contact_email: "ana@".into(),
            postal_code: "ABC".into(),
            company: " ".into(),
            ..form
        };
        let errors = bad.parse("MX").unwrap_err();
        assert_eq!(errors.get("company"), Some("form.required"));
        assert!(errors.get("contact_email").is_some());
        assert!(errors.get("postal_code").is_some());
        assert_eq!(errors.get("city"), None);
    }

    #[test]
    fn totals_round_once_per_line() {
        let unit: Decimal = "14.7840".parse().unwrap();
        assert_eq!(line_total(unit, 3).to_string(), "44.35");
        assert_eq!(line_total("0.005".parse().unwrap(), 1).to_string(), "0.01");
        assert_eq!(line_total("12.5".parse().unwrap(), 10), Decimal::from(125));
    }

    #[test]
    fn terms_end_on_the_same_day_months_later() {
        assert_eq!(
            term_end(date!(2026 - 11 - 24), Term::Yearly),
            date!(2027 - 11 - 24)
        );
        assert_eq!(
            term_end(date!(2026 - 01 - 31), Term::Monthly),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            term_end(date!(2026 - 12 - 15), Term::Monthly),
            date!(2027 - 01 - 15)
        );
        assert_eq!(
            term_end(date!(2024 - 02 - 29), Term::ThreeYears),
            date!(2027 - 02 - 28)
        );
    }

    #[test]
    fn sorting_and_date_filters_come_from_the_query_string() {
        assert_eq!(OrderSort::parse("total_desc"), OrderSort::TotalDesc);
        assert_eq!(OrderSort::parse("; drop"), OrderSort::Newest);
        for &s in OrderSort::ALL {
            assert_eq!(OrderSort::parse(s.code()), s);
            for back in [false, true] {
                assert!(s.sql(back).ends_with("o.id DESC") || s.sql(back).ends_with("o.id ASC"));
            }
            // Backwards is the exact reverse: every DESC an ASC.
            assert_eq!(
                s.sql(true),
                s.sql(false)
                    .replace("DESC", "X")
                    .replace("ASC", "DESC")
                    .replace('X', "ASC")
            );
        }
        assert_eq!(date_filter(" "), Ok(None));
        assert_eq!(date_filter("2026-11-24"), Ok(Some(date!(2026 - 11 - 24))));
        assert_eq!(date_filter("2026-02-30"), Err("orders.invalid_date"));
        assert_eq!(date_filter("24/11/2026"), Err("orders.invalid_date"));
    }

    #[test]
    fn searches_name_order_numbers_with_or_without_prefix() {
        assert_eq!(order_number_query("ORD-001042"), Some(1042));
        assert_eq!(order_number_query(" ord-1042 "), Some(1042));
        assert_eq!(order_number_query("1042"), Some(1042));
        assert_eq!(order_number_query("ORD-"), None);
        assert_eq!(order_number_query("contoso"), None);
        assert_eq!(order_number_query("ORD-12a"), None);
        assert_eq!(order_number_query("99999999999999999999"), None);
    }

    #[test]
    fn unknown_status_filters_mean_all() {
        assert_eq!(OrderStatus::filter("failed"), Some(OrderStatus::Failed));
        assert_eq!(OrderStatus::filter("FAILED"), None);
        assert_eq!(OrderStatus::filter("'; drop"), None);
        assert_eq!(OrderStatus::FILTERS.len(), OrderStatus::ALL.len());
    }

    #[test]
    fn staff_retry_failed_orders_and_reject_failed_or_waiting_ones() {
        use OrderStatus::*;
        assert_eq!(
            decide(Failed, Decision::Retry),
            Some((Action::OrderRetried, Provisioning))
        );
        assert_eq!(
            decide(Failed, Decision::Reject),
            Some((Action::OrderRejected, Rejected))
        );
        assert_eq!(
            decide(Submitted, Decision::Reject),
            Some((Action::OrderRejected, Rejected))
        );
        // Decided already, or at the vendor now: nothing to do.
        for status in [Completed, Rejected, Provisioning] {
            assert_eq!(decide(status, Decision::Retry), None, "{status}");
            assert_eq!(decide(status, Decision::Reject), None, "{status}");
        }
        assert_eq!(decide(Submitted, Decision::Retry), None);
    }

    #[test]
    fn provisioning_ends_failed_with_a_reason_or_completed() {
        assert_eq!(outcome(Some("payment_declined")), OrderStatus::Failed);
        assert_eq!(outcome(None), OrderStatus::Completed);
        assert!(OrderStatus::Submitted.in_progress());
        assert!(!OrderStatus::Failed.in_progress());
        assert_eq!(order_number(42), "ORD-000042");
    }

    #[test]
    fn a_commitment_is_the_period_total_times_the_periods_of_the_term() {
        use super::{commitment_total, periods_in_term};
        use crate::catalog::rules::{Billing, Term};
        use rust_decimal::Decimal;
        assert_eq!(periods_in_term(Term::Yearly, Billing::Monthly), 12);
        assert_eq!(periods_in_term(Term::Yearly, Billing::Annual), 1);
        assert_eq!(periods_in_term(Term::ThreeYears, Billing::Annual), 3);
        assert_eq!(periods_in_term(Term::Monthly, Billing::Monthly), 1);
        let unit: Decimal = "12.54".parse().unwrap();
        assert_eq!(
            commitment_total(unit, 10, Term::Yearly, Billing::Monthly),
            "1504.80".parse::<Decimal>().unwrap()
        );
        // Rounded per period first, as invoices charge it.
        let unit: Decimal = "0.333".parse().unwrap();
        assert_eq!(
            commitment_total(unit, 1, Term::Yearly, Billing::Monthly),
            "3.96".parse::<Decimal>().unwrap()
        );
    }
}
