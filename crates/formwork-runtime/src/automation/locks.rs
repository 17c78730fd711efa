//! The one place rules ask whether a field may be changed now.
//!
//! Issue 9 adds locked results: once a project is approved, its amount, customer and dates
//! change only through an approved 变更. Every `set_field` a rule plans asks
//! [`may_change_field`] first; today nothing is locked, so it always says yes. When the locks
//! exist, this function reads them and says no with the reason, and the rule's run shows that
//! action as refused.

use formwork_model::{FormDef, Text};
use formwork_store::Record;

/// Why a field may not be changed now.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldLock {
    pub code: String,
    pub message: Text,
}

/// Whether a rule may set `field` of `record` (of `form`) now.
pub fn may_change_field(form: &FormDef, record: &Record, field: &str) -> Result<(), FieldLock> {
    let _ = (form, record, field);
    Ok(())
}
