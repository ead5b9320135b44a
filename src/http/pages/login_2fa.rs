//! `GET/POST /login/2fa`: the second step of a two-factor sign-in by form.
//! The mfa token stays in the encrypted session cookie (never in the page),
//! with the `next` the login form carried.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::signed_in_redirect;
use super::{render, see_other};
use crate::auth::client::ClientInfo;
use crate::auth::service::two_factor::{self, MfaChallenge, Presented, SecondStepError};
use crate::error::{AppError, Fault};
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::safe_next;
use crate::state::AppState;

const TOKEN: &str = "mfa_token";
const NEXT: &str = "mfa_next";

#[derive(Template)]
#[template(path = "pages/login_2fa.html")]
struct SecondStepPage {
    layout: Layout,
    error: String,
}

#[derive(Deserialize)]
pub struct SecondStepForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
}

/// After a correct password with two-factor on: keep the token, ask for a code.
pub fn continue_to_second_step(
    session: &Session,
    challenge: MfaChallenge,
    next: Option<String>,
) -> Result<HttpResponse, PageError> {
    let kept = session
        .insert(TOKEN, challenge.token)
        .and_then(|()| session.insert(NEXT, next.unwrap_or_default()));
    kept.map_err(|e| Fault::internal(format!("session cookie: {e}")))?;
    Ok(see_other("/login/2fa"))
}

fn pending(session: &Session) -> Option<String> {
    session.get::<String>(TOKEN).ok().flatten()
}

fn forget(session: &Session) -> String {
    session.remove(TOKEN);
    session
        .remove_as::<String>(NEXT)
        .and_then(Result::ok)
        .unwrap_or_default()
}

fn page(session: &Session, error: &str, status: StatusCode) -> Result<HttpResponse, PageError> {
    let page = SecondStepPage {
        layout: Layout::new(session, false)?,
        error: error.to_owned(),
    };
    render(&page, status)
}

/// Public: the code form; without a pending sign-in, back to `/login`.
pub async fn second_step_form(session: Session) -> Result<HttpResponse, PageError> {
    if pending(&session).is_none() {
        return Ok(see_other("/login"));
    }
    page(&session, "", StatusCode::OK)
}

/// Public: checks the code and finishes the sign-in.
pub async fn second_step(
    state: web::Data<AppState>,
    client: ClientInfo,
    session: Session,
    form: CsrfForm<SecondStepForm>,
) -> Result<HttpResponse, PageError> {
    let Some(token) = pending(&session) else {
        return Ok(see_other("/login"));
    };
    let form = form.into_inner();
    let code = match (form.code.trim(), form.recovery_code.trim()) {
        ("", "") => {
            let message = "Enter the code from your authenticator app, or a recovery code.";
            return page(&session, message, StatusCode::UNPROCESSABLE_ENTITY);
        }
        ("", _) => Presented::Recovery(form.recovery_code),
        _ => Presented::Totp(form.code),
    };
    match two_factor::complete_login(&state, &token, code, &client).await {
        Ok(issued) => {
            let next = forget(&session);
            let res = signed_in_redirect(&state, &session, &issued, safe_next(Some(&next)));
            set_flash(&session, "Signed in");
            res
        }
        Err(SecondStepError::WrongCode) => page(
            &session,
            "That code is not correct.",
            StatusCode::UNAUTHORIZED,
        ),
        Err(SecondStepError::ChallengeGone) => {
            forget(&session);
            set_flash(&session, "That sign-in has expired. Please sign in again.");
            Ok(see_other("/login"))
        }
        Err(e @ SecondStepError::Throttled(_)) => Err(AppError::from(e).into()),
        Err(SecondStepError::Fault(f)) => Err(f.into()),
    }
}
