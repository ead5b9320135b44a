//! `GET/POST /forgot-password`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::client::ClientInfo;
use crate::auth::{service, MaybeUser};
use crate::domain::Email;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::pages::{render, see_other};
use crate::state::AppState;

/// What every well-formed address is told, known or not.
pub const SENT: &str = "If an account uses that address, a link to choose a new password is on \
                        its way. It works once, for 1 hour.";

#[derive(Template)]
#[template(path = "pages/email/forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    error: String,
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Public: asks for the address.
pub async fn forgot_form(user: MaybeUser, session: Session) -> Result<HttpResponse, PageError> {
    let page = ForgotPage {
        layout: Layout::new(&session, user.0.is_some())?,
        email: String::new(),
        error: String::new(),
    };
    render(&page, StatusCode::OK)
}

/// Public: the same answer for every well-formed address (303 to the login
/// form with a message); a malformed one gets the form again (422).
pub async fn forgot(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: MaybeUser,
    session: Session,
    form: CsrfForm<ForgotForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    match Email::parse(&form.email) {
        Ok(email) => {
            service::forgot_password(state.into_inner(), email, client).await;
            set_flash(&session, SENT);
            Ok(see_other(if user.0.is_some() {
                "/account"
            } else {
                "/login"
            }))
        }
        Err(e) => {
            let page = ForgotPage {
                layout: Layout::new(&session, user.0.is_some())?,
                email: form.email,
                error: format!("Email: {e}"),
            };
            render(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
