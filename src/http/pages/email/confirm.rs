//! `GET/POST /confirm-email?token=`: confirming an email change.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{invalid_link, no_referrer, render_link_page, Offer, TokenForm, TokenQuery};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, ConfirmEmailError};
use crate::auth::MaybeUser;
use crate::db::email_tokens::Purpose;
use crate::error::AppError;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::pages::see_other;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pages/email/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    token: String,
}

/// Public (the link may be opened on another device): a button that confirms.
pub async fn confirm_form(
    state: web::Data<AppState>,
    user: MaybeUser,
    session: Session,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let token = query.into_inner().token;
    let signed_in = user.0.is_some();
    if !service::link_is_valid(&state, &token, Purpose::Change).await? {
        return invalid_link(&session, signed_in, Offer::Change);
    }
    let page = ConfirmPage {
        layout: Layout::new(&session, signed_in)?,
        token,
    };
    render_link_page(&page, StatusCode::OK)
}

/// Public: changes the address, then to the account (or the login form).
pub async fn confirm(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: MaybeUser,
    session: Session,
    form: CsrfForm<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let signed_in = user.0.is_some();
    match service::confirm_email_change(&state, &form.token, &client).await {
        Ok(()) => {
            set_flash(
                &session,
                "Your email address was changed. Other sessions were signed out.",
            );
            let to = if signed_in { "/account" } else { "/login" };
            Ok(no_referrer(see_other(to)))
        }
        Err(ConfirmEmailError::InvalidToken) => invalid_link(&session, signed_in, Offer::Change),
        Err(e @ ConfirmEmailError::Taken) => Err(AppError::from(e).into()),
        Err(ConfirmEmailError::Fault(f)) => Err(f.into()),
    }
}
