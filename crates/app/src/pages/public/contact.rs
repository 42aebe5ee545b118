use crate::api::contact::SendEnquiry;
use crate::components::form::{Control, ErrorSummary, Field, PostForm, form_action};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main};
use domain::site::SiteInfo;
use leptos::prelude::*;

/// `/contact`: the public enquiry form. Works without JavaScript: a refused
/// form comes back with the problems and what was typed.
#[component]
pub fn Contact() -> impl IntoView {
    let site = expect_context::<SiteInfo>();
    let (action, problems, echo) = form_action::<SendEnquiry>();
    let typed = move |field: &str| echo.as_ref().map(|e| e.value(field)).unwrap_or_default();

    view! {
        <PageHead title="Contact us" description="Ask the service team about our primary-care support services." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/", label: "Home" }] />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <ErrorSummary problems />
                    <h1>"Contact us"</h1>
                    <p>
                        "Ask us about any of our services, or how your practice or network could use them. \
                         We reply within 2 working days."
                    </p>
                    <p>
                        {format!("You can also call {} or email ", site.contact_phone)}
                        <a href=format!("mailto:{}", site.contact_email)>{site.contact_email.clone()}</a>"."
                    </p>
                    <PostForm action>
                        <Field name="name" label="Full name" autocomplete="name" value=typed("name") problems />
                        <Field
                            name="organisation"
                            label="Organisation"
                            hint="For example, the name of your GP practice or primary care network"
                            autocomplete="organization"
                            value=typed("organisation")
                            problems
                        />
                        <Field
                            name="email"
                            label="Email address"
                            hint="We only use this to reply to you"
                            control=Control::Email
                            autocomplete="email"
                            value=typed("email")
                            problems
                        />
                        <Field
                            name="telephone"
                            label="Telephone number (optional)"
                            hint="For example, 01632 960 001 or 07700 900 982"
                            control=Control::Tel
                            autocomplete="tel"
                            width="nhsuk-input--width-20"
                            value=typed("telephone")
                            problems
                        />
                        <Field
                            name="message"
                            label="Your message"
                            hint="Do not include any information about patients"
                            control=Control::TextArea
                            value=typed("message")
                            problems
                        />
                        <div class="pp-honeypot" aria-hidden="true">
                            <label for="website">"Leave this field empty"</label>
                            <input id="website" name="website" type="text" tabindex="-1" autocomplete="off" />
                        </div>
                        <p class="nhsuk-body-s">
                            "We keep your message so that we can answer it. Our "
                            <a href="/page/privacy-policy">"privacy statement"</a>
                            " explains how."
                        </p>
                        <button class="nhsuk-button" type="submit" disabled=move || action.pending().get()>
                            "Send message"
                        </button>
                    </PostForm>
                </div>
            </div>
        </Main>
    }
}

/// `/contact/thanks`: shown once an enquiry is stored.
#[component]
pub fn ContactThanks() -> impl IntoView {
    view! {
        <PageHead title="Message sent" description="Your message has been sent to the service team." />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">
                    <div class="nhsuk-panel">
                        <h1 class="nhsuk-panel__title">"Message sent"</h1>
                        <div class="nhsuk-panel__body">"Thank you. We will reply within 2 working days."</div>
                    </div>
                    <p>
                        "While you wait, you can read about "<a href="/services">"our services"</a>
                        " or go back to the "<a href="/">"home page"</a>"."
                    </p>
                </div>
            </div>
        </Main>
    }
}
