use backend::Db;
use domain::site::SiteInfo;
use leptos::prelude::*;

/// Shared by every request: the database and the deployment's details.
/// The server provides it as context to pages and server functions.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub site: SiteInfo,
    /// `{{name}}` values for content pages (controller, retention periods…).
    pub placeholders: Vec<(String, String)>,
    /// The keys derived from the server's secret, one for each use.
    pub keys: backend::keys::Keys,
    /// Whether the site is served over HTTPS, so cookies are `Secure` and
    /// `__Host-` prefixed (plain-HTTP localhost is the only exception).
    pub secure_cookies: bool,
    /// Where resources' files are kept.
    pub files: backend::files::Storage,
    /// Largest file an administrator may upload, in bytes.
    pub max_upload_bytes: u64,
    /// Where the inbox tells the team about a new message.
    pub team_email: domain::Email,
    /// How long personal data is kept.
    pub retention: backend::retention::Policy,
    /// Page views counted since the counts were last written (P10).
    pub stats: backend::stats::Counter,
    /// The addresses every page links its stylesheet and app by.
    pub links: Links,
}

/// The addresses every page links, each naming its file's content so
/// browsers may keep it (see `server::assets`).
#[derive(Clone, Debug, Default)]
pub struct Links {
    /// The NHS.UK stylesheet.
    pub nhsuk_stylesheet: String,
    /// The app's script, which loads its wasm.
    pub app_script: String,
    /// The app's first wasm file; the rest arrive as pages need them.
    pub app_wasm: String,
}

impl AppState {
    /// The session cookie's name.
    pub fn session_cookie_name(&self) -> &'static str {
        domain::cookies::SESSION.name(self.secure_cookies)
    }

    /// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, whole site,
    /// gone when the browser closes (the server ends it sooner anyway).
    pub fn session_cookie(&self, token: &backend::sessions::SessionToken) -> String {
        format!(
            "{}={}; Path=/; HttpOnly; SameSite=Lax{}",
            self.session_cookie_name(),
            token.as_str(),
            if self.secure_cookies { "; Secure" } else { "" }
        )
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear_session_cookie(&self) -> String {
        format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            self.session_cookie_name(),
            if self.secure_cookies { "; Secure" } else { "" }
        )
    }
}

/// The request's session, attached by the server's session middleware.
#[derive(Clone, Debug, Default)]
pub struct CurrentSession(pub Option<backend::sessions::Session>);

/// The current request's session, if someone is signed in (or half way).
pub fn current_session() -> Option<backend::sessions::Session> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentSession>().cloned())
        .and_then(|current| current.0)
}

/// The state, or an internal error if the server forgot to provide it.
pub fn app_state() -> Result<AppState, crate::error::AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        crate::error::AppError::Internal
    })
}

/// Where the server's security middleware waits for a page's script
/// nonce, one per request. The middleware puts an empty one in the
/// request; [`share_nonce`] fills it while the page renders; the
/// middleware then sends the Content-Security-Policy naming that nonce.
#[derive(Clone, Debug, Default)]
pub struct NonceSlot(pub std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl NonceSlot {
    /// The nonce the page rendered with, if it rendered.
    pub fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut nonce| nonce.take())
    }

    /// The nonce the page rendered with, left for the middleware.
    pub fn peek(&self) -> Option<String> {
        self.0.lock().ok().and_then(|nonce| nonce.clone())
    }

    /// Names the nonce the page carries.
    pub fn put(&self, nonce: String) {
        if let Ok(mut shared) = self.0.lock() {
            *shared = Some(nonce);
        }
    }
}

/// Hands this render's script nonce (which every inline script of the page
/// carries) to the security middleware through the request's
/// [`NonceSlot`]. Called from every render's context; does nothing for a
/// server function, which has no nonce.
pub fn share_nonce() {
    let (Some(nonce), Some(parts)) = (
        leptos::nonce::use_nonce(),
        use_context::<http::request::Parts>(),
    ) else {
        return;
    };
    if let Some(slot) = parts.extensions.get::<NonceSlot>() {
        slot.put(nonce.to_string());
    }
}

/// Marks the response with `status` (404 pages, for example).
pub fn set_status(status: http::StatusCode) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// A pseudonymous key for the client's network address, attached to each
/// request by the server's middleware (never the address itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientKey(pub String);

/// The current request's client key.
pub fn client_key() -> Result<ClientKey, crate::error::AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientKey>().cloned())
        .ok_or_else(|| {
            tracing::error!("ClientKey missing from request");
            crate::error::AppError::Internal
        })
}
