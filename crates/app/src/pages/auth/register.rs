use crate::api::account::Register;
use crate::components::form::Control;
use crate::components::form::{
    Confirmation, ErrorSummary, Field, PasswordField, PostForm, form_action,
};
use crate::components::head::PageHead;
use crate::components::layout::Main;
use leptos::prelude::*;

/// `/register`: join the member portal with the code from the practice
/// manager. Works without JavaScript.
#[component]
pub fn Register() -> impl IntoView {
    let (action, problems, echo) = form_action::<Register>();
    let typed = move |field: &str| echo.as_ref().map(|e| e.value(field)).unwrap_or_default();
    let privacy_ticked = !typed("privacy").is_empty();

    view! {
        <PageHead title="Register" description="Join the member portal with your organisation's authorisation code." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Register for the member portal"</h1>
                    <p>
                        "You need the authorisation code your practice manager was given. Ask them for it \
                         if you do not have it."
                    </p>
                    <PostForm action>
                        <Field
                            name="code"
                            label="Authorisation code"
                            hint="16 letters and numbers, for example ABCD-EFGH-JKLM-NPQR"
                            autocomplete="off"
                            width="nhsuk-input--width-20"
                            value=typed("code")
                            problems
                        />
                        <Field name="full_name" label="Full name" autocomplete="name" value=typed("full_name") problems />
                        <Field
                            name="email"
                            label="Work email address"
                            hint="You will use this to sign in. We will send you a link to confirm it."
                            control=Control::Email
                            autocomplete="email"
                            value=typed("email")
                            problems
                        />
                        <PasswordField
                            name="password"
                            label="Create a password"
                            hint="At least 12 characters. A few random words together make a strong password that is easy to remember."
                            autocomplete="new-password"
                            problems
                        />
                        <Confirmation name="privacy" problems checked=privacy_ticked>
                            "I have read the "
                            <a href="/page/privacy-policy" target="_blank">"privacy statement (opens in a new tab)"</a>
                        </Confirmation>
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Register"
                        </button>
                    </PostForm>
                    <p>"Already registered? " <a href="/login">"Sign in"</a></p>
                </div>
            </div>
        </Main>
    }
}

/// `/register/check-email`: the same page whether the address was new or
/// already had an account.
#[component]
pub fn CheckEmail() -> impl IntoView {
    view! {
        <PageHead title="Check your email" description="We have sent you a link to confirm your email address." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <h1>"Check your email"</h1>
                    <p>"We have sent an email to the address you gave. Open the link in it within 24 hours to finish registering."</p>
                    <p>"If it has not arrived in a few minutes, check your junk folder, or register again to get a new link."</p>
                </div>
            </div>
        </Main>
    }
}
