//! Send slots per destination, shared by every instance: a reservation locks the
//! destination's row (PostgreSQL; SQLite's writer is single anyway), reads its last slots and
//! asks the caller's rule for the next one, so no window ever holds more sends than the rate
//! allows, whichever instance sends them.

use std::collections::VecDeque;

use formwork_store::{SlotRequest, SlotRule, StoreResult};
use time::OffsetDateTime;

use super::{begin, commit, db_err, ts};
use crate::StoreImpl;

pub(crate) async fn reserve(
    store: &StoreImpl,
    request: SlotRequest<'_>,
    rule: &SlotRule,
) -> StoreResult<OffsetDateTime> {
    let SlotRequest {
        destination,
        job_id,
        keep,
        window,
        now,
    } = request;
    let mut tx = begin(store).await?;
    sqlx::query(
        "INSERT INTO rate_destinations (destination) VALUES ($1) \
         ON CONFLICT (destination) DO NOTHING",
    )
    .bind(destination)
    .execute(&mut *tx)
    .await
    .map_err(db_err("rate limit"))?;
    // Takes the destination's row lock until commit: reservations for it queue here.
    sqlx::query("UPDATE rate_destinations SET destination = destination WHERE destination = $1")
        .bind(destination)
        .execute(&mut *tx)
        .await
        .map_err(db_err("rate limit"))?;
    let held: Option<OffsetDateTime> =
        sqlx::query_scalar("SELECT slot_at FROM rate_slots WHERE destination = $1 AND job_id = $2")
            .bind(destination)
            .bind(job_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err("rate limit"))?;
    if let Some(slot) = held {
        commit(tx).await?;
        return Ok(slot);
    }
    sqlx::query("DELETE FROM rate_slots WHERE destination = $1 AND slot_at < $2")
        .bind(destination)
        .bind(ts(now - window))
        .execute(&mut *tx)
        .await
        .map_err(db_err("rate limit"))?;
    let mut last: Vec<OffsetDateTime> = sqlx::query_scalar(
        "SELECT slot_at FROM rate_slots WHERE destination = $1 \
         ORDER BY slot_at DESC, job_id DESC LIMIT $2",
    )
    .bind(destination)
    .bind(i64::from(keep.max(1)))
    .fetch_all(&mut *tx)
    .await
    .map_err(db_err("rate limit"))?;
    last.reverse();
    let slot = formwork_query::instant::micros(rule(&VecDeque::from(last)));
    sqlx::query("INSERT INTO rate_slots (destination, slot_at, job_id) VALUES ($1, $2, $3)")
        .bind(destination)
        .bind(ts(slot))
        .bind(job_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err("rate limit"))?;
    commit(tx).await?;
    Ok(slot)
}
