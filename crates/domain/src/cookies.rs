//! Every cookie PrimaryPoint sets (P8). The server names its cookies from
//! this list and the cookies page prints it, so the page cannot describe a
//! cookie the code does not set, or miss one it does.

/// A cookie and what the cookies page says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cookie {
    /// Its name over HTTPS: `__Host-` prefixed, so that only this origin,
    /// over HTTPS, can set it.
    pub name: &'static str,
    /// Its name on a plain-HTTP developer's computer, where browsers
    /// refuse `__Host-` cookies.
    pub insecure_name: &'static str,
    pub purpose: &'static str,
    pub expires: &'static str,
}

impl Cookie {
    /// The name it is set under.
    pub fn name(&self, secure: bool) -> &'static str {
        if secure {
            self.name
        } else {
            self.insecure_name
        }
    }
}

/// The session cookie: set when someone signs in, and not before.
pub const SESSION: Cookie = Cookie {
    name: "__Host-pp_session",
    insecure_name: "pp_session",
    purpose: "Keeps you signed in to the portal. Set only when you sign in, removed when you sign out.",
    expires: "When you sign out, after 30 minutes without activity, or after 12 hours at most",
};

/// Every cookie the site sets.
pub const ALL: &[Cookie] = &[SESSION];

/// The cookies page's table, as Markdown: what `{{cookies}}` in the page
/// becomes.
pub fn table() -> String {
    let mut table = String::from("| Name | Purpose | Expires |\n|---|---|---|\n");
    for cookie in ALL {
        table.push_str(&format!(
            "| `{}` | {} (Called `{}` when the site runs without HTTPS, which happens only on a developer's computer.) | {} |\n",
            cookie.name, cookie.purpose, cookie.insecure_name, cookie.expires
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_cookie_in_both_forms() {
        let table = table();
        for cookie in ALL {
            assert!(table.contains(&format!("`{}`", cookie.name)));
            assert!(table.contains(&format!("`{}`", cookie.insecure_name)));
        }
        assert_eq!(table.lines().count(), 2 + ALL.len());
    }

    #[test]
    fn secure_names_are_host_prefixed() {
        for cookie in ALL {
            assert_eq!(
                cookie.name(true),
                format!("__Host-{}", cookie.insecure_name)
            );
        }
    }
}
