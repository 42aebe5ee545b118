use crate::api::account::{ConfirmEmail as ConfirmEmailFn, VerifyEmail as VerifyEmailFn};
use crate::components::form::{
    ErrorSummary, LINK_TOKEN, PasswordField, PostForm, action_problems, load_on_success,
    posted_form_echo,
};
use crate::components::head::PageHead;
use crate::components::layout::Main;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The token in the link's query string. A refused form is drawn again
/// with the token it posted in the same place.
pub fn link_token() -> String {
    use_query_map().with_untracked(|q| q.get(LINK_TOKEN).unwrap_or_default())
}

/// `/verify-email?token=…`: opening the link changes nothing; the button
/// confirms (so mail scanners that follow links cannot use it up).
#[component]
pub fn VerifyEmail() -> impl IntoView {
    let action = ServerAction::<VerifyEmailFn>::new();
    let problems = action_problems(action, posted_form_echo());
    load_on_success(action);
    let token = link_token();
    view! {
        <PageHead title="Confirm your email address" description="Finish registering for the member portal." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Confirm your email address"</h1>
                    <p>"Confirm this is your email address to finish registering: enter the password you chose. You can then sign in."</p>
                    <PostForm action>
                        <input type="hidden" name=LINK_TOKEN id=LINK_TOKEN value=token />
                        <PasswordField
                            name="password"
                            label="Your password"
                            hint="The password you chose when you registered"
                            autocomplete="current-password"
                            problems
                        />
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Confirm my email address"
                        </button>
                    </PostForm>
                </div>
            </div>
        </Main>
    }
}

/// `/confirm-email?token=…`: confirms a new email address for an account.
#[component]
pub fn ConfirmEmail() -> impl IntoView {
    let action = ServerAction::<ConfirmEmailFn>::new();
    let problems = action_problems(action, posted_form_echo());
    load_on_success(action);
    let token = link_token();
    view! {
        <PageHead title="Confirm your new email address" description="Confirm the new email address for your account." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Confirm your new email address"</h1>
                    <p>"Confirm that your account should use this email address from now on."</p>
                    <PostForm action>
                        <input type="hidden" name=LINK_TOKEN id=LINK_TOKEN value=token />
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Use this email address"
                        </button>
                    </PostForm>
                </div>
            </div>
        </Main>
    }
}
