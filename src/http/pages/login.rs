//! `GET/POST /login`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{render, see_other};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, Issued, LoginError, LoginOutcome};
use crate::auth::{csrf, MaybeUser};
use crate::domain::Password;
use crate::error::AppError;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::safe_next;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: String,
    /// The password was right but the address is not verified: offer a new link.
    unverified: bool,
    /// Why the passkey button is off (an IP-address `PUBLIC_URL`…); empty when it works.
    passkey_note: String,
}

/// The password was right, but `REQUIRE_VERIFIED_EMAIL` wants the address proven first.
const UNVERIFIED: &str =
    "Confirm your email address first: open the link we sent you, or ask for a new one.";

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Sets the auth cookies for a new session, rotates the CSRF token, redirects.
pub fn signed_in_redirect(
    state: &AppState,
    session: &Session,
    issued: &Issued,
    to: &str,
) -> Result<HttpResponse, PageError> {
    csrf::rotate(session)?;
    let mut res = see_other(to);
    for cookie in state.cookies.set(
        &issued.access_token,
        state.tokens.ttl_secs(),
        &issued.refresh_token,
        issued.refresh_ttl_secs,
    ) {
        res.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(res)
}

/// Public: the login form; keeps `?next=` in a hidden field.
pub async fn login_form(
    state: web::Data<AppState>,
    user: MaybeUser,
    session: Session,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let page = LoginPage {
        layout: Layout::new(&session, user.0.is_some())?,
        email: String::new(),
        next: query.into_inner().next.unwrap_or_default(),
        error: String::new(),
        unverified: false,
        passkey_note: super::account::passkeys_unavailable(&state),
    };
    render(&page, StatusCode::OK)
}

/// Public: signs in and goes to `next` if it is a local path, else `/tasks`.
pub async fn login(
    state: web::Data<AppState>,
    client: ClientInfo,
    session: Session,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let password = Password::presented(form.password);
    let (status, error) = match service::login(&state, &form.email, password, &client).await {
        Ok(LoginOutcome::Signed(issued)) => {
            let res =
                signed_in_redirect(&state, &session, &issued, safe_next(form.next.as_deref()));
            set_flash(&session, "Signed in");
            return res;
        }
        Ok(LoginOutcome::NeedsSecondFactor(challenge)) => {
            return super::login_2fa::continue_to_second_step(&session, challenge, form.next);
        }
        Err(LoginError::InvalidCredentials) => (StatusCode::UNAUTHORIZED, service::LOGIN_FAILED),
        Err(LoginError::EmailNotVerified) => (StatusCode::FORBIDDEN, UNVERIFIED),
        Err(e @ LoginError::Throttled(_)) => return Err(AppError::from(e).into()),
        Err(LoginError::Fault(f)) => return Err(f.into()),
    };
    let page = LoginPage {
        layout: Layout::new(&session, false)?,
        email: form.email,
        next: form.next.unwrap_or_default(),
        error: error.to_owned(),
        unverified: status == StatusCode::FORBIDDEN,
        passkey_note: super::account::passkeys_unavailable(&state),
    };
    render(&page, status)
}
