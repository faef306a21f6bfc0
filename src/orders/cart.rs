//! The cart of a user for a customer: add products with their term, billing and seats, change
//! quantities, remove lines, and place the order (once per cart, whatever the retries). The
//! page itself is built in `cart_page`; the vendor tenants of the lines in `configure`.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::catalog::markups::Markups;
use crate::catalog::rules::{Billing, ProductStatus, Term, your_price};
use crate::catalog::store as catalog;
use crate::customers::rules::CustomerStatus;
use crate::customers::store::{Customer, markups_on};
use crate::error::{AppError, AppResult};
use crate::identity::ResellerUser;
use crate::orders::cart_page::{self, Again, NewParams};
use crate::orders::placing::{self, PlaceForm, Placing};
use crate::orders::rules::{self, CartStatus, LineFacts, Refusal};
use crate::orders::store::{self, CartLine, NewCartLine, NewOrder, NewOrderLine};
use crate::orders::view::BUYERS;
use crate::vendors::VendorCode;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders/new", get(new_order))
        .route("/orders/cart/{cart}/lines", post(add_line))
        .route("/orders/cart/{cart}/lines/{line}/delete", post(remove_line))
        .route(
            "/orders/cart/{cart}/lines/{line}/quantity",
            post(change_quantity),
        )
        .route("/orders/cart/{cart}/place", post(place))
        .route(
            "/orders/cart/{cart}/configure",
            post(crate::orders::configure::configure),
        )
}

pub(crate) fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Where the cart of `customer` is shown.
pub(crate) fn cart_link(customer: Uuid) -> String {
    format!("/orders/new?customer={customer}")
}

/// A cart line priced and checked with today's prices and rules.
pub struct PricedLine {
    pub line: CartLine,
    pub name: String,
    pub term: String,
    pub billing: String,
    pub unit_cost: String,
    pub unit_price: String,
    pub total_price: String,
    pub problem: Option<String>,
    /// Your price when the line was added, when it changed since.
    pub was: Option<String>,
}

/// A cart's lines priced, with the totals of cost and of your price per period.
pub struct Priced {
    pub lines: Vec<PricedLine>,
    pub total_cost: Decimal,
    pub total_price: Decimal,
    /// Your price for the lines' whole first terms.
    pub total_commitment: Decimal,
}

impl Priced {
    /// What the reseller saw: every line's id, quantity, tenant and cost (`rules::quote`).
    pub fn quote(&self, currency: &str) -> String {
        rules::quote(
            self.lines.iter().map(|l| {
                let line = &l.line;
                (
                    line.id,
                    line.quantity,
                    line.tenant_id,
                    line.cost.unwrap_or_default(),
                )
            }),
            currency,
        )
    }

    /// Whether the order buys from Microsoft (its customer's acceptance of the Microsoft Customer
    /// Agreement must then be on record).
    pub fn buys_from_microsoft(&self) -> bool {
        self.lines
            .iter()
            .any(|l| l.line.vendor() == Some(VendorCode::Microsoft))
    }

    pub fn problems(&self) -> usize {
        self.lines.iter().filter(|l| l.problem.is_some()).count()
    }

    /// Why these lines cannot be placed as the reseller saw them (`quote`), if they cannot.
    pub fn refusal(&self, quote: &str, currency: &str) -> Option<&'static str> {
        if self.lines.is_empty() {
            Some(Refusal::Empty.key())
        } else if self.problems() > 0 {
            Some("orders.fix_lines")
        } else if quote != self.quote(currency) {
            // Prices (or lines) changed since the page was shown: show them and ask again.
            Some("orders.quote_changed")
        } else {
            None
        }
    }

    /// The order of these lines, their prices snapshotted (cost, and your price with the markup
    /// that prices each line's product).
    pub fn order<'a>(
        &'a self,
        cart_id: Uuid,
        customer_id: Uuid,
        placed_by: Uuid,
        currency: &'a str,
        markups: &Markups,
        placing: &'a Placing,
    ) -> NewOrder<'a> {
        NewOrder {
            placing,
            cart_id,
            customer_id,
            placed_by,
            currency,
            total_cost: self.total_cost,
            total_price: self.total_price,
            lines: self
                .lines
                .iter()
                .map(|l| {
                    let unit_cost = l.line.cost.unwrap_or_default();
                    let unit_price = your_price(unit_cost, markups.of(l.line.product_id));
                    NewOrderLine {
                        line: &l.line,
                        unit_cost,
                        unit_price,
                    }
                })
                .collect(),
        }
    }
}

/// Prices and checks every line of a cart with today's prices and rules (one query for the
/// lines, one for the programs they come from).
pub(crate) async fn priced_lines(
    tx: &mut sqlx::PgConnection,
    ctx: &PageCtx,
    reseller_id: Uuid,
    cart_id: Uuid,
    customer: &Customer,
    currency: &str,
    markups: &Markups,
) -> AppResult<Priced> {
    let lines = store::cart_lines(tx, reseller_id, cart_id, customer.id, currency, today()).await?;
    let programs: Vec<Uuid> = lines.iter().map(|l| l.program_id).collect();
    let verdicts = crate::partners::programs::may_order_all(tx, reseller_id, &programs).await?;
    let (mut total_cost, mut total_price) = (Decimal::ZERO, Decimal::ZERO);
    let mut total_commitment = Decimal::ZERO;
    let mut priced = Vec::new();
    for line in lines {
        let same_currency = line
            .quoted_currency
            .as_deref()
            .is_none_or(|c| c == currency);
        let facts = LineFacts {
            product_active: line.product_status == ProductStatus::Active,
            offered: line.offered,
            has_price: line.cost.is_some(),
            quantity: line.quantity,
            min_seats: line.min_seats,
            max_seats: line.max_seats,
            has_tenant: line.tenant_id.is_some(),
            is_addon: line.is_addon,
            base_present: line.base_present,
            same_currency,
            vendor_connected: line.vendor().is_some(),
            program: verdicts
                .get(&line.program_id)
                .copied()
                .unwrap_or(Err(crate::partners::programs::NotOrderable::NotRequested)),
        };
        let verdict = if customer.status != CustomerStatus::Active {
            Err(Refusal::CustomerInactive)
        } else {
            rules::check_line(&facts)
        };
        let cost = line.cost.unwrap_or_default();
        let markup = markups.of(line.product_id);
        let price = your_price(cost, markup);
        total_cost += rules::line_total(cost, line.quantity);
        total_price += rules::line_total(price, line.quantity);
        total_commitment += rules::commitment_total(price, line.quantity, line.term, line.billing);
        // The price when the line was added, if it changed since (same currency only).
        let was = match (line.quoted_cost, line.cost) {
            (Some(quoted), Some(now)) if same_currency && quoted != now => {
                Some(ctx.unit_price(your_price(quoted, markup), currency))
            }
            _ => None,
        };
        priced.push(PricedLine {
            name: line.name(ctx.locale).to_string(),
            term: ctx.t(line.term.key()),
            billing: ctx.t(line.billing.key()),
            unit_cost: ctx.unit_price(cost, currency),
            unit_price: ctx.unit_price(price, currency),
            total_price: ctx.money(rules::line_total(price, line.quantity), currency),
            problem: verdict.err().map(|r| ctx.t(r.key())),
            was,
            line,
        });
    }
    Ok(Priced {
        lines: priced,
        total_cost,
        total_price,
        total_commitment,
    })
}

async fn new_order(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<NewParams>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    match Uuid::parse_str(&p.customer) {
        Ok(customer) => cart_page::render(&state, ctx, &me, customer, &p, Again::Nothing).await,
        Err(_) => cart_page::choose_customer(&state, ctx, &me, &p.q, &p.product).await,
    }
}

/// The cart of this user, open (404 for another user's or another reseller's cart; an ordered
/// cart answers `None`, and its page shows the new, empty one).
pub(crate) async fn own_open_cart(
    tx: &mut sqlx::PgConnection,
    me: &ResellerUser,
    cart: Uuid,
) -> AppResult<(store::Cart, Option<Uuid>)> {
    let cart = store::cart(tx, me.reseller_id, me.user.id, cart)
        .await?
        .ok_or(AppError::NotFound)?;
    let open = (cart.status == CartStatus::Open).then_some(cart.id);
    Ok((cart, open))
}

#[derive(Deserialize)]
struct LineForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    offer: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    tenant: String,
}

/// A quantity typed in the cart: a whole number the database accepts (the product's own
/// minimum and maximum are rules shown on the line).
fn parse_quantity(raw: &str) -> Option<i32> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|q| (1..=1_000_000).contains(q))
}

/// The line a form asks for, checked against the catalog and the customer's tenants (a forged
/// product or another customer's tenant is refused); `None` when it names nothing orderable.
async fn line_of_form(
    tx: &mut sqlx::PgConnection,
    me: &ResellerUser,
    cart: &store::Cart,
    form: &LineForm,
) -> AppResult<Option<NewCartLine>> {
    let product = catalog::active_product_id(&mut *tx, &form.sku).await?;
    let offer = form
        .offer
        .split_once(':')
        .and_then(|(t, b)| Some((Term::parse(t)?, Billing::parse(b)?)));
    let (Some(product), Some((term, billing)), Some(quantity)) =
        (product, offer, parse_quantity(&form.quantity))
    else {
        return Ok(None);
    };
    let chosen = match Uuid::parse_str(&form.tenant) {
        Ok(id) => {
            crate::customers::store::tenant_of(tx, me.reseller_id, cart.customer_id, id).await?
        }
        Err(_) => None,
    };
    // Without a tenant chosen, the line takes the one the cart's other lines of this vendor use.
    let (tenant_id, transfer_token) = match chosen {
        Some(t) => (Some(t), None),
        None => store::vendor_tenant_in_cart(tx, me.reseller_id, cart.id, product).await?,
    };
    let (currency, _) = catalog::reseller_pricing(tx, me.reseller_id).await?;
    let quoted_cost =
        catalog::cost_on(&mut *tx, product, term, billing, &currency, today()).await?;
    Ok(Some(NewCartLine {
        product_id: product,
        term,
        billing,
        quantity,
        tenant_id,
        transfer_token,
        quoted_cost,
        quoted_currency: currency,
    }))
}

async fn add_line(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    Path(cart): Path<Uuid>,
    Form(form): Form<LineForm>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (cart, open) = own_open_cart(&mut tx, &me, cart).await?;
    let back = cart_link(cart.customer_id);
    if open.is_none() {
        return Ok(page::see_other(&back));
    }
    let Some(line) = line_of_form(&mut tx, &me, &cart, &form).await? else {
        flash::push(&session, Level::Error, "orders.bad_line", &[]).await;
        return Ok(page::see_other(&back));
    };
    store::add_line(&mut tx, me.reseller_id, cart.id, &line).await?;
    tx.commit().await?;
    Ok(page::see_other(&back))
}

async fn remove_line(
    State(state): State<AppState>,
    me: ResellerUser,
    Path((cart, line)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (cart, open) = own_open_cart(&mut tx, &me, cart).await?;
    if let Some(open) = open {
        store::remove_line(&mut tx, me.reseller_id, open, line).await?;
    }
    tx.commit().await?;
    Ok(page::see_other(&cart_link(cart.customer_id)))
}

#[derive(Deserialize)]
struct QuantityForm {
    #[serde(default)]
    quantity: String,
}

async fn change_quantity(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    Path((cart, line)): Path<(Uuid, Uuid)>,
    Form(form): Form<QuantityForm>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (cart, open) = own_open_cart(&mut tx, &me, cart).await?;
    let back = cart_link(cart.customer_id);
    let Some(quantity) = parse_quantity(&form.quantity) else {
        flash::push(&session, Level::Error, "orders.bad_quantity", &[]).await;
        return Ok(page::see_other(&back));
    };
    if let Some(open) = open {
        store::set_quantity(&mut tx, me.reseller_id, open, line, quantity).await?;
    }
    tx.commit().await?;
    Ok(page::see_other(&back))
}

/// Places the order of a cart: checks every rule and what the review asks (a purchase-order
/// reference, the Microsoft Customer Agreement's acceptance), snapshots prices, records the first
/// event and queues provisioning, all in one transaction. The cart id is the idempotency key:
/// double clicks, retries and two tabs give one order.
async fn place(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(cart): Path<Uuid>,
    Form(form): Form<PlaceForm>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (cart, _) = own_open_cart(&mut tx, &me, cart).await?;
    // Serialise placements of this cart; the unique key decides in the end anyway.
    store::lock_cart(&mut tx, me.reseller_id, cart.id).await?;
    if let Some(existing) = store::order_of_cart(&mut tx, me.reseller_id, cart.id).await? {
        return Ok(page::see_other(&format!("/orders/{existing}")));
    }
    let customer = crate::customers::store::get(&mut tx, me.reseller_id, cart.customer_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (currency, markup) = catalog::reseller_pricing(&mut tx, me.reseller_id).await?;
    let markups = markups_on(&mut tx, me.reseller_id, customer.id, today(), markup).await?;
    let priced = priced_lines(
        &mut tx,
        &ctx,
        me.reseller_id,
        cart.id,
        &customer,
        &currency,
        &markups,
    )
    .await?;
    if let Some(key) = priced.refusal(&form.quote, &currency) {
        flash::push(&session, Level::Error, key, &[]).await;
        return Ok(page::see_other(&cart_link(customer.id)));
    }
    let on_record = store::microsoft_agreement(&mut tx, me.reseller_id, customer.id).await?;
    let needs_agreement = priced.buys_from_microsoft() && on_record.is_none();
    let placing = match placing::placing(&form, needs_agreement, today()) {
        Ok(placing) => placing,
        Err(errors) => {
            tx.rollback().await?;
            let again = Again::Place(form, errors);
            let params = NewParams::default();
            return cart_page::render(&state, ctx, &me, customer.id, &params, again).await;
        }
    };
    let order = priced.order(
        cart.id,
        customer.id,
        me.user.id,
        &currency,
        &markups,
        &placing,
    );
    let order_id = store::place(&mut tx, me.reseller_id, &order).await?;
    let entry = placed_entry(&me, order_id, &priced, &currency, &placing, ip);
    let to = format!("/orders/{order_id}");
    flash::done(tx, &session, entry, "orders.placed", &[], &to).await
}

/// The audit entry of a placed order (with the agreement's acceptance when it records one).
fn placed_entry(
    me: &ResellerUser,
    order_id: Uuid,
    priced: &Priced,
    currency: &str,
    placing: &Placing,
    ip: std::net::IpAddr,
) -> audit::Entry<'static> {
    let acceptance = placing.acceptance.as_ref().map(|a| {
        serde_json::json!({
            "name": a.name, "email": a.email, "accepted_on": a.accepted_on.to_string(),
        })
    });
    audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("order"),
        subject_id: Some(order_id.to_string()),
        details: serde_json::json!({
            "total_price": priced.total_price, "currency": currency, "lines": priced.lines.len(),
            "po_reference": placing.po_reference, "microsoft_customer_agreement": acceptance,
        }),
        ip: Some(ip),
        ..audit::Entry::new(Action::OrderPlaced)
    }
}
