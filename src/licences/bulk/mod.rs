//! Bulk changes of a tenant's users and licences from a CSV file: the file read (UTF-8 or the
//! Latin-1 that Excel writes in Spanish and Portuguese, `,` or `;`), each row checked against the
//! tenant as it is, and the difference planned: users to create, licences to add and remove, the
//! rows that cannot be applied with their reason, and the seats missing. Applied all or nothing.
//!
//! Columns: `user_name,display_name,licence,action`. `user_name` is the sign-in name (or what
//! goes before the `@`); `display_name` is needed for a user to create; `licence` is a product's
//! SKU or name; `action` is `add` or `remove`.

pub mod job;
pub mod routes;
pub mod store;
pub mod view;

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::licences::rules;

pub const COLUMNS: [&str; 4] = ["user_name", "display_name", "licence", "action"];
/// The largest file read.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most rows a file may have.
pub const MAX_ROWS: usize = 50_000;

/// The file's text: UTF-8 (with or without its byte order mark), else Windows-1252, the
/// superset of Latin-1 that Excel writes. `Err` is the message key for the whole file.
pub fn decode(bytes: &[u8]) -> Result<String, &'static str> {
    if bytes.len() > MAX_BYTES {
        return Err("licences.csv_too_big");
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    };
    if text.trim().is_empty() {
        return Err("licences.csv_empty");
    }
    Ok(text)
}

/// The separator of the file: `;` when its first line has more of them than commas (Excel in
/// Spanish and Portuguese), else `,`.
pub fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or_default();
    if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// What a row asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Add,
    Remove,
}

impl Action {
    /// `add`/`remove`, or the same words in Spanish and Portuguese.
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_lowercase().as_str() {
            "add" | "agregar" | "asignar" | "adicionar" | "atribuir" => Some(Action::Add),
            "remove" | "quitar" | "eliminar" | "remover" => Some(Action::Remove),
            _ => None,
        }
    }
}

/// A licence the tenant's users can hold: a subscription of the tenant, with its free seats.
#[derive(Clone, Debug)]
pub struct Licence {
    pub subscription_id: Uuid,
    pub sku: String,
    pub names: [String; 3],
    pub free: i32,
}

/// A user the tenant has, with the subscriptions it holds a licence of.
#[derive(Clone, Debug, Default)]
pub struct Existing {
    pub id: Uuid,
    pub licences: HashSet<Uuid>,
    /// A change of it waits for the vendor, or the vendor has not made it: its rows wait.
    pub busy: bool,
}

/// The tenant as it is.
pub struct Tenant<'a> {
    pub domain: &'a str,
    pub users: &'a HashMap<String, Existing>,
    pub licences: &'a [Licence],
}

/// A row that cannot be applied: its line in the file and why (a message key and a detail).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub key: &'static str,
    pub detail: String,
}

/// A change a row makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub line: usize,
    pub user_name: String,
    /// For a user to create.
    pub display_name: Option<String>,
    pub subscription_id: Uuid,
    pub action: Action,
}

/// The difference a file makes.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Users to create (each with its first licence among `steps`).
    pub creates: Vec<(String, String)>,
    pub steps: Vec<Step>,
    /// Rows that ask for what already is (left alone).
    pub unchanged: usize,
    pub problems: Vec<Problem>,
    /// Per subscription, the seats the file needs beyond its free ones.
    pub seats_missing: Vec<(Uuid, i32)>,
}

impl Plan {
    /// Applied only when every row can be.
    pub fn applicable(&self) -> bool {
        self.problems.is_empty() && !self.steps.is_empty()
    }
}

/// A cell Excel or another spreadsheet would run as a formula when the file is opened again.
fn formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Plans the file `text` against `tenant`. `Err` is the message key for the whole file.
pub fn plan(text: &str, tenant: &Tenant<'_>) -> Result<Plan, &'static str> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| "licences.csv_bad_header")?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if headers != COLUMNS {
        return Err("licences.csv_bad_header");
    }
    let mut plan = Plan::default();
    let mut seen: HashSet<(String, Uuid)> = HashSet::new();
    let mut created: HashSet<String> = HashSet::new();
    let mut adds: HashMap<Uuid, i32> = HashMap::new();
    let problem = |line, key, detail: &str| Problem {
        line,
        key,
        detail: detail.to_string(),
    };
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        if index >= MAX_ROWS {
            return Err("licences.csv_too_many_rows");
        }
        let Ok(record) = record else {
            plan.problems
                .push(problem(line, "licences.csv_unreadable", ""));
            continue;
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != COLUMNS.len() {
            let detail = format!("{} / {}", record.len(), COLUMNS.len());
            plan.problems
                .push(problem(line, "licences.csv_wrong_columns", &detail));
            continue;
        }
        if let Some(cell) = record.iter().find(|c| formula(c)) {
            plan.problems
                .push(problem(line, "licences.csv_formula", cell));
            continue;
        }
        let (typed_name, display, typed_licence, typed_action) =
            (&record[0], &record[1], &record[2], &record[3]);
        let user_name = match rules::user_name(typed_name, tenant.domain) {
            Ok(u) => u,
            Err(key) => {
                plan.problems.push(problem(line, key, typed_name));
                continue;
            }
        };
        let Some(action) = Action::parse(typed_action) else {
            plan.problems
                .push(problem(line, "licences.csv_bad_action", typed_action));
            continue;
        };
        let wanted = typed_licence.to_lowercase();
        let Some(licence) = tenant.licences.iter().find(|l| {
            l.sku.to_lowercase() == wanted || l.names.iter().any(|n| n.to_lowercase() == wanted)
        }) else {
            plan.problems
                .push(problem(line, "licences.csv_unknown_licence", typed_licence));
            continue;
        };
        if !seen.insert((user_name.clone(), licence.subscription_id)) {
            plan.problems
                .push(problem(line, "licences.csv_duplicate", &user_name));
            continue;
        }
        let existing = tenant.users.get(&user_name);
        if existing.is_some_and(|u| u.busy) {
            plan.problems
                .push(problem(line, "licences.csv_user_busy", &user_name));
            continue;
        }
        let held = existing.is_some_and(|u| u.licences.contains(&licence.subscription_id));
        let mut display_name = None;
        match (action, existing) {
            (Action::Add, _) if held => {
                plan.unchanged += 1;
                continue;
            }
            (Action::Remove, Some(_)) if !held => {
                plan.unchanged += 1;
                continue;
            }
            (Action::Remove, None) => {
                plan.problems
                    .push(problem(line, "licences.csv_no_such_user", &user_name));
                continue;
            }
            (Action::Add, None) => {
                let name = display.trim();
                if name.is_empty() || name.chars().count() > 120 {
                    plan.problems.push(problem(
                        line,
                        "licences.csv_display_name_required",
                        &user_name,
                    ));
                    continue;
                }
                if !created.contains(&user_name) {
                    display_name = Some(name.to_string());
                }
            }
            _ => {}
        }
        if action == Action::Add {
            let taken = adds.entry(licence.subscription_id).or_default();
            *taken += 1;
            if *taken > licence.free {
                plan.problems
                    .push(problem(line, "licences.csv_no_seat", &licence.sku));
                continue;
            }
        }
        // A new user is created with the first of its rows that can be applied.
        if let Some(name) = &display_name {
            created.insert(user_name.clone());
            plan.creates.push((user_name.clone(), name.clone()));
        }
        plan.steps.push(Step {
            line,
            user_name,
            display_name,
            subscription_id: licence.subscription_id,
            action,
        });
    }
    // Removals in the file free no seat for its additions: they are applied together.
    for licence in tenant.licences {
        let asked = adds.get(&licence.subscription_id).copied().unwrap_or(0);
        if asked > licence.free {
            plan.seats_missing
                .push((licence.subscription_id, asked - licence.free));
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standard(free: i32) -> Licence {
        Licence {
            subscription_id: Uuid::from_u128(1),
            sku: "CFQ7TTC0LDPB".into(),
            names: [
                "Microsoft 365 Business Standard".into(),
                "Microsoft 365 Business Standard".into(),
                "Microsoft 365 Business Standard".into(),
            ],
            free,
        }
    }

    fn users() -> HashMap<String, Existing> {
        HashMap::from([
            (
                "ana@contoso.onmicrosoft.com".to_string(),
                Existing {
                    id: Uuid::from_u128(10),
                    licences: HashSet::from([Uuid::from_u128(1)]),
                    busy: false,
                },
            ),
            (
                "marco@contoso.onmicrosoft.com".to_string(),
                Existing {
                    id: Uuid::from_u128(11),
                    licences: HashSet::new(),
                    busy: true,
                },
            ),
        ])
    }

    fn planned(text: &str, free: i32) -> Plan {
        let users = users();
        let licences = [standard(free)];
        let tenant = Tenant {
            domain: "contoso.onmicrosoft.com",
            users: &users,
            licences: &licences,
        };
        plan(text, &tenant).unwrap()
    }

    #[test]
    fn new_users_get_a_licence_existing_ones_lose_one_and_what_already_is_is_left_alone() {
        let plan = planned(
            "user_name,display_name,licence,action\n\
             luis,Luis Pérez,CFQ7TTC0LDPB,add\n\
             ana,,Microsoft 365 Business Standard,add\n\
             ana@contoso.onmicrosoft.com,,cfq7ttc0ldpb,remove\n",
            5,
        );
        // Ana's two rows are the same licence: the second is a duplicate.
        assert_eq!(
            plan.creates,
            [(
                "luis@contoso.onmicrosoft.com".to_string(),
                "Luis Pérez".to_string()
            )]
        );
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(plan.steps[0].action, Action::Add);
        assert_eq!(plan.problems.len(), 1);
        assert_eq!(plan.problems[0].key, "licences.csv_duplicate");
        assert_eq!(plan.problems[0].line, 4);
        assert!(!plan.applicable());
    }

    #[test]
    fn additions_beyond_the_free_seats_are_refused_row_by_row_and_the_seats_missing_counted() {
        let mut text = String::from("user_name;display_name;licence;action\n");
        for n in 0..9 {
            text.push_str(&format!("user{n};User {n};CFQ7TTC0LDPB;agregar\n"));
        }
        let plan = planned(&text, 8);
        assert_eq!(plan.steps.len(), 8);
        assert_eq!(
            plan.creates.len(),
            8,
            "the user of the refused row is not created"
        );
        assert_eq!(plan.problems.len(), 1);
        assert_eq!(plan.problems[0].key, "licences.csv_no_seat");
        assert_eq!(plan.problems[0].line, 10);
        assert_eq!(plan.seats_missing, [(Uuid::from_u128(1), 1)]);
        assert!(!plan.applicable());
        assert!(planned(&text, 9).applicable());
    }

    #[test]
    fn bad_rows_say_why_and_formulas_are_never_taken() {
        let plan = planned(
            "USER_NAME,display_name,licence,action\n\
             ana@fabrikam.com,,CFQ7TTC0LDPB,add\n\
             =HYPERLINK(\"x\"),x,CFQ7TTC0LDPB,add\n\
             luis,Luis,Teams Essentials,add\n\
             luis,Luis,CFQ7TTC0LDPB,promote\n\
             marta,,CFQ7TTC0LDPB,add\n\
             pedro,,CFQ7TTC0LDPB,remove\n\
             only,two\n\
             marco,,CFQ7TTC0LDPB,add\n",
            5,
        );
        let keys: Vec<_> = plan.problems.iter().map(|p| (p.line, p.key)).collect();
        assert_eq!(
            keys,
            [
                (2, "licences.user_name_domain"),
                (3, "licences.csv_formula"),
                (4, "licences.csv_unknown_licence"),
                (5, "licences.csv_bad_action"),
                (6, "licences.csv_display_name_required"),
                (7, "licences.csv_no_such_user"),
                (8, "licences.csv_wrong_columns"),
                (9, "licences.csv_user_busy"),
            ]
        );
        assert!(plan.steps.is_empty());
    }

    #[test]
    fn files_are_read_in_utf8_or_latin1_and_refused_whole_when_they_are_not_such_a_file() {
        let latin1 =
            b"user_name;display_name;licence;action\nluis;Luis P\xe9rez;CFQ7TTC0LDPB;add\n";
        let text = decode(latin1).unwrap();
        assert!(text.contains("Luis Pérez"));
        assert_eq!(delimiter(&text), b';');
        let bom = b"\xef\xbb\xbfuser_name,display_name,licence,action\n";
        assert!(decode(bom).unwrap().starts_with("user_name"));
        assert_eq!(decode(b"  \n"), Err("licences.csv_empty"));
        assert_eq!(
            decode(&vec![b'a'; MAX_BYTES + 1]),
            Err("licences.csv_too_big")
        );
        let users = users();
        let licences = [standard(1)];
        let tenant = Tenant {
            domain: "contoso.onmicrosoft.com",
            users: &users,
            licences: &licences,
        };
        assert_eq!(
            plan("name,licence\nx,y\n", &tenant).err(),
            Some("licences.csv_bad_header")
        );
        let mut many = String::from("user_name,display_name,licence,action\n");
        for n in 0..=MAX_ROWS {
            many.push_str(&format!("u{n},U,X,add\n"));
        }
        assert_eq!(
            plan(&many, &tenant).err(),
            Some("licences.csv_too_many_rows")
        );
    }
}
