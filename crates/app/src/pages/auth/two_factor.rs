use crate::api::account::{EnrolSecondFactor, second_factor_setup};
use crate::components::form::{ErrorSummary, Field, PasswordField, PostForm, flash, form_action};
use crate::components::head::PageHead;
use crate::components::layout::Main;
use crate::components::layout::viewer;
use crate::pages::public::problem::Problem;
use domain::flash::Flash;
use leptos::prelude::*;

/// `/account/two-factor`: scan a QR code (drawn here, as SVG) with an
/// authenticator app and confirm with a code; then the recovery codes,
/// shown once. Administrators must do this before anything else.
#[component]
pub fn Enrol() -> impl IntoView {
    let (action, problems, echo) = form_action::<EnrolSecondFactor>();
    // The recovery codes come once, on the page after the form; a refresh
    // finds them gone.
    let codes = match flash() {
        Some(Flash::RecoveryCodes(codes)) => codes,
        _ => Vec::new(),
    };
    let enrolled = viewer().is_some_and(|v| v.second_factor);
    // After a refused confirmation, the secret already scanned is kept.
    let scanned = echo.as_ref().map(|e| e.value("secret"));
    let setup = Resource::new(move || scanned.clone(), second_factor_setup);

    view! {
        <PageHead title="Set up an authenticator app" description="Add a second step to signing in." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    {move || {
                        let codes = codes.clone();
                        if enrolled && codes.is_empty() {
                            view! {
                                <h1>"Your authenticator app is set up"</h1>
                                <p>"Each time you sign in you also give the 6-digit code from your app."</p>
                                <p><a href="/account">"Back to your account"</a></p>
                            }
                            .into_any()
                        } else if codes.is_empty() {
                            view! {
                                <ErrorSummary problems />
                                <h1>"Set up an authenticator app"</h1>
                                <p>
                                    "Each time you sign in you will also give a 6-digit code from an app on your \
                                     phone, such as Microsoft Authenticator or Google Authenticator."
                                </p>
                                <Suspense fallback=|| view! { <p>"Making your QR code…"</p> }>
                                    {move || Suspend::new(async move {
                                        match setup.await {
                                            Ok(setup) => view! {
                                                <h2>"1. Scan this QR code with the app"</h2>
                                                <div class="pp-qr" inner_html=setup.qr_svg.clone() role="img" aria-label="QR code for your authenticator app"></div>
                                                <p>"If you cannot scan it, type this key into the app instead:"</p>
                                                <p><code class="pp-secret">{setup.secret.clone()}</code></p>
                                                <h2>"2. Enter the code the app shows"</h2>
                                                <PostForm action>
                                                    <input type="hidden" name="secret" value=setup.secret.clone() />
                                                    <Field
                                                        name="code"
                                                        label="6-digit code"
                                                        autocomplete="one-time-code"
                                                        width="nhsuk-input--width-10"
                                                        value=""
                                                        problems
                                                    />
                                                    <PasswordField
                                                        name="password"
                                                        label="Your password"
                                                        hint="To check it is you"
                                                        autocomplete="current-password"
                                                        problems
                                                    />
                                                    <button class="nhsuk-button" type="submit">"Turn on"</button>
                                                </PostForm>
                                            }
                                            .into_any(),
                                            Err(error) => view! { <Problem error /> }.into_any(),
                                        }
                                    })}
                                </Suspense>
                            }
                            .into_any()
                        } else {
                            view! {
                                <h1>"Your authenticator app is set up"</h1>
                                <p>
                                    "Keep these recovery codes somewhere safe. Each one signs you in once if you \
                                     lose your phone. They will not be shown again."
                                </p>
                                <ul class="pp-recovery-codes">
                                    {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                                </ul>
                                <p><a class="nhsuk-button" href="/account" role="button">"I have saved my recovery codes"</a></p>
                            }
                            .into_any()
                        }
                    }}
                </div>
            </div>
        </Main>
    }
}
