//! The ceiling `bench/run` measures taskgate against: a bare actix-web 4
//! server (same crate, features, build profile and worker count as
//! taskgate's: one per CPU) with one route, `GET /healthz`, answering the
//! same small JSON body, and nothing else: no middleware, no state, no database.
//!
//! Built only as an example (`cargo build --release --example bare`), never
//! part of the taskgate binary. Listens on `BIND_ADDR` (default 127.0.0.1:8090).

use actix_web::{web, App, HttpResponse, HttpServer};
use serde::Serialize;

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

async fn ok() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8090".to_owned());
    HttpServer::new(|| App::new().route("/healthz", web::get().to(ok)))
        .bind(addr)?
        .run()
        .await
}
