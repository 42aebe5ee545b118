use crate::api::admin::{
    ChangeOrganisationStatus, CreateOrganisation, RevokeOrganisationCode, RotateOrganisationCode,
    SetCodeLimits, SetOrganisationServices, ShareDomain, UpdateOrganisation, list_organisations,
    organisation,
};
use crate::components::copy::OneTimeCode;
use crate::components::form::{
    Control, ErrorSummary, Field, FormEcho, PostForm, Problems, action_problems, first_problems,
    flash, form_action, load_on_success, posted_form_echo,
};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, PagedTable, Table, with_query};
use crate::pages::auth::login::Notice;
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::flash::Flash;
use domain::organisation::OrganisationForm;
use domain::organisation::{OrgStatus, OrganisationDetail, OrganisationPage, OrganisationRow};
use domain::paging::how_many;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

fn is_admin() -> bool {
    viewer().is_some_and(|v| v.is_admin())
}

fn query(name: &'static str) -> Option<String> {
    use_query_map().with_untracked(|q| q.get(name))
}

/// `/admin/organisations`: search by name, ODS code or postcode, filter by
/// status, a page at a time. The search is a GET form, so every result
/// page has its own address.
#[component]
pub fn Organisations() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let q = query("q").unwrap_or_default();
    let status = query("status").unwrap_or_default();
    let page: i64 = query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let list = {
        let (q, status) = (q.clone(), status.clone());
        Resource::new(
            move || (q.clone(), status.clone(), page),
            |(q, status, page)| list_organisations(Some(q), Some(status), Some(page)),
        )
    };
    view! {
        <PageHead title="Organisations" description="Customer organisations and their authorisation codes." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }] />
        <Main>
            <h1>"Organisations"</h1>
            <p><a class="nhsuk-button" href="/admin/organisations/new" role="button">"Add an organisation"</a></p>
            <form method="get" action="/admin/organisations" class="pp-search">
                <div class="nhsuk-form-group">
                    <label class="nhsuk-label" for="q">"Name, ODS code or postcode"</label>
                    <input class="nhsuk-input nhsuk-input--width-20" id="q" name="q" type="search" value=q.clone() />
                </div>
                <div class="nhsuk-form-group">
                    <label class="nhsuk-label" for="status">"Status"</label>
                    <select class="nhsuk-select" id="status" name="status">
                        <option value="" selected=status.is_empty()>"Any"</option>
                        {OrgStatus::ALL
                            .into_iter()
                            .map(|s| view! { <option value=s.as_str() selected=status == s.as_str()>{s.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Search"</button>
            </form>
            {query("shared").map(|_| view! { <Notice text="The domain is now shared: several organisations may list it." /> })}
            <Suspense fallback=|| view! { <p>"Loading organisations…"</p> }>
                {move || {
                    let (q, status) = (q.clone(), status.clone());
                    Suspend::new(async move {
                        match list.await {
                            Ok(found) => view! { <OrganisationTable found q status /> }.into_any(),
                            Err(error) => view! { <Problem error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <SharedDomainForm />
        </Main>
    }
    .into_any()
}

/// Marks a domain (such as nhs.net) as shared by many organisations.
#[component]
fn SharedDomainForm() -> impl IntoView {
    let (action, problems, echo) = form_action::<ShareDomain>();
    let typed = echo.map(|e| e.value("domain")).unwrap_or_default();
    view! {
        <h2>"Shared email domains"</h2>
        <p>
            "A domain listed by one organisation cannot be listed by another, so its code is useless \
             elsewhere. Domains that many organisations use, such as nhs.net, must be marked as shared first."
        </p>
        <ErrorSummary problems />
        <PostForm action>
            <Field name="domain" label="Domain to share" hint="For example, nhs.net" width="nhsuk-input--width-20" value=typed problems />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Mark as shared"</button>
        </PostForm>
    }
}

#[component]
fn OrganisationTable(found: OrganisationPage, q: String, status: String) -> impl IntoView {
    if found.rows.is_empty() {
        return view! { <p>"No organisations match."</p> }.into_any();
    }
    let link = move |page: i64| {
        let page = page.to_string();
        with_query(
            "/admin/organisations",
            &[("q", &q), ("status", &status), ("page", &page)],
        )
    };
    const COLUMNS: &[Column] = &[
        Column::text("Name"),
        Column::text("ODS code"),
        Column::text("Postcode"),
        Column::text("Status"),
    ];
    let caption = how_many(found.total, "organisation", "organisations");
    let row = |row: OrganisationRow| {
        view! {
            <tr>
                <td><a href=format!("/admin/organisations/{}", row.id)>{row.name}</a></td>
                <td>{row.ods_code.unwrap_or_default()}</td>
                <td>{row.postcode}</td>
                <td>{row.status.label()}</td>
            </tr>
        }
    };
    view! { <PagedTable found caption columns=COLUMNS row link /> }.into_any()
}

/// The organisation form's fields, filled from `start` (what was typed or
/// stored). Named as [`OrganisationForm`]'s fields.
#[component]
fn OrganisationFields(
    start: OrganisationForm,
    problems: Signal<Problems>,
    submit: &'static str,
) -> impl IntoView {
    view! {
            <Field name="name" label="Name" autocomplete="organization" value=start.name problems />
            <Field name="ods_code" label="ODS code (optional)" hint="For example, A81001" width="nhsuk-input--width-10" value=start.ods_code problems />
            <Field name="address_line1" label="Address line 1" autocomplete="address-line1" value=start.address_line1 problems />
            <Field name="address_line2" label="Address line 2 (optional)" autocomplete="address-line2" value=start.address_line2 problems />
            <Field name="town" label="Town or city" autocomplete="address-level2" width="nhsuk-input--width-20" value=start.town problems />
            <Field name="postcode" label="Postcode" autocomplete="postal-code" width="nhsuk-input--width-10" value=start.postcode problems />
            <Field name="telephone" label="Telephone" control=Control::Tel autocomplete="tel" width="nhsuk-input--width-20" value=start.telephone problems />
            <Field name="email" label="Email address" control=Control::Email value=start.email problems />
            <Field name="website" label="Website (optional)" hint="Starting https://" value=start.website problems />
            <h2>"Key contact"</h2>
            <Field name="contact_name" label="Contact's full name" value=start.contact_name problems />
            <Field name="contact_role" label="Contact's role" hint="For example, Practice manager" value=start.contact_role problems />
            <Field name="contact_email" label="Contact's email address" control=Control::Email value=start.contact_email problems />
            <Field name="contact_telephone" label="Contact's telephone (optional)" control=Control::Tel width="nhsuk-input--width-20" value=start.contact_telephone problems />
            <h2>"Second key contact (optional)"</h2>
            <Field name="contact2_name" label="Second contact's full name" value=start.contact2_name problems />
            <Field name="contact2_role" label="Second contact's role" value=start.contact2_role problems />
            <Field name="contact2_email" label="Second contact's email address" control=Control::Email value=start.contact2_email problems />
            <Field name="contact2_telephone" label="Second contact's telephone (optional)" control=Control::Tel width="nhsuk-input--width-20" value=start.contact2_telephone problems />
            <h2>"Registration"</h2>
            <Field
                name="email_domains"
                label="Allowed email domains (optional)"
                hint="One per line, for example riverside.nhs.uk. Staff must register with an address at one of them. Leave empty to allow any."
                control=Control::TextArea
                value=start.email_domains
                problems
            />
            <button class="nhsuk-button" type="submit">{submit}</button>

    }
}

/// `/admin/organisations/new`: the form, then the new code, shown once.
#[component]
pub fn NewOrganisation() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let (action, problems, echo) = form_action::<CreateOrganisation>();
    let start: OrganisationForm = echo.map(|e| e.read()).unwrap_or_default();
    let body = view! {
        <ErrorSummary problems />
        <h1>"Add an organisation"</h1>
        <p>"Commercial details only: nothing about patients or staff beyond the key contact."</p>
        <PostForm action>
            <OrganisationFields start problems submit="Add organisation" />
        </PostForm>
    };
    view! {
        <PageHead title="Add an organisation" description="Add a customer organisation and issue its code." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }, Crumb { href: "/admin/organisations", label: "Organisations" }] />
        <Main>
            <div class="nhsuk-grid-row">
                <div class="nhsuk-grid-column-two-thirds">{body}</div>
            </div>
        </Main>
    }
    .into_any()
}

fn route_id() -> i64 {
    use_params_map().with_untracked(|p| p.get("id").and_then(|id| id.parse().ok()).unwrap_or(0))
}

/// `/admin/organisations/:id`: the record, its code, status and services.
#[component]
pub fn OrganisationPage() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let id = route_id();
    let detail = Resource::new(move || id, organisation);
    let echo = posted_form_echo().unwrap_or_default();
    view! {
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }, Crumb { href: "/admin/organisations", label: "Organisations" }] />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let echo = echo.clone();
                    Suspend::new(async move {
                        match detail.await {
                            Ok(detail) => view! { <OrganisationView detail echo /> }.into_any(),
                            Err(error) => view! { <Problem error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn OrganisationView(detail: OrganisationDetail, echo: FormEcho) -> impl IntoView {
    const HISTORY_COLUMNS: &[Column] = &[
        Column::text("Date"),
        Column::text("Status"),
        Column::text("Reason"),
    ];
    let id = detail.id;
    let record = detail.record.clone();
    let echoed = Some(echo.clone());
    let rotate = ServerAction::<RotateOrganisationCode>::new();
    let revoke = ServerAction::<RevokeOrganisationCode>::new();
    let limits = ServerAction::<SetCodeLimits>::new();
    let status = ServerAction::<ChangeOrganisationStatus>::new();
    let services = ServerAction::<SetOrganisationServices>::new();
    load_on_success(rotate);
    load_on_success(revoke);
    load_on_success(limits);
    load_on_success(status);
    load_on_success(services);
    let problems = first_problems([
        action_problems(rotate, echoed.clone()),
        action_problems(revoke, None),
        action_problems(limits, None),
        action_problems(status, None),
        action_problems(services, None),
    ]);
    // A new code is shown once, on the page after the form that made it.
    let (added, new_code) = match flash() {
        Some(Flash::OrganisationAdded { id: shown, code }) if shown == id => (true, Some(code)),
        Some(Flash::CodeReplaced { id: shown, code }) if shown == id => (false, Some(code)),
        _ => (false, None),
    };
    let notice = query("updated").map(|what| match what.as_str() {
        "status" => "The status has been changed.",
        "revoked" => "The code has been revoked. Nobody can register with it.",
        "services" => "The subscribed services have been saved.",
        "limits" => "The code's limits have been saved.",
        _ => "The details have been saved.",
    });
    let has_code = detail.code.is_some();
    let typed = |field: &str| echo.value(field);
    let (expires, max_uses, reason) = (typed("expires"), typed("max_uses"), typed("reason"));
    let row = |key: &'static str, value: String| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{key}</dt>
                <dd class="nhsuk-summary-list__value">{value}</dd>
            </div>
        }
    };
    view! {
        <PageHead title=record.name.clone() description="A customer organisation." />
        <ErrorSummary problems />
        {notice.map(|text| view! { <Notice text /> })}
        {new_code.map(|code| {
            let label = if added { "The organisation is added. Its authorisation code" } else { "The new authorisation code" };
            view! { <OneTimeCode code label /> }
        })}
        <h1>{record.name.clone()}</h1>
        <p><strong class="nhsuk-tag">{detail.status.label()}</strong></p>
        <p><a href=format!("{}?organisation={id}", domain::members::MEMBERS)>"Its members"</a></p>
        <dl class="nhsuk-summary-list">
            {row("ODS code", record.ods_code.clone())}
            {row("Address", [record.address_line1.clone(), record.address_line2.clone(), record.town.clone(), record.postcode.clone()]
                .into_iter().filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", "))}
            {row("Telephone", record.telephone.clone())}
            {row("Email", record.email.clone())}
            {row("Website", record.website.clone())}
            {row("Key contacts", record.contacts().map(|c| format!("{} ({}), {}", c.name, c.role, c.email)).collect::<Vec<_>>().join("; "))}
            {row("Allowed email domains", if record.email_domains.is_empty() { "Any".to_owned() } else { record.email_domains.replace('\n', ", ") })}
        </dl>
        <p><a href=format!("/admin/organisations/{id}/edit")>"Change the details"</a></p>

        <h2>"Authorisation code"</h2>
        {match &detail.code {
            Some(code) => view! {
                <p>{format!(
                    "Issued {}. Used {}{}{}.",
                    code.issued,
                    how_many(code.uses, "time", "times"),
                    code.max_uses.map(|m| format!(" of {m}")).unwrap_or_default(),
                    code.expires.as_ref().map(|e| format!(", expires {e}")).unwrap_or_default(),
                )}</p>
            }.into_any(),
            None => view! { <p>"No live code: nobody can register for this organisation."</p> }.into_any(),
        }}
        <div class="nhsuk-button-group">
            <PostForm action=rotate>
                <input type="hidden" name="id" value=id />
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">
                    {if has_code { "Replace the code" } else { "Issue a new code" }}
                </button>
            </PostForm>
            {has_code.then(|| view! {
                <PostForm action=revoke>
                    <input type="hidden" name="id" value=id />
                    <button class="nhsuk-button nhsuk-button--warning" type="submit">"Revoke the code"</button>
                </PostForm>
            })}
        </div>

        {has_code.then(|| view! {
            <PostForm action=limits>
                <input type="hidden" name="id" value=id />
                <Field
                    name="expires"
                    label="Code expires on (optional)"
                    hint="Year-month-day, for example 2027-03-31. Leave empty for no expiry."
                    width="nhsuk-input--width-10"
                    value=expires
                    problems
                />
                <Field
                    name="max_uses"
                    label="Most registrations (optional)"
                    hint="Leave empty for no limit"
                    width="nhsuk-input--width-5"
                    value=max_uses
                    problems
                />
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Save the code's limits"</button>
            </PostForm>
        })}

        <h2>"Status"</h2>
        <PostForm action=status>
            <input type="hidden" name="id" value=id />
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="status">"New status"</label>
                <select class="nhsuk-select" id="status" name="status">
                    {OrgStatus::ALL
                        .into_iter()
                        .map(|s| view! { <option value=s.as_str() selected=s == detail.status>{s.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <Field name="reason" label="Reason for the change" control=Control::TextArea value=reason problems />
            <button class="nhsuk-button" type="submit">"Change status"</button>
        </PostForm>
        {(!detail.history.is_empty()).then(|| view! {
            <Table caption="Status history" columns=HISTORY_COLUMNS>
                {detail.history.iter().map(|h| view! {
                    <tr><td>{h.date.clone()}</td><td>{h.status.label()}</td><td>{h.reason.clone()}</td></tr>
                }).collect_view()}
            </Table>
        })}

        <h2>"Subscribed services"</h2>
        <PostForm action=services>
            <input type="hidden" name="id" value=id />
            <div class="nhsuk-form-group">
                <fieldset class="nhsuk-fieldset">
                    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">"Services this organisation subscribes to"</legend>
                    <div class="nhsuk-checkboxes">
                        {detail.services.iter().map(|s| {
                            let input_id = format!("service-{}", s.service_id);
                            view! {
                                <div class="nhsuk-checkboxes__item">
                                    <input class="nhsuk-checkboxes__input" id=input_id.clone() name="services[]" type="checkbox"
                                        value=s.service_id.to_string() checked=s.subscribed />
                                    <label class="nhsuk-label nhsuk-checkboxes__label" for=input_id>{s.title.clone()}</label>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            </div>
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Save services"</button>
        </PostForm>
    }
}

/// `/admin/organisations/:id/edit`: change the details.
#[component]
pub fn EditOrganisation() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let id = route_id();
    let detail = Resource::new(move || id, organisation);
    let (action, problems, echo) = form_action::<UpdateOrganisation>();
    view! {
        <PageHead title="Change an organisation's details" description="Edit a customer organisation." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }, Crumb { href: "/admin/organisations", label: "Organisations" }] />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let echo = echo.clone();
                    Suspend::new(async move {
                        match detail.await {
                            Ok(detail) => {
                                let start = match &echo {
                                    Some(echo) => echo.read(),
                                    None => detail.record.clone(),
                                };
                                view! {
                                    <div class="nhsuk-grid-row">
                                        <div class="nhsuk-grid-column-two-thirds">
                                            <ErrorSummary problems />
                                            <h1>{format!("Change {}", detail.record.name)}</h1>
                                            <PostForm action>
                                                <input type="hidden" name="id" value=detail.id />
                                                <OrganisationFields start problems submit="Save changes" />
                                            </PostForm>
                                        </div>
                                    </div>
                                }
                                .into_any()
                            }
                            Err(error) => view! { <Problem error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </Main>
    }
    .into_any()
}
