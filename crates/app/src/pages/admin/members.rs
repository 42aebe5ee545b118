use crate::api::members::{
    ChangeMemberRole, DeleteMember, ReinstateMember, ResendMemberVerification,
    ResetMemberSecondFactor, SuspendMember, list_members, member_organisations, member_record,
};
use crate::components::form::{
    Confirmation, Control, ErrorSummary, Field, FilterSelect, PostForm, action_problems,
    first_problems, id_choices, load_on_success, posted_form_echo,
};
use crate::components::head::PageHead;
use crate::components::layout::{Breadcrumbs, Crumb, Main, viewer};
use crate::components::table::{Column, PagedTable, with_query};
use crate::pages::auth::login::Notice;
use crate::pages::public::not_found::Forbidden;
use crate::pages::public::problem::Problem;
use domain::account::Role;
use domain::library::long_date;
use domain::members::{
    MEMBERS, MemberDetail, MemberPage, MemberQuery, MemberRow, MemberStatus, member_path,
};
use domain::paging::how_many;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

fn is_admin() -> bool {
    viewer().is_some_and(|v| v.is_admin())
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Member => "Member",
        Role::Admin => "Administrator",
    }
}

fn last_sign_in(at: Option<i64>) -> String {
    at.map_or_else(|| "Never".to_owned(), long_date)
}

/// `/admin/members`: everyone with an account, across organisations,
/// searched by name or email and filtered by organisation, status and
/// role (a GET form, so each view has its own address).
#[component]
pub fn Members() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let search = use_location().search.get_untracked();
    let query: MemberQuery = serde_urlencoded::from_str(&search).unwrap_or_default();
    let found = {
        let query = query.clone();
        Resource::new(move || query.clone(), list_members)
    };
    let organisations = Resource::new(|| (), |_| member_organisations());
    let deleted = use_query_map()
        .with_untracked(|q| q.get("deleted"))
        .is_some();
    let (filter_query, list_query) = (query.clone(), query);
    view! {
        <PageHead title="Members" description="Everyone with an account, across organisations." />
        <Breadcrumbs crumbs=vec![Crumb { href: "/admin", label: "Administration" }] />
        <Main>
            <h1>"Members"</h1>
            {deleted.then(|| view! { <Notice text="The account was deleted." /> })}
            <Suspense fallback=|| ()>
                {move || {
                    let query = filter_query.clone();
                    Suspend::new(async move {
                        let organisations = organisations.await.unwrap_or_default();
                        view! { <MemberFilters query organisations /> }
                    })
                }}
            </Suspense>
            <Suspense fallback=|| view! { <p>"Loading members…"</p> }>
                {move || {
                    let query = list_query.clone();
                    Suspend::new(async move {
                        match found.await {
                            Ok(found) => view! { <MemberTable found query /> }.into_any(),
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
fn MemberFilters(query: MemberQuery, organisations: Vec<(i64, String)>) -> impl IntoView {
    view! {
        <form method="get" action=MEMBERS class="pp-search">
            <div class="nhsuk-form-group">
                <label class="nhsuk-label" for="q">"Name or email address"</label>
                <input class="nhsuk-input nhsuk-input--width-20" id="q" name="q" type="search" value=query.q />
            </div>
            <FilterSelect
                id="organisation"
                label="Organisation"
                any="Any organisation"
                chosen=query.organisation.map(|o| o.to_string())
                choices=id_choices(organisations)
            />
            <FilterSelect
                id="status"
                label="Status"
                any="Any status"
                chosen=query.status.map(|s| s.as_str().to_owned())
                choices=MemberStatus::ALL.iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())).collect()
            />
            <FilterSelect
                id="role"
                label="Role"
                any="Any role"
                chosen=query.role.map(|r| r.as_str().to_owned())
                choices=[Role::Member, Role::Admin].iter().map(|r| (r.as_str().to_owned(), role_label(*r).to_owned())).collect()
            />
            <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Search"</button>
        </form>
    }
}

#[component]
fn MemberTable(found: MemberPage, query: MemberQuery) -> impl IntoView {
    if found.rows.is_empty() {
        return view! { <p data-testid="no-members">"No one matches."</p> }.into_any();
    }
    const COLUMNS: &[Column] = &[
        Column::text("Name"),
        Column::text("Organisation"),
        Column::text("Role"),
        Column::text("Status"),
        Column::text("Last signed in"),
    ];
    let caption = how_many(found.total, "person", "people");
    let link = move |page| {
        with_query(
            MEMBERS,
            &MemberQuery {
                page,
                ..query.clone()
            },
        )
    };
    let row = |row: MemberRow| view! { <MemberLine row /> };
    view! { <PagedTable found caption columns=COLUMNS row link /> }.into_any()
}

#[component]
fn MemberLine(row: MemberRow) -> impl IntoView {
    view! {
        <tr>
            <td>
                <a href=member_path(row.id)>{row.full_name}</a>
                <br />
                <span class="nhsuk-body-s">{row.email}</span>
            </td>
            <td>{row.organisation.unwrap_or_default()}</td>
            <td>{role_label(row.role)}</td>
            <td>{row.status.label()}</td>
            <td>{last_sign_in(row.last_sign_in_at)}</td>
        </tr>
    }
}

/// `/admin/members/:id`: one person's record, and what an administrator
/// can do about their account.
#[component]
pub fn MemberRecord() -> impl IntoView {
    if !is_admin() {
        return view! { <Forbidden /> }.into_any();
    }
    let id = use_params_map()
        .with_untracked(|p| p.get("id").and_then(|id| id.parse().ok()).unwrap_or(0));
    let record = Resource::new(move || id, member_record);
    view! {
        <Breadcrumbs crumbs=vec![
            Crumb { href: "/admin", label: "Administration" },
            Crumb { href: MEMBERS, label: "Members" },
        ] />
        <Main>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match record.await {
                        Ok(detail) => view! { <MemberView detail /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Main>
    }
    .into_any()
}

#[component]
fn MemberView(detail: MemberDetail) -> impl IntoView {
    let row = detail.row.clone();
    let id = row.id;
    let done = use_query_map().with_untracked(|q| q.get("done"));
    let notice = done.and_then(|what| match what.as_str() {
        "resent" => Some("A new confirmation link was emailed. Earlier links no longer work."),
        "suspended" => Some("The account is suspended and every session of it has ended."),
        "reinstated" => Some("The account is reinstated: they can sign in again."),
        "second_factor" => {
            Some("The second factor was removed, every session ended, and they were told by email.")
        }
        "role" => Some("The role was changed, every session ended, and they were told by email."),
        _ => None,
    });
    let echo = posted_form_echo();
    let resend = ServerAction::<ResendMemberVerification>::new();
    let suspend = ServerAction::<SuspendMember>::new();
    let reinstate = ServerAction::<ReinstateMember>::new();
    let second_factor = ServerAction::<ResetMemberSecondFactor>::new();
    let role = ServerAction::<ChangeMemberRole>::new();
    let delete = ServerAction::<DeleteMember>::new();
    load_on_success(resend);
    load_on_success(suspend);
    load_on_success(reinstate);
    load_on_success(second_factor);
    load_on_success(role);
    load_on_success(delete);
    // Each form's fields have names of their own, so one summary serves
    // them all; a refused form without JavaScript comes back typed.
    let problems = first_problems([
        action_problems(suspend, echo.clone()),
        action_problems(role, echo.clone()),
        action_problems(resend, None),
        action_problems(reinstate, None),
        action_problems(second_factor, None),
        action_problems(delete, None),
    ]);
    let typed = |field: &str| echo.as_ref().map(|e| e.value(field)).unwrap_or_default();
    let reason_typed = typed("reason");
    let role_typed = Some(typed("role"))
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| match row.role {
            Role::Member => Role::Admin.as_str().to_owned(),
            Role::Admin => Role::Member.as_str().to_owned(),
        });
    let roles = [Role::Member, Role::Admin]
        .iter()
        .map(|r| (r.as_str().to_owned(), role_label(*r).to_owned()))
        .collect();
    let summary_row = |key: &'static str, value: AnyView| {
        view! {
            <div class="nhsuk-summary-list__row">
                <dt class="nhsuk-summary-list__key">{key}</dt>
                <dd class="nhsuk-summary-list__value">{value}</dd>
            </div>
        }
    };
    let organisation = match (detail.organisation_id, row.organisation.clone()) {
        (Some(org), Some(name)) => view! {
            <a href=format!("/admin/organisations/{org}")>{name}</a>
        }
        .into_any(),
        _ => "None".into_any(),
    };
    let status = row.status;
    let may_change = !detail.is_you;
    view! {
        <PageHead title=row.full_name.clone() description="A person's account." />
        <ErrorSummary problems />
        {notice.map(|text| view! { <Notice text /> })}
        <h1>{row.full_name.clone()}</h1>
        {detail.is_you.then(|| view! { <p class="nhsuk-body-s">"This is your own account: another administrator must suspend, delete or change it."</p> })}
        <dl class="nhsuk-summary-list">
            {summary_row("Email address", row.email.clone().into_any())}
            {summary_row("Organisation", organisation)}
            {summary_row("Role", role_label(row.role).into_any())}
            {summary_row("Status", view! { <span data-testid="member-status">{status.label()}</span> }.into_any())}
            {summary_row("Second factor", if detail.second_factor { "On" } else { "Off" }.into_any())}
            {summary_row("Registered", long_date(detail.registered_at).into_any())}
            {summary_row("Last signed in", last_sign_in(row.last_sign_in_at).into_any())}
            {detail.suspension_reason.clone().map(|reason| summary_row("Why suspended", reason.into_any()))}
        </dl>
        <p>
            <a href=format!("/admin/audit?target=user:{id}")>"What has been done to this account"</a>
            " · "
            <a href=format!("/admin/audit?actor=user:{id}")>"What this person has done"</a>
        </p>
        {(status == MemberStatus::Unverified).then(|| view! {
            <h2>"Confirmation email"</h2>
            <p>"They have not confirmed their email address yet. Unconfirmed registrations are deleted after 7 days."</p>
            <PostForm action=resend>
                <input type="hidden" name="id" value=id />
                <button class="nhsuk-button nhsuk-button--secondary" id="resend" type="submit">"Send the link again"</button>
            </PostForm>
        })}
        {(may_change && status != MemberStatus::Suspended).then(|| view! {
            <h2>"Suspend"</h2>
            <p>"A suspended account cannot sign in, its sessions end at once, and it sees nothing in the library."</p>
            <PostForm action=suspend>
                <input type="hidden" name="id" value=id />
                <Field name="reason" label="Why" hint="Kept with the account and in the audit trail." control=Control::TextArea value=reason_typed.clone() problems />
                <button class="nhsuk-button nhsuk-button--warning" type="submit">"Suspend the account"</button>
            </PostForm>
        })}
        {(status == MemberStatus::Suspended).then(|| view! {
            <h2>"Reinstate"</h2>
            <PostForm action=reinstate>
                <input type="hidden" name="id" value=id />
                <button class="nhsuk-button" id="reinstate" type="submit">"Reinstate the account"</button>
            </PostForm>
        })}
        {(may_change && detail.second_factor).then(|| view! {
            <h2>"Lost second factor"</h2>
            <p>"If they have lost both their authenticator app and their recovery codes, remove the second factor. They will be told by email and asked to set it up again."</p>
            <PostForm action=second_factor>
                <input type="hidden" name="id" value=id />
                <button class="nhsuk-button nhsuk-button--secondary" id="second_factor" type="submit">"Remove the second factor"</button>
            </PostForm>
        })}
        {may_change.then(|| view! {
            <h2>"Role"</h2>
            <PostForm action=role>
                <input type="hidden" name="id" value=id />
                <Field name="role" label="Role" control=Control::Select(roles) value=role_typed problems />
                <Field
                    name="code"
                    label="Your authenticator code"
                    hint="Needed to make someone an administrator: the 6-digit code your app shows now."
                    autocomplete="one-time-code"
                    width="nhsuk-input--width-5"
                    value=String::new()
                    problems
                />
                <button class="nhsuk-button nhsuk-button--secondary" type="submit">"Change the role"</button>
            </PostForm>
            <h2>"Delete"</h2>
            <p>"Deleting the account also deletes their messages and saved resources. The audit trail keeps its events under the account's number."</p>
            <PostForm action=delete>
                <input type="hidden" name="id" value=id />
                <Confirmation name="confirm" problems>"Yes, delete this account"</Confirmation>
                <button class="nhsuk-button nhsuk-button--warning" type="submit">"Delete the account"</button>
            </PostForm>
        })}
    }
}
