//! `GET/POST /verify-email?token=` and `POST /verify-email/resend`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{invalid_link, no_referrer, render_link_page, Offer, TokenForm, TokenQuery};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, VerifyEmailError};
use crate::auth::MaybeUser;
use crate::db::email_tokens::Purpose;
use crate::domain::Email;
use crate::error::AppError;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::pages::see_other;
use crate::state::AppState;

/// What a resend request is told, whoever asks.
const RESENT: &str = "If that address belongs to an account that is not verified yet, a new \
                      link is on its way. It works once, for 24 hours.";

#[derive(Template)]
#[template(path = "pages/email/verify.html")]
struct VerifyPage {
    layout: Layout,
    token: String,
}

#[derive(Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    email: String,
}

/// Public: a button that verifies; the GET itself changes nothing.
pub async fn verify_form(
    state: web::Data<AppState>,
    user: MaybeUser,
    session: Session,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let token = query.into_inner().token;
    let signed_in = user.0.is_some();
    if !service::link_is_valid(&state, &token, Purpose::Verify).await? {
        return invalid_link(&session, signed_in, Offer::Verify);
    }
    let page = VerifyPage {
        layout: Layout::new(&session, signed_in)?,
        token,
    };
    render_link_page(&page, StatusCode::OK)
}

/// Public: uses the link, then to the account (or the login form).
pub async fn verify(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: MaybeUser,
    session: Session,
    form: CsrfForm<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let signed_in = user.0.is_some();
    match service::verify_email(&state, &form.token, &client).await {
        Ok(()) => {
            set_flash(&session, "Your email address is verified.");
            let to = if signed_in { "/account" } else { "/login" };
            Ok(no_referrer(see_other(to)))
        }
        Err(VerifyEmailError::InvalidToken) => invalid_link(&session, signed_in, Offer::Verify),
        Err(VerifyEmailError::Fault(f)) => Err(f.into()),
    }
}

/// Public: a new verification link, for the signed-in user's address or for
/// the address typed in (the same answer whether it has an account or not).
pub async fn resend(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: MaybeUser,
    session: Session,
    form: CsrfForm<ResendForm>,
) -> Result<HttpResponse, PageError> {
    match user.0 {
        Some(auth) => {
            service::resend_verification(&state, &auth).await?;
            set_flash(
                &session,
                "A new verification link is on its way (at most 3 links an hour).",
            );
            Ok(see_other("/account/email"))
        }
        None => {
            let email = Email::parse(&form.email).map_err(|e| AppError::field("email", e))?;
            service::resend_verification_to(state.into_inner(), email, client).await;
            set_flash(&session, RESENT);
            Ok(see_other("/login"))
        }
    }
}
