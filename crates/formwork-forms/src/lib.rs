//! Forms at runtime: a form version compiled once ([`CompiledForm::compile`]), then for every
//! submission a clean record or field errors people understand ([`CompiledForm::submit`]).
//! Pure: no I/O, no clock (the caller passes `now` and `today` in a [`SubmitContext`]).
//!
//! # Field kinds
//!
//! A field's kind comes from `x-formwork-kind` in its JSON Schema when present, else from its
//! UI widget, else from its schema. The package schema allows only the widgets in the middle
//! column, so the other kinds are named with `x-formwork-kind`.
//!
//! | kind | stored JSON | widget (or schema) | `x-formwork-kind` |
//! |---|---|---|---|
//! | single-line text | string | `text` (`type: string`) | `text` |
//! | multi-line text | string | `textarea` | `textarea` |
//! | rich text, sanitised with ammonia | string (HTML) | `textarea` + `contentMediaType: text/html` | `rich_text` |
//! | integer | number | `number` + `type: integer` (`type: integer`) | `integer` |
//! | decimal | number | `number` (`type: number`) | `decimal` |
//! | money (CNY, exact) | string `"100000.30"` | `money` | `money` |
//! | percent (`12.5` = 12.5 %) | number | `number` | `percent` |
//! | date | string `YYYY-MM-DD` | `date` (`format: date`) | `date` |
//! | datetime | string, RFC 3339 | `datetime` (`format: date-time`) | `datetime` |
//! | select | string (or `enum` value) | `select` (`enum`) | `select` |
//! | multi-select | array | `multiselect`, or `select`/`checkbox` + `type: array` | `multi_select` |
//! | radio | string | `radio` | `radio` |
//! | checkbox | boolean | `checkbox`, `switch` (`type: boolean`) | `checkbox` |
//! | mainland mobile `^1[3-9]\d{9}$` | string | `phone` | `mobile` |
//! | landline `^0\d{2,3}-?\d{7,8}$` | string | `phone` | `landline` |
//! | e-mail | string | `email` (`format: email`) | `email` |
//! | URL, `http(s)://` only | string | `text` + `format: uri` | `url` |
//! | user picker | username, or array if `type: array` | `user` | `user` |
//! | department picker | department id, or array | `department` | `department` |
//! | relation to another form's record | record id | `select` | `relation` + `x-formwork-form`, `x-formwork-fills` |
//! | attachments | array of [`AttachmentRef`] | `file` | `attachments` + `x-formwork-max-size`, `x-formwork-accept` |
//! | sub-table | array of objects | `subtable` (`items.properties`) | `sub_table` |
//! | auto-number | string, set by the runtime | — | `auto_number` |
//! | computed | any of the above | `compute` in the UI def | — |
//!
//! Kind-implied checks are added when the schema lacks them: `format` for dates and e-mail,
//! the mobile and landline patterns, `enum` from the UI options. Money bounds are read
//! exactly from `x-formwork-minimum` / `x-formwork-maximum` (decimal strings) or from
//! `minimum` / `maximum` / `exclusiveMinimum` / `exclusiveMaximum` read as text. Attachment
//! limits are JSON Schema keywords because `FieldUiDef` has no widget options: per-file
//! `x-formwork-max-size` in bytes, `x-formwork-accept` (`["application/pdf", "image/*",
//! ".docx"]`), and the standard `maxItems` for the number of files.
//!
//! # Messages
//!
//! Every error is a [`FieldError`] `{path, code, message}` naming the field by its label;
//! the codes are listed in [`CODES`] and the sentences live in [`messages`].

mod attachment;
mod client;
mod compile;
mod diff;
mod display;
mod field;
pub mod kind;
pub mod messages;
pub mod money;
mod normalize;
mod record;
mod scope;
mod submit;
mod validate;

pub use attachment::AttachmentRef;
pub use compile::{CompileError, CompiledForm};
pub use diff::field_diff;
pub use display::DisplayField;
pub use field::{Bound, Field};
pub use kind::{AttachmentRules, FieldKind, RelationDef};
pub use messages::{CODES, FieldError};
pub use record::{
    AttachmentUse, CleanRecord, RecordMeta, Reference, ReferenceTarget, SubmitContext,
};
pub use submit::SYSTEM_KEYS;
