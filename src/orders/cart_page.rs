//! The cart page (`/orders/new?customer=…`): the customer choice when none is chosen; else the
//! priced lines, one configure block per vendor in the cart (its tenant), the review with the
//! terms the order is placed under, and the catalog's search to add products.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::catalog::markups::Markups;
use crate::catalog::rules::{Billing, Category, Term, usual_offer, your_price};
use crate::catalog::store as catalog;
use crate::catalog::view::OfferChoice;
use crate::customers::store::{Customer, CustomerChoice, TenantChoice, markups_on};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::orders::cart::{PricedLine, priced_lines, today};
use crate::orders::placing::{MCA_LINK, PlaceForm};
use crate::orders::rules;
use crate::orders::store::{self, AgreementOnRecord};
use crate::partners::programs::EnrollmentStatus;
use crate::vendors::VendorCode;
use crate::web::PageCtx;
use crate::web::forms::Choice;
use crate::web::page;

/// Products offered at once in the cart's search (refine the search for others).
const CANDIDATES: usize = 8;

#[derive(Deserialize, Default)]
pub(crate) struct NewParams {
    #[serde(default)]
    pub customer: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub category: String,
}

#[derive(Template)]
#[template(path = "orders/choose_customer.html")]
struct ChooseCustomerPage {
    ctx: PageCtx,
    customers: Vec<CustomerChoice>,
    q: String,
    /// The product the order is for, when it started from the product's page.
    product: String,
}

/// The customer to order for, found by name or tax id.
pub(crate) async fn choose_customer(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    q: &str,
    product: &str,
) -> AppResult<Response> {
    let q: String = q.trim().chars().take(100).collect();
    let product: String = product.trim().chars().take(100).collect();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let customers = crate::customers::store::active_choices(&mut tx, me.reseller_id, &q).await?;
    tx.commit().await?;
    Ok(page::ok(&ChooseCustomerPage {
        ctx,
        customers,
        q,
        product,
    }))
}

/// A product the search found, to add to the cart.
pub struct Candidate {
    pub sku: String,
    pub name: String,
    pub offers: Vec<OfferChoice>,
    pub tenants: Vec<TenantChoice>,
    pub approved: bool,
}

/// The program terms a cart's order is placed under: (code, name, what was accepted).
pub struct TermsLine {
    pub code: String,
    pub name: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "orders/cart.html")]
struct CartPage {
    ctx: PageCtx,
    customer: Customer,
    cart_id: Uuid,
    lines: Vec<PricedLine>,
    /// Whether the user sees costs (`CurrentUser::sees_costs`).
    sees_costs: bool,
    total_cost: String,
    total_price: String,
    /// Your price for the whole first terms, and what the order commits to, in words.
    total_commitment: String,
    commitment: String,
    currency: String,
    q: String,
    candidates: Vec<Candidate>,
    can_place: bool,
    problems: usize,
    price_changes: usize,
    quote: String,
    start_date: String,
    configs: Vec<VendorConfig>,
    terms: Vec<TermsLine>,
    programs: Vec<catalog::Choice>,
    categories: Vec<Choice>,
    program: String,
    /// Something was searched for (an empty result says so).
    searched: bool,
    more_found: bool,
    place: PlaceView,
}

/// The tenant of one vendor in the cart: what is chosen, and the forms to choose or create it.
pub struct VendorConfig {
    pub vendor: VendorCode,
    pub is_microsoft: bool,
    pub label: String,
    /// The tenant every line of this vendor uses, when they agree.
    pub chosen: Option<String>,
    pub chosen_id: Option<Uuid>,
    pub transfer: bool,
    pub tenants: Vec<TenantChoice>,
    pub form: ConfigureForm,
    pub errors: FieldErrors,
    /// Which of the forms the messages are for (`existing`, `new`, `transfer`).
    pub mode: String,
    pub notice: Option<String>,
    pub transfer_help: String,
}

impl VendorConfig {
    /// The message of `field` when the messages are for the form of `mode`.
    pub fn error(&self, mode: &str, field: &str) -> Option<&'static str> {
        if self.mode == mode {
            self.errors.get(field)
        } else {
            None
        }
    }

    /// The form for a new tenant is the one the messages are for (it opens).
    pub fn open_new(&self) -> bool {
        self.mode == "new"
    }

    /// The transfer form is the one the messages are for (it opens).
    pub fn open_transfer(&self) -> bool {
        self.mode == "transfer"
    }

    /// Whether the cart's lines of this vendor use tenant `id`.
    pub fn is_chosen(&self, id: &Uuid) -> bool {
        self.chosen_id.as_ref() == Some(id)
    }

    /// What was typed in the form of `mode` (empty for the other forms).
    pub fn typed<'a>(&self, mode: &str, value: &'a str) -> &'a str {
        if self.mode == mode { value } else { "" }
    }
}

/// The configure forms as typed (one vendor, one mode).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ConfigureForm {
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub intent: String,
    #[serde(default)]
    pub tenant: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub token: String,
    /// The customer data a new Microsoft tenant needs.
    #[serde(flatten)]
    pub profile: rules::ProfileForm,
}

impl ConfigureForm {
    /// The customer's data, as the vendor forms start.
    pub fn from_customer(c: &Customer) -> Self {
        let prefix: String = crate::text::fold(&c.legal_name)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect();
        Self {
            prefix,
            profile: rules::ProfileForm {
                company: c.legal_name.clone(),
                contact_name: c.contact_name.clone(),
                contact_email: c.contact_email.clone(),
                contact_phone: c.contact_phone.clone(),
                address_line1: c.address_line1.clone(),
                city: c.city.clone(),
                region: c
                    .region_code
                    .clone()
                    .unwrap_or_else(|| c.region_name.clone()),
                postal_code: c.postal_code.clone(),
            },
            ..Default::default()
        }
    }
}

/// The outcome of a configure form shown again on the cart page.
pub struct ConfigState {
    pub form: ConfigureForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

/// A form of the cart page shown again, with what was typed and its messages.
pub enum Again {
    Nothing,
    Configure(Box<ConfigState>),
    Place(PlaceForm, FieldErrors),
}

/// What the review asks before placing: a purchase-order reference, and the customer's
/// acceptance of the Microsoft Customer Agreement when the cart buys from Microsoft and none is
/// on record (else the one on record, in words).
pub struct PlaceView {
    pub form: PlaceForm,
    pub errors: FieldErrors,
    pub needs_agreement: bool,
    pub on_record: Option<String>,
    pub agreement_link: &'static str,
    pub today: String,
}

impl PlaceView {
    fn of(
        ctx: &PageCtx,
        customer: &Customer,
        buys_from_microsoft: bool,
        on_record: Option<AgreementOnRecord>,
        typed: Option<(PlaceForm, FieldErrors)>,
    ) -> Self {
        let today = today().to_string();
        let (form, errors) = typed.unwrap_or_else(|| {
            let form = PlaceForm {
                mca_name: customer.contact_name.clone(),
                mca_email: customer.contact_email.clone(),
                mca_date: today.clone(),
                ..Default::default()
            };
            (form, FieldErrors::new())
        });
        let on_record = on_record.filter(|_| buys_from_microsoft).map(|a| {
            let day = crate::i18n::format_date(ctx.locale, a.accepted_on);
            ctx.t_with(
                "orders.agreement.on_record",
                &[
                    ("name", &a.signer_name),
                    ("email", &a.signer_email),
                    ("date", &day),
                ],
            )
        });
        Self {
            needs_agreement: buys_from_microsoft && on_record.is_none(),
            form,
            errors,
            on_record,
            agreement_link: MCA_LINK,
            today,
        }
    }
}

/// The cart page of `customer`, with a configure form's outcome.
pub(crate) async fn render(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    customer: Uuid,
    p: &NewParams,
    again: Again,
) -> AppResult<Response> {
    let (configured, placing) = match again {
        Again::Nothing => (None, None),
        Again::Configure(c) => (Some(*c), None),
        Again::Place(form, errors) => (None, Some((form, errors))),
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (currency, markup) = catalog::reseller_pricing(&mut tx, me.reseller_id).await?;
    let customer = crate::customers::store::get(&mut tx, me.reseller_id, customer)
        .await?
        .ok_or(AppError::NotFound)?;
    // The customer's own markup when it has one today, else each product's, else the default.
    let markups = markups_on(&mut tx, me.reseller_id, customer.id, today(), markup).await?;
    let cart_id = store::open_cart(&mut tx, me.reseller_id, me.user.id, customer.id).await?;
    let priced = priced_lines(
        &mut tx,
        &ctx,
        me.reseller_id,
        cart_id,
        &customer,
        &currency,
        &markups,
    )
    .await?;
    let tenants =
        crate::customers::store::tenant_choices(&mut tx, me.reseller_id, customer.id).await?;
    let terms = store::cart_terms(&mut tx, me.reseller_id, cart_id).await?;
    let agreement = store::microsoft_agreement(&mut tx, me.reseller_id, customer.id).await?;
    let public_id = crate::partners::store::public_id(&mut *tx, me.reseller_id).await?;
    let search = Search::of(p);
    let programs = catalog::programs(&mut *tx).await?;
    let (candidates, more_found) =
        candidates(&mut tx, &ctx, me, &search, (&currency, &markups), &tenants).await?;
    tx.commit().await?;
    let transfer_help = ctx.t_with(
        "orders.configure.transfer_help",
        &[("public_id", &public_id)],
    );
    let configs = vendor_configs(
        &ctx,
        &priced.lines,
        &tenants,
        &customer,
        configured,
        &transfer_help,
    );
    let place = PlaceView::of(
        &ctx,
        &customer,
        priced.buys_from_microsoft(),
        agreement,
        placing,
    );
    let status = if configs.iter().any(|c| !c.errors.is_empty()) || !place.errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let problems = priced.problems();
    let page = CartPage {
        can_place: !priced.lines.is_empty() && problems == 0,
        sees_costs: me.user.sees_costs(),
        total_cost: ctx.money(priced.total_cost, &currency),
        total_price: ctx.money(priced.total_price, &currency),
        total_commitment: ctx.money(priced.total_commitment, &currency),
        commitment: commitment_text(&ctx, &priced.lines),
        price_changes: priced.lines.iter().filter(|l| l.was.is_some()).count(),
        quote: priced.quote(&currency),
        start_date: crate::i18n::format_date(ctx.locale, today()),
        terms: terms_lines(&ctx, terms),
        categories: category_choices(&ctx, search.category),
        searched: !search.q.is_empty() || !search.program.is_empty() || search.category.is_some(),
        lines: priced.lines,
        customer,
        cart_id,
        currency,
        q: search.q,
        program: search.program,
        candidates,
        problems,
        configs,
        programs,
        more_found,
        place,
        ctx,
    };
    Ok(page::render(status, &page))
}

/// What the cart's product search asks for, checked as the catalog checks its own filters.
struct Search {
    q: String,
    query: catalog::Query,
    program: String,
    category: Option<Category>,
}

impl Search {
    fn of(p: &NewParams) -> Self {
        let q: String = p.q.trim().chars().take(100).collect();
        let query = crate::catalog::filters::ListParams {
            q: if p.product.is_empty() {
                q.clone()
            } else {
                p.product.clone()
            },
            program: p.program.clone(),
            category: p.category.clone(),
            ..Default::default()
        }
        .to_query();
        Self {
            program: query.program.clone(),
            category: query.category,
            q,
            query,
        }
    }

    fn is_empty(&self) -> bool {
        self.query.q.is_empty() && self.query.program.is_empty() && self.category.is_none()
    }
}

fn category_choices(ctx: &PageCtx, chosen: Option<Category>) -> Vec<Choice> {
    Category::ALL
        .iter()
        .map(|&c| Choice {
            code: c.code(),
            label: ctx.t(c.key()),
            selected: chosen == Some(c),
        })
        .collect()
}

fn terms_lines(ctx: &PageCtx, terms: Vec<store::AcceptedTerms>) -> Vec<TermsLine> {
    terms
        .into_iter()
        .map(|t| {
            let label = match (t.version, t.accepted_at) {
                (Some(v), Some(at)) => ctx.t_with(
                    "orders.terms_accepted",
                    &[("version", &v.to_string()), ("date", &ctx.day(at))],
                ),
                _ => ctx.t("orders.terms_not_accepted"),
            };
            TermsLine {
                code: t.code,
                name: t.name,
                label,
            }
        })
        .collect()
}

/// Products to add: the catalog's search, a few at a time (and whether more were found).
async fn candidates(
    tx: &mut sqlx::PgConnection,
    ctx: &PageCtx,
    me: &ResellerUser,
    search: &Search,
    (currency, markups): (&str, &Markups),
    tenants: &[TenantChoice],
) -> AppResult<(Vec<Candidate>, bool)> {
    if search.is_empty() {
        return Ok((Vec::new(), false));
    }
    let (found, _) =
        catalog::search(tx, &search.query, Some(me.reseller_id), currency, today()).await?;
    let more_found = found.len() > CANDIDATES;
    let found: Vec<_> = found.into_iter().take(CANDIDATES).collect();
    let ids: Vec<Uuid> = found.iter().map(|p| p.id).collect();
    let offers = catalog::priced_offers(&mut *tx, &ids, currency, today()).await?;
    let candidates = found
        .into_iter()
        .map(|product| {
            let own: Vec<_> = offers
                .iter()
                .filter(|o| o.product_id == product.id)
                .collect();
            let terms: Vec<(Term, Billing)> = own.iter().map(|o| (o.term, o.billing)).collect();
            let usual = usual_offer(&terms);
            Candidate {
                offers: own
                    .iter()
                    .map(|o| {
                        let mut choice = OfferChoice::new(
                            ctx,
                            o.term,
                            o.billing,
                            usual == Some((o.term, o.billing)),
                        );
                        if let Some(cost) = o.cost {
                            let markup = markups.of(product.id);
                            let price = ctx.unit_price(your_price(cost, markup), currency);
                            choice.label = format!("{} — {price}", choice.label);
                        }
                        choice
                    })
                    .collect(),
                tenants: tenants
                    .iter()
                    .filter(|t| t.vendor.code() == product.vendor_code)
                    .cloned()
                    .collect(),
                approved: product.enrollment == Some(EnrollmentStatus::Approved),
                sku: product.sku.clone(),
                name: product.name(ctx.locale).to_string(),
            }
        })
        .collect();
    Ok((candidates, more_found))
}

/// One configure block per vendor in the cart; the configure form's outcome goes to its
/// vendor's block.
fn vendor_configs(
    ctx: &PageCtx,
    lines: &[PricedLine],
    tenants: &[TenantChoice],
    customer: &Customer,
    mut configured: Option<ConfigState>,
    transfer_help: &str,
) -> Vec<VendorConfig> {
    let mut configs = Vec::new();
    for &vendor in VendorCode::ALL {
        let of_vendor: Vec<&PricedLine> = lines
            .iter()
            .filter(|l| l.line.vendor() == Some(vendor))
            .collect();
        let Some(first) = of_vendor.first().map(|l| &l.line) else {
            continue;
        };
        let agree = of_vendor.iter().all(|l| {
            l.line.tenant_id == first.tenant_id
                && l.line.transfer_token.is_some() == first.transfer_token.is_some()
        });
        let outcome = match configured.take() {
            Some(c) if c.form.vendor == vendor.code() => Some(c),
            other => {
                configured = other;
                None
            }
        };
        let (form, errors, notice) = match outcome {
            Some(c) => (c.form, c.errors, c.notice),
            None => (
                ConfigureForm::from_customer(customer),
                FieldErrors::new(),
                None,
            ),
        };
        configs.push(VendorConfig {
            vendor,
            is_microsoft: vendor == VendorCode::Microsoft,
            label: ctx.t(vendor.key()),
            chosen: if agree {
                first.tenant_domain.clone()
            } else {
                None
            },
            chosen_id: if agree { first.tenant_id } else { None },
            transfer: agree && first.transfer_token.is_some(),
            tenants: tenants
                .iter()
                .filter(|t| t.vendor == vendor)
                .cloned()
                .collect(),
            mode: form.mode.clone(),
            form,
            errors,
            notice,
            transfer_help: transfer_help.to_string(),
        });
    }
    configs
}

/// What the cart's lines commit to, in words: each term once ("12-month commitment"), and
/// Microsoft's window to reduce seats when a Microsoft line is there.
fn commitment_text(ctx: &PageCtx, lines: &[PricedLine]) -> String {
    let mut terms: Vec<Term> = lines.iter().map(|l| l.line.term).collect();
    terms.sort_by_key(|t| t.months());
    terms.dedup();
    let mut parts: Vec<String> = terms.iter().map(|t| ctx.t(t.commitment_key())).collect();
    if lines
        .iter()
        .any(|l| l.line.vendor() == Some(VendorCode::Microsoft))
    {
        parts.push(ctx.t("orders.microsoft_window"));
    }
    let text = parts.join("; ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}
