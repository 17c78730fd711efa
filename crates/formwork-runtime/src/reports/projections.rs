//! Typed projections of published forms: at publish, each form's scalar fields get a typed
//! side table (and its searchable text an n-gram table) that lists, sorts, searches and
//! reports read instead of the records' JSON. The store builds them set-based and its
//! triggers keep them in step with every record write.

use formwork_forms::{CompiledForm, FieldKind};
use formwork_query::ProjectionSpec;
use formwork_query::projection::ProjectedField;
use formwork_store::AppId;

use crate::{Runtime, RuntimeResult};

/// What the projection of `form` (of app `app_id`) holds.
pub fn projection_spec(app_id: &AppId, form: &CompiledForm) -> ProjectionSpec {
    let fields = form
        .fields()
        .iter()
        .map(|f| ProjectedField {
            key: f.key.clone(),
            storage: formwork_reports::field_storage(&f.kind),
            // The list searches these kinds (see `records::list::text_fields`).
            search: matches!(
                f.kind,
                FieldKind::Text | FieldKind::Textarea | FieldKind::Select | FieldKind::Radio
            ),
            group: matches!(f.kind, FieldKind::Select | FieldKind::Radio),
        })
        .collect();
    let pairs = match &form.def().kpis {
        Some(k) => [(&k.done, &k.due), (&k.cost, &k.budget)]
            .into_iter()
            .filter_map(|(a, b)| Some([a.clone()?, b.clone()?]))
            .collect(),
        None => Vec::new(),
    };
    ProjectionSpec {
        app_id: app_id.as_str().to_owned(),
        form_id: form.def().id.clone(),
        fields,
        pairs,
    }
}

impl Runtime {
    /// Builds the projections of every form of the latest published version of `app_id`
    /// (those whose fields changed are rebuilt; the others are left as they are); returns how
    /// many were built.
    pub async fn build_projections(&self, app_id: &AppId) -> RuntimeResult<usize> {
        let app = self.latest_app(app_id).await?;
        let mut built = 0;
        for def in &app.def.forms {
            let form_id = formwork_store::FormId::parse(&def.id)
                .map_err(|e| crate::RuntimeError::Internal(e.to_string()))?;
            let form = app.form(&form_id)?;
            if self
                .store
                .build_projection(&projection_spec(app_id, form))
                .await?
            {
                built += 1;
            }
        }
        Ok(built)
    }

    /// Builds the projections of every published app that are missing or were built by an
    /// older Formwork (what a projection holds is versioned); how many were built. Until a
    /// form's projection is built again, its lists and reports read the records' JSON.
    pub async fn refresh_projections(&self) -> RuntimeResult<usize> {
        let mut built = 0;
        for app in self.published_apps().await? {
            built += self.build_projections(&app.id).await?;
        }
        Ok(built)
    }
}
