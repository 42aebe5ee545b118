use super::login::Notice;
use crate::api::account::{ChangeEmail as ChangeEmailFn, ChangePassword as ChangePasswordFn};
use crate::components::form::{
    Control, ErrorSummary, Field, PasswordField, PostForm, action_problems, form_action,
    load_on_success, posted_form_echo,
};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `/account`: what the account holds, and the ways to change it. The
/// server only shows it to someone signed in.
#[component]
pub fn Account() -> impl IntoView {
    let Some(me) = viewer() else {
        return view! { <SignInFirst /> }.into_any();
    };
    let notice = use_query_map().with_untracked(|q| {
        if q.get("updated").is_some() {
            Some("Your account has been updated.")
        } else if q.get("email-sent").is_some() {
            Some("We have sent a link to your new email address. Open it to finish the change.")
        } else {
            None
        }
    });
    view! {
        <PageHead title="Your account" description="Your details and sign-in settings." />
        <Main>
            {notice.map(|text| view! { <Notice text /> })}
            <h1>"Your account"</h1>
            <dl class="nhsuk-summary-list">
                <div class="nhsuk-summary-list__row">
                    <dt class="nhsuk-summary-list__key">"Name"</dt>
                    <dd class="nhsuk-summary-list__value">{me.full_name.clone()}</dd>
                </div>
                <div class="nhsuk-summary-list__row">
                    <dt class="nhsuk-summary-list__key">"Email address"</dt>
                    <dd class="nhsuk-summary-list__value">{me.email.clone()}</dd>
                    <dd class="nhsuk-summary-list__actions">
                        <a href="/account/email">"Change"<span class="nhsuk-u-visually-hidden">" email address"</span></a>
                    </dd>
                </div>
                {me.organisation.clone().map(|name| view! {
                    <div class="nhsuk-summary-list__row">
                        <dt class="nhsuk-summary-list__key">"Organisation"</dt>
                        <dd class="nhsuk-summary-list__value">{name}</dd>
                    </div>
                })}
                <div class="nhsuk-summary-list__row">
                    <dt class="nhsuk-summary-list__key">"Password"</dt>
                    <dd class="nhsuk-summary-list__value">"Set"</dd>
                    <dd class="nhsuk-summary-list__actions">
                        <a href="/account/password">"Change"<span class="nhsuk-u-visually-hidden">" password"</span></a>
                    </dd>
                </div>
                <div class="nhsuk-summary-list__row">
                    <dt class="nhsuk-summary-list__key">"Authenticator app"</dt>
                    <dd class="nhsuk-summary-list__value">
                        {if me.second_factor { "Set up: you give a code when you sign in" } else { "Not set up" }}
                    </dd>
                    <dd class="nhsuk-summary-list__actions">
                        {(!me.second_factor).then(|| view! {
                            <a href="/account/two-factor">"Set up"<span class="nhsuk-u-visually-hidden">" an authenticator app"</span></a>
                        })}
                    </dd>
                </div>
            </dl>
            <p><a href=domain::mydata::MY_DATA>"Everything we hold about you, and a copy to download"</a></p>
        </Main>
    }
    .into_any()
}

/// Shown in place of an account page to someone not signed in (the server
/// normally sends them to the sign-in page first).
#[component]
pub fn SignInFirst() -> impl IntoView {
    view! {
        <Main>
            <h1>"Sign in to continue"</h1>
            <p><a href="/login">"Sign in"</a></p>
        </Main>
    }
}

/// `/account/password`: needs the current password; other sessions end.
#[component]
pub fn ChangePassword() -> impl IntoView {
    let action = ServerAction::<ChangePasswordFn>::new();
    let problems = action_problems(action, posted_form_echo());
    load_on_success(action);
    view! {
        <PageHead title="Change your password" description="Choose a new password for your account." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/account", label: "Your account" }] />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Change your password"</h1>
                    <p>"Any other browser signed in to your account will be signed out."</p>
                    <PostForm action>
                        <PasswordField name="current_password" label="Current password" autocomplete="current-password" problems />
                        <PasswordField
                            name="new_password"
                            label="New password"
                            hint="At least 12 characters. A few random words together make a strong password."
                            autocomplete="new-password"
                            problems
                        />
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Change password"
                        </button>
                    </PostForm>
                </div>
            </div>
        </Main>
    }
}

/// `/account/email`: a link goes to the new address to confirm it.
#[component]
pub fn ChangeEmail() -> impl IntoView {
    let (action, problems, echo) = form_action::<ChangeEmailFn>();
    let typed = move |field: &str| echo.as_ref().map(|e| e.value(field)).unwrap_or_default();
    view! {
        <PageHead title="Change your email address" description="Use a different work email address for your account." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/account", label: "Your account" }] />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Change your email address"</h1>
                    <PostForm action>
                        <Field
                            name="new_email"
                            label="New work email address"
                            hint="We will send a link to it. The change happens when you open the link."
                            control=Control::Email
                            autocomplete="email"
                            value=typed("new_email")
                            problems
                        />
                        <PasswordField name="password" label="Your password" autocomplete="current-password" problems />
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Send the link"
                        </button>
                    </PostForm>
                </div>
            </div>
        </Main>
    }
}
