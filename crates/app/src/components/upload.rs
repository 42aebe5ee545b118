//! The administrators' file upload: a real multipart form that works
//! without JavaScript, and with it shows a progress bar while the file is
//! sent.

use crate::api::files::UploadResourceFile;
use crate::components::form::{ErrorSummary, FROM, Problems, posted_form_echo};
use domain::files::{accept_attribute, accepted_list, human_size};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// A form uploading a new version of resource `resource_id`'s file.
///
/// Without JavaScript the browser posts it to the upload function's own
/// address (`?from=` this page): 303 to the resource's admin page, or this
/// page again with the problem on the `file` field. With JavaScript it is
/// sent with `XMLHttpRequest`, a `<progress>` bar (and its percentage in
/// words, announced politely) shows how much has gone, and the browser then
/// loads the page the function returned.
#[component]
pub fn FileUpload(
    resource_id: i64,
    /// The largest file accepted, for the hint (`MAX_UPLOAD_BYTES`).
    #[prop(optional)]
    max_bytes: Option<u64>,
) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let (path, search) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    let page = if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    };
    let target = format!(
        "{}?{}",
        UploadResourceFile::url(),
        serde_urlencoded::to_string([(FROM, page)]).unwrap_or_default()
    );
    let echo = posted_form_echo();
    let problems = RwSignal::new(echo.as_ref().map(Problems::from_echo).unwrap_or_default());
    // The percentage sent so far, while an upload is under way.
    let progress = RwSignal::new(None::<u32>);
    let error = Memo::new(move |_| problems.with(|p| p.errors.get("file").map(str::to_owned)));
    let hint = match max_bytes {
        Some(max) => format!(
            "{}, up to {}. The new file becomes the latest version; earlier versions stay available.",
            accepted_list(),
            human_size(i64::try_from(max).unwrap_or(i64::MAX))
        ),
        None => format!(
            "{}. The new file becomes the latest version; earlier versions stay available.",
            accepted_list()
        ),
    };
    let described_by = move || {
        if error.with(Option::is_some) {
            "file-hint file-error"
        } else {
            "file-hint"
        }
    };
    view! {
        <ErrorSummary problems=problems.into() />
        <form
            method="post"
            action=target
            enctype="multipart/form-data"
            novalidate
            on:submit=move |ev| send(ev, problems, progress)
        >
            <input type="hidden" name="resource_id" value=resource_id.to_string() />
            <div class=move || {
                if error.with(Option::is_some) {
                    "nhsuk-form-group nhsuk-form-group--error"
                } else {
                    "nhsuk-form-group"
                }
            }>
                <label class="nhsuk-label" for="file">
                    "Upload a file"
                </label>
                <div class="nhsuk-hint" id="file-hint">
                    {hint}
                </div>
                {move || {
                    error
                        .get()
                        .map(|message| {
                            view! {
                                <span class="nhsuk-error-message" id="file-error">
                                    <span class="nhsuk-u-visually-hidden">"Error: "</span>
                                    {message}
                                </span>
                            }
                        })
                }}
                <input
                    class=move || {
                        if error.with(Option::is_some) {
                            "nhsuk-file-upload nhsuk-file-upload--error"
                        } else {
                            "nhsuk-file-upload"
                        }
                    }
                    id="file"
                    name="file"
                    type="file"
                    accept=accept_attribute()
                    aria-describedby=described_by
                />
            </div>
            {move || {
                progress
                    .get()
                    .map(|percent| {
                        view! {
                            <div class="nhsuk-form-group pp-upload-progress">
                                <label class="nhsuk-label" for="file-progress">
                                    "Uploading"
                                </label>
                                <progress id="file-progress" max="100" value=percent.to_string()>
                                    {format!("{percent}%")}
                                </progress>
                                <p class="nhsuk-body-s" aria-live="polite">
                                    {format!("{percent}% sent")}
                                </p>
                            </div>
                        }
                    })
            }}
            <button
                class="nhsuk-button"
                type="submit"
                disabled=move || progress.get().is_some()
            >
                "Upload file"
            </button>
        </form>
    }
}

/// Without the browser code (on the server) the form simply posts.
#[cfg(not(feature = "hydrate"))]
fn send(
    _ev: leptos::ev::SubmitEvent,
    _problems: RwSignal<Problems>,
    _progress: RwSignal<Option<u32>>,
) {
}

/// Sends the form with `XMLHttpRequest`, reporting upload progress; if
/// that cannot start, the browser posts the form itself.
#[cfg(feature = "hydrate")]
fn send(
    ev: leptos::ev::SubmitEvent,
    problems: RwSignal<Problems>,
    progress: RwSignal<Option<u32>>,
) {
    use crate::error::AppError;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let Some(form) = ev
        .target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    let (Ok(data), Ok(xhr)) = (
        web_sys::FormData::new_with_form(&form),
        web_sys::XmlHttpRequest::new(),
    ) else {
        return;
    };
    if xhr.open("POST", UploadResourceFile::url()).is_err()
        || xhr
            .set_request_header("Accept", "application/json")
            .is_err()
    {
        return;
    }
    ev.prevent_default();
    problems.set(Problems::default());
    progress.set(Some(0));

    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                let percent = (e.loaded() / e.total() * 100.0).clamp(0.0, 100.0) as u32;
                progress.set(Some(percent));
            }
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    on_progress.forget();

    let finished = xhr.clone();
    let on_load = Closure::<dyn FnMut()>::new(move || {
        let status = finished.status().unwrap_or(0);
        let body = finished.response_text().ok().flatten().unwrap_or_default();
        if (200..300).contains(&status)
            && let Ok(to) = serde_json::from_str::<String>(&body)
            && domain::account::local_next(&to).is_some()
        {
            let _ = window().location().set_href(&to);
            return;
        }
        let error = serde_json::from_str::<AppError>(&body).unwrap_or_else(|_| match status {
            413 => AppError::on_field("file", "The selected file is too large"),
            _ => AppError::Unreachable,
        });
        progress.set(None);
        problems.set(Problems::from_error(&error));
    });
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    on_load.forget();

    let on_error = Closure::<dyn FnMut()>::new(move || {
        progress.set(None);
        problems.set(Problems::from_error(&AppError::Unreachable));
    });
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();

    if xhr.send_with_opt_form_data(Some(&data)).is_err() {
        progress.set(None);
        let _ = form.submit();
    }
}
