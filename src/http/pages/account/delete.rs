//! `POST /account/delete`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{page, Messages};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, ReauthError};
use crate::auth::PageUser;
use crate::domain::Password;
use crate::error::AppError;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::set_flash;
use crate::http::pages::logout::clear_and_redirect;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    password: String,
}

/// Deletes the account after checking the password; cookies cleared, on to `/signup`.
pub async fn delete_account(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    let password = Password::presented(form.into_inner().password);
    match service::delete_account(&state, &user.0, password, &client).await {
        Ok(()) => {
            let res = clear_and_redirect(&state, &session, "/signup");
            set_flash(&session, "Your account and all its tasks were deleted.");
            res
        }
        Err(e @ ReauthError::WrongPassword) => {
            let messages = Messages {
                delete_error: e.to_string(),
                ..Messages::default()
            };
            page(&state, user, &session, messages, StatusCode::FORBIDDEN).await
        }
        Err(other) => Err(AppError::from(other).into()),
    }
}
