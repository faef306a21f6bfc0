//! Database roles (decision 0017): migrations and admin commands run as the owner of the schema;
//! requests and jobs as a serving login role that owns nothing, is not a superuser and bypasses
//! no row-level security. It is a member of two group roles the migrations create and grant:
//! `portal_system` (cross-tenant work, while no tenant is set) and `portal_app` (a tenant
//! transaction).

use anyhow::{Context, bail};
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

use crate::config::Config;
use crate::crypto::SecretBox;

/// The group roles a serving role belongs to.
const GROUPS: [&str; 2] = ["portal_system", "portal_app"];

/// Whether `name` may name the serving role: a plain lower-case identifier, not a reserved one.
pub fn is_role_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
        && !name.starts_with("pg_")
        && !GROUPS.contains(&name)
}

/// How requests and jobs reach the database.
pub enum Serving {
    /// A URL for a login role made beforehand (`PORTAL_SERVING_DATABASE_URL`).
    Url(String),
    /// A role the portal creates through the owner's connection, with a password derived from
    /// the installation's key: every instance computes the same, nobody else can.
    Create { role: String, password: String },
}

impl Serving {
    pub fn from_config(config: &Config, secrets: &SecretBox) -> Self {
        match &config.serving_database_url {
            Some(url) => Serving::Url(url.clone()),
            None => Serving::Create {
                role: config.serving_role.clone(),
                password: secrets.derive("database serving role password"),
            },
        }
    }
}

/// Opens the serving pool: the role is created or checked through `owner` (a pool on
/// `owner_url`, migrated), given its group roles, and refused when it could bypass row-level
/// security (a superuser, `BYPASSRLS`, or the owner of a table).
pub async fn serving_pool(
    owner: &PgPool,
    owner_url: &str,
    serving: Serving,
) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = match &serving {
        Serving::Url(url) => url
            .parse()
            .context("PORTAL_SERVING_DATABASE_URL is not a valid PostgreSQL URL")?,
        Serving::Create { role, password } => {
            create_role(owner, role, password).await?;
            let options: PgConnectOptions = owner_url
                .parse()
                .context("DATABASE_URL is not a valid PostgreSQL URL")?;
            options.username(role).password(password)
        }
    };
    let pool = match super::connect_with(options.clone()).await {
        Ok(pool) => pool,
        Err(_) if matches!(serving, Serving::Create { .. }) => {
            // The role exists with another password (made by another installation's key, or
            // before the key changed): this installation's password, then again.
            if let Serving::Create { role, password } = &serving {
                set_password(owner, role, password).await?;
            }
            super::connect_with(options).await?
        }
        Err(e) => return Err(e),
    };
    let role: String = sqlx::query_scalar!(r#"SELECT current_user::text AS "role!""#)
        .fetch_one(&pool)
        .await?;
    join_groups(owner, &role).await?;
    check(&pool, &role).await?;
    Ok(pool)
}

async fn create_role(owner: &PgPool, role: &str, password: &str) -> anyhow::Result<()> {
    let found = sqlx::query!(
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1",
        role
    )
    .fetch_optional(owner)
    .await?;
    match found {
        Some(r) if r.rolsuper.unwrap_or(true) || r.rolbypassrls.unwrap_or(true) => {
            bail!(unsafe_role(role))
        }
        Some(r) if !r.rolcanlogin.unwrap_or(false) => {
            run_formatted(owner, "ALTER ROLE %I LOGIN", role, None).await?;
        }
        Some(_) => {}
        None => {
            let created = run_formatted(
                owner,
                "CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT PASSWORD %L",
                role,
                Some(password),
            )
            .await;
            // Another instance (or test) may have created it at the same moment.
            if let Err(e) = created {
                if !is_duplicate(&e) {
                    return Err(e).context("cannot create the serving role (PORTAL_SERVING_ROLE): the DATABASE_URL role needs CREATEROLE, or set PORTAL_SERVING_DATABASE_URL");
                }
            }
        }
    }
    Ok(())
}

async fn set_password(owner: &PgPool, role: &str, password: &str) -> anyhow::Result<()> {
    run_formatted(owner, "ALTER ROLE %I PASSWORD %L", role, Some(password))
        .await
        .context("cannot set the serving role's password")?;
    Ok(())
}

/// Makes `role` a member of the group roles it lacks.
async fn join_groups(owner: &PgPool, role: &str) -> anyhow::Result<()> {
    for group in GROUPS {
        if is_member(owner, role, group).await? {
            continue;
        }
        let granted = run_formatted(owner, &format!("GRANT {group} TO %I"), role, None).await;
        // A grant at the same moment from another instance fails here and shows below.
        if !is_member(owner, role, group).await? {
            granted.with_context(|| format!("cannot make {role} a member of {group}"))?;
            bail!("{role} is not a member of {group}");
        }
    }
    Ok(())
}

async fn is_member(db: &PgPool, role: &str, group: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT pg_has_role($1::text::name, $2::text::name, 'USAGE') AS "member!""#,
        role,
        group
    )
    .fetch_one(db)
    .await
}

/// Refuses a serving role that row-level security would not hold.
async fn check(serving: &PgPool, role: &str) -> anyhow::Result<()> {
    let r = sqlx::query!(
        r#"SELECT rolsuper AS "superuser!", rolbypassrls AS "bypasses!",
                  EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid
                              AND c.relnamespace = 'public'::regnamespace) AS "owns!"
           FROM pg_roles r WHERE rolname = current_user"#
    )
    .fetch_one(serving)
    .await?;
    if r.superuser || r.bypasses || r.owns {
        bail!(unsafe_role(role));
    }
    Ok(())
}

fn unsafe_role(role: &str) -> String {
    format!(
        "the serving role {role} is a superuser, bypasses row-level security or owns tables: \
         requests must run as a role that row-level security holds (set PORTAL_SERVING_ROLE \
         to a new name, or PORTAL_SERVING_DATABASE_URL to such a role)"
    )
}

/// Runs a statement about a role. Identifiers and passwords cannot be bound: the server quotes
/// them (`format` with `%I` and `%L`) and the text it returns is run.
async fn run_formatted(
    db: &PgPool,
    template: &str,
    role: &str,
    literal: Option<&str>,
) -> anyhow::Result<()> {
    let statement: String = sqlx::query_scalar!(
        r#"SELECT format($1, $2::text, $3::text) AS "s!""#,
        template,
        role,
        literal
    )
    .fetch_one(db)
    .await?;
    sqlx::query(&statement).execute(db).await?;
    Ok(())
}

fn is_duplicate(e: &anyhow::Error) -> bool {
    e.downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|d| d.code())
        .is_some_and(|c| c == "42710" || c == "23505")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_plain_identifiers() {
        assert!(is_role_name("portal_serve"));
        assert!(is_role_name("_x9"));
        for bad in [
            "",
            "9x",
            "Portal",
            "a-b",
            "a b",
            "pg_serve",
            "portal_app",
            "x\"; DROP",
        ] {
            assert!(!is_role_name(bad), "{bad:?}");
        }
        assert!(!is_role_name(&"a".repeat(64)));
    }
}
