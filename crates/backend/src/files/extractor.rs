//! The parent's side of text extraction: start the extracting child (this
//! same binary's hidden `extract` subcommand), feed it the file, read its
//! text back, and give up on it after a wall-clock limit. Whatever the
//! child does (crash, loop, run out of memory), the server carries on and
//! the file is marked as having no text.

use super::extract::{MAX_TEXT_BYTES, truncate};
use bytes::Bytes;
use domain::files::FileType;
use futures::{Stream, StreamExt};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How text is extracted: which program runs, and for how long at most.
#[derive(Clone, Debug)]
pub struct Extractor {
    how: How,
    /// Wall-clock limit for one file.
    pub timeout: Duration,
    /// Most text kept from one file, in bytes.
    pub max_text_bytes: usize,
}

#[derive(Clone, Debug)]
enum How {
    /// A child process: `program args… --type EXT`.
    Child {
        program: PathBuf,
        args: Vec<OsString>,
    },
    /// In this process, without limits: for tests of the parsers only.
    #[cfg(feature = "testing")]
    InProcess,
}

/// Stderr kept from a child, for the log.
const MAX_STDERR_BYTES: u64 = 4 * 1024;

impl Extractor {
    /// `program args…` is run with `--type EXT` appended (for the server:
    /// its own binary with `extract`).
    pub fn command(program: impl Into<PathBuf>, args: &[&str]) -> Self {
        Self {
            how: How::Child {
                program: program.into(),
                args: args.iter().map(OsString::from).collect(),
            },
            timeout: Duration::from_secs(30),
            max_text_bytes: MAX_TEXT_BYTES,
        }
    }

    /// This binary's own `extract` subcommand.
    pub fn this_binary() -> std::io::Result<Self> {
        Ok(Self::command(std::env::current_exe()?, &["extract"]))
    }

    /// Parses in this process, on the blocking pool, with no limits. Only
    /// for tests of what is extracted; hostile files need [`Self::command`].
    #[cfg(feature = "testing")]
    pub fn in_process() -> Self {
        Self {
            how: How::InProcess,
            timeout: Duration::from_secs(30),
            max_text_bytes: MAX_TEXT_BYTES,
        }
    }

    /// The text of the file in `input`, or `None` when it cannot be read
    /// within the limits (the reason goes to the log).
    pub async fn extract<S, E>(&self, kind: FileType, input: S) -> Option<String>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        match &self.how {
            How::Child { program, args } => self.in_child(program, args, kind, input).await,
            #[cfg(feature = "testing")]
            How::InProcess => {
                let mut input = input;
                let mut bytes = Vec::new();
                while let Some(chunk) = input.next().await {
                    bytes.extend_from_slice(&chunk.ok()?);
                }
                let text =
                    tokio::task::spawn_blocking(move || super::extract::text_of(kind, &bytes))
                        .await
                        .ok()?;
                text.ok().map(|mut text| {
                    truncate(&mut text, self.max_text_bytes);
                    text
                })
            }
        }
    }

    async fn in_child<S, E>(
        &self,
        program: &PathBuf,
        args: &[OsString],
        kind: FileType,
        mut input: S,
    ) -> Option<String>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let mut child = match tokio::process::Command::new(program)
            .args(args)
            .arg("--type")
            .arg(kind.extension())
            // Nothing of the server's environment (database URL, keys).
            .env_clear()
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(error) => {
                tracing::error!(%error, program = %program.display(), "could not start the text extractor");
                return None;
            }
        };
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return None;
        };
        let cap = self.max_text_bytes;
        let feed = async move {
            while let Some(chunk) = input.next().await {
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(error) => {
                        tracing::warn!(%error, "could not read a file for text extraction");
                        return false;
                    }
                };
                // A child that stops reading (it refused the file) closes
                // the pipe; its answer says why.
                if stdin.write_all(&chunk).await.is_err() {
                    return true;
                }
            }
            drop(stdin);
            true
        };
        let read = async move {
            let mut text = Vec::new();
            let read = stdout.take(cap as u64 + 1).read_to_end(&mut text).await;
            (read.is_ok(), text)
        };
        let errors = async move {
            let mut errors = Vec::new();
            let _ = stderr.take(MAX_STDERR_BYTES).read_to_end(&mut errors).await;
            errors
        };
        let outcome = tokio::time::timeout(self.timeout, async {
            let (fed, (read, text), errors) = tokio::join!(feed, read, errors);
            (fed, read, text, errors)
        })
        .await;
        let Ok((fed, read, mut text, errors)) = outcome else {
            let _ = child.kill().await;
            tracing::warn!(
                kind = kind.extension(),
                "text extraction took too long and was stopped"
            );
            return None;
        };
        let truncated = text.len() > cap;
        if truncated {
            // More than we keep: stop the child rather than wait for the rest.
            let _ = child.kill().await;
            text.truncate(cap);
        }
        let status = match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
            Ok(Ok(status)) => status,
            _ => {
                let _ = child.kill().await;
                return None;
            }
        };
        if !fed || !read || !(status.success() || truncated) {
            tracing::warn!(
                kind = kind.extension(),
                %status,
                reason = %String::from_utf8_lossy(&errors).trim(),
                "a file's text could not be extracted"
            );
            return None;
        }
        let mut text = String::from_utf8_lossy(&text).into_owned();
        truncate(&mut text, cap);
        Some(text)
    }
}
