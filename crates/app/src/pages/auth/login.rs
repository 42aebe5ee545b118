use crate::api::account::{SecondFactor, SignIn, SignOut as SignOutFn};
use crate::components::form::{
    Control, ErrorSummary, Field, PasswordField, PostForm, form_action, load_on_success,
};
use crate::components::head::PageHead;
use crate::components::layout::Main;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn query(name: &'static str) -> Option<String> {
    use_query_map().with_untracked(|q| q.get(name))
}

/// A green confirmation box at the top of a page.
#[component]
pub fn Notice(#[prop(into)] text: String) -> impl IntoView {
    view! {
        <div class="nhsuk-inset-text pp-notice" role="status">
            <span class="nhsuk-u-visually-hidden">"Information: "</span>
            <p>{text}</p>
        </div>
    }
}

/// `/login`: email and password. Works without JavaScript.
#[component]
pub fn Login() -> impl IntoView {
    let (action, problems, echo) = form_action::<SignIn>();
    let typed = move |field: &str| echo.as_ref().map(|e| e.value(field)).unwrap_or_default();
    let next = Some(typed("next"))
        .filter(|n| !n.is_empty())
        .or_else(|| query("next"))
        .unwrap_or_default();
    let notice = if query("verified").is_some() {
        Some("Your email address is confirmed. Sign in to continue.")
    } else if query("reset").is_some() {
        Some(
            "Your password has been changed and every session signed out. Sign in with your new password.",
        )
    } else if query("email-changed").is_some() {
        Some(
            "Your email address has changed and every session signed out. Sign in with your new address.",
        )
    } else if query("signed-out").is_some() {
        Some("You have signed out.")
    } else if query("erased").is_some() {
        Some("Your account has been erased, and you have been signed out everywhere.")
    } else {
        None
    };
    view! {
        <PageHead title="Sign in" description="Sign in to the member portal." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    {notice.map(|text| view! { <Notice text /> })}
                    <h1>"Sign in"</h1>
                    <PostForm action>
                        <input type="hidden" name="next" value=next />
                        <Field
                            name="email"
                            label="Email address"
                            control=Control::Email
                            autocomplete="username"
                            value=typed("email")
                            problems
                        />
                        <PasswordField name="password" label="Password" autocomplete="current-password" problems />
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Sign in"
                        </button>
                    </PostForm>
                    <p><a href="/forgot-password">"Forgotten your password?"</a></p>
                    <p>"New to the portal? " <a href="/register">"Register with your organisation's code"</a></p>
                </div>
            </div>
        </Main>
    }
}

/// `/login/two-factor`: the code from the authenticator app, or a
/// recovery code.
#[component]
pub fn TwoFactor() -> impl IntoView {
    let (action, problems, echo) = form_action::<SecondFactor>();
    let next = echo
        .as_ref()
        .map(|e| e.value("next"))
        .filter(|n| !n.is_empty())
        .or_else(|| query("next"))
        .unwrap_or_default();
    view! {
        <PageHead title="Enter your security code" description="The second step of signing in." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Enter your security code"</h1>
                    <PostForm action>
                        <input type="hidden" name="next" value=next />
                        <Field
                            name="code"
                            label="Security code"
                            hint="The 6-digit code from your authenticator app, or one of your recovery codes"
                            autocomplete="one-time-code"
                            width="nhsuk-input--width-10"
                            value=""
                            problems
                        />
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Continue"
                        </button>
                    </PostForm>
                </div>
            </div>
        </Main>
    }
}

/// `/logout`: a page with the sign-out button, for when the header's
/// button is not at hand (signing out is always a POST).
#[component]
pub fn SignOut() -> impl IntoView {
    let action = ServerAction::<SignOutFn>::new();
    load_on_success(action);
    view! {
        <PageHead title="Sign out" description="Sign out of the member portal." />
        <Main>
            <h1>"Sign out"</h1>
            <PostForm action>
                <button class="nhsuk-button" type="submit">"Sign out"</button>
            </PostForm>
        </Main>
    }
}
