//! `GET/POST /reset-password?token=`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{invalid_link, no_referrer, render_link_page, Offer, TokenQuery};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, ResetPasswordError};
use crate::auth::MaybeUser;
use crate::db::email_tokens::Purpose;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::pages::see_other;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pages/email/reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    error: String,
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

fn form_page(
    session: &Session,
    signed_in: bool,
    token: String,
    error: String,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let page = ResetPage {
        layout: Layout::new(session, signed_in)?,
        token,
        error,
    };
    render_link_page(&page, status)
}

/// Public: the new-password form, or at once the "no longer valid" page.
pub async fn reset_form(
    state: web::Data<AppState>,
    user: MaybeUser,
    session: Session,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let token = query.into_inner().token;
    let signed_in = user.0.is_some();
    if !service::link_is_valid(&state, &token, Purpose::Reset).await? {
        return invalid_link(&session, signed_in, Offer::Reset);
    }
    form_page(&session, signed_in, token, String::new(), StatusCode::OK)
}

/// Public: sets the password, then to the login form. A weak password shows
/// the form again (422) and leaves the link valid.
pub async fn reset(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: MaybeUser,
    session: Session,
    form: CsrfForm<ResetForm>,
) -> Result<HttpResponse, PageError> {
    let ResetForm {
        token,
        new_password,
    } = form.into_inner();
    let signed_in = user.0.is_some();
    match service::reset_password(&state, &token, new_password, &client).await {
        Ok(()) => {
            set_flash(
                &session,
                "Your password was reset and every session signed out. Sign in with the new password.",
            );
            Ok(no_referrer(see_other("/login")))
        }
        Err(ResetPasswordError::Weak(e)) => form_page(
            &session,
            signed_in,
            token,
            format!("New password: {e}"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(ResetPasswordError::InvalidToken) => invalid_link(&session, signed_in, Offer::Reset),
        Err(ResetPasswordError::Fault(f)) => Err(f.into()),
    }
}
