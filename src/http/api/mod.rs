//! The JSON API under `/api` (CONTRACT.md section 4).

pub mod account;
pub mod auth;
pub mod dto;
pub mod health;
pub mod tasks;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};

use crate::error::{ApiError, AppError};
use crate::http::{extract, throttle};

/// Every `/api` route. Unknown paths answer the JSON `not_found` error and
/// known paths with another method the JSON `method_not_allowed` error.
pub fn scope() -> actix_web::Scope {
    web::scope("/api")
        .app_data(extract::json_config())
        .app_data(extract::api_query_config())
        .app_data(extract::api_path_config())
        .service(
            resource("/auth/signup")
                .route(web::post().to(auth::signup))
                .wrap(from_fn(throttle::auth_attempts)),
        )
        .service(
            resource("/auth/login")
                .route(web::post().to(auth::login))
                .wrap(from_fn(throttle::auth_attempts)),
        )
        .service(resource("/auth/refresh").route(web::post().to(auth::refresh)))
        .service(resource("/auth/logout").route(web::post().to(auth::logout)))
        .service(resource("/auth/me").route(web::get().to(auth::me)))
        .service(resource("/auth/sessions").route(web::get().to(account::list_sessions)))
        .service(resource("/auth/sessions/{id}").route(web::delete().to(account::revoke_session)))
        .service(resource("/auth/password").route(web::post().to(account::change_password)))
        .service(resource("/auth/account").route(web::delete().to(account::delete_account)))
        .service(
            resource("/tasks")
                .route(web::get().to(tasks::list_tasks))
                .route(web::post().to(tasks::create_task)),
        )
        .service(
            resource("/tasks/{id}")
                .route(web::get().to(tasks::get_task))
                .route(web::patch().to(tasks::update_task))
                .route(web::delete().to(tasks::delete_task)),
        )
        .default_service(web::to(not_found))
}

fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError(AppError::NotFound))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError(AppError::MethodNotAllowed))
}
