//! NHS.UK-style form parts that work the same with and without JavaScript.
//!
//! A form is a page plus the server function it posts to ([`PostForm`]).
//! With JavaScript the form is sent to that function and problems come back
//! as an [`AppError`]. Without it the browser posts the same fields to the
//! same function; the server answers 303 to the page it returns, or renders
//! the page again with a [`FormEcho`]: what was typed and what was wrong.

use crate::error::AppError;
use domain::FieldErrors;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A form posted without JavaScript that could not be accepted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormEcho {
    /// The submitted fields, as typed, less secrets ([`FormEcho::NEVER_ECHOED`]).
    pub values: Vec<(String, String)>,
    pub errors: FieldErrors,
    /// A problem with the form as a whole (throttling, say).
    pub message: Option<String>,
}

impl FormEcho {
    /// Fields whose values never go back into a page: passwords, codes,
    /// one-time link tokens and the honeypot. (An authenticator secret does:
    /// it is the person's own and already on the page they posted from.)
    pub const NEVER_ECHOED: &[&str] = &[
        "password",
        "current_password",
        "new_password",
        "code",
        LINK_TOKEN,
        "website",
    ];

    /// The echo of a refused form: the fields that may be shown again, and
    /// the refusal.
    pub fn new(fields: Vec<(String, String)>, error: &AppError) -> Self {
        let Problems { errors, message } = Problems::from_error(error);
        Self {
            values: fields
                .into_iter()
                .filter(|(name, _)| !Self::NEVER_ECHOED.contains(&name.as_str()))
                .collect(),
            errors,
            message,
        }
    }

    pub fn value(&self, field: &str) -> String {
        self.values
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    }

    /// The typed values read back into the form's own type (missing fields
    /// take their defaults).
    pub fn read<T: DeserializeOwned + Default>(&self) -> T {
        serde_urlencoded::to_string(&self.values)
            .ok()
            .and_then(|encoded| serde_urlencoded::from_str(&encoded).ok())
            .unwrap_or_default()
    }
}

/// A value the server attached to this request (a [`FormEcho`], a flash).
/// On the server it comes from the request; in the browser it arrives
/// inside the page, so hydration renders exactly what the server did.
pub fn from_request<T>() -> Option<T>
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    leptos::server::SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            use_context::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<T>().cloned())
        }
        #[cfg(not(feature = "ssr"))]
        {
            None::<T>
        }
    })
    .into_inner()
}

/// The echo of this request's no-JavaScript submission, if any.
pub fn posted_form_echo() -> Option<FormEcho> {
    from_request::<FormEcho>()
}

/// This session's flash, if the previous form left one to show once.
pub fn flash() -> Option<domain::flash::Flash> {
    from_request::<domain::flash::Flash>()
}

/// The query parameter of a form's address that names the page it is on.
pub const FROM: &str = "from";

/// The query parameter, and the form field, holding a one-time link's
/// token (`/reset-password?token=…`). It never goes into a form's address:
/// the form posts it as a field, and a refused form's page is drawn again
/// with the token it posted.
pub const LINK_TOKEN: &str = "token";

/// A form that posts to the server function `S`: sent by `action` when
/// JavaScript runs, posted to the function's own address when it does not.
/// Its fields must be named as `S`'s arguments. The address also names this
/// page (`?from=`), where the server draws a refused form again.
#[component]
pub fn PostForm<S>(
    action: ServerAction<S>,
    children: Children,
    #[prop(optional)] class: Option<&'static str>,
) -> impl IntoView
where
    S: ServerFn<Error = AppError> + leptos::form::FromFormData + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let location = leptos_router::hooks::use_location();
    let (path, search) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    let query: Vec<(String, String)> = serde_urlencoded::from_str(&search).unwrap_or_default();
    let query: Vec<_> = query
        .into_iter()
        .filter(|(name, _)| name != LINK_TOKEN)
        .collect();
    let page = match serde_urlencoded::to_string(&query).unwrap_or_default() {
        query if query.is_empty() => path,
        query => format!("{path}?{query}"),
    };
    let target = format!(
        "{}?{}",
        S::url(),
        serde_urlencoded::to_string([(FROM, page)]).unwrap_or_default()
    );
    view! {
        <form method="post" action=target class=class novalidate on:submit=submit_to(action)>
            {children()}
        </form>
    }
}

/// The problems to show: from the latest JavaScript submission if there was
/// one, otherwise from the no-JavaScript echo.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    pub errors: FieldErrors,
    pub message: Option<String>,
}

impl Problems {
    pub fn from_error(error: &AppError) -> Self {
        Self {
            errors: error.field_errors().cloned().unwrap_or_default(),
            message: error.field_errors().is_none().then(|| error.to_string()),
        }
    }

    pub fn from_echo(echo: &FormEcho) -> Self {
        Self {
            errors: echo.errors.clone(),
            message: echo.message.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.message.is_none()
    }
}

/// The error summary at the top of a form: each problem links to its field.
#[component]
pub fn ErrorSummary(problems: Signal<Problems>) -> impl IntoView {
    move || {
        let problems = problems.get();
        (!problems.is_empty()).then(|| {
            view! {
                <div class="nhsuk-error-summary" aria-labelledby="error-summary-title" role="alert" tabindex="-1">
                    <h2 class="nhsuk-error-summary__title" id="error-summary-title">
                        "There is a problem"
                    </h2>
                    <div class="nhsuk-error-summary__body">
                        {problems.message.map(|message| view! { <p>{message}</p> })}
                        <ul class="nhsuk-list nhsuk-error-summary__list">
                            {problems
                                .errors
                                .iter()
                                .map(|e| {
                                    view! {
                                        <li>
                                            <a href=format!("#{}", e.field)>{e.message.clone()}</a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </div>
                </div>
            }
        })
    }
}

/// What kind of control a [`Field`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    Text,
    Email,
    Tel,
    Date,
    TextArea,
    /// A tall text area, for long Markdown bodies.
    LongText,
    /// A choice of `(value, label)` options; the [`Field`]'s value picks one.
    Select(Vec<(String, String)>),
}

/// A labelled input with its hint and error message, NHS.UK style.
#[component]
pub fn Field(
    /// The form field's name, also the input's id (the error summary links to it).
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = Control::Text)] control: Control,
    #[prop(optional)] autocomplete: Option<&'static str>,
    /// The value to start with (what was typed, after a failed submission).
    #[prop(into)]
    value: String,
    problems: Signal<Problems>,
    /// Narrower inputs for short answers (NHS.UK width classes).
    #[prop(optional)]
    width: Option<&'static str>,
) -> impl IntoView {
    let error = Memo::new(move |_| problems.with(|p| p.errors.get(name).map(str::to_owned)));
    let hint_id = hint.map(|_| format!("{name}-hint"));
    let error_id = format!("{name}-error");
    let described_by = {
        let hint_id = hint_id.clone();
        let error_id = error_id.clone();
        move || {
            let mut ids: Vec<String> = hint_id.iter().cloned().collect();
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let input_class = move |base: &str| {
        let mut class = base.to_owned();
        if let Some(width) = width {
            class.push(' ');
            class.push_str(width);
        }
        if error.with(Option::is_some) {
            class.push_str(&format!(" {base}--error"));
        }
        class
    };
    let rows = if control == Control::LongText {
        "20"
    } else {
        "6"
    };
    let control_view = match control {
        Control::TextArea | Control::LongText => {
            // Server rendering writes a text area's text into the page as
            // it is, so a value holding `</textarea>` could add markup.
            // Escape it there; the browser reads the entities back as the
            // same text, and in the browser the text is set as text.
            #[cfg(feature = "ssr")]
            let value = html_escape::encode_text(&value).into_owned();
            view! {
                <textarea
                    class=move || input_class("nhsuk-textarea")
                    id=name
                    name=name
                    rows=rows
                    aria-describedby=described_by
                >
                    {value}
                </textarea>
            }
            .into_any()
        }
        Control::Select(options) => view! {
            <select class=move || input_class("nhsuk-select") id=name name=name aria-describedby=described_by>
                {options
                    .into_iter()
                    .map(|(option, label)| {
                        let selected = option == value;
                        view! { <option value=option selected=selected>{label}</option> }
                    })
                    .collect_view()}
            </select>
        }
        .into_any(),
        other => {
            let kind = match other {
                Control::Email => "email",
                Control::Tel => "tel",
                Control::Date => "date",
                _ => "text",
            };
            view! {
                <input
                    class=move || input_class("nhsuk-input")
                    id=name
                    name=name
                    type=kind
                    value=value
                    autocomplete=autocomplete
                    spellcheck=matches!(other, Control::Email).then_some("false")
                    aria-describedby=described_by
                />
            }
            .into_any()
        }
    };
    view! {
        <div class=move || {
            if error.with(Option::is_some) { "nhsuk-form-group nhsuk-form-group--error" } else { "nhsuk-form-group" }
        }>
            <label class="nhsuk-label" for=name>
                {label}
            </label>
            {hint.map(|hint| view! { <div class="nhsuk-hint" id=hint_id.clone()>{hint}</div> })}
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <span class="nhsuk-error-message" id=error_id.clone()>
                                <span class="nhsuk-u-visually-hidden">"Error: "</span>
                                {message}
                            </span>
                        }
                    })
            }}
            {control_view}
        </div>
    }
}

/// The problems to show for a form driven by `action`: from its latest
/// result if it ran, otherwise from the no-JavaScript echo.
pub fn action_problems<S, O>(action: ServerAction<S>, echo: Option<FormEcho>) -> Signal<Problems>
where
    S: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || match action.value().get() {
        Some(Err(error)) => Problems::from_error(&error),
        Some(Ok(_)) => Problems::default(),
        None => echo.as_ref().map(Problems::from_echo).unwrap_or_default(),
    })
}

/// One set of problems for a page with several forms whose fields have
/// names of their own: the first of `each` that has any.
pub fn first_problems<const N: usize>(each: [Signal<Problems>; N]) -> Signal<Problems> {
    Signal::derive(move || {
        each.iter()
            .map(|p| p.get())
            .find(|p| !p.is_empty())
            .unwrap_or_default()
    })
}

/// The start of a page whose form posts to `S`: the action (which loads
/// the page it answers with), the problems to show (from the action, or
/// from this request's no-JavaScript submission) and that submission's
/// echo, to fill the fields again.
pub fn form_action<S>() -> (ServerAction<S>, Signal<Problems>, Option<FormEcho>)
where
    S: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    let echo = posted_form_echo();
    let action = ServerAction::<S>::new();
    let problems = action_problems(action, echo.clone());
    load_on_success(action);
    (action, problems, echo)
}

/// A submit handler that sends the form to `action` instead of posting it.
/// If the fields cannot be read, the browser posts the form itself.
pub fn submit_to<S>(action: ServerAction<S>) -> impl Fn(leptos::ev::SubmitEvent) + Copy + 'static
where
    S: leptos::server_fn::ServerFn<Error = AppError>
        + leptos::form::FromFormData
        + Clone
        + Send
        + Sync
        + 'static,
    S::Output: Send + Sync + 'static,
{
    move |ev: leptos::ev::SubmitEvent| {
        if let Ok(input) = S::from_event(&ev) {
            ev.prevent_default();
            action.dispatch(input);
        }
    }
}

/// Once `action` succeeds with a path, loads that page in full, so a new
/// or ended session applies to the whole page (header included).
pub fn load_on_success<S>(action: ServerAction<S>)
where
    S: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Effect::new(move || {
        if let Some(Ok(to)) = action.value().get() {
            let _ = window().location().set_href(&to);
        }
    });
}

/// A password input with a show/hide button. The button appears only once
/// the page is interactive; without JavaScript the input still works.
#[component]
pub fn PasswordField(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    /// `new-password` when choosing one, `current-password` when signing in.
    autocomplete: &'static str,
    problems: Signal<Problems>,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    let interactive = RwSignal::new(false);
    Effect::new(move || interactive.set(true));
    let error = Memo::new(move |_| problems.with(|p| p.errors.get(name).map(str::to_owned)));
    let hint_id = hint.map(|_| format!("{name}-hint"));
    let error_id = format!("{name}-error");
    let described_by = {
        let hint_id = hint_id.clone();
        let error_id = error_id.clone();
        move || {
            let mut ids: Vec<String> = hint_id.iter().cloned().collect();
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class=move || {
            if error.with(Option::is_some) { "nhsuk-form-group nhsuk-form-group--error" } else { "nhsuk-form-group" }
        }>
            <label class="nhsuk-label" for=name>
                {label}
            </label>
            {hint.map(|hint| view! { <div class="nhsuk-hint" id=hint_id.clone()>{hint}</div> })}
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <span class="nhsuk-error-message" id=error_id.clone()>
                                <span class="nhsuk-u-visually-hidden">"Error: "</span>
                                {message}
                            </span>
                        }
                    })
            }}
            <div class="pp-password">
                <input
                    class=move || {
                        if error.with(Option::is_some) {
                            "nhsuk-input nhsuk-input--error"
                        } else {
                            "nhsuk-input"
                        }
                    }
                    id=name
                    name=name
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    spellcheck="false"
                    autocapitalize="none"
                    aria-describedby=described_by
                />
                <Show when=move || interactive.get()>
                    <button
                        type="button"
                        class="nhsuk-button nhsuk-button--secondary pp-password__toggle"
                        aria-controls=name
                        aria-pressed=move || if shown.get() { "true" } else { "false" }
                        on:click=move |_| shown.update(|s| *s = !*s)
                    >
                        {move || if shown.get() { "Hide" } else { "Show" }}
                        <span class="nhsuk-u-visually-hidden">" password"</span>
                    </button>
                </Show>
            </div>
        </div>
    }
}

/// A single checkbox that must be ticked (a confirmation).
#[component]
pub fn Confirmation(
    name: &'static str,
    problems: Signal<Problems>,
    #[prop(optional)] checked: bool,
    children: Children,
) -> impl IntoView {
    let error = Memo::new(move |_| problems.with(|p| p.errors.get(name).map(str::to_owned)));
    let error_id = format!("{name}-error");
    view! {
        <div class=move || {
            if error.with(Option::is_some) { "nhsuk-form-group nhsuk-form-group--error" } else { "nhsuk-form-group" }
        }>
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <span class="nhsuk-error-message" id=error_id.clone()>
                                <span class="nhsuk-u-visually-hidden">"Error: "</span>
                                {message}
                            </span>
                        }
                    })
            }}
            <div class="nhsuk-checkboxes">
                <div class="nhsuk-checkboxes__item">
                    <input class="nhsuk-checkboxes__input" id=name name=name type="checkbox" value="yes" checked=checked />
                    <label class="nhsuk-label nhsuk-checkboxes__label" for=name>
                        {children()}
                    </label>
                </div>
            </div>
        </div>
    }
}

/// A list's filter in a GET form: a select named `id` whose first choice,
/// `any`, sends nothing. `choices` are `(value, what a person reads)`.
#[component]
pub fn FilterSelect(
    id: &'static str,
    label: &'static str,
    any: &'static str,
    chosen: Option<String>,
    choices: Vec<(String, String)>,
) -> impl IntoView {
    view! {
        <div class="nhsuk-form-group">
            <label class="nhsuk-label" for=id>{label}</label>
            <select class="nhsuk-select" id=id name=id>
                <option value="" selected=chosen.is_none()>{any}</option>
                {choices
                    .into_iter()
                    .map(|(value, name)| {
                        let selected = chosen.as_deref() == Some(value.as_str());
                        view! { <option value=value selected=selected>{name}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// `(id, name)` rows as a [`FilterSelect`]'s choices.
pub fn id_choices(rows: Vec<(i64, String)>) -> Vec<(String, String)> {
    rows.into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect()
}
