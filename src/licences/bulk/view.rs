//! What the bulk pages show, in the reader's language: a file's difference before it is applied
//! and its progress after.

use uuid::Uuid;

use super::store::{BatchRow, FailedRow, Progress, Snapshot};
use super::{Action, Plan};
use crate::licences::rules::BatchStatus;
use crate::web::PageCtx;

/// How many rows of a difference (or of its problems) the page lists; the rest are counted.
pub const SHOWN: usize = 500;

/// A change a file makes.
pub struct StepLine {
    pub line: usize,
    pub user_name: String,
    /// The name of a user the file creates.
    pub new_user: Option<String>,
    pub licence: String,
    pub action: &'static str,
    pub action_label: String,
}

/// A row that cannot be applied, and why.
pub struct ProblemLine {
    pub line: usize,
    pub reason: String,
}

/// Seats a file needs beyond a subscription's free ones, with what one more costs.
pub struct MissingLine {
    pub subscription_id: Uuid,
    pub licence: String,
    pub seats: i32,
    pub text: String,
    pub price: String,
    /// The subscription's preview of adding them.
    pub add_link: String,
}

/// A file's difference against the tenant as it is.
pub struct Preview {
    pub summary: Vec<String>,
    pub steps: Vec<StepLine>,
    /// "… and 12 more rows", when not every row is listed.
    pub more_steps: Option<String>,
    pub problems: Vec<ProblemLine>,
    pub more_problems: Option<String>,
    pub missing: Vec<MissingLine>,
    pub applicable: bool,
}

pub fn reason(ctx: &PageCtx, key: &str, detail: &str) -> String {
    let text = ctx.t(key);
    if detail.is_empty() {
        text
    } else {
        format!("{text} ({detail})")
    }
}

pub fn preview(ctx: &PageCtx, plan: &Plan, tenant: &Snapshot) -> Preview {
    let licence = |id: Uuid| {
        tenant
            .licences
            .iter()
            .find(|l| l.subscription_id == id)
            .map(|l| {
                ctx.locale
                    .pick(&l.names[0], &l.names[1], &l.names[2])
                    .to_string()
            })
            .unwrap_or_default()
    };
    let adds = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::Add)
        .count();
    let count = |many: &str, one: &str, n: usize| ctx.t_count(many, one, n as i64);
    let summary = vec![
        count("bulk.creates", "bulk.creates_one", plan.creates.len()),
        count("bulk.adds", "bulk.adds_one", adds),
        count("bulk.removes", "bulk.removes_one", plan.steps.len() - adds),
        count("bulk.unchanged", "bulk.unchanged_one", plan.unchanged),
        count("bulk.problems", "bulk.problems_one", plan.problems.len()),
    ];
    let steps = plan
        .steps
        .iter()
        .take(SHOWN)
        .map(|s| StepLine {
            line: s.line,
            user_name: s.user_name.clone(),
            new_user: s.display_name.clone(),
            licence: licence(s.subscription_id),
            action: match s.action {
                Action::Add => "add",
                Action::Remove => "remove",
            },
            action_label: ctx.t(match s.action {
                Action::Add => "bulk.action_add",
                Action::Remove => "bulk.action_remove",
            }),
        })
        .collect();
    let problems = plan
        .problems
        .iter()
        .take(SHOWN)
        .map(|p| ProblemLine {
            line: p.line,
            reason: reason(ctx, p.key, &p.detail),
        })
        .collect();
    let missing = plan
        .seats_missing
        .iter()
        .map(|&(id, seats)| {
            let name = licence(id);
            let price = tenant.prices.get(&id).map_or_else(String::new, |p| {
                ctx.t_with(
                    "bulk.seat_price",
                    &[
                        ("price", &ctx.money(p.unit_price, &p.currency)),
                        (
                            "per",
                            &ctx.t(crate::subscriptions::view::per_key(p.billing)),
                        ),
                    ],
                )
            });
            MissingLine {
                subscription_id: id,
                text: ctx.t_with(
                    if seats == 1 {
                        "bulk.missing_one"
                    } else {
                        "bulk.missing"
                    },
                    &[("count", &seats.to_string()), ("licence", &name)],
                ),
                licence: name,
                seats,
                price,
                add_link: format!("/subscriptions/{id}/preview?kind=add_seats&quantity={seats}"),
            }
        })
        .collect();
    let more = |n: usize| {
        let rest = n.saturating_sub(SHOWN);
        (rest > 0).then(|| count("bulk.more_rows", "bulk.more_rows_one", rest))
    };
    Preview {
        summary,
        more_steps: more(plan.steps.len()),
        more_problems: more(plan.problems.len()),
        steps,
        problems,
        missing,
        applicable: plan.applicable(),
    }
}

/// A change of an applied file the vendor refused.
pub struct FailedLine {
    pub user_name: String,
    pub what: String,
    pub reason: String,
}

/// Where an applied file's changes are.
pub struct ProgressView {
    pub text: String,
    pub percent: i64,
    pub finished: bool,
    pub failed: Vec<FailedLine>,
}

pub fn progress(
    ctx: &PageCtx,
    status: BatchStatus,
    p: Progress,
    failed: Vec<FailedRow>,
) -> ProgressView {
    let total = p.pending + p.applied + p.failed;
    let decided = p.applied + p.failed;
    let count = |n: i64| crate::i18n::format_integer(ctx.locale, n);
    ProgressView {
        text: ctx.t_with(
            "bulk.progress",
            &[
                ("done", &count(decided)),
                ("total", &count(total)),
                ("applied", &count(p.applied)),
                ("failed", &count(p.failed)),
            ],
        ),
        percent: if total == 0 {
            100
        } else {
            decided * 100 / total
        },
        finished: status == BatchStatus::Done,
        failed: failed
            .into_iter()
            .map(|f| {
                let product = match (&f.product_es, &f.product_en, &f.product_pt) {
                    (Some(es), Some(en), Some(pt)) => format!(" · {}", ctx.locale.pick(es, en, pt)),
                    _ => String::new(),
                };
                FailedLine {
                    user_name: f.user_name.unwrap_or_default(),
                    what: format!("{}{product}", ctx.t(f.kind.key())),
                    reason: f
                        .error
                        .map(|e| ctx.t(e.key()))
                        .unwrap_or_else(|| ctx.t(f.status.key())),
                }
            })
            .collect(),
    }
}

/// A file on the tenant's list of recent ones.
pub struct BatchLine {
    pub link: String,
    pub file_name: String,
    pub status: &'static str,
    pub status_label: String,
    pub changes: String,
    pub by: String,
    pub at: String,
}

pub fn batches(ctx: &PageCtx, base: &str, rows: Vec<BatchRow>) -> Vec<BatchLine> {
    rows.into_iter()
        .map(|b| BatchLine {
            link: format!("{base}/{}", b.id),
            status: b.status.code(),
            status_label: ctx.t(b.status.key()),
            changes: if b.status == BatchStatus::Draft {
                "—".into()
            } else {
                crate::i18n::format_integer(ctx.locale, i64::from(b.changes))
            },
            by: b.actor.unwrap_or_default(),
            at: ctx.moment(b.created_at),
            file_name: b.file_name,
        })
        .collect()
}
