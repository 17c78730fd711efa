//! Published app versions, compiled once and kept in memory: forms and processes.
//!
//! The cache is keyed by the immutable (app, version), so several instances never need to
//! invalidate one another; only "which version is latest" is asked of the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use formwork_forms::CompiledForm;
use formwork_model::{AppDef, AppId, FormDef, FormId, ProcessId, read_published};
use formwork_process::CompiledProcess;

use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// One published version with its forms and processes compiled.
#[derive(Debug)]
pub struct CompiledApp {
    pub app_id: AppId,
    pub version: i64,
    pub def: AppDef,
    forms: HashMap<String, Arc<CompiledForm>>,
    processes: HashMap<String, Arc<CompiledProcess>>,
}

impl CompiledApp {
    pub fn form(&self, form_id: &FormId) -> RuntimeResult<&Arc<CompiledForm>> {
        self.forms
            .get(form_id.as_str())
            .ok_or_else(|| RuntimeError::NotFound(format!("form {form_id}")))
    }

    pub fn form_def(&self, form_id: &FormId) -> RuntimeResult<&FormDef> {
        Ok(self.form(form_id)?.def())
    }

    /// The compiled process with this id.
    pub fn process(&self, process_id: &ProcessId) -> RuntimeResult<&Arc<CompiledProcess>> {
        self.processes
            .get(process_id.as_str())
            .ok_or_else(|| RuntimeError::NotFound(format!("process {process_id}")))
    }

    /// The process that runs on submitted records of `form_id`, if any (the first one the
    /// package lists).
    pub fn process_for_form(&self, form_id: &FormId) -> Option<&Arc<CompiledProcess>> {
        self.def
            .processes
            .iter()
            .find(|p| form_id == p.form.as_str())
            .and_then(|p| self.processes.get(&p.id))
    }
}

impl CompiledApp {
    /// Compiles `def`: every form and process, or with `only` just the forms and processes
    /// named there (a draft whose other parts may still be unfinished). The error names the
    /// part that did not compile.
    pub(crate) fn build(
        app_id: &AppId,
        version: i64,
        def: AppDef,
        only: Option<(&[&str], &[&str])>,
    ) -> Result<Self, String> {
        let key = format!("{app_id}@{version}");
        let wanted = |list: usize, id: &str| only.is_none_or(|o| [o.0, o.1][list].contains(&id));
        let mut forms = HashMap::new();
        for form in def.forms.iter().filter(|f| wanted(0, &f.id)) {
            let compiled = CompiledForm::compile(key.clone(), form)
                .map_err(|e| format!("compiling {key}/{}: {e}", form.id))?;
            forms.insert(form.id.clone(), Arc::new(compiled));
        }
        let mut processes = HashMap::new();
        for process in def.processes.iter().filter(|p| wanted(1, &p.id)) {
            let compiled = CompiledProcess::compile(process)
                .map_err(|e| format!("compiling {key}/{}: {e}", process.id))?;
            processes.insert(process.id.clone(), Arc::new(compiled));
        }
        Ok(CompiledApp {
            app_id: app_id.clone(),
            version,
            def,
            forms,
            processes,
        })
    }
}

/// The in-memory cache of compiled versions.
#[derive(Default)]
pub struct Catalog {
    versions: Mutex<HashMap<(AppId, i64), Arc<CompiledApp>>>,
    /// Each app's latest version number with the publish epoch it was read at.
    latest: Mutex<HashMap<AppId, (i64, i64)>>,
}

impl Catalog {
    /// The app's latest version as read at publish epoch `epoch`, if that is what is held.
    fn latest_at(&self, app_id: &AppId, epoch: i64) -> Option<i64> {
        let held = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        held.get(app_id)
            .filter(|(at, _)| *at == epoch)
            .map(|(_, version)| *version)
    }

    fn put_latest(&self, app_id: &AppId, epoch: i64, version: i64) {
        let mut held = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = held.entry(app_id.clone()).or_insert((epoch, version));
        // Keep the newer of two reads made at once.
        if entry.0 <= epoch {
            *entry = (epoch, version);
        }
    }

    fn get(&self, app_id: &AppId, version: i64) -> Option<Arc<CompiledApp>> {
        self.versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(app_id.clone(), version))
            .cloned()
    }

    fn put(&self, app: Arc<CompiledApp>) {
        self.versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((app.app_id.clone(), app.version), app);
    }
}

impl Runtime {
    /// The latest published version of an app, compiled.
    pub async fn latest_app(&self, app_id: &AppId) -> RuntimeResult<Arc<CompiledApp>> {
        let (version, epoch) = self.store.latest_version_at_epoch(app_id).await?;
        let version =
            version.ok_or_else(|| RuntimeError::NotFound(format!("published app {app_id}")))?;
        self.catalog.put_latest(app_id, epoch, version);
        self.app_version(app_id, version).await
    }

    /// [`Runtime::latest_app`] for a request: without a read when the latest version held was
    /// read at the publish epoch the caller's session was read with.
    pub async fn latest_app_for(
        &self,
        caller: &Caller,
        app_id: &AppId,
    ) -> RuntimeResult<Arc<CompiledApp>> {
        let held = caller
            .epochs
            .and_then(|epochs| self.catalog.latest_at(app_id, epochs.publish));
        match held {
            Some(version) => self.app_version(app_id, version).await,
            None => self.latest_app(app_id).await,
        }
    }

    /// A given published version, compiled on first use.
    pub async fn app_version(
        &self,
        app_id: &AppId,
        version: i64,
    ) -> RuntimeResult<Arc<CompiledApp>> {
        if let Some(app) = self.catalog.get(app_id, version) {
            return Ok(app);
        }
        let stored = self
            .store
            .get_version(app_id, version)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("app {app_id} version {version}")))?;
        let package: serde_json::Value = serde_json::from_str(&stored.package)
            .map_err(|e| RuntimeError::Internal(format!("stored package: {e}")))?;
        let def = read_published(package).map_err(|problems| {
            RuntimeError::Internal(format!(
                "published package has {} problem(s)",
                problems.len()
            ))
        })?;
        let app = Arc::new(
            CompiledApp::build(app_id, version, def, None).map_err(RuntimeError::Internal)?,
        );
        self.catalog.put(app.clone());
        Ok(app)
    }
}
