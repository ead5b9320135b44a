//! `GET /api/docs`: Swagger UI for `/api/openapi.json`. Its files are compiled
//! into the binary (utoipa-swagger-ui's `vendored` feature) and served from
//! here, so the page loads nothing from another origin.
//!
//! The site-wide Content-Security-Policy (`script-src 'self'; style-src 'self'`)
//! is enough, so these routes set none of their own: the page below has no
//! inline script or style, the configuration is `swagger-initializer.js`, a
//! file we serve, and we use Swagger UI's base layout. (The default standalone
//! layout's top bar draws a logo holding an inline `<style>`, which that CSP
//! blocks; the bar's only use is loading another URL's document.)

use std::sync::{Arc, LazyLock};

use actix_web::http::{header, Method};
use actix_web::{web, HttpResponse};
use utoipa_swagger_ui::Config;

use crate::error::AppError;
use crate::http::error::ApiError;

/// The page at `/api/docs`. Swagger UI's own `index.html` (served at
/// `/api/docs/`) links its files relatively, which breaks without the slash.
const INDEX: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>taskgate API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
  <link rel="stylesheet" href="/api/docs/index.css">
  <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/api/docs/swagger-initializer.js"></script>
</body>
</html>
"#;

/// Swagger UI's settings, rendered into `swagger-initializer.js`: the base
/// layout (see above), and no validator badge, which would call validator.swagger.io.
static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::new(["/api/openapi.json"])
            .use_base_layout()
            .validator_url("none"),
    )
});

/// Mounts the page and its files inside the `/api` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/docs", &[Method::GET]).route(web::get().to(docs_page)))
        .service(
            super::resource("/docs/{file:.*}", &[Method::GET]).route(web::get().to(docs_file)),
        );
}

/// Public: the interactive documentation.
async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(INDEX)
}

/// Public: one of Swagger UI's files; an unknown name is the JSON `not_found`.
async fn docs_file(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let found = utoipa_swagger_ui::serve(&file, CONFIG.clone())
        .map_err(|e| AppError::internal(format!("swagger-ui file {file}: {e}")))?
        .ok_or(AppError::NotFound)?;
    let mut res = HttpResponse::Ok();
    res.content_type(found.content_type);
    if found.gzpipped {
        res.insert_header((header::CONTENT_ENCODING, header::ContentEncoding::Gzip));
    }
    // The bundle is 1.5 MB; the initializer carries our configuration, so it is not cached.
    if file.as_str() != "swagger-initializer.js" {
        res.insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
    }
    Ok(res.body(found.bytes.into_owned()))
}
