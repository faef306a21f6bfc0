//! The demo's support ticket: a question the owner asked yesterday, answered by the desk, so
//! that Support shows a conversation (and the desk a ticket waiting on the reseller).

use sqlx::PgPool;
use uuid::Uuid;

use crate::support::rules::{Category, NewTicket};
use crate::support::store;

/// Opens the demo's ticket unless the reseller has one.
pub async fn seed(
    pool: &PgPool,
    reseller_id: Uuid,
    owner: Uuid,
    staff: Uuid,
) -> anyhow::Result<()> {
    let now = time::OffsetDateTime::now_utc();
    let mut tx = crate::db::tenant_tx(pool, reseller_id).await?;
    let (_, total) = store::list(&mut tx, &store::Filter::default(), false, 0, 1).await?;
    if total > 0 {
        return Ok(());
    }
    let asked = NewTicket {
        category: Category::PlatformUse,
        subject: "¿Cómo asigno licencias a los usuarios de un cliente?".into(),
        description: "Compramos Business Standard para Contoso y queremos asignar las licencias \
                      a sus usuarios desde el portal. ¿Dónde se hace?"
            .into(),
        link: None,
    };
    let opened = store::open(
        &mut tx,
        reseller_id,
        owner,
        &asked,
        &[],
        now - time::Duration::days(1),
    )
    .await?
    .map_err(|k| anyhow::anyhow!("demo ticket: {k}"))?;
    tx.commit().await?;
    let mut tx = pool.begin().await?;
    let answer = "Desde la página del cliente, en «Usuarios y licencias» de su tenant: elija un \
                  usuario y la suscripción, o suba un archivo CSV para muchos a la vez.";
    let said = store::Said {
        body: answer,
        files: &[],
    };
    store::answer(
        &mut tx,
        opened.id,
        staff,
        &said,
        false,
        None,
        now - time::Duration::hours(20),
    )
    .await?
    .map_err(|r| anyhow::anyhow!("demo ticket: {r:?}"))?;
    tx.commit().await?;
    Ok(())
}
