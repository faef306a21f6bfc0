//! Reading the request's cookies.

use axum::http::{HeaderMap, header};

/// The value of the cookie `name` in the request's `Cookie` headers, if it has one.
pub fn value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_cookie_is_found_by_its_name_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; portal_x=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("b=3"));
        assert_eq!(value(&headers, "portal_x"), Some("2"));
        assert_eq!(value(&headers, "b"), Some("3"));
        assert_eq!(value(&headers, "portal"), None);
    }
}
