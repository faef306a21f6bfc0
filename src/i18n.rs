//! Languages, translation and locale-aware formatting of numbers, money and dates.
//!
//! The locale is chosen per request and passed to every call; rust-i18n's process-wide
//! `set_locale` is never used, because concurrent requests in different languages would leak
//! into each other.

use std::borrow::Cow;

use rust_decimal::{Decimal, RoundingStrategy};
use time::{Date, OffsetDateTime, UtcOffset};

crate::text_enum! {
    /// A language the portal speaks; its code is used in URLs, cookies, the database and the
    /// `lang` attribute.
    #[derive(Default)]
    pub enum Locale {
        #[default]
        Es = "es",
        En = "en",
        PtBr = "pt-BR",
    }
}

impl Locale {
    /// The one of three texts (Spanish, English, Portuguese) in this language.
    /// The text in this language, or the Spanish one where this language's is empty (staff
    /// write catalog texts in Spanish first).
    pub fn pick<'a>(self, es: &'a str, en: &'a str, pt: &'a str) -> &'a str {
        let own = match self {
            Locale::Es => es,
            Locale::En => en,
            Locale::PtBr => pt,
        };
        if own.trim().is_empty() { es } else { own }
    }

    /// The language's name in itself, for the language selector.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::Es => "Español",
            Locale::En => "English",
            Locale::PtBr => "Português",
        }
    }

    /// Maps a language tag from a browser (`pt-PT`, `en-US`, `ES`) to the closest locale.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "es" => Some(Locale::Es),
            "en" => Some(Locale::En),
            "pt" => Some(Locale::PtBr),
            _ => None,
        }
    }

    /// Picks the best locale from an `Accept-Language` header, honouring `q` weights.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, usize, Locale)> = None;
        for (index, part) in header.split(',').enumerate().take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let mut q = 1.0f32;
            for param in pieces {
                if let Some(v) = param.trim().strip_prefix("q=") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
            if q <= 0.0 {
                continue;
            }
            if let Some(locale) = Locale::from_tag(tag) {
                let better = match best {
                    None => true,
                    Some((bq, bi, _)) => q > bq || (q == bq && index < bi),
                };
                if better {
                    best = Some((q, index, locale));
                }
            }
        }
        best.map(|(_, _, l)| l)
    }

    fn separators(self) -> (char, char) {
        // (thousands, decimal)
        match self {
            Locale::En => (',', '.'),
            Locale::Es | Locale::PtBr => ('.', ','),
        }
    }
}

/// The translation of `key` in `locale`. A missing key falls back to Spanish and then to the
/// key itself (and a test makes sure no key is missing).
pub fn t(locale: Locale, key: &str) -> String {
    lookup(locale, key).into_owned()
}

/// Like [`t`], replacing `%{name}` placeholders with the given values.
pub fn t_with(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    fill(&lookup(locale, key), args)
}

/// Puts `args` into the `%{name}` placeholders of `template` in one pass (a value is never read
/// as a placeholder; an unknown one stays as written), and drops the template's period right
/// after a value that ends with one: "Creamos a %{name}." with "Nube Ltda." reads "Creamos a
/// Nube Ltda.", not "Ltda..".
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find("%{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            rest = &rest[start..];
            break;
        };
        let (name, tail) = (&after[..end], &after[end + 1..]);
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => {
                out.push_str(value);
                rest = match tail.strip_prefix('.') {
                    Some(shorter) if value.ends_with('.') => shorter,
                    _ => tail,
                };
            }
            None => {
                out.push_str(&rest[start..start + 3 + end]);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

fn lookup(locale: Locale, key: &str) -> Cow<'static, str> {
    if let Some(text) = crate::_rust_i18n_try_translate(locale.code(), key) {
        return Cow::Owned(text.into_owned());
    }
    tracing::warn!(key, locale = locale.code(), "missing translation");
    crate::_rust_i18n_try_translate(Locale::Es.code(), key)
        .map(|t| Cow::Owned(t.into_owned()))
        .unwrap_or_else(|| Cow::Owned(key.to_string()))
}

/// Whether `key` exists in every locale (used by the template key check).
pub fn has_key(key: &str) -> bool {
    Locale::ALL
        .iter()
        .all(|l| crate::_rust_i18n_try_translate(l.code(), key).is_some())
}

/// Every key of a locale, for the test that compares locales.
pub fn keys(locale: Locale) -> Vec<String> {
    let mut keys: Vec<String> = crate::_rust_i18n_backend()
        .messages_for_locale(locale.code())
        .unwrap_or_default()
        .into_iter()
        .map(|(k, _)| k.into_owned())
        .collect();
    keys.sort();
    keys
}

fn group_digits(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    let len = digits.len();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A decimal number with `scale` decimals, grouped and punctuated per locale.
pub fn format_decimal(locale: Locale, value: Decimal, scale: u32) -> String {
    let rounded = value.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let text = rounded.abs().to_string();
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), f.to_string()),
        None => (text.clone(), String::new()),
    };
    let mut frac = frac_part;
    while (frac.len() as u32) < scale {
        frac.push('0');
    }
    let (thousands, decimal) = locale.separators();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group_digits(&int_part, thousands));
    if scale > 0 {
        out.push(decimal);
        out.push_str(&frac);
    }
    out
}

/// A whole number grouped per locale.
pub fn format_integer(locale: Locale, value: i64) -> String {
    format_decimal(locale, Decimal::from(value), 0)
}

/// An amount of money with its currency, e.g. `US$ 1.234,50`, `$1,234.50`, `R$ 1.234,50`.
pub fn format_money(locale: Locale, amount: Decimal, currency: &str) -> String {
    money_to(locale, amount, currency, 2)
}

/// A unit price (decision 0019): to the cent, or with up to four decimals when it is not a whole
/// number of cents (`US$ 0,015`), so that what a line's amount is computed from is what is shown.
pub fn format_unit_price(locale: Locale, amount: Decimal, currency: &str) -> String {
    let shown = amount
        .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    money_to(locale, shown, currency, shown.scale().max(2))
}

fn money_to(locale: Locale, amount: Decimal, currency: &str, decimals: u32) -> String {
    let number = format_decimal(locale, amount.abs(), decimals);
    let sign = if amount.is_sign_negative() && !amount.round_dp(2).is_zero() {
        "-"
    } else {
        ""
    };
    let symbol = match (locale, currency) {
        (_, "BRL") => "R$\u{a0}",
        (Locale::En, "USD") => "$",
        (_, "USD") => "US$\u{a0}",
        (_, "EUR") => "€\u{a0}",
        _ => "",
    };
    if symbol.is_empty() {
        format!("{sign}{currency}\u{a0}{number}")
    } else {
        format!("{sign}{symbol}{number}")
    }
}

/// A calendar date: `24/11/2026` in Spanish and Portuguese, `Nov 24, 2026` in English.
pub fn format_date(locale: Locale, date: Date) -> String {
    match locale {
        Locale::En => format!(
            "{} {}, {}",
            &month_name_en(date.month())[..3],
            date.day(),
            date.year()
        ),
        Locale::Es | Locale::PtBr => format!(
            "{:02}/{:02}/{}",
            date.day(),
            u8::from(date.month()),
            date.year()
        ),
    }
}

/// The offset and abbreviation of the IANA time zone `zone` at `at` (none for an unknown zone).
pub fn zone_at(zone: &str, at: OffsetDateTime) -> Option<(UtcOffset, String)> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let ts = jiff::Timestamp::from_second(at.unix_timestamp()).ok()?;
    let info = tz.to_offset_info(ts);
    let offset = UtcOffset::from_whole_seconds(info.offset().seconds()).ok()?;
    Some((offset, info.abbreviation().to_string()))
}

/// A moment in the time zone `zone` (UTC when there is none or it is unknown), with the zone's
/// abbreviation: "24/11/2026 14:05 CST".
pub fn format_moment(locale: Locale, at: OffsetDateTime, zone: Option<&str>) -> String {
    let (offset, abbreviation) = zone
        .and_then(|z| zone_at(z, at))
        .unwrap_or((UtcOffset::UTC, "UTC".to_string()));
    format!("{} {abbreviation}", format_datetime(locale, at, offset))
}

/// The calendar date of a moment in the time zone `zone` (UTC when there is none).
pub fn local_date(at: OffsetDateTime, zone: Option<&str>) -> Date {
    let offset = zone
        .and_then(|z| zone_at(z, at))
        .map(|(o, _)| o)
        .unwrap_or(UtcOffset::UTC);
    at.to_offset(offset).date()
}

/// A moment shown in the viewer's time zone offset, with hours and minutes.
pub fn format_datetime(locale: Locale, at: OffsetDateTime, offset: UtcOffset) -> String {
    let local = at.to_offset(offset);
    let date = format_date(locale, local.date());
    match locale {
        Locale::En => {
            let (h, suffix) = match local.hour() {
                0 => (12, "AM"),
                h @ 1..=11 => (h, "AM"),
                12 => (12, "PM"),
                h => (h - 12, "PM"),
            };
            format!("{date}, {h}:{:02} {suffix}", local.minute())
        }
        Locale::Es | Locale::PtBr => format!("{date} {:02}:{:02}", local.hour(), local.minute()),
    }
}

/// A calendar month: `November 2026`, `noviembre de 2026`, `novembro de 2026`.
pub fn format_month(locale: Locale, day: Date) -> String {
    const ES: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    const PT: [&str; 12] = [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ];
    let m = usize::from(u8::from(day.month())) - 1;
    match locale {
        Locale::En => format!("{} {}", month_name_en(day.month()), day.year()),
        Locale::Es => format!("{} de {}", ES[m], day.year()),
        Locale::PtBr => format!("{} de {}", PT[m], day.year()),
    }
}

fn month_name_en(month: time::Month) -> &'static str {
    use time::Month::*;
    match month {
        January => "January",
        February => "February",
        March => "March",
        April => "April",
        May => "May",
        June => "June",
        July => "July",
        August => "August",
        September => "September",
        October => "October",
        November => "November",
        December => "December",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_missing_in_a_language_shows_the_spanish_one() {
        assert_eq!(Locale::En.pick("Hola", "Hello", "Olá"), "Hello");
        assert_eq!(Locale::En.pick("Hola", " ", "Olá"), "Hola");
        assert_eq!(Locale::PtBr.pick("Hola", "Hello", ""), "Hola");
        assert_eq!(Locale::Es.pick("", "Hello", "Olá"), "");
    }

    #[test]
    fn values_fill_their_placeholders_once_without_a_doubled_period() {
        let args = [("name", "Nube Ltda."), ("n", "3")];
        assert_eq!(fill("Creamos a %{name}.", &args), "Creamos a Nube Ltda.");
        assert_eq!(fill("%{name}: %{n}.", &args), "Nube Ltda.: 3.");
        assert_eq!(fill("%{n}. %{name}", &args), "3. Nube Ltda.");
        // A value is not read as a placeholder; unknown and unclosed ones stay as written.
        assert_eq!(fill("%{a} %{b}", &[("a", "%{b}"), ("b", "x")]), "%{b} x");
        assert_eq!(fill("%{zzz} y %{n", &args), "%{zzz} y %{n");
        assert_eq!(fill("sin nada", &args), "sin nada");
    }

    #[test]
    fn moments_show_in_the_resellers_time_zone() {
        let at = time::macros::datetime!(2026-11-24 20:05 UTC);
        assert_eq!(
            format_moment(Locale::Es, at, Some("America/Mexico_City")),
            "24/11/2026 14:05 CST"
        );
        assert_eq!(
            format_moment(Locale::PtBr, at, Some("America/Sao_Paulo")),
            "24/11/2026 17:05 -03"
        );
        assert_eq!(
            format_moment(Locale::En, at, Some("Not/AZone")),
            "Nov 24, 2026, 8:05 PM UTC"
        );
        assert_eq!(format_moment(Locale::Es, at, None), "24/11/2026 20:05 UTC");
        // Late in the evening in Mexico is already the next day in UTC.
        let late = time::macros::datetime!(2026-11-25 03:30 UTC);
        assert_eq!(
            local_date(late, Some("America/Mexico_City")),
            time::macros::date!(2026 - 11 - 24)
        );
    }
    use time::macros::{date, datetime, offset};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn accept_language_honours_weights() {
        assert_eq!(
            Locale::from_accept_language("en-US,en;q=0.9,pt-BR;q=0.95"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("fr-FR, pt;q=0.8, en;q=0.5"),
            Some(Locale::PtBr)
        );
        assert_eq!(Locale::from_accept_language("de, fr;q=0.5"), None);
        assert_eq!(
            Locale::from_accept_language("en;q=0, es;q=0.1"),
            Some(Locale::Es)
        );
        assert_eq!(Locale::from_accept_language(""), None);
        assert_eq!(Locale::from_accept_language(";;;,,,q=abc"), None);
    }

    #[test]
    fn codes_round_trip() {
        for l in Locale::ALL {
            assert_eq!(Locale::from_code(l.code()), Some(*l));
        }
        assert_eq!(Locale::from_code("pt"), None);
        assert_eq!(Locale::from_code("xx"), None);
    }

    #[test]
    fn numbers_follow_the_locale() {
        assert_eq!(
            format_decimal(Locale::En, dec("1234567.891"), 2),
            "1,234,567.89"
        );
        assert_eq!(
            format_decimal(Locale::Es, dec("1234567.891"), 2),
            "1.234.567,89"
        );
        assert_eq!(format_decimal(Locale::PtBr, dec("0.5"), 2), "0,50");
        assert_eq!(format_decimal(Locale::En, dec("-999.995"), 2), "-1,000.00");
        assert_eq!(format_decimal(Locale::En, dec("-0.001"), 2), "0.00");
        assert_eq!(format_integer(Locale::Es, 1000), "1.000");
        assert_eq!(format_integer(Locale::En, 100), "100");
    }

    #[test]
    fn money_shows_currency_per_locale() {
        assert_eq!(format_money(Locale::En, dec("1234.5"), "USD"), "$1,234.50");
        assert_eq!(
            format_money(Locale::Es, dec("1234.5"), "USD"),
            "US$\u{a0}1.234,50"
        );
        assert_eq!(
            format_money(Locale::PtBr, dec("10"), "BRL"),
            "R$\u{a0}10,00"
        );
        assert_eq!(format_money(Locale::En, dec("-3.2"), "USD"), "-$3.20");
        assert_eq!(format_money(Locale::En, dec("7"), "MXN"), "MXN\u{a0}7.00");
        assert_eq!(format_unit_price(Locale::En, dec("13.2"), "USD"), "$13.20");
        assert_eq!(
            format_unit_price(Locale::Es, dec("0.015"), "USD"),
            "US$\u{a0}0,015"
        );
        assert_eq!(
            format_unit_price(Locale::En, dec("3.833295"), "USD"),
            "$3.8333"
        );
    }

    #[test]
    fn dates_follow_the_locale() {
        let d = date!(2026 - 11 - 04);
        assert_eq!(format_date(Locale::Es, d), "04/11/2026");
        assert_eq!(format_date(Locale::PtBr, d), "04/11/2026");
        assert_eq!(format_date(Locale::En, d), "Nov 4, 2026");
        let at = datetime!(2026-11-24 15:05 UTC);
        assert_eq!(
            format_datetime(Locale::Es, at, offset!(-3)),
            "24/11/2026 12:05"
        );
        assert_eq!(
            format_datetime(Locale::En, at, offset!(-5)),
            "Nov 24, 2026, 10:05 AM"
        );
        assert_eq!(
            format_datetime(Locale::En, datetime!(2026-11-24 00:30 UTC), offset!(UTC)),
            "Nov 24, 2026, 12:30 AM"
        );
    }

    #[test]
    fn translations_take_the_requested_locale() {
        assert_eq!(t(Locale::En, "language.name"), "English");
        assert_eq!(t(Locale::Es, "language.name"), "Español");
        assert_eq!(t(Locale::PtBr, "language.name"), "Português");
        assert_eq!(t(Locale::En, "no.such.key"), "no.such.key");
    }

    #[test]
    fn every_locale_has_the_same_keys() {
        let es = keys(Locale::Es);
        assert!(es.len() > 10, "locales were not loaded");
        for l in [Locale::En, Locale::PtBr] {
            let other = keys(l);
            let missing: Vec<_> = es.iter().filter(|k| !other.contains(k)).collect();
            let extra: Vec<_> = other.iter().filter(|k| !es.contains(k)).collect();
            assert!(missing.is_empty(), "{l} lacks keys: {missing:?}");
            assert!(extra.is_empty(), "{l} has keys that es lacks: {extra:?}");
        }
    }

    /// Every string literal in templates and code that looks like a key of a known section
    /// (`"login.title"`, `"form.required"`) must exist in every locale.
    #[test]
    fn templates_and_code_use_only_existing_keys() {
        let sections: std::collections::BTreeSet<String> = keys(Locale::Es)
            .iter()
            .filter_map(|k| k.split('.').next().map(str::to_string))
            .collect();
        let all = keys(Locale::Es);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        collect(&root.join("templates"), &mut files);
        collect(&root.join("src"), &mut files);
        let mut missing = Vec::new();
        let mut checked = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for literal in text.split('"').skip(1).step_by(2) {
                let looks_like_key = literal.contains('.')
                    && literal.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'
                    })
                    && !literal.starts_with('.')
                    && !literal.ends_with('.');
                let section = literal.split('.').next().unwrap_or("");
                let is_file = literal.rsplit('.').next().is_some_and(|ext| {
                    [
                        "html", "txt", "css", "js", "svg", "yml", "csv", "xlsx", "pdf", "png",
                        "jpg", "exe", "md",
                    ]
                    .contains(&ext)
                });
                if looks_like_key
                    && !is_file
                    && sections.contains(section)
                    && literal.split('.').count() >= 2
                {
                    checked += 1;
                    // A prefix such as "error.not_found" names a group (`.title`, `.message`).
                    let group = all.iter().any(|k| k.starts_with(&format!("{literal}.")));
                    if !has_key(literal) && !group {
                        missing.push(format!("{}: {literal}", file.display()));
                    }
                }
            }
        }
        assert!(checked > 20, "the scan found too few keys ({checked})");
        assert!(
            missing.is_empty(),
            "keys missing from a locale: {missing:#?}"
        );
    }

    #[test]
    fn every_error_page_has_its_texts() {
        use crate::error::ErrorKind::*;
        for kind in [
            BadRequest,
            Csrf,
            Forbidden,
            NotFound,
            MethodNotAllowed,
            Timeout,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyRequests,
            Internal,
            Unavailable,
        ] {
            for key in [kind.title_key(), kind.message_key()] {
                assert!(has_key(key), "{key}");
            }
        }
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("html" | "txt" | "rs")
            ) {
                out.push(path);
            }
        }
    }
}
