//! Where a scan keeps its files: the output bucket under its prefix (Lambda), or a local
//! directory (the CLI's `--out`). Keys are relative (`scans/<scan_id>/plan.json`).

use crate::aws::listed_name;
use std::path::{Path, PathBuf};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;

/// A scan output location.
#[derive(Debug, Clone)]
pub enum Store {
    /// An S3 bucket and key prefix (empty or ending in `/`).
    S3 {
        /// Client in the bucket's region.
        client: aws_sdk_s3::Client,
        /// Bucket.
        bucket: String,
        /// Key prefix.
        prefix: String,
    },
    /// A local directory.
    Local(PathBuf),
}

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
#[error("{op} {location}: {detail}")]
pub struct StoreError {
    /// What was attempted (`write`, `read`, `list`).
    pub op: &'static str,
    /// `s3://bucket/key` or the local path.
    pub location: String,
    /// What went wrong.
    pub detail: String,
    /// The AWS error code, when AWS answered.
    pub code: Option<String>,
}

/// The tag S3 lifecycle rules use to expire part files and keep reports.
pub const PART_TAG: &str = "s3connector-object=scan-part";

impl Store {
    /// Where `key` is, for messages: `s3://bucket/prefix+key` or the path.
    pub fn location(&self, key: &str) -> String {
        match self {
            Store::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}{key}"),
            Store::Local(dir) => dir.join(key).display().to_string(),
        }
    }

    fn path(dir: &Path, key: &str) -> PathBuf {
        dir.join(key)
    }

    fn err(&self, op: &'static str, key: &str, detail: String, code: Option<String>) -> StoreError {
        StoreError {
            op,
            location: self.location(key),
            detail,
            code,
        }
    }

    /// Writes `body` at `key`; `tag` (`k=v`) is set on S3 objects.
    pub async fn put(&self, key: &str, body: Vec<u8>, tag: Option<&str>) -> Result<(), StoreError> {
        self.write(key, body, tag, false).await.map(|_| ())
    }

    /// Writes `body` at `key` only if nothing is there yet (S3 `If-None-Match: *`, a local
    /// exclusive create). Returns whether this call created it: of any number of callers,
    /// exactly one gets `true`.
    pub async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<bool, StoreError> {
        self.write(key, body, None, true).await
    }

    async fn write(
        &self,
        key: &str,
        body: Vec<u8>,
        tag: Option<&str>,
        only_new: bool,
    ) -> Result<bool, StoreError> {
        match self {
            Store::S3 {
                client,
                bucket,
                prefix,
            } => {
                let content_type = if key.ends_with(".json") {
                    "application/json"
                } else if key.ends_with(".html") {
                    "text/html; charset=utf-8"
                } else if key.ends_with(".csv") {
                    "text/csv; charset=utf-8"
                } else {
                    "application/octet-stream"
                };
                let mut req = client
                    .put_object()
                    .bucket(bucket)
                    .key(format!("{prefix}{key}"))
                    .content_type(content_type)
                    .set_tagging(tag.map(str::to_string))
                    .body(ByteStream::from(body));
                if only_new {
                    req = req.if_none_match("*");
                }
                match req.send().await {
                    Ok(_) => Ok(true),
                    // 412: the object exists. 409: a concurrent conditional write won.
                    Err(e)
                        if only_new
                            && matches!(
                                e.code(),
                                Some("PreconditionFailed" | "ConditionalRequestConflict")
                            ) =>
                    {
                        Ok(false)
                    }
                    Err(e) => Err(self.err(
                        "write",
                        key,
                        crate::aws::error_summary(&e),
                        e.code().map(str::to_string),
                    )),
                }
            }
            Store::Local(dir) => {
                let path = Self::path(dir, key);
                let io = |e: std::io::Error| self.err("write", key, e.to_string(), None);
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(io)?;
                }
                if only_new {
                    let created = tokio::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .await;
                    match created {
                        Ok(mut f) => {
                            use tokio::io::AsyncWriteExt;
                            f.write_all(&body).await.map_err(io)?;
                            f.flush().await.map_err(io)?;
                            Ok(true)
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                        Err(e) => Err(io(e)),
                    }
                } else {
                    // Write then rename, so a reader never sees half a file.
                    let tmp = path.with_extension("tmp-write");
                    tokio::fs::write(&tmp, &body).await.map_err(io)?;
                    tokio::fs::rename(&tmp, &path).await.map_err(io)?;
                    Ok(true)
                }
            }
        }
    }

    /// Reads `key`; `None` when it does not exist.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Store::S3 {
                client,
                bucket,
                prefix,
            } => {
                let out = client
                    .get_object()
                    .bucket(bucket)
                    .key(format!("{prefix}{key}"))
                    .send()
                    .await;
                match out {
                    Ok(o) => {
                        let bytes = o
                            .body
                            .collect()
                            .await
                            .map_err(|e| self.err("read", key, e.to_string(), None))?;
                        Ok(Some(bytes.to_vec()))
                    }
                    Err(e) if e.code() == Some("NoSuchKey") => Ok(None),
                    Err(e) => Err(self.err(
                        "read",
                        key,
                        crate::aws::error_summary(&e),
                        e.code().map(str::to_string),
                    )),
                }
            }
            Store::Local(dir) => match tokio::fs::read(Self::path(dir, key)).await {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(self.err("read", key, e.to_string(), None)),
            },
        }
    }

    /// Reads and parses a JSON document; `None` when it does not exist.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        match self.get(key).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| self.err("read", key, format!("not the expected JSON: {e}"), None)),
        }
    }

    /// Writes a value as JSON.
    pub async fn put_json<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
        tag: Option<&str>,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_vec(value).expect("scan records serialise");
        self.put(key, body, tag).await
    }

    /// Keys directly under `dir` (relative, e.g. `scans/x/units/`; not those in folders
    /// below it), sorted.
    pub async fn list(&self, dir: &str) -> Result<Vec<String>, StoreError> {
        match self {
            Store::S3 {
                client,
                bucket,
                prefix,
            } => {
                let mut keys = Vec::new();
                let mut token = None;
                loop {
                    let page = client
                        .list_objects_v2()
                        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
                        .bucket(bucket)
                        .prefix(format!("{prefix}{dir}"))
                        .delimiter("/")
                        .set_continuation_token(token.take())
                        .send()
                        .await
                        .map_err(|e| {
                            self.err(
                                "list",
                                dir,
                                crate::aws::error_summary(&e),
                                e.code().map(str::to_string),
                            )
                        })?;
                    for o in page.contents() {
                        let key = o.key().map(listed_name);
                        if let Some(k) =
                            key.as_deref().and_then(|k| k.strip_prefix(prefix.as_str()))
                        {
                            keys.push(k.to_string());
                        }
                    }
                    match page.next_continuation_token() {
                        Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                        _ => break,
                    }
                }
                Ok(keys)
            }
            Store::Local(root) => {
                let base = Self::path(root, dir);
                let mut keys = Vec::new();
                let mut entries = match tokio::fs::read_dir(&base).await {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(keys),
                    Err(e) => return Err(self.err("list", dir, e.to_string(), None)),
                };
                while let Some(entry) = entries
                    .next_entry()
                    .await
                    .map_err(|e| self.err("list", dir, e.to_string(), None))?
                {
                    let name = entry.file_name().to_string_lossy().to_string();
                    if entry.file_type().await.is_ok_and(|t| t.is_file())
                        && !name.ends_with(".tmp-write")
                    {
                        keys.push(format!("{dir}{name}"));
                    }
                }
                keys.sort();
                Ok(keys)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_conditional_write_has_exactly_one_winner() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::Local(dir.path().to_path_buf());
        let mut handles = Vec::new();
        for i in 0..8u8 {
            let s = store.clone();
            handles.push(tokio::spawn(async move {
                s.put_if_absent("scans/x/lock", vec![i]).await.unwrap()
            }));
        }
        let mut winners = 0;
        for h in handles {
            winners += usize::from(h.await.unwrap());
        }
        assert_eq!(winners, 1);
        store
            .put("scans/x/units/a.json", b"{}".to_vec(), None)
            .await
            .unwrap();
        store
            .put("scans/x/units/b.json", b"{}".to_vec(), None)
            .await
            .unwrap();
        assert_eq!(
            store.list("scans/x/units/").await.unwrap(),
            vec!["scans/x/units/a.json", "scans/x/units/b.json"]
        );
        assert_eq!(store.get("scans/x/none").await.unwrap(), None);
    }
}
