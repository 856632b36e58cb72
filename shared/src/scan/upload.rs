//! Writing one large file of a scan piece by piece, with memory bounded by one upload
//! part: an S3 multipart upload (parts of [`PART_BYTES`], the last one smaller), or a
//! local file written to a temporary name and renamed when finished.
//!
//! A file that stays under one part is stored with a single PutObject (no multipart
//! upload is started), so the many small unit report files of a small scan cost one
//! request each. A multipart upload that fails is aborted; one left behind by a process
//! that died is removed by the output bucket's lifecycle rule
//! (`AbortIncompleteMultipartUpload`).

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tokio::io::AsyncWriteExt;

use super::store::{Store, StoreError};

/// Bytes buffered before an upload part is sent: above S3's 5 MiB minimum part size, and
/// with S3's 10,000 parts a file of up to 80 GiB.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// One file being written; see the module documentation.
pub struct Upload {
    store: Store,
    key: String,
    content_type: &'static str,
    buf: Vec<u8>,
    written: u64,
    target: Target,
}

enum Target {
    /// S3, before the first part: no multipart upload yet.
    S3Pending,
    /// S3, a multipart upload in progress.
    S3Multipart {
        upload_id: String,
        parts: Vec<CompletedPart>,
    },
    /// A local file open under its temporary name.
    Local {
        file: tokio::fs::File,
        tmp: std::path::PathBuf,
        path: std::path::PathBuf,
    },
}

impl Upload {
    /// Starts writing `key` (relative to the store) with `content_type`.
    pub async fn start(
        store: &Store,
        key: &str,
        content_type: &'static str,
    ) -> Result<Upload, StoreError> {
        let target = match store {
            Store::S3 { .. } => Target::S3Pending,
            Store::Local(dir) => {
                let path = dir.join(key);
                let io = |e: std::io::Error| store_err(store, "write", key, e.to_string(), None);
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(io)?;
                }
                let tmp = path.with_extension("tmp-write");
                let file = tokio::fs::File::create(&tmp).await.map_err(io)?;
                Target::Local { file, tmp, path }
            }
        };
        Ok(Upload {
            store: store.clone(),
            key: key.to_string(),
            content_type,
            buf: Vec::with_capacity(64 * 1024),
            written: 0,
            target,
        })
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `bytes`; sends a part when a whole one is buffered.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= PART_BYTES {
            self.flush_part().await?;
        }
        Ok(())
    }

    async fn flush_part(&mut self) -> Result<(), StoreError> {
        let body = std::mem::take(&mut self.buf);
        let n = body.len() as u64;
        match &mut self.target {
            Target::Local { file, .. } => {
                file.write_all(&body)
                    .await
                    .map_err(|e| store_err(&self.store, "write", &self.key, e.to_string(), None))?;
            }
            Target::S3Pending => {
                let upload_id = self.create().await?;
                self.target = Target::S3Multipart {
                    upload_id,
                    parts: Vec::new(),
                };
                return self.send_part(body).await;
            }
            Target::S3Multipart { .. } => return self.send_part(body).await,
        }
        self.written += n;
        Ok(())
    }

    async fn create(&self) -> Result<String, StoreError> {
        let (client, bucket, key) = self.s3()?;
        let out = client
            .create_multipart_upload()
            .bucket(bucket)
            .key(&key)
            .content_type(self.content_type)
            .send()
            .await
            .map_err(|e| self.sdk_err(&e))?;
        out.upload_id()
            .map(str::to_string)
            .ok_or_else(|| store_err(&self.store, "write", &self.key, "no upload id".into(), None))
    }

    async fn send_part(&mut self, body: Vec<u8>) -> Result<(), StoreError> {
        let (client, bucket, key) = self.s3()?;
        let (client, bucket) = (client.clone(), bucket.to_string());
        let Target::S3Multipart { upload_id, parts } = &mut self.target else {
            return Err(self.not_open());
        };
        let n = body.len() as u64;
        let number = parts.len() as i32 + 1;
        let sent = client
            .upload_part()
            .bucket(&bucket)
            .key(&key)
            .upload_id(upload_id.as_str())
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await;
        match sent {
            Ok(out) => {
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(out.e_tag().map(str::to_string))
                        .build(),
                );
                self.written += n;
                Ok(())
            }
            Err(e) => {
                let err = self.sdk_err(&e);
                self.abort().await;
                Err(err)
            }
        }
    }

    /// Stores what is buffered and closes the file: the object (or local file) appears
    /// whole, or not at all. Returns the bytes written.
    pub async fn finish(mut self) -> Result<u64, StoreError> {
        match &self.target {
            Target::S3Pending => {
                let body = std::mem::take(&mut self.buf);
                let n = body.len() as u64;
                self.put_whole(body).await?;
                Ok(n)
            }
            Target::S3Multipart { .. } => {
                if !self.buf.is_empty() {
                    let body = std::mem::take(&mut self.buf);
                    self.send_part(body).await?;
                }
                self.complete().await?;
                Ok(self.written)
            }
            Target::Local { .. } => {
                let body = std::mem::take(&mut self.buf);
                let n = body.len() as u64;
                let Target::Local { file, tmp, path } = &mut self.target else {
                    unreachable!("matched above")
                };
                let io = |e: std::io::Error| e.to_string();
                let done = async {
                    file.write_all(&body).await.map_err(io)?;
                    file.flush().await.map_err(io)?;
                    tokio::fs::rename(&tmp, &path).await.map_err(io)
                }
                .await;
                done.map_err(|d| store_err(&self.store, "write", &self.key, d, None))?;
                Ok(self.written + n)
            }
        }
    }

    async fn put_whole(&self, body: Vec<u8>) -> Result<(), StoreError> {
        let (client, bucket, key) = self.s3()?;
        client
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type(self.content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.sdk_err(&e))
    }

    async fn complete(&mut self) -> Result<(), StoreError> {
        let (client, bucket, key) = self.s3()?;
        let Target::S3Multipart { upload_id, parts } = &self.target else {
            return Err(self.not_open());
        };
        let done = client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(&key)
            .upload_id(upload_id.as_str())
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts.clone()))
                    .build(),
            )
            .send()
            .await;
        if let Err(e) = done {
            let err = self.sdk_err(&e);
            self.abort().await;
            return Err(err);
        }
        Ok(())
    }

    /// Gives the file up: aborts the multipart upload or removes the temporary file
    /// (best effort; the lifecycle rule removes what is left).
    pub async fn abort(&mut self) {
        match &self.target {
            Target::S3Multipart { upload_id, .. } => {
                if let Ok((client, bucket, key)) = self.s3() {
                    if let Err(e) = client
                        .abort_multipart_upload()
                        .bucket(bucket)
                        .key(key)
                        .upload_id(upload_id.as_str())
                        .send()
                        .await
                    {
                        tracing::warn!(key = %self.key, code = e.code(), "could not abort a multipart upload");
                    }
                }
            }
            Target::Local { tmp, .. } => {
                let _ = tokio::fs::remove_file(tmp).await;
            }
            Target::S3Pending => {}
        }
        self.target = Target::S3Pending;
        self.buf.clear();
    }

    fn not_open(&self) -> StoreError {
        store_err(
            &self.store,
            "write",
            &self.key,
            "no multipart upload is open".into(),
            None,
        )
    }

    /// The S3 client, bucket and full key of an S3 target.
    fn s3(&self) -> Result<(&aws_sdk_s3::Client, &str, String), StoreError> {
        match &self.store {
            Store::S3 {
                client,
                bucket,
                prefix,
            } => Ok((client, bucket, format!("{prefix}{}", self.key))),
            Store::Local(_) => Err(store_err(
                &self.store,
                "write",
                &self.key,
                "not an S3 location".into(),
                None,
            )),
        }
    }

    fn sdk_err<E: ProvideErrorMetadata + std::error::Error + 'static>(
        &self,
        e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
    ) -> StoreError {
        store_err(
            &self.store,
            "write",
            &self.key,
            crate::aws::error_summary(e),
            e.code().map(str::to_string),
        )
    }
}

fn store_err(
    store: &Store,
    op: &'static str,
    key: &str,
    detail: String,
    code: Option<String>,
) -> StoreError {
    StoreError {
        op,
        location: store.location(key),
        detail,
        code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_upload_appears_whole_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::Local(dir.path().to_path_buf());
        let mut up = Upload::start(&store, "scans/x/reports/u.json", "application/json")
            .await
            .unwrap();
        up.write(b"[1,").await.unwrap();
        let big = vec![b' '; PART_BYTES];
        up.write(&big).await.unwrap();
        up.write(b"2]").await.unwrap();
        assert!(store.get("scans/x/reports/u.json").await.unwrap().is_none());
        let n = up.finish().await.unwrap();
        assert_eq!(n, PART_BYTES as u64 + 5);
        let body = store.get("scans/x/reports/u.json").await.unwrap().unwrap();
        assert_eq!(body.len() as u64, n);
        assert!(body.starts_with(b"[1,") && body.ends_with(b"2]"));
        assert_eq!(store.list("scans/x/reports/").await.unwrap().len(), 1);
    }
}
