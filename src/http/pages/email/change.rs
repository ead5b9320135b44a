//! `GET/POST /account/email`: the address, its verification, and a change.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::client::ClientInfo;
use crate::auth::service::{self, EmailChangeError, ReauthError};
use crate::auth::PageUser;
use crate::domain::{Email, Password};
use crate::error::AppError;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::pages::{render, see_other};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pages/email/change.html")]
struct ChangePage {
    layout: Layout,
    email: String,
    verified: bool,
    new_email: String,
    error: String,
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    new_email: String,
    #[serde(default)]
    password: String,
}

async fn page(
    state: &AppState,
    user: &PageUser,
    session: &Session,
    new_email: String,
    error: String,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let account = service::current_user(state, &user.0)
        .await?
        .ok_or(AppError::SignInRequired {
            next: "/account/email".into(),
        })?;
    let page = ChangePage {
        layout: Layout::new(session, true)?,
        email: account.email,
        verified: account.email_verified,
        new_email,
        error,
    };
    render(&page, status)
}

/// The signed-in user's address and the change form.
pub async fn change_form(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
) -> Result<HttpResponse, PageError> {
    page(
        &state,
        &user,
        &session,
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Mails a confirmation link to the new address (and a notice to the old).
pub async fn change(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    form: CsrfForm<ChangeForm>,
) -> Result<HttpResponse, PageError> {
    let ChangeForm {
        new_email,
        password,
    } = form.into_inner();
    let (status, error) = match Email::parse(&new_email) {
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, format!("New email: {e}")),
        Ok(email) => {
            let shown = email.as_ref().to_owned();
            let password = Password::presented(password);
            match service::request_email_change(&state, &user.0, email, password, &client).await {
                Ok(()) => {
                    set_flash(
                        &session,
                        &format!(
                            "We sent a link to {shown}. Open it within 1 hour to confirm the change."
                        ),
                    );
                    return Ok(see_other("/account"));
                }
                Err(EmailChangeError::Reauth(e @ ReauthError::WrongPassword)) => {
                    (StatusCode::FORBIDDEN, e.to_string())
                }
                Err(e @ EmailChangeError::SameAddress) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, format!("New email: {e}"))
                }
                Err(e @ EmailChangeError::Taken) => (StatusCode::CONFLICT, e.to_string()),
                Err(other) => return Err(AppError::from(other).into()),
            }
        }
    };
    page(&state, &user, &session, new_email, error, status).await
}
