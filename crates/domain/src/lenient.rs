//! Deserialisers for query strings and forms that always read: blank or
//! unknown values fall back instead of failing the whole request.

use serde::Deserializer;
use serde::de::{self, Visitor};
use std::fmt;

/// Any text, number or nothing, from a query string or JSON alike.
struct Loose;

impl<'de> Visitor<'de> for Loose {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text, a number or nothing")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Loose)
    }
}

/// Trimmed text; blank is `None`.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(d.deserialize_any(Loose)?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty()))
}

/// A checkbox's value, however the form arrived: a boolean, or the
/// text a browser posts (`true`, `on`, `yes`); anything else is unticked.
pub fn checkbox<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct Checkbox;

    impl<'de> Visitor<'de> for Checkbox {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a checkbox value")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            Ok(matches!(v, "true" | "on" | "yes"))
        }

        fn visit_none<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }

        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(Checkbox)
        }
    }

    d.deserialize_any(Checkbox)
}

/// A page number; anything unreadable is page 1.
pub fn page<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(text(d)?.and_then(|raw| raw.parse().ok()).unwrap_or(1))
}

/// A row id; anything unreadable is `None`.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(text(d)?.and_then(|raw| raw.parse().ok()))
}
