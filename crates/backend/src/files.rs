//! Where uploaded files live: an object store (the local filesystem under
//! the data directory by default, S3 or Azure Blob by URL), written and
//! read as streams so no file is ever held whole in memory, hashed with
//! SHA-256 on the way in and checked to be what its name says.

use crate::error::{Error, Result};
use bytes::Bytes;
use domain::files::{FileType, Sniffed};
use futures::{Stream, StreamExt};
use object_store::path::Path as Key;
use object_store::{ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// Reading a zip's central directory, entry names and declared sizes.
pub mod zipinfo;

/// Text from the accepted document types, run in a limited child process.
pub mod extract;

/// Starting, feeding and stopping the extracting child.
pub mod extractor;

pub use extractor::Extractor;

/// Bytes of a file's start kept for recognising its type.
const HEAD_BYTES: usize = 8 * 1024;
/// Bytes of a file's end kept for finding a zip's central directory.
const TAIL_BYTES: usize = 128 * 1024;
/// Largest central directory read for recognising a document.
const MAX_DIRECTORY_BYTES: u64 = 4 * 1024 * 1024;
/// Parts of a multipart upload to the object store.
const PART_BYTES: usize = 5 * 1024 * 1024;

/// The object store files are kept in.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// "local", "s3", "azure" or "memory", for logs.
    kind: &'static str,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("kind", &self.kind).finish()
    }
}

/// One object in the store, as a backup lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub key: String,
    pub size: u64,
}

/// A file written to storage, not yet recorded anywhere.
#[derive(Clone, Debug)]
pub struct Stored {
    pub key: String,
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// What the file was recognised as.
    pub file_type: FileType,
}

/// Why an upload was not stored. Each has a sentence for the person who
/// sent it, except [`PutError::Storage`], which is ours.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the file is empty")]
    Empty,
    #[error("the upload broke off: {0}")]
    BrokenOff(String),
    #[error("the contents are not a {0:?} file")]
    Mismatch(FileType),
    #[error("object store: {0}")]
    Storage(#[from] object_store::Error),
}

impl Storage {
    /// The store named by `url`: `file:///absolute/path`, `s3://bucket[/prefix]`
    /// or `az://container[/prefix]`, with credentials, region and endpoint
    /// from the environment as the object store's builders read them
    /// (`AWS_…`, `AZURE_…`) and `options` on top (`aws_endpoint`, …).
    /// Without a URL, the directory `files` under `data_dir`.
    pub fn open(url: Option<&str>, data_dir: &Path, options: &[(String, String)]) -> Result<Self> {
        let storage_error = Error::Storage;
        let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
            return Self::local(&data_dir.join("files"));
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| storage_error("expected file://, s3:// or az://".to_owned()))?;
        let (container, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let store: Arc<dyn ObjectStore> = match scheme {
            "file" => return Self::local(Path::new(&format!("/{}", rest.trim_start_matches('/')))),
            "s3" => {
                let mut builder = object_store::aws::AmazonS3Builder::from_env()
                    .with_url(format!("s3://{container}"));
                for (key, value) in options {
                    let key = key
                        .parse()
                        .map_err(|e: object_store::Error| storage_error(e.to_string()))?;
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(|e| storage_error(e.to_string()))?)
            }
            "az" | "azure" | "abfs" | "abfss" => {
                let mut builder = object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(format!("{scheme}://{container}"));
                for (key, value) in options {
                    let key = key
                        .parse()
                        .map_err(|e: object_store::Error| storage_error(e.to_string()))?;
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(|e| storage_error(e.to_string()))?)
            }
            other => {
                return Err(storage_error(format!(
                    "unsupported scheme {other}://; expected file://, s3:// or az://"
                )));
            }
        };
        let kind = if scheme == "s3" { "s3" } else { "azure" };
        let store: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() {
            store
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(
                store,
                prefix.trim_matches('/'),
            ))
        };
        Ok(Self { store, kind })
    }

    /// Files in directory `dir`, made if missing.
    pub fn local(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| Error::Storage(e.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
            kind: "local",
        })
    }

    /// Files in memory, gone with the value: for tests.
    pub fn memory() -> Self {
        Self {
            store: Arc::new(object_store::memory::InMemory::new()),
            kind: "memory",
        }
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Streams `body` into a new object, hashing it as it goes and giving
    /// up (the partial object removed) past `limit` bytes, then checks the
    /// contents are really `claimed`; a file that is not is removed too.
    pub async fn put<S, E>(
        &self,
        mut body: S,
        limit: u64,
        claimed: FileType,
    ) -> Result<Stored, PutError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let key = format!("resource-files/{}", hex::encode(rand::random::<[u8; 16]>()));
        let path = Key::from(key.as_str());
        let upload = self.store.put_multipart(&path).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut head: Vec<u8> = Vec::with_capacity(HEAD_BYTES);
        let mut tail: Vec<u8> = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(PutError::BrokenOff(error.to_string()));
                }
            };
            size += chunk.len() as u64;
            if size > limit {
                let _ = writer.abort().await;
                return Err(PutError::TooLarge(limit));
            }
            hasher.update(&chunk);
            if head.len() < HEAD_BYTES {
                let room = HEAD_BYTES - head.len();
                head.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            tail.extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL_BYTES)..]);
            if tail.len() > 2 * TAIL_BYTES {
                tail.drain(..tail.len() - TAIL_BYTES);
            }
            if let Err(error) = writer.wait_for_capacity(4).await {
                let _ = writer.abort().await;
                return Err(error.into());
            }
            writer.put(chunk);
        }
        if size == 0 {
            let _ = writer.abort().await;
            return Err(PutError::Empty);
        }
        writer.finish().await?;
        let stored = Stored {
            key,
            size,
            sha256: hex::encode(hasher.finalize()),
            file_type: claimed,
        };
        match self.is_really(&stored, &head, &tail).await {
            Ok(true) => Ok(stored),
            Ok(false) => {
                self.delete(&stored.key).await;
                Err(PutError::Mismatch(claimed))
            }
            Err(error) => {
                self.delete(&stored.key).await;
                Err(error.into())
            }
        }
    }

    /// Whether a stored file's contents are of the type its name claims.
    async fn is_really(
        &self,
        stored: &Stored,
        head: &[u8],
        tail: &[u8],
    ) -> Result<bool, object_store::Error> {
        let claimed = stored.file_type;
        let whole = stored.size <= head.len() as u64;
        let sniffed = domain::files::sniff(head, whole);
        if !domain::files::sniff_fits(claimed, sniffed) {
            return Ok(false);
        }
        if sniffed != Sniffed::Zip {
            return Ok(true);
        }
        let Some(marker) = claimed.marker_entry() else {
            return Ok(false);
        };
        let tail = &tail[tail.len().saturating_sub(TAIL_BYTES)..];
        let Some((directory, at)) = zipinfo::directory(tail) else {
            return Ok(false);
        };
        if directory.size > MAX_DIRECTORY_BYTES {
            return Ok(false);
        }
        let max = usize::try_from(directory.entries).unwrap_or(usize::MAX);
        let in_tail = directory.size as usize <= at;
        let entries = if in_tail {
            zipinfo::entries(&tail[at - directory.size as usize..at], max)
        } else {
            let range = directory.offset..directory.offset + directory.size;
            let bytes = self
                .store
                .get_range(&Key::from(stored.key.as_str()), range)
                .await?;
            zipinfo::entries(&bytes, max)
        };
        let Some(entries) = entries else {
            return Ok(false);
        };
        let has = |name: &str| entries.iter().any(|e| e.name == name);
        let is_odt = head.get(30..).is_some_and(|rest| {
            rest.starts_with(b"mimetypeapplication/vnd.oasis.opendocument.text")
        });
        Ok(match claimed {
            FileType::Odt => is_odt && has(marker),
            _ => !is_odt && has(marker) && has("[Content_Types].xml"),
        })
    }

    /// The bytes of object `key`, as a stream.
    pub async fn get(
        &self,
        key: &str,
    ) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin + 'static> {
        let result = self
            .store
            .get(&Key::from(key))
            .await
            .map_err(|e| Error::Storage(e.to_string()))?;
        Ok(result
            .into_stream()
            .map(|chunk| chunk.map_err(std::io::Error::other)))
    }

    /// Every object in the store, in key order: what a backup holds.
    pub async fn list(&self) -> Result<Vec<Object>> {
        let mut objects = Vec::new();
        let mut listing = self.store.list(None);
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| Error::Storage(e.to_string()))?;
            objects.push(Object {
                key: meta.location.to_string(),
                size: meta.size,
            });
        }
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    /// Whether the store holds no object at all (a restore's target must not).
    pub async fn is_empty(&self) -> Result<bool> {
        match self.store.list(None).next().await {
            None => Ok(true),
            Some(Ok(_)) => Ok(false),
            Some(Err(error)) => Err(Error::Storage(error.to_string())),
        }
    }

    /// The bytes of object `key` as a stream, or `None` when there is no
    /// such object (removed since it was listed, say).
    pub async fn get_if_present(
        &self,
        key: &str,
    ) -> Result<Option<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin + 'static>>
    {
        match self.store.get(&Key::from(key)).await {
            Ok(result) => Ok(Some(
                result
                    .into_stream()
                    .map(|chunk| chunk.map_err(std::io::Error::other)),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(Error::Storage(error.to_string())),
        }
    }

    /// Writes `body` to object `key` as it is, with no type check: for a
    /// restore, whose objects were checked when they were first uploaded.
    /// `size` is how many bytes `body` holds; a small object is written in
    /// one request, a larger one in parts. Returns the bytes written.
    pub async fn put_as_is<S>(&self, key: &str, size: u64, mut body: S) -> Result<u64>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Unpin,
    {
        let storage_error = |e: object_store::Error| Error::Storage(e.to_string());
        let path = Key::parse(key).map_err(|e| Error::Storage(e.to_string()))?;
        if size <= PART_BYTES as u64 {
            let mut whole = Vec::with_capacity(usize::try_from(size).unwrap_or_default());
            while let Some(chunk) = body.next().await {
                whole.extend_from_slice(&chunk?);
            }
            let written = whole.len() as u64;
            self.store
                .put(&path, whole.into())
                .await
                .map_err(storage_error)?;
            return Ok(written);
        }
        let upload = self
            .store
            .put_multipart(&path)
            .await
            .map_err(storage_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut written: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(error.into());
                }
            };
            written += chunk.len() as u64;
            if let Err(error) = writer.wait_for_capacity(4).await {
                let _ = writer.abort().await;
                return Err(storage_error(error));
            }
            writer.put(chunk);
        }
        writer.finish().await.map_err(storage_error)?;
        Ok(written)
    }

    /// Removes object `key`; a failure is logged, never fatal (an orphan
    /// costs space, not correctness).
    pub async fn delete(&self, key: &str) {
        if let Err(error) = self.store.delete(&Key::from(key)).await {
            tracing::warn!(%error, "could not remove a stored file");
        }
    }
}
