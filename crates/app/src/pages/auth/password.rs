use crate::api::account::{ForgotPassword as ForgotPasswordFn, ResetPassword as ResetPasswordFn};
use crate::components::form::{Control, ErrorSummary, Field, PasswordField, PostForm, form_action};
use crate::components::head::PageHead;
use crate::components::layout::Main;
use leptos::prelude::*;

/// `/forgot-password`: ask for a reset link.
#[component]
pub fn ForgotPassword() -> impl IntoView {
    let (action, problems, echo) = form_action::<ForgotPasswordFn>();
    let typed = move |field: &str| echo.as_ref().map(|e| e.value(field)).unwrap_or_default();
    view! {
        <PageHead title="Reset your password" description="Get a link to choose a new password." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Reset your password"</h1>
                    <p>"Enter the email address you sign in with. If it has an account, we will send a link to choose a new password."</p>
                    <PostForm action>
                        <Field
                            name="email"
                            label="Email address"
                            control=Control::Email
                            autocomplete="username"
                            value=typed("email")
                            problems
                        />
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Send the link"
                        </button>
                    </PostForm>
                </div>
            </div>
        </Main>
    }
}

/// `/forgot-password/sent`: the same whether or not the address exists.
#[component]
pub fn ResetSent() -> impl IntoView {
    view! {
        <PageHead title="Check your email" description="If the address has an account, a reset link is on its way." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <h1>"Check your email"</h1>
                    <p>"If that address has an account, we have sent it a link to choose a new password. The link works for 30 minutes."</p>
                    <p><a href="/login">"Back to sign in"</a></p>
                </div>
            </div>
        </Main>
    }
}

/// `/reset-password?token=…`: choose a new password.
#[component]
pub fn ResetPassword() -> impl IntoView {
    let (action, problems, _) = form_action::<ResetPasswordFn>();
    let token = crate::pages::auth::links::link_token();
    view! {
        <PageHead title="Choose a new password" description="Set a new password for your account." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Choose a new password"</h1>
                    <PostForm action>
                        <input type="hidden" name=crate::components::form::LINK_TOKEN value=token />
                        <PasswordField
                            name="password"
                            label="New password"
                            hint="At least 12 characters. A few random words together make a strong password."
                            autocomplete="new-password"
                            problems
                        />
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Save the new password"
                        </button>
                    </PostForm>
                </div>
            </div>
        </Main>
    }
}
