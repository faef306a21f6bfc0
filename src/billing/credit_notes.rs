//! Credit notes, without I/O: the only correction of an issued invoice. Staff credit whole
//! lines of it (those they tick, those whose numbers they type, or every line not credited
//! yet) with a reason; each line is credited once at most, in full. What staff chose is read
//! and checked here; `store::credit_notes` writes the note.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

/// A credit note's number: `CN-2026-000001`, the year it was issued and its place in the
/// installation's sequence of credit notes.
pub fn number(year: i32, sequence: i64) -> String {
    format!("CN-{year:04}-{sequence:06}")
}

/// The most lines one credit note names by number (the whole invoice has no limit).
pub const MAX_NAMED: usize = 10_000;

/// Which lines of the invoice a credit note credits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every line not credited yet (the whole invoice, or what is left of it).
    Whole,
    /// These lines, by number.
    Lines(BTreeSet<i32>),
}

/// The lines staff chose: `whole`, or the boxes ticked (`ticked`, line numbers) with the numbers
/// typed (`typed`: `3, 7-9 12`). The error is a message key.
pub fn selection(whole: bool, ticked: &[String], typed: &str) -> Result<Selection, &'static str> {
    if whole {
        return Ok(Selection::Whole);
    }
    let mut lines = BTreeSet::new();
    for t in ticked {
        lines.insert(line_number(t.trim())?);
    }
    for part in typed
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (line_number(from)?, line_number(to)?);
                if from > to || (to - from) as usize >= MAX_NAMED {
                    return Err("billing.cn_lines_invalid");
                }
                lines.extend(from..=to);
            }
            None => {
                lines.insert(line_number(part)?);
            }
        }
        if lines.len() > MAX_NAMED {
            return Err("billing.cn_lines_too_many");
        }
    }
    if lines.is_empty() {
        return Err("billing.cn_lines_required");
    }
    if lines.len() > MAX_NAMED {
        return Err("billing.cn_lines_too_many");
    }
    Ok(Selection::Lines(lines))
}

fn line_number(s: &str) -> Result<i32, &'static str> {
    match s.parse::<i32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("billing.cn_lines_invalid"),
    }
}

/// A line named by a credit note, as the invoice has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub line_no: i32,
    pub cost: Decimal,
    /// The credit note that already credited it.
    pub credited_by: Option<String>,
}

/// Why the lines named cannot be credited: a message key and the lines it is about (`3, 7`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub key: &'static str,
    pub lines: String,
}

/// Whether the lines `chosen` can be credited, given what the invoice says of those it has
/// (`found`): each must be on the invoice, not credited yet, and charge something (a line
/// that is itself a credit or a reduction is not credited on its own).
pub fn refusal(chosen: &BTreeSet<i32>, found: &[Named]) -> Option<Refusal> {
    let list = |lines: Vec<i32>| {
        (!lines.is_empty()).then(|| {
            lines
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let unknown = chosen
        .iter()
        .copied()
        .filter(|n| !found.iter().any(|f| f.line_no == *n))
        .collect();
    let credited = found
        .iter()
        .filter(|f| f.credited_by.is_some())
        .map(|f| f.line_no)
        .collect();
    let negative = found
        .iter()
        .filter(|f| f.credited_by.is_none() && f.cost <= Decimal::ZERO)
        .map(|f| f.line_no)
        .collect();
    [
        ("billing.cn_lines_unknown", list(unknown)),
        ("billing.cn_lines_credited", list(credited)),
        ("billing.cn_lines_negative", list(negative)),
    ]
    .into_iter()
    .find_map(|(key, lines)| lines.map(|lines| Refusal { key, lines }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[i32]) -> Selection {
        Selection::Lines(v.iter().copied().collect())
    }

    #[test]
    fn numbers_carry_the_year_and_six_digits_at_least() {
        assert_eq!(number(2026, 1), "CN-2026-000001");
        assert_eq!(number(2027, 1_234_567), "CN-2027-1234567");
    }

    #[test]
    fn lines_are_ticked_or_typed_as_numbers_and_ranges() {
        assert_eq!(selection(true, &["x".into()], "junk"), Ok(Selection::Whole));
        assert_eq!(
            selection(false, &["4".into(), " 2".into()], "3, 7-9;12 12"),
            Ok(lines(&[2, 3, 4, 7, 8, 9, 12]))
        );
        assert_eq!(selection(false, &[], " "), Err("billing.cn_lines_required"));
        for bad in ["0", "-3", "a", "3-", "9-7", "1.5", "2-3-4"] {
            assert_eq!(
                selection(false, &[], bad),
                Err("billing.cn_lines_invalid"),
                "{bad}"
            );
        }
        assert_eq!(
            selection(false, &["x".into()], ""),
            Err("billing.cn_lines_invalid")
        );
        assert_eq!(
            selection(false, &[], "1-10000"),
            Ok(Selection::Lines((1..=10_000).collect()))
        );
        assert_eq!(
            selection(false, &[], "1-10000 10001"),
            Err("billing.cn_lines_too_many")
        );
        assert_eq!(
            selection(false, &[], "1-2000000000"),
            Err("billing.cn_lines_invalid")
        );
    }

    #[test]
    fn only_lines_on_the_invoice_that_charge_and_are_not_credited_are_credited() {
        let found = [
            Named {
                line_no: 1,
                cost: Decimal::new(1000, 2),
                credited_by: None,
            },
            Named {
                line_no: 2,
                cost: Decimal::new(-500, 2),
                credited_by: None,
            },
            Named {
                line_no: 3,
                cost: Decimal::new(700, 2),
                credited_by: Some("CN-2026-000001".into()),
            },
        ];
        let chosen = |v: &[i32]| v.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(refusal(&chosen(&[1]), &found[..1]), None);
        assert_eq!(
            refusal(&chosen(&[1, 9, 12]), &found[..1]),
            Some(Refusal {
                key: "billing.cn_lines_unknown",
                lines: "9, 12".into()
            })
        );
        assert_eq!(
            refusal(&chosen(&[1, 3]), &[found[0].clone(), found[2].clone()]),
            Some(Refusal {
                key: "billing.cn_lines_credited",
                lines: "3".into()
            })
        );
        assert_eq!(
            refusal(&chosen(&[1, 2]), &found[..2]),
            Some(Refusal {
                key: "billing.cn_lines_negative",
                lines: "2".into()
            })
        );
    }
}
