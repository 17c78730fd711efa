//! Group commit: writes that arrive while the single writer is busy wait together and then
//! share one transaction, each inside its own savepoint, so one commit — one fsync of the log
//! with `synchronous=FULL` — acknowledges all of them. A write that fails rolls back to its
//! own savepoint and is answered with its error; the others are unaffected. Every caller is
//! answered only after the commit that holds its write (or with the commit's error).
//!
//! Used where the database has one writer at a time (SQLite); elsewhere each write keeps its
//! own transaction.

use std::future::Future;
use std::pin::Pin;

use formwork_store::{StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

use super::{Conn, Db};

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Tells a job's caller how it ended, once the shared transaction's fate is known.
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;

/// One pending write: runs on the shared transaction's connection and says whether it wrote
/// (its savepoint is kept) or failed (its savepoint is rolled back).
type Job = Box<dyn for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, (bool, Deliver)> + Send>;

/// Most writes one shared transaction takes.
const MAX_BATCH: usize = 64;

/// The queue in front of the writer.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    jobs: mpsc::UnboundedSender<Job>,
}

impl GroupCommit {
    /// Starts the writer's loop over `pool` (one connection) on a thread of its own,
    /// beginning each shared transaction with `begin`. The loop ends, and its thread with it,
    /// once every handle is dropped.
    ///
    /// Every statement is a round trip between the writer and the connection's thread. Run
    /// as a task of the shared runtime, each round trip also parked and woke runtime workers
    /// (perf: the workers' parking and waking cost more than the engine's step); a thread
    /// that only waits for its connection pays the bare hand-off.
    pub(crate) fn start(pool: sqlx::Pool<Db>, begin: &'static str) -> StoreResult<GroupCommit> {
        let (jobs, queue) = mpsc::unbounded_channel();
        let failed = |e: std::io::Error| StoreError::Backend(format!("starting the writer: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(failed)?;
        std::thread::Builder::new()
            .name("formwork-writer".to_owned())
            .spawn(move || runtime.block_on(run(pool, begin, queue)))
            .map_err(failed)?;
        Ok(GroupCommit { jobs })
    }

    /// Runs `work` in the next shared transaction; answers once that transaction committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let outcome = work(conn).await;
                let wrote = outcome.is_ok();
                let deliver: Deliver = Box::new(move |committed| {
                    let answer = match (outcome, committed) {
                        (Err(e), _) => Err(e),
                        (Ok(_), Err(e)) => Err(StoreError::Backend(format!("commit: {e}"))),
                        (Ok(value), Ok(())) => Ok(value),
                    };
                    let _ = reply.send(answer);
                });
                (wrote, deliver)
            })
        });
        let stopped = || StoreError::Backend("the writer has stopped".to_owned());
        self.jobs.send(job).map_err(|_| stopped())?;
        // A job dropped unrun (the transaction could not begin) answers nothing.
        answer.await.map_err(|_| {
            StoreError::Backend("the shared write transaction could not begin".to_owned())
        })?
    }
}

async fn run(pool: sqlx::Pool<Db>, begin: &'static str, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut ran = Vec::with_capacity(batch.len());
        let outcome = commit_batch(&pool, begin, batch, &mut ran)
            .await
            .map_err(|e| e.to_string());
        if let Err(e) = &outcome {
            tracing::warn!(error = %e, writes = ran.len(), "a shared write transaction failed");
        }
        for deliver in ran {
            deliver(outcome.clone());
        }
    }
}

/// Runs `batch` in one transaction, a savepoint each; pushes each job's answer to `ran`.
async fn commit_batch(
    pool: &sqlx::Pool<Db>,
    begin: &'static str,
    mut batch: Vec<Job>,
    ran: &mut Vec<Deliver>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin_with(begin).await?;
    // Alone in its transaction, a write needs no savepoint: failing, it takes the whole
    // transaction back (two statements fewer for every write that found the writer idle).
    if batch.len() == 1
        && let Some(job) = batch.pop()
    {
        let (wrote, deliver) = job(&mut tx).await;
        ran.push(deliver);
        return match wrote {
            true => tx.commit().await,
            false => tx.rollback().await,
        };
    }
    // Each hand-off to the database's thread costs about as much as a small statement, so
    // the steps between two writes go in one call, and the last write's savepoint is left
    // to the commit.
    sqlx::query("SAVEPOINT grouped").execute(&mut *tx).await?;
    let last = batch.len() - 1;
    for (i, job) in batch.into_iter().enumerate() {
        let (wrote, deliver) = job(&mut tx).await;
        ran.push(deliver);
        let between = match (wrote, i == last) {
            (true, true) => None,
            (false, true) => Some("ROLLBACK TO grouped"),
            (true, false) => Some("RELEASE grouped; SAVEPOINT grouped"),
            (false, false) => Some("ROLLBACK TO grouped; RELEASE grouped; SAVEPOINT grouped"),
        };
        if let Some(sql) = between {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
    }
    tx.commit().await
}
