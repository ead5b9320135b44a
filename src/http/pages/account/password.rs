//! `POST /account/password`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{page, Messages};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, ChangePasswordError, ReauthError};
use crate::auth::PageUser;
use crate::domain::Password;
use crate::error::AppError;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::set_flash;
use crate::http::pages::see_other;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// Changes the password; a wrong current password (403) or a weak new one (422) shows the page again.
pub async fn change_password(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let current = Password::presented(form.current_password);
    let outcome =
        service::change_password(&state, &user.0, current, form.new_password, &client).await;
    let (status, message) = match outcome {
        Ok(()) => {
            set_flash(
                &session,
                "Password changed. Your other sessions were signed out.",
            );
            return Ok(see_other("/account"));
        }
        Err(ChangePasswordError::Reauth(e @ ReauthError::WrongPassword)) => {
            (StatusCode::FORBIDDEN, e.to_string())
        }
        Err(ChangePasswordError::Weak(e)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("New password: {e}"),
        ),
        Err(other) => return Err(AppError::from(other).into()),
    };
    let messages = Messages {
        password_error: message,
        ..Messages::default()
    };
    page(&state, user, &session, messages, status).await
}
