//! The public pages' content, kept in memory: the service catalogue, each
//! service with its counts, and each content page, so a public page costs
//! no database round trip.
//!
//! Triggers bump `content_version` whenever services, pages or what the
//! counts count change (migration 0021), whichever instance made the
//! change. The cache reads that version at most once a [`RECHECK`] and
//! starts afresh when it has moved, so every instance shows a change
//! within a second; the instance that made it shows it at once
//! ([`Cache::forget`]). Only what exists is kept, so the cache is as large
//! as the content, whatever addresses people try.

use crate::db::Db;
use crate::error::Result;
use domain::content::{Page, ServiceDetail, ServiceSummary};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How often the shared version is read.
pub(crate) const RECHECK: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub(crate) struct Cache {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    recheck: Duration,
    /// The shared version the copies were read at, and when it was read.
    version: Option<i64>,
    checked: Option<Instant>,
    /// Bumped whenever the copies are dropped, so a read that began before
    /// is not kept.
    generation: u64,
    copies: Copies,
}

#[derive(Debug, Default)]
struct Copies {
    services: Option<Vec<ServiceSummary>>,
    service: HashMap<String, ServiceDetail>,
    /// Each page with the placeholder values it was filled in with.
    pages: HashMap<String, (Vec<(String, String)>, Page)>,
}

impl Default for Cache {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                recheck: RECHECK,
                version: None,
                checked: None,
                generation: 0,
                copies: Copies::default(),
            }),
        }
    }
}

impl Cache {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops every copy; the next read asks the database. Called after
    /// this instance changes the content.
    pub(crate) fn forget(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.copies = Copies::default();
        state.checked = None;
    }

    /// How often the shared version is read (tests set it).
    #[cfg(feature = "testing")]
    pub(crate) fn set_recheck(&self, every: Duration) {
        self.lock().recheck = every;
    }

    /// The generation of the copies after making sure, at most once a
    /// recheck, that they are of the current version.
    pub(crate) async fn fresh(&self, db: &Db) -> Result<u64> {
        {
            let state = self.lock();
            if state.checked.is_some_and(|at| at.elapsed() < state.recheck) {
                return Ok(state.generation);
            }
        }
        let (version,): (i64,) = sqlx::query_as("select version from content_version")
            .fetch_one(db.pool())
            .await?;
        let mut state = self.lock();
        if state.version != Some(version) {
            state.version = Some(version);
            state.generation += 1;
            state.copies = Copies::default();
        }
        state.checked = Some(Instant::now());
        Ok(state.generation)
    }

    /// The copy `read` finds, or what `load` reads from the database, kept
    /// by `keep` unless the copies were dropped meanwhile.
    async fn through<T: Clone>(
        &self,
        db: &Db,
        read: impl FnOnce(&Copies) -> Option<T>,
        load: impl Future<Output = Result<T>>,
        keep: impl FnOnce(&mut Copies, T),
    ) -> Result<T> {
        let generation = self.fresh(db).await?;
        if let Some(copy) = read(&self.lock().copies) {
            return Ok(copy);
        }
        let value = load.await?;
        let mut state = self.lock();
        if state.generation == generation {
            keep(&mut state.copies, value.clone());
        }
        Ok(value)
    }

    pub(crate) async fn services(
        &self,
        db: &Db,
        load: impl Future<Output = Result<Vec<ServiceSummary>>>,
    ) -> Result<Vec<ServiceSummary>> {
        self.through(
            db,
            |copies| copies.services.clone(),
            load,
            |copies, services| copies.services = Some(services),
        )
        .await
    }

    pub(crate) async fn service(
        &self,
        db: &Db,
        slug: &str,
        load: impl Future<Output = Result<ServiceDetail>>,
    ) -> Result<ServiceDetail> {
        self.through(
            db,
            |copies| copies.service.get(slug).cloned(),
            load,
            |copies, service| {
                copies.service.insert(slug.to_owned(), service);
            },
        )
        .await
    }

    pub(crate) async fn page(
        &self,
        db: &Db,
        slug: &str,
        placeholders: &[(&str, &str)],
        load: impl Future<Output = Result<Page>>,
    ) -> Result<Page> {
        let same = |kept: &[(String, String)]| {
            kept.len() == placeholders.len()
                && kept
                    .iter()
                    .zip(placeholders)
                    .all(|((a, b), (c, d))| a == c && b == d)
        };
        self.through(
            db,
            |copies| {
                copies
                    .pages
                    .get(slug)
                    .filter(|(kept, _)| same(kept))
                    .map(|(_, page)| page.clone())
            },
            load,
            |copies, page| {
                let filled = placeholders
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                    .collect();
                copies.pages.insert(slug.to_owned(), (filled, page));
            },
        )
        .await
    }
}
