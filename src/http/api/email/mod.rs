//! The email endpoints (contract section 8): verification, forgot/reset,
//! email change. Every one counts against the per-IP limit on auth attempts
//! (see the route table); token endpoints answer a used, expired,
//! superseded or unknown token with 400 `invalid_token`.

pub mod change;
pub mod confirm;
pub mod forgot;
pub mod resend;
pub mod reset;
pub mod verify;

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A mailed link's token, as its page posts it.
#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    /// The `token` query value of the link.
    #[schema(max_length = 128)]
    token: String,
}

/// The empty object of a 202 answer.
#[derive(Serialize, ToSchema)]
pub struct Accepted {}

/// 202 `{}`: accepted; what happens next is told only by mail.
fn accepted() -> HttpResponse {
    HttpResponse::Accepted().json(Accepted {})
}
