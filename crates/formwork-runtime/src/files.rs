//! Uploaded files: stored once by content hash under the data directory, typed by sniffing
//! the bytes (never by trusting the client), and readable only through a record the caller
//! may read — or by the uploader before the file is attached.

use std::path::{Path, PathBuf};

use formwork_forms::CompiledForm;
use formwork_forms::kind::FieldKind;
use formwork_store::{Attachment, FileId, Record, RecordId};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Largest file accepted at all; fields may set a smaller `x-formwork-max-size`.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

impl Runtime {
    /// Stores an uploaded file and its metadata; the same bytes are stored once.
    pub async fn upload_file(
        &self,
        caller: &Caller,
        filename: &str,
        bytes: Vec<u8>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Attachment> {
        let filename = clean_filename(filename);
        if bytes.is_empty() || bytes.len() > MAX_FILE_BYTES {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/file",
                    "file_size",
                    "文件不能为空，且不能超过 20 MB",
                    "The file must not be empty or larger than 20 MB",
                )],
            });
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let content_type = sniff(&bytes, &filename);
        let path = self.file_path(&sha256);
        let size = bytes.len() as i64;
        tokio::task::spawn_blocking(move || write_once(&path, &bytes))
            .await
            .map_err(|e| RuntimeError::Internal(e.to_string()))?
            .map_err(|e| RuntimeError::Internal(format!("storing a file: {e}")))?;
        let attachment = Attachment {
            id: FileId::new(),
            sha256,
            size,
            content_type,
            filename,
            created_by: Some(caller.user.id.clone()),
            created_at: now,
        };
        self.store.insert_attachment(&attachment).await?;
        Ok(attachment)
    }

    /// A file the caller uploaded (before it is attached to a record).
    pub async fn own_file(
        &self,
        caller: &Caller,
        id: &FileId,
    ) -> RuntimeResult<(Attachment, Vec<u8>)> {
        let attachment = self
            .store
            .get_attachment(id)
            .await?
            .filter(|a| a.created_by.as_ref() == Some(&caller.user.id))
            .ok_or_else(|| RuntimeError::NotFound(format!("file {id}")))?;
        let bytes = self.read_bytes(&attachment).await?;
        Ok((attachment, bytes))
    }

    /// A file attached to a record the caller may read.
    pub async fn record_file(
        &self,
        caller: &Caller,
        record_id: &RecordId,
        file_id: &FileId,
    ) -> RuntimeResult<(Attachment, Vec<u8>)> {
        let record = self.read_record(caller, record_id).await?;
        let not_found = || RuntimeError::NotFound(format!("file {file_id}"));
        if !file_ids(&record.data)
            .iter()
            .any(|id| file_id == id.as_str())
        {
            return Err(not_found());
        }
        let attachment = self
            .store
            .get_attachment(file_id)
            .await?
            .ok_or_else(not_found)?;
        let bytes = self.read_bytes(&attachment).await?;
        Ok((attachment, bytes))
    }

    /// Replaces the file references in `input` by what the store knows about them, so rules
    /// check real sizes and types. A file must be the caller's upload or already be on the
    /// record being edited.
    pub(crate) async fn resolve_files(
        &self,
        caller: &Caller,
        form: &CompiledForm,
        input: &mut Value,
        previous: Option<&Record>,
    ) -> RuntimeResult<()> {
        let already: Vec<String> = previous.map(|r| file_ids(&r.data)).unwrap_or_default();
        let mut problems = Vec::new();
        for field in form.fields() {
            if !matches!(field.kind, FieldKind::Attachments(_)) {
                continue;
            }
            let Some(Value::Array(items)) = input.get_mut(&field.key) else {
                continue;
            };
            for (i, item) in items.iter_mut().enumerate() {
                let id = match item {
                    Value::String(id) => id.clone(),
                    Value::Object(o) => o
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    _ => String::new(),
                };
                let stored = match FileId::parse(&id) {
                    Ok(id) => self.store.get_attachment(&id).await?,
                    Err(_) => None,
                };
                let found = match stored {
                    Some(a)
                        if a.created_by.as_ref() == Some(&caller.user.id)
                            || already.iter().any(|id| a.id == id.as_str()) =>
                    {
                        Some(a)
                    }
                    _ => None,
                };
                match found {
                    Some(a) => *item = file_ref(&a),
                    None => problems.push(problem(
                        &format!("/{}/{i}", field.key),
                        "unknown_file",
                        &format!(
                            "“{}”中的文件不存在或已失效，请重新上传",
                            field.label.get("zh-CN")
                        ),
                        &format!(
                            "A file in \"{}\" is missing or expired; upload it again",
                            field.label.get("en")
                        ),
                    )),
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RuntimeError::Invalid { problems })
        }
    }

    fn file_path(&self, sha256: &str) -> PathBuf {
        self.files_dir.join(&sha256[..2]).join(sha256)
    }

    pub(crate) async fn read_bytes(&self, attachment: &Attachment) -> RuntimeResult<Vec<u8>> {
        let path = self.file_path(&attachment.sha256);
        tokio::fs::read(&path)
            .await
            .map_err(|e| RuntimeError::Internal(format!("reading {}: {e}", path.display())))
    }
}

/// The reference a record stores for a file.
pub fn file_ref(a: &Attachment) -> Value {
    json!({
        "id": a.id,
        "name": a.filename,
        "size": a.size,
        "content_type": a.content_type,
        "sha256": a.sha256,
    })
}

/// Every file id referenced anywhere in record data.
pub(crate) fn file_ids(data: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_ids(data, &mut out);
    out
}

fn collect_ids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(o) => {
            if o.contains_key("sha256")
                && let Some(id) = o.get("id").and_then(Value::as_str)
            {
                out.push(id.to_owned());
            }
            o.values().for_each(|v| collect_ids(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, out)),
        _ => {}
    }
}

/// The type from the bytes' signature; plain text when it is UTF-8 without a signature.
fn sniff(bytes: &[u8], filename: &str) -> String {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type().to_owned();
    }
    if std::str::from_utf8(bytes).is_ok() {
        let lower = filename.to_ascii_lowercase();
        return if lower.ends_with(".csv") {
            "text/csv"
        } else {
            "text/plain"
        }
        .to_owned();
    }
    "application/octet-stream".to_owned()
}

/// A file name people recognise, without any path or control characters.
fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

fn write_once(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Write beside and rename, so a crash never leaves half a file under the final name.
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::now_v7().simple()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\报价\\报价单.pdf"), "报价单.pdf");
        assert_eq!(clean_filename("a\u{0}b\n.txt"), "ab.txt");
        assert_eq!(clean_filename(".."), "file");
    }

    #[test]
    fn types_come_from_the_bytes_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "x.txt"), "application/pdf");
        assert_eq!(sniff(b"hello", "notes.pdf"), "text/plain");
        assert_eq!(
            sniff(&[0xff, 0xfe, 0x00, 0x01], "x.bin"),
            "application/octet-stream"
        );
    }

    #[test]
    fn file_ids_are_found_in_nested_data() {
        let data = json!({"attachments": [{"id": "a", "sha256": "x"}], "rows": [{"f": [{"id": "b", "sha256": "y"}]}], "id": "not-a-file"});
        assert_eq!(file_ids(&data), ["a", "b"]);
    }
}
