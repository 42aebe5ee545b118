//! Resources' files, for administrators: uploading a new version. (Members
//! download through plain GET addresses served by the server, see
//! [`domain::library::download_path`].)

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

/// Uploads a new version of a resource's file: a multipart form with
/// `resource_id` first, then `file`. The file streams into storage as it
/// arrives, is checked to be what its name says, and becomes the latest
/// version (earlier ones stay listed). Returns the resource's admin page.
/// Administrators only.
#[server(endpoint = "admin/resource-file", input = MultipartFormData)]
pub async fn upload_resource_file(data: MultipartData) -> Result<String, AppError> {
    let caller = crate::api::account::Caller::current()?;
    let session = caller.admin()?;
    let Some(mut form) = data.into_inner() else {
        return Err(AppError::Unreadable);
    };
    let mut resource_id: Option<i64> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                tracing::info!(%error, "an upload could not be read");
                return Err(AppError::on_field(
                    "file",
                    "The file did not finish uploading. Try again",
                ));
            }
        };
        match field.name() {
            Some("resource_id") => {
                let text = field.text().await.map_err(|_| AppError::Unreadable)?;
                resource_id = Some(text.trim().parse().map_err(|_| AppError::NotFound)?);
            }
            Some("file") => {
                // The form sends the resource first, so the file can go
                // straight to storage.
                let resource_id = resource_id.ok_or(AppError::Unreadable)?;
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let upload = backend::library::files::Upload {
                    resource_id,
                    file_name: &file_name,
                    max_bytes: caller.state.max_upload_bytes,
                };
                let stored = backend::library::files::upload(
                    &caller.state.db,
                    &caller.state.files,
                    &session.viewer,
                    upload,
                    field,
                )
                .await;
                if stored.is_err() {
                    // Read what is left (within the upload limit), so the
                    // browser gets the answer rather than a reset connection.
                    while let Ok(Some(_)) = form.next_field().await {}
                }
                stored?;
                return Ok(domain::library::admin_resource_path(resource_id));
            }
            _ => {}
        }
    }
    Err(AppError::on_field("file", "Select a file"))
}
