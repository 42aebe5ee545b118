use serde::{Deserialize, Serialize};

/// The deployment's public identity, from configuration: shown in the
/// header, footer, page titles and statutory pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// The product's name in the header and page titles.
    pub product_name: String,
    /// The organisation that runs the service (the data controller).
    pub organisation_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// The canonical origin, e.g. `https://primarypoint.example.nhs.uk`, no
    /// trailing slash. Used for canonical links and the sitemap.
    pub public_url: String,
    /// A logo image served by this site (a path such as `/brand/logo.svg`
    /// under SITE_ROOT), shown beside the product name. Never another host.
    pub logo_path: Option<String>,
}

impl Default for SiteInfo {
    fn default() -> Self {
        Self {
            product_name: "PrimaryPoint".to_owned(),
            organisation_name: "the commissioning support unit".to_owned(),
            contact_email: "primarypoint@example.nhs.uk".to_owned(),
            contact_phone: "01632 960 000".to_owned(),
            public_url: "http://127.0.0.1:3000".to_owned(),
            logo_path: None,
        }
    }
}

impl SiteInfo {
    /// A page's `<title>`: "Services – PrimaryPoint".
    pub fn title(&self, page: &str) -> String {
        if page.is_empty() {
            self.product_name.clone()
        } else {
            format!("{page} – {}", self.product_name)
        }
    }

    /// The canonical URL of a local path.
    pub fn canonical(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.trim_end_matches('/'))
    }
}
