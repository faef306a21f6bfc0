//! The demo catalog (real product names, plausible list prices in USD and BRL, real upgrade
//! paths) and a generator of large catalogs for performance checks.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

struct DemoProduct {
    program: &'static str,
    sku: &'static str,
    name: &'static str,
    /// Short descriptions: es, en, pt.
    description: [&'static str; 3],
    category: &'static str,
    kind: &'static str,
    /// Price per seat per month with a yearly commitment (list price, USD); None: no yearly term.
    yearly: Option<&'static str>,
    /// Price per seat per month with a monthly term (USD); None: no monthly term.
    monthly: Option<&'static str>,
    max_seats: i32,
}

const fn p(
    program: &'static str,
    sku: &'static str,
    name: &'static str,
    description: [&'static str; 3],
    category: &'static str,
    yearly: Option<&'static str>,
    monthly: Option<&'static str>,
) -> DemoProduct {
    DemoProduct {
        program,
        sku,
        name,
        description,
        category,
        kind: "license",
        yearly,
        monthly,
        max_seats: 300,
    }
}

const MS: &str = "microsoft-csp";
const GW: &str = "google-workspace";

const PRODUCTS: &[DemoProduct] = &[
    p(
        MS,
        "CFQ7TTC0LH18",
        "Microsoft 365 Business Basic",
        [
            "Correo, almacenamiento y Teams en la web y el móvil.",
            "E-mail, storage and Teams on the web and mobile.",
            "E-mail, armazenamento e Teams na web e no celular.",
        ],
        "productivity",
        Some("6.00"),
        Some("7.20"),
    ),
    p(
        MS,
        "CFQ7TTC0LDPB",
        "Microsoft 365 Business Standard",
        [
            "Aplicaciones de escritorio de Office, correo y Teams.",
            "Office desktop apps, e-mail and Teams.",
            "Aplicativos do Office para desktop, e-mail e Teams.",
        ],
        "productivity",
        Some("12.50"),
        Some("15.00"),
    ),
    p(
        MS,
        "CFQ7TTC0LCHC",
        "Microsoft 365 Business Premium",
        [
            "Business Standard con seguridad avanzada y gestión de dispositivos.",
            "Business Standard with advanced security and device management.",
            "Business Standard com segurança avançada e gestão de dispositivos.",
        ],
        "productivity",
        Some("22.00"),
        Some("26.40"),
    ),
    p(
        MS,
        "CFQ7TTC0LH1G",
        "Microsoft 365 Apps for business",
        [
            "Aplicaciones de Office de escritorio y OneDrive.",
            "Office desktop apps and OneDrive.",
            "Aplicativos do Office para desktop e OneDrive.",
        ],
        "productivity",
        Some("8.25"),
        Some("9.90"),
    ),
    p(
        MS,
        "CFQ7TTC0LF8Q",
        "Office 365 E3",
        [
            "Office, correo y colaboración para empresas.",
            "Office, e-mail and collaboration for enterprises.",
            "Office, e-mail e colaboração para empresas.",
        ],
        "productivity",
        Some("23.00"),
        Some("27.60"),
    ),
    p(
        MS,
        "CFQ7TTC0LFLX",
        "Microsoft 365 E3",
        [
            "Office, Windows Enterprise y seguridad para empresas.",
            "Office, Windows Enterprise and security for enterprises.",
            "Office, Windows Enterprise e segurança para empresas.",
        ],
        "productivity",
        Some("36.00"),
        Some("43.20"),
    ),
    p(
        MS,
        "CFQ7TTC0LFK5",
        "Microsoft 365 E5",
        [
            "E3 con seguridad, cumplimiento y análisis avanzados.",
            "E3 with advanced security, compliance and analytics.",
            "E3 com segurança, conformidade e análise avançadas.",
        ],
        "productivity",
        Some("57.00"),
        Some("68.40"),
    ),
    p(
        MS,
        "CFQ7TTC0LGZT",
        "Microsoft 365 F3",
        [
            "Para trabajadores de primera línea.",
            "For frontline workers.",
            "Para trabalhadores da linha de frente.",
        ],
        "frontline",
        Some("8.00"),
        Some("9.60"),
    ),
    p(
        MS,
        "CFQ7TTC0LH16",
        "Exchange Online (Plan 1)",
        [
            "Correo empresarial con buzón de 50 GB.",
            "Business e-mail with a 50 GB mailbox.",
            "E-mail corporativo com caixa de 50 GB.",
        ],
        "email",
        Some("4.00"),
        Some("4.80"),
    ),
    p(
        MS,
        "CFQ7TTC0RM8K",
        "Microsoft Teams Essentials",
        [
            "Reuniones, chat y archivos para equipos pequeños.",
            "Meetings, chat and files for small teams.",
            "Reuniões, chat e arquivos para equipes pequenas.",
        ],
        "collaboration",
        Some("4.00"),
        Some("4.80"),
    ),
    p(
        MS,
        "CFQ7TTC0L3PB",
        "Power BI Pro",
        [
            "Informes y paneles de análisis de datos.",
            "Data analytics reports and dashboards.",
            "Relatórios e painéis de análise de dados.",
        ],
        "analytics",
        Some("14.00"),
        Some("16.80"),
    ),
    p(
        MS,
        "CFQ7TTC0HD33",
        "Visio Plan 1",
        [
            "Diagramas en la web.",
            "Diagrams on the web.",
            "Diagramas na web.",
        ],
        "project",
        Some("5.00"),
        Some("6.00"),
    ),
    p(
        MS,
        "CFQ7TTC0HD32",
        "Visio Plan 2",
        [
            "Diagramas con la aplicación de escritorio.",
            "Diagrams with the desktop app.",
            "Diagramas com o aplicativo para desktop.",
        ],
        "project",
        Some("15.00"),
        Some("18.00"),
    ),
    p(
        MS,
        "CFQ7TTC0HDB1",
        "Project Plan 1",
        [
            "Planificación de proyectos en la web.",
            "Project planning on the web.",
            "Planejamento de projetos na web.",
        ],
        "project",
        Some("10.00"),
        Some("12.00"),
    ),
    p(
        MS,
        "CFQ7TTC0HDB0",
        "Project Plan 3",
        [
            "Gestión de proyectos y recursos.",
            "Project and resource management.",
            "Gestão de projetos e recursos.",
        ],
        "project",
        Some("30.00"),
        Some("36.00"),
    ),
    p(
        MS,
        "CFQ7TTC0HCSZ",
        "Microsoft Defender for Business",
        [
            "Protección de dispositivos para pymes.",
            "Device protection for small businesses.",
            "Proteção de dispositivos para pequenas empresas.",
        ],
        "security",
        Some("3.00"),
        Some("3.60"),
    ),
    p(
        MS,
        "CFQ7TTC0MM8R",
        "Microsoft 365 Copilot",
        [
            "Asistente de IA en las aplicaciones de Microsoft 365 (complemento).",
            "AI assistant in the Microsoft 365 apps (add-on).",
            "Assistente de IA nos aplicativos do Microsoft 365 (complemento).",
        ],
        "ai",
        Some("30.00"),
        None,
    ),
    p(
        GW,
        "GWS-BUSINESS-STARTER",
        "Google Workspace Business Starter",
        [
            "Gmail, Meet y 30 GB por usuario.",
            "Gmail, Meet and 30 GB per user.",
            "Gmail, Meet e 30 GB por usuário.",
        ],
        "productivity",
        Some("7.00"),
        Some("8.40"),
    ),
    p(
        GW,
        "GWS-BUSINESS-STANDARD",
        "Google Workspace Business Standard",
        [
            "2 TB por usuario y grabación de reuniones.",
            "2 TB per user and meeting recording.",
            "2 TB por usuário e gravação de reuniões.",
        ],
        "productivity",
        Some("14.00"),
        Some("16.80"),
    ),
    p(
        GW,
        "GWS-BUSINESS-PLUS",
        "Google Workspace Business Plus",
        [
            "5 TB por usuario, Vault y seguridad avanzada.",
            "5 TB per user, Vault and advanced security.",
            "5 TB por usuário, Vault e segurança avançada.",
        ],
        "productivity",
        Some("22.00"),
        Some("26.40"),
    ),
    p(
        GW,
        "GWS-ENTERPRISE-STANDARD",
        "Google Workspace Enterprise Standard",
        [
            "Almacenamiento ampliable y controles empresariales.",
            "Expandable storage and enterprise controls.",
            "Armazenamento expansível e controles corporativos.",
        ],
        "productivity",
        Some("23.00"),
        Some("27.60"),
    ),
    p(
        GW,
        "GWS-ENTERPRISE-PLUS",
        "Google Workspace Enterprise Plus",
        [
            "Todo Workspace con seguridad y cumplimiento avanzados.",
            "All of Workspace with advanced security and compliance.",
            "Todo o Workspace com segurança e conformidade avançadas.",
        ],
        "productivity",
        Some("30.00"),
        Some("36.00"),
    ),
];

/// (product, upgrade targets)
const UPGRADES: &[(&str, &[&str])] = &[
    ("CFQ7TTC0LH18", &["CFQ7TTC0LDPB", "CFQ7TTC0LCHC"]),
    ("CFQ7TTC0LDPB", &["CFQ7TTC0LCHC"]),
    ("CFQ7TTC0LH1G", &["CFQ7TTC0LDPB", "CFQ7TTC0LCHC"]),
    ("CFQ7TTC0LF8Q", &["CFQ7TTC0LFLX", "CFQ7TTC0LFK5"]),
    ("CFQ7TTC0LFLX", &["CFQ7TTC0LFK5"]),
    ("CFQ7TTC0HD33", &["CFQ7TTC0HD32"]),
    ("CFQ7TTC0HDB1", &["CFQ7TTC0HDB0"]),
    (
        "GWS-BUSINESS-STARTER",
        &["GWS-BUSINESS-STANDARD", "GWS-BUSINESS-PLUS"],
    ),
    ("GWS-BUSINESS-STANDARD", &["GWS-BUSINESS-PLUS"]),
    ("GWS-BUSINESS-PLUS", &["GWS-ENTERPRISE-PLUS"]),
    ("GWS-ENTERPRISE-STANDARD", &["GWS-ENTERPRISE-PLUS"]),
];

/// (add-on, its base products)
const ADDONS: &[(&str, &[&str])] = &[(
    "CFQ7TTC0MM8R",
    &[
        "CFQ7TTC0LDPB",
        "CFQ7TTC0LCHC",
        "CFQ7TTC0LF8Q",
        "CFQ7TTC0LFLX",
        "CFQ7TTC0LFK5",
    ],
)];

/// Reals per dollar for the demo's BRL list.
const BRL_PER_USD: &str = "5.40";
/// The distributor's cost is this share of the list price.
const COST_SHARE: &str = "0.88";

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

async fn upsert_vendor(tx: &mut PgConnection, code: &str, name: &str) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO vendors (code, name) VALUES ($1, $2)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id",
        code,
        name,
    )
    .fetch_one(tx)
    .await
}

async fn upsert_program(
    tx: &mut PgConnection,
    vendor: Uuid,
    code: &str,
    name: &str,
    description: [&str; 3],
    partner_id: bool,
) -> sqlx::Result<Uuid> {
    let countries: Vec<String> = crate::countries::COUNTRIES
        .iter()
        .map(|c| c.code.to_string())
        .collect();
    sqlx::query_scalar!(
        "INSERT INTO programs (vendor_id, code, name, description_es, description_en,
                               description_pt, countries, requires_partner_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text[]::char(2)[], $8)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id",
        vendor,
        code,
        name,
        description[0],
        description[1],
        description[2],
        &countries,
        partner_id,
    )
    .fetch_one(tx)
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert_product(
    tx: &mut PgConnection,
    program: Uuid,
    sku: &str,
    names: [&str; 3],
    description: [&str; 3],
    category: &str,
    kind: &str,
    max_seats: i32,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO products (program_id, sku, name_es, name_en, name_pt, description_es,
                               description_en, description_pt, category, kind, max_seats)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (sku) DO NOTHING RETURNING id",
        program,
        sku,
        names[0],
        names[1],
        names[2],
        description[0],
        description[1],
        description[2],
        category,
        kind,
        max_seats,
    )
    .fetch_optional(tx)
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert_price(
    tx: &mut PgConnection,
    product: Uuid,
    term: &str,
    billing: &str,
    currency: &str,
    retail: Decimal,
    from: Date,
    to: Option<Date>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO prices (product_id, term, billing, currency, cost, retail, valid_from, valid_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        product,
        term,
        billing,
        currency,
        cents(retail * dec(COST_SHARE)),
        cents(retail),
        from,
        to,
    )
    .execute(tx)
    .await?;
    Ok(())
}

async fn offer(
    tx: &mut PgConnection,
    product: Uuid,
    term: &str,
    billing: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO product_offers (product_id, term, billing) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        product,
        term,
        billing,
    )
        .execute(tx)
        .await?;
    Ok(())
}

/// Loads the demo catalog (only what is missing) and gives `reseller` approved programs.
pub async fn seed(tx: &mut PgConnection, reseller: Option<Uuid>, today: Date) -> sqlx::Result<()> {
    let microsoft = upsert_vendor(tx, "microsoft", "Microsoft").await?;
    let google = upsert_vendor(tx, "google", "Google").await?;
    let csp = upsert_program(
        tx,
        microsoft,
        MS,
        "Microsoft CSP",
        [
            "Licencias de Microsoft 365, Dynamics y más bajo New Commerce.",
            "Microsoft 365, Dynamics and more under New Commerce.",
            "Licenças do Microsoft 365, Dynamics e mais sob o New Commerce.",
        ],
        true,
    )
    .await?;
    let azure = upsert_program(
        tx,
        microsoft,
        "microsoft-azure",
        "Microsoft Azure plan",
        [
            "Consumo de Azure facturado mensualmente.",
            "Azure consumption billed monthly.",
            "Consumo do Azure faturado mensalmente.",
        ],
        true,
    )
    .await?;
    let workspace = upsert_program(
        tx,
        google,
        GW,
        "Google Workspace",
        [
            "Suscripciones de Google Workspace.",
            "Google Workspace subscriptions.",
            "Assinaturas do Google Workspace.",
        ],
        false,
    )
    .await?;
    let cloud = upsert_program(
        tx,
        google,
        "google-cloud",
        "Google Cloud",
        [
            "Consumo de Google Cloud facturado mensualmente.",
            "Google Cloud consumption billed monthly.",
            "Consumo do Google Cloud faturado mensalmente.",
        ],
        false,
    )
    .await?;
    let program_id = |code: &str| if code == MS { csp } else { workspace };

    let start = Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(today);
    let next_month = {
        let (y, m) = if today.month() == time::Month::December {
            (today.year() + 1, time::Month::January)
        } else {
            (today.year(), today.month().next())
        };
        Date::from_calendar_date(y, m, 1).unwrap_or(today)
    };
    for d in PRODUCTS {
        let names = [d.name, d.name, d.name];
        let Some(id) = insert_product(
            tx,
            program_id(d.program),
            d.sku,
            names,
            d.description,
            d.category,
            d.kind,
            d.max_seats,
        )
        .await?
        else {
            continue;
        };
        for (currency, fx) in [("USD", Decimal::ONE), ("BRL", dec(BRL_PER_USD))] {
            if let Some(y) = d.yearly {
                let monthly = dec(y) * fx;
                offer(tx, id, "P1Y", "monthly").await?;
                offer(tx, id, "P1Y", "annual").await?;
                // Business Standard has a price increase scheduled for next month.
                if d.sku == "CFQ7TTC0LDPB" {
                    insert_price(
                        tx,
                        id,
                        "P1Y",
                        "monthly",
                        currency,
                        monthly,
                        start,
                        Some(next_month),
                    )
                    .await?;
                    insert_price(
                        tx,
                        id,
                        "P1Y",
                        "monthly",
                        currency,
                        monthly * dec("1.05"),
                        next_month,
                        None,
                    )
                    .await?;
                } else {
                    insert_price(tx, id, "P1Y", "monthly", currency, monthly, start, None).await?;
                }
                insert_price(
                    tx,
                    id,
                    "P1Y",
                    "annual",
                    currency,
                    monthly * Decimal::from(12),
                    start,
                    None,
                )
                .await?;
                if d.program == MS {
                    offer(tx, id, "P3Y", "annual").await?;
                    insert_price(
                        tx,
                        id,
                        "P3Y",
                        "annual",
                        currency,
                        monthly * Decimal::from(12) * dec("0.95"),
                        start,
                        None,
                    )
                    .await?;
                }
            }
            if let Some(m) = d.monthly {
                offer(tx, id, "P1M", "monthly").await?;
                insert_price(tx, id, "P1M", "monthly", currency, dec(m) * fx, start, None).await?;
            }
        }
    }
    // Consumption: billed monthly on usage; the catalog price is zero per unit.
    for (program, sku, name, description) in [
        (
            azure,
            "DZH318Z0BPS6",
            "Azure plan",
            [
                "Consumo de servicios de Azure, facturado según uso.",
                "Azure services, billed on usage.",
                "Serviços do Azure, faturados pelo uso.",
            ],
        ),
        (
            cloud,
            "GCP-BILLING-ACCOUNT",
            "Google Cloud",
            [
                "Servicios de Google Cloud, facturados según uso.",
                "Google Cloud services, billed on usage.",
                "Serviços do Google Cloud, faturados pelo uso.",
            ],
        ),
    ] {
        if let Some(id) = insert_product(
            tx,
            program,
            sku,
            [name, name, name],
            description,
            "infrastructure",
            "consumption",
            1,
        )
        .await?
        {
            offer(tx, id, "P1M", "monthly").await?;
            for currency in ["USD", "BRL"] {
                insert_price(
                    tx,
                    id,
                    "P1M",
                    "monthly",
                    currency,
                    Decimal::ZERO,
                    start,
                    None,
                )
                .await?;
            }
        }
    }
    for (from, targets) in UPGRADES {
        for to in *targets {
            sqlx::query!(
                "INSERT INTO product_upgrades (from_id, to_id) SELECT a.id, b.id
                 FROM products a, products b WHERE a.sku = $1 AND b.sku = $2 ON CONFLICT DO NOTHING",
                from,
                to,
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    for (addon, bases) in ADDONS {
        for base in *bases {
            sqlx::query!(
                "INSERT INTO product_addons (addon_id, base_id) SELECT a.id, b.id
                 FROM products a, products b WHERE a.sku = $1 AND b.sku = $2 ON CONFLICT DO NOTHING",
                addon,
                base,
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    for (program, name) in [
        (csp, "Microsoft CSP"),
        (azure, "Microsoft Azure plan"),
        (workspace, "Google Workspace"),
        (cloud, "Google Cloud"),
    ] {
        insert_terms(tx, program, name).await?;
    }
    if let Some(reseller) = reseller {
        for (program, domain) in [
            (csp, "nubeandina.onmicrosoft.com"),
            (workspace, "nubeandina.example"),
        ] {
            sqlx::query!(
                "INSERT INTO program_enrollments (reseller_id, program_id, status, domain, decided_at)
                 VALUES ($1, $2, 'approved', $3, now())
                 ON CONFLICT DO NOTHING",
                reseller,
                program,
                domain,
            )
            .execute(&mut *tx)
            .await?;
            // Accepted by the reseller's owner, when there is one already.
            sqlx::query!(
                "INSERT INTO program_terms_acceptances (reseller_id, program_id, version, user_id)
                 SELECT $1, $2, 1, u.id FROM users u WHERE u.reseller_id = $1 AND u.role = 'owner'
                 ORDER BY u.created_at LIMIT 1
                 ON CONFLICT DO NOTHING",
                reseller,
                program,
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// Version 1 of a program's terms and conditions, in the three languages.
async fn insert_terms(tx: &mut PgConnection, program: Uuid, name: &str) -> sqlx::Result<()> {
    let body_es = format!(
        "1. El revendedor comercializa {name} a sus clientes finales en su propio nombre y se obliga a cumplir las condiciones del fabricante.\n\n\
         2. El revendedor mantiene al día los datos de sus clientes y obtiene su aceptación del acuerdo de cliente del fabricante antes de cada pedido.\n\n\
         3. Los precios y las reglas de cancelación son los del catálogo vigente al momento del pedido. El distribuidor factura mensualmente.\n\n\
         4. El distribuidor puede suspender el programa si se incumplen estas condiciones, con aviso y motivo."
    );
    let body_en = format!(
        "1. The reseller sells {name} to its end customers in its own name and agrees to follow the vendor's conditions.\n\n\
         2. The reseller keeps its customers' data current and obtains their acceptance of the vendor's customer agreement before each order.\n\n\
         3. Prices and cancellation rules are those of the catalog in force when the order is placed. The distributor invoices monthly.\n\n\
         4. The distributor may suspend the program if these conditions are broken, with notice and a reason."
    );
    let body_pt = format!(
        "1. A revenda comercializa {name} aos seus clientes finais em nome próprio e se compromete a cumprir as condições do fabricante.\n\n\
         2. A revenda mantém atualizados os dados dos seus clientes e obtém a aceitação do contrato de cliente do fabricante antes de cada pedido.\n\n\
         3. Preços e regras de cancelamento são os do catálogo vigente no momento do pedido. O distribuidor fatura mensalmente.\n\n\
         4. O distribuidor pode suspender o programa se estas condições forem descumpridas, com aviso e motivo."
    );
    sqlx::query!(
        "INSERT INTO program_terms (program_id, version, title_es, title_en, title_pt, body_es, body_en, body_pt)
         VALUES ($1, 1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        program,
        format!("Condiciones del programa {name}"),
        format!("{name} program terms"),
        format!("Condições do programa {name}"),
        body_es,
        body_en,
        body_pt,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Adds `count` generated products (with prices) to measure the catalog at scale.
pub async fn generate(tx: &mut PgConnection, count: usize, today: Date) -> sqlx::Result<usize> {
    const FAMILIES: &[&str] = &[
        "Cloud",
        "Secure",
        "Data",
        "Office",
        "Teams",
        "Vault",
        "Backup",
        "Mail",
        "Analytics",
        "Identity",
        "Device",
        "Voice",
    ];
    const EDITIONS: &[&str] = &[
        "Basic",
        "Standard",
        "Premium",
        "Enterprise",
        "Frontline",
        "Education",
        "Nonprofit",
        "Government",
    ];
    const SIZES: &[&str] = &["Starter", "Plus", "Pro", "Max", "Lite"];
    let vendor = upsert_vendor(tx, "generated", "Generated Vendor").await?;
    let program = upsert_program(
        tx,
        vendor,
        "generated-licenses",
        "Generated licenses",
        [
            "Productos sintéticos para pruebas de carga.",
            "Synthetic products for load tests.",
            "Produtos sintéticos para testes de carga.",
        ],
        false,
    )
    .await?;
    let start = Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(today);
    let mut added = 0;
    let batch = 1000;
    let mut n = 0usize;
    while added < count {
        let size = batch.min(count - added);
        let mut skus = Vec::with_capacity(size);
        let mut names = Vec::with_capacity(size);
        let mut categories = Vec::with_capacity(size);
        for _ in 0..size {
            n += 1;
            let name = format!(
                "{} {} {} {}",
                FAMILIES[n % FAMILIES.len()],
                EDITIONS[(n / FAMILIES.len()) % EDITIONS.len()],
                SIZES[(n / (FAMILIES.len() * EDITIONS.len())) % SIZES.len()],
                n
            );
            skus.push(format!("GEN-{n:07}"));
            names.push(name);
            let all = crate::catalog::rules::Category::ALL;
            categories.push(all[n % all.len()].code().to_string());
        }
        let ids: Vec<Uuid> = sqlx::query_scalar!(
            "INSERT INTO products (program_id, sku, name_es, name_en, name_pt, category, kind)
             SELECT $1, s, n, n, n, c, 'license' FROM unnest($2::text[], $3::text[], $4::text[]) AS t(s, n, c)
             ON CONFLICT (sku) DO NOTHING RETURNING id",
            program,
            &skus,
            &names,
            &categories,
        )
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO product_offers (product_id, term, billing)
             SELECT id, t.term, t.billing FROM unnest($1::uuid[]) AS id,
                    (VALUES ('P1M', 'monthly'), ('P1Y', 'monthly'), ('P1Y', 'annual')) AS t(term, billing)",
            &ids,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO prices (product_id, term, billing, currency, cost, retail, valid_from)
             SELECT id, t.term, t.billing, c.currency, round((5 + (abs(hashtext(id::text)) % 5000) / 100.0) * t.f * c.fx * 0.88, 2),
                    round((5 + (abs(hashtext(id::text)) % 5000) / 100.0) * t.f * c.fx, 2), $2
             FROM unnest($1::uuid[]) AS id,
                  (VALUES ('P1M', 'monthly', 1.2), ('P1Y', 'monthly', 1.0), ('P1Y', 'annual', 12.0)) AS t(term, billing, f),
                  (VALUES ('USD', 1.0), ('BRL', 5.4)) AS c(currency, fx)",
            &ids,
            start,
        )
        .execute(&mut *tx)
        .await?;
        added += size;
    }
    Ok(added)
}
