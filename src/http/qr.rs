//! QR codes for TOTP enrolment, rendered by the server as an SVG `data:` URI
//! that an `<img src>` shows: the site CSP allows `img-src 'self' data:` and
//! no inline script or style, and the secret never leaves for a third party.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use qrcode::render::svg;
use qrcode::types::QrError;
use qrcode::{EcLevel, QrCode};

/// Smallest rendered side in pixels: phone cameras read it easily at arm's length.
const MIN_SIDE: u32 = 220;

/// Renders `text` (an `otpauth://` URI) as a QR code and returns
/// `data:image/svg+xml;base64,…` for an `<img src>`. The SVG is plain
/// shapes (a background rect and one path), with a quiet zone, black on
/// white, and error correction level M. Fails only when `text` is too long
/// for any QR code (about 2 KB), which an email of at most 254 characters
/// plus a secret never is.
pub fn svg_data_uri(text: &str) -> Result<String, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(MIN_SIDE, MIN_SIDE)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "otpauth://totp/taskgate:ann@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=taskgate&algorithm=SHA1&digits=6&period=30";

    #[test]
    fn an_otpauth_uri_becomes_a_data_uri_holding_a_plain_svg() {
        let uri = svg_data_uri(URI).unwrap();
        let b64 = uri.strip_prefix("data:image/svg+xml;base64,").unwrap();
        let svg = String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap();
        assert!(svg.starts_with("<?xml"), "{svg}");
        assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("<path fill=\"#000000\" d=\"M"));
        for banned in ["<script", "style", "href", " on", "<foreignObject"] {
            assert!(!svg.contains(banned), "{banned} in {svg}");
        }
        let side: u32 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(side >= MIN_SIDE);
    }

    #[test]
    fn text_too_long_for_any_qr_code_is_an_error_not_a_panic() {
        assert!(svg_data_uri(&"x".repeat(8000)).is_err());
    }
}
