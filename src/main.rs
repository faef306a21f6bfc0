//! The `portal` command line.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use portal::config::Config;

#[derive(Parser)]
#[command(
    name = "portal",
    version,
    about = "Cloud-marketplace portal for IT resellers",
    long_about = "Cloud-marketplace portal for IT resellers.\n\n\
        Configuration comes from environment variables (see the README): DATABASE_URL, \
        PORTAL_BIND, PORTAL_BASE_URL, SMTP_URL, PORTAL_MAIL_FROM, PORTAL_LOG, PORTAL_DATA_DIR. \
        Without DATABASE_URL a private PostgreSQL cluster is started under PORTAL_DATA_DIR/postgres."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, then serve the web pages and run the background worker (the default).
    Serve,
    /// Run the background job worker alone.
    Worker,
    /// Apply the database migrations and exit.
    Migrate,
    /// Create a distributor staff account.
    CreateStaff {
        /// The staff member's e-mail address (their login).
        #[arg(long)]
        email: String,
        /// The staff member's full name.
        #[arg(long)]
        name: String,
        /// The password; asked for (twice, hidden) when left out.
        #[arg(long)]
        password: Option<String>,
    },
    /// Load realistic demo data (safe to run again).
    SeedDemo,
    /// Import the vendors' rated usage of a day (a day imported again counts once).
    ImportUsage {
        /// The day, as 2026-11-30.
        #[arg(long)]
        date: String,
    },
    /// Bill a month that is over: one invoice per reseller not billed for it yet (running a
    /// month again bills nothing twice).
    BillingRun {
        /// The month, as 2026-11.
        #[arg(long)]
        period: String,
    },
    /// Add generated products (with prices) to measure the catalog at scale.
    GenerateCatalog {
        /// How many products to add.
        #[arg(long, default_value_t = 20_000)]
        products: usize,
    },
    /// Add generated resellers and customers, to measure the customer list at scale.
    GenerateCustomers {
        /// Customers of the first (big) reseller.
        #[arg(long, default_value_t = 100_000)]
        first: usize,
        /// How many resellers in all.
        #[arg(long, default_value_t = 10)]
        resellers: usize,
        /// Customers of each other reseller.
        #[arg(long, default_value_t = 100_000)]
        per_reseller: usize,
    },
    /// Generate a large reseller's data (on the demo data, which it loads first) to measure the
    /// portal at scale: customers with tenants, orders with lines, subscriptions; and smaller
    /// resellers beside it. Deterministic from --seed. Never uses DATABASE_URL: the database
    /// must be named here.
    Generate {
        /// The database to fill (required, so that it is never filled by mistake).
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1)]
        seed: i64,
        /// Customers of the big reseller (the demo one).
        #[arg(long, default_value_t = 50_000)]
        customers: i64,
        /// Orders of the big reseller.
        #[arg(long, default_value_t = 250_000)]
        orders: i64,
        /// Lines of each order (each completed line is a subscription).
        #[arg(long, default_value_t = 4)]
        lines_per_order: i64,
        /// Smaller resellers beside the big one.
        #[arg(long, default_value_t = 9)]
        other_resellers: i64,
        /// Customers of each smaller reseller.
        #[arg(long, default_value_t = 2_000)]
        other_customers: i64,
        /// Orders of each smaller reseller.
        #[arg(long, default_value_t = 10_000)]
        other_orders: i64,
    },
    /// Serve the benchmark's yardstick: a minimal page on the same stack (one query, one
    /// template, no middleware). Used by `bench/run`.
    #[command(hide = true)]
    BenchBaseline {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value = "127.0.0.1:3999")]
        bind: std::net::SocketAddr,
    },
    /// Play a customer in their Google Admin console: print a sandbox transfer token for a
    /// Google Workspace domain, naming a reseller's public ID.
    SandboxTransferToken {
        /// The customer's Google Workspace domain.
        #[arg(long)]
        domain: String,
        /// The public ID of the reseller the customer moves to (on its account page).
        #[arg(long)]
        reseller: String,
        /// How many days the token is valid.
        #[arg(long, default_value_t = 14)]
        days: i64,
    },
    /// Play the reseller solving a declined payment with the vendor for a tenant domain (the
    /// sandbox's `payment-declined…` failure stops there; staff can then retry the order).
    SandboxFixPayment {
        /// The tenant domain whose orders were declined.
        #[arg(long)]
        domain: String,
    },
    /// Send a test e-mail now, to check the mail settings.
    SendTestMail {
        /// Where to send it.
        #[arg(long)]
        to: String,
        /// Language of the message: es, en or pt-BR.
        #[arg(long, default_value = "es")]
        lang: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config);
    portal::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => portal::serve(config).await,
        Command::Worker => portal::run_worker(config).await,
        Command::Migrate => with_database(&config, |_| async { Ok(()) }).await,
        Command::CreateStaff {
            email,
            name,
            password,
        } => create_staff(&config, email, name, password).await,
        Command::Generate {
            database_url,
            seed,
            customers,
            orders,
            lines_per_order,
            other_resellers,
            other_customers,
            other_orders,
        } => {
            let scale = portal::seed::scale::Scale {
                seed,
                customers,
                orders,
                lines_per_order,
                other_resellers,
                other_customers,
                other_orders,
            };
            generate(&config, &database_url, scale).await
        }
        Command::BenchBaseline { database_url, bind } => {
            portal::bench::serve(&database_url, bind).await
        }
        Command::BillingRun { period } => {
            let month = portal::billing::charges::Month::parse(&period).map_err(|_| {
                anyhow::anyhow!("--period: expected a month as 2026-11, got {period:?}")
            })?;
            let mailer = portal::mail::Mailer::from_config(&config)?;
            let settings = config.clone();
            with_database(&config, |pool| async move {
                let now = time::OffsetDateTime::now_utc();
                if !month.closed(now.date()) {
                    anyhow::bail!(
                        "{} is not over yet: it can be billed from {}",
                        month.code(),
                        month.end()
                    );
                }
                // Each reseller's billing users are told of its invoice.
                let issue = portal::billing::run::Issue {
                    at: now,
                    run: None,
                    notify: Some(portal::billing::mail::Notify {
                        mailer: &mailer,
                        config: &settings,
                    }),
                };
                let ran = portal::billing::run::run_with(&pool, month, &issue).await?;
                for (reseller, number) in &ran.issued {
                    println!("{number}: reseller {reseller}");
                }
                println!(
                    "{}: {} invoices issued, {} resellers with nothing to bill",
                    month.code(),
                    ran.issued.len(),
                    ran.empty
                );
                Ok(())
            })
            .await
        }
        Command::ImportUsage { date } => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let day = time::Date::parse(&date, &format).map_err(|_| {
                anyhow::anyhow!("--date: expected a day as 2026-11-30, got {date:?}")
            })?;
            with_database(&config, |pool| async move {
                let vendor = portal::vendors::Sandbox::new(pool.clone());
                let done = portal::billing::usage::import(&pool, &vendor, day)
                    .await
                    .map_err(|e| anyhow::anyhow!("the vendor did not answer: {e:?}"))?;
                println!(
                    "{day}: {} usage rows recorded, {} kept aside",
                    done.records, done.unmatched
                );
                Ok(())
            })
            .await
        }
        Command::SeedDemo => {
            let secrets = portal::crypto::SecretBox::from_config(
                config.secret_key.as_deref(),
                &config.data_dir,
            )?;
            with_database(&config, |pool| async move {
                let hasher = portal::auth::password::PasswordHasher::default();
                println!(
                    "{}",
                    portal::seed::seed_demo(&pool, &hasher, &secrets).await?
                );
                Ok(())
            })
            .await
        }
        Command::GenerateCatalog { products } => {
            with_database(&config, |pool| async move {
                let mut tx = pool.begin().await?;
                let today = time::OffsetDateTime::now_utc().date();
                let added = portal::seed::catalog::generate(&mut tx, products, today).await?;
                tx.commit().await?;
                sqlx::raw_sql("ANALYZE products, prices, product_offers")
                    .execute(&pool)
                    .await?;
                println!("Added {added} generated products.");
                Ok(())
            })
            .await
        }
        Command::GenerateCustomers {
            first,
            resellers,
            per_reseller,
        } => {
            with_database(&config, |pool| async move {
                let mut tx = pool.begin().await?;
                let big =
                    portal::seed::customers::generate(&mut tx, resellers, per_reseller, first)
                        .await?;
                tx.commit().await?;
                sqlx::raw_sql("ANALYZE customers, customer_tenants, resellers")
                    .execute(&pool)
                    .await?;
                println!("Generated customers; the big reseller is {big}.");
                Ok(())
            })
            .await
        }
        Command::SandboxTransferToken {
            domain,
            reseller,
            days,
        } => {
            with_database(&config, |pool| async move {
                let token = portal::vendors::Sandbox::new(pool)
                    .issue_transfer_token(&domain, &reseller, time::Duration::days(days))
                    .await?;
                println!("{token}");
                Ok(())
            })
            .await
        }
        Command::SandboxFixPayment { domain } => {
            with_database(&config, |pool| async move {
                portal::vendors::Sandbox::new(pool)
                    .fix_payment(&domain)
                    .await?;
                println!("Payments for {domain} now go through in the sandbox.");
                Ok(())
            })
            .await
        }
        Command::SendTestMail { to, lang } => {
            let locale = portal::i18n::Locale::from_code(&lang)
                .ok_or_else(|| anyhow::anyhow!("--lang must be es, en or pt-BR"))?;
            if !portal::mail::is_plain_address(&to) {
                anyhow::bail!("--to must be an e-mail address such as ana@example.com");
            }
            let mailer = portal::mail::Mailer::from_config(&config)?;
            mailer
                .send(&portal::mail::test_message(&config, locale, &to)?)
                .await?;
            println!("Test e-mail sent to {to}.");
            Ok(())
        }
    }
}

/// Opens the database (embedded or not), migrates, runs `f`, and closes it again.
/// `portal generate`: migrations, the demo data, then the generated data, in the database
/// named on the command line only.
async fn generate(
    config: &Config,
    database_url: &str,
    scale: portal::seed::scale::Scale,
) -> anyhow::Result<()> {
    let config = Config {
        database_url: Some(database_url.to_string()),
        ..config.clone()
    };
    let secrets =
        portal::crypto::SecretBox::from_config(config.secret_key.as_deref(), &config.data_dir)?;
    with_database(&config, |pool| async move {
        let hasher = portal::auth::password::PasswordHasher::default();
        portal::seed::seed_demo(&pool, &hasher, &secrets).await?;
        let started = std::time::Instant::now();
        let mut tx = pool.begin().await?;
        let done = portal::seed::scale::generate(&mut tx, scale).await?;
        tx.commit().await?;
        sqlx::raw_sql("ANALYZE").execute(&pool).await?;
        println!(
            "Generated in {:.0?}: {} more resellers, {} customers, {} orders, {} lines, {} subscriptions, {} tenant users holding {} licences, {} usage rows, {} months of sales figures.",
            started.elapsed(),
            done.resellers,
            done.customers,
            done.orders,
            done.lines,
            done.subscriptions,
            done.tenant_users,
            done.licences,
            done.usage,
            done.sales_months
        );
        Ok(())
    })
    .await
}

async fn with_database<F, Fut>(config: &Config, f: F) -> anyhow::Result<()>
where
    F: FnOnce(sqlx::PgPool) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let database = portal::Database::open(config).await?;
    let result = async {
        portal::db::migrate(&database.pool).await?;
        f(database.pool.clone()).await
    }
    .await;
    database.close().await;
    result
}

async fn create_staff(
    config: &Config,
    email: String,
    name: String,
    password: Option<String>,
) -> anyhow::Result<()> {
    let email = portal::domain::Email::parse(&email)
        .map_err(|_| anyhow::anyhow!("--email is not a valid e-mail address"))?;
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 120 {
        anyhow::bail!("--name must have 1 to 120 characters");
    }
    let password = match password {
        Some(p) => p,
        None => {
            if !std::io::stdin().is_terminal() {
                anyhow::bail!("no --password given and no terminal to ask for one");
            }
            let first = rpassword::prompt_password("Password: ")?;
            let second = rpassword::prompt_password("Repeat the password: ")?;
            if first != second {
                anyhow::bail!("the two passwords differ");
            }
            first
        }
    };
    if let Err(key) = portal::auth::password::check_new(&password, email.as_str()) {
        anyhow::bail!(
            "password refused: {}",
            portal::i18n::t(portal::i18n::Locale::En, key)
        );
    }
    with_database(config, |pool| async move {
        let hasher = portal::auth::password::PasswordHasher::default();
        let hash = hasher.hash(&password).await?;
        let mut tx = pool.begin().await?;
        let id = portal::auth::store::create_staff(&mut *tx, &email, &name, &hash)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        sqlx::query!(
            "INSERT INTO audit_log (actor_label, action, subject_type, subject_id, details)
             VALUES ('cli', 'staff_created', 'user', $1::text, jsonb_build_object('email', $2::text))",
            id.to_string(),
            email.as_str(),
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        println!("Staff account created for {email}. They set up MFA at first sign-in.");
        Ok(())
    })
    .await
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}
