//! How orders read on a page, for the order pages and for the pages of other features that
//! show orders (the customer page, the staff queue): list rows, status labels, the vendor's
//! reasons in the user's words, and the timeline.

use crate::identity::Role;
use crate::orders::rules::AdminStatus;
use crate::orders::rules::{OrderStatus, line_total, order_number};
use crate::orders::store::{Event, EventKind, OrderLine, OrderRow, TenantAdmin};
use crate::vendors::VendorErrorCode;
use crate::web::PageCtx;
use crate::web::forms::Choice;

/// The roles that may order.
pub const BUYERS: [Role; 3] = [Role::Owner, Role::Admin, Role::Sales];

/// An order as a row of a list: status, total and date in the page's language.
pub struct OrderListRow {
    pub order: OrderRow,
    pub number: String,
    pub status_label: String,
    pub total: String,
    pub created: String,
}

pub fn order_rows(ctx: &PageCtx, orders: Vec<OrderRow>) -> Vec<OrderListRow> {
    orders
        .into_iter()
        .map(|o| OrderListRow {
            number: order_number(o.number),
            status_label: ctx.t(o.status.key()),
            total: ctx.money(o.total_price, &o.currency),
            created: ctx.day(o.created_at),
            order: o,
        })
        .collect()
}

/// The status filter's options, labelled in the page's language.
pub fn status_options(ctx: &PageCtx, chosen: Option<OrderStatus>) -> Vec<Choice> {
    Choice::list(&OrderStatus::FILTERS, chosen, OrderStatus::code, |s| {
        ctx.t(s.key())
    })
}

/// A reason on an order or its timeline in the user's words: a vendor's error code is
/// translated, anything else (a reason typed by staff, the products retried) is shown as typed.
pub fn explain(ctx: &PageCtx, detail: &str) -> String {
    match VendorErrorCode::from_code(detail) {
        Some(code) => ctx.t(code.key()),
        None => detail.to_string(),
    }
}

/// One step of an order's timeline as the page shows it.
pub struct TimelineStep {
    pub at: String,
    pub status: String,
    pub detail: String,
    pub actor: String,
}

pub fn timeline(ctx: &PageCtx, events: Vec<Event>) -> Vec<TimelineStep> {
    events
        .into_iter()
        .map(|e| TimelineStep {
            at: ctx.moment(e.at),
            status: ctx.t(e.status.key()),
            detail: match e.kind {
                EventKind::Status => e.detail.map(|d| explain(ctx, &d)).unwrap_or_default(),
                // The status the order had been closed with meanwhile.
                EventKind::NotApplied => {
                    let closed = e.detail.as_deref().and_then(OrderStatus::from_code);
                    let closed = closed.map(|c| ctx.t(c.key())).unwrap_or_default();
                    ctx.t_with(EventKind::NotApplied.key(), &[("status", &closed)])
                }
            },
            actor: if e.by_system {
                ctx.t("orders.by_system")
            } else {
                e.actor.unwrap_or_default()
            },
        })
        .collect()
}

/// A line of an order as its page shows it.
pub struct LineView {
    pub line: OrderLine,
    pub term: String,
    pub billing: String,
    pub unit_price: String,
    pub total: String,
    pub status_label: String,
    pub error: Option<String>,
}

pub fn line_views(ctx: &PageCtx, currency: &str, lines: Vec<OrderLine>) -> Vec<LineView> {
    lines
        .into_iter()
        .map(|l| LineView {
            term: ctx.t(l.term.key()),
            billing: ctx.t(l.billing.key()),
            unit_price: ctx.unit_price(l.unit_price, currency),
            total: ctx.money(line_total(l.unit_price, l.quantity), currency),
            status_label: ctx.t(l.status.key()),
            error: l.error.map(|code| ctx.t(code.key())),
            line: l,
        })
        .collect()
}

/// The first administrator of a tenant the order brought into being, as its page shows it:
/// the temporary password only when it is shown now (this once).
pub struct AdminView {
    pub tenant: String,
    pub user_name: String,
    pub password: Option<String>,
    pub note: String,
    pub pending: bool,
}

/// `open` unseals a password taken to be shown now.
pub fn admin_views(
    ctx: &PageCtx,
    admins: Vec<TenantAdmin>,
    open: impl Fn(&[u8]) -> anyhow::Result<String>,
) -> anyhow::Result<Vec<AdminView>> {
    admins
        .into_iter()
        .map(|a| {
            let password = a.sealed.as_deref().map(&open).transpose()?;
            let tenant = [
                ("tenant", a.domain.as_str()),
                ("user", a.user_name.as_str()),
            ];
            let note = match (a.status, &password) {
                (AdminStatus::Made, Some(_)) => ctx.t_with("orders.admin.once", &tenant),
                (AdminStatus::Made, None) => ctx.t_with("orders.admin.shown", &tenant),
                (AdminStatus::Pending, _) => ctx.t_with("orders.admin.pending", &tenant),
                (AdminStatus::Refused, _) => {
                    let code = a.error.unwrap_or(VendorErrorCode::Unavailable);
                    let reason = ctx.t(code.key());
                    ctx.t_with(
                        "orders.admin.refused",
                        &[("tenant", a.domain.as_str()), ("reason", reason.as_str())],
                    )
                }
            };
            Ok(AdminView {
                pending: a.status == AdminStatus::Pending,
                tenant: a.domain,
                user_name: a.user_name,
                password,
                note,
            })
        })
        .collect()
}
