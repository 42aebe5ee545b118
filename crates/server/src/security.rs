use app::state::{ClientKey, NonceSlot};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// What the security middleware needs to know about the deployment.
#[derive(Clone, Debug)]
pub struct SecuritySettings {
    /// `https://host[:port]` or `http://…`: the only origin allowed to send
    /// state-changing requests.
    pub public_origin: String,
    pub trust_forwarded_for: bool,
    /// Keys the pseudonyms of client addresses.
    pub pseudonyms: backend::keys::PseudonymKey,
}

impl SecuritySettings {
    fn is_https(&self) -> bool {
        self.public_origin.starts_with("https://")
    }
}

/// Adds the headers every response carries, and the Content-Security-Policy:
/// a rendered page's names the nonce its render handed back through the
/// request's [`NonceSlot`], so inline scripts run only with it, the wasm
/// may compile (`wasm-unsafe-eval`) and nothing loads from another host
/// (P7); anything else gets one that allows nothing at all.
pub async fn headers(
    State(settings): State<Arc<SecuritySettings>>,
    mut request: Request,
    next: Next,
) -> Response {
    let slot = NonceSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let document = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let policy = match slot.take() {
        Some(nonce) if document => HeaderValue::from_str(&format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ))
        .ok(),
        _ => None,
    };
    // An HTML document that was not rendered here may still load this
    // site's stylesheets, images and scripts, but runs no inline script.
    let policy = policy.unwrap_or_else(|| {
        HeaderValue::from_static(if document {
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        } else {
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
        })
    });
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if settings.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// Refuses a state-changing request that a browser says came from another
/// site (cross-site request forgery). Browsers send `Sec-Fetch-Site` and
/// `Origin` with every POST. A request that sends neither but carries a
/// session cookie is refused too: it could be a victim's browser that
/// strips them. Tools with no session (health checks, curl) still pass.
pub async fn same_origin(
    State(settings): State<Arc<SecuritySettings>>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !is_same_origin(request.headers(), &settings.public_origin) {
        tracing::warn!(path = request.uri().path(), "cross-origin request refused");
        return (
            StatusCode::FORBIDDEN,
            "This request came from another site and was refused.",
        )
            .into_response();
    }
    next.run(request).await
}

fn is_same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let fetch_site = header("sec-fetch-site");
    if let Some(site) = fetch_site {
        // `none` is a person typing or bookmarking, not another site.
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    match header("origin") {
        None => fetch_site.is_some() || !carries_session(headers),
        Some(origin) => {
            // The scheme must match too: http://host is another origin
            // than https://host.
            let scheme = public_origin.split("://").next().unwrap_or("https");
            origin == public_origin
                || header("host")
                    .is_some_and(|host| origin.eq_ignore_ascii_case(&format!("{scheme}://{host}")))
        }
    }
}

/// Whether the request sends a session cookie (either name).
fn carries_session(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| {
            let name = pair.trim().split('=').next().unwrap_or_default();
            let session = domain::cookies::SESSION;
            name == session.name || name == session.insecure_name
        })
}

/// Works out who the client is and attaches a pseudonymous [`ClientKey`]
/// for throttles and the audit trail, and serves the request within its
/// audit [`backend::audit::Origin`]. The address itself goes no further.
pub async fn client_key(
    State(settings): State<Arc<SecuritySettings>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let forwarded = settings
        .trust_forwarded_for
        .then(|| last_forwarded_for(request.headers()))
        .flatten();
    let ip = forwarded.or(peer).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let client = backend::pseudonym::client_key(&settings.pseudonyms, ip);
    let origin = backend::audit::Origin::of(
        &client,
        request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    );
    request.extensions_mut().insert(ClientKey(client));
    // Every audit event written while serving the request says where it
    // came from.
    origin.scope(next.run(request)).await
}

/// The address the load balancer appended: the last `X-Forwarded-For`
/// entry (earlier entries are whatever the client claimed).
fn last_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn same_origin_rules() {
        let origin = "https://pp.example.nhs.uk";
        assert!(
            is_same_origin(&headers(&[]), origin),
            "non-browser clients pass"
        );
        assert!(is_same_origin(
            &headers(&[("origin", "https://pp.example.nhs.uk")]),
            origin
        ));
        assert!(is_same_origin(
            &headers(&[
                ("origin", "https://127.0.0.1:4000"),
                ("host", "127.0.0.1:4000")
            ]),
            origin
        ));
        // The same host over plain HTTP is another origin.
        assert!(!is_same_origin(
            &headers(&[
                ("origin", "http://pp.example.nhs.uk"),
                ("host", "pp.example.nhs.uk")
            ]),
            origin
        ));
        // A session cookie with neither Origin nor Sec-Fetch-Site: refused.
        assert!(!is_same_origin(
            &headers(&[("cookie", "theme=x; __Host-pp_session=abc")]),
            origin
        ));
        assert!(is_same_origin(
            &headers(&[
                ("cookie", "__Host-pp_session=abc"),
                ("sec-fetch-site", "same-origin")
            ]),
            origin
        ));
        assert!(is_same_origin(
            &headers(&[("cookie", "pp_session_other=abc")]),
            origin
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "https://evil.example")]),
            origin
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            origin
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            origin
        ));
        assert!(!is_same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "pp.example.nhs.uk")
            ]),
            origin
        ));
    }

    #[test]
    fn the_load_balancers_entry_is_the_last_one() {
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
            ("x-forwarded-for", "198.51.100.4"),
        ]);
        assert_eq!(
            last_forwarded_for(&h),
            Some("198.51.100.4".parse().expect("ip"))
        );
        assert_eq!(
            last_forwarded_for(&headers(&[("x-forwarded-for", "junk")])),
            None
        );
    }
}
