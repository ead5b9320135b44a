//! `/account/2fa`: turn two-factor sign-in on (password, then scan the QR
//! code or type the secret, then confirm with a code), see the recovery codes
//! once, make a new set, turn it off. The QR code is an SVG `data:` image
//! made by the server: no script, CSP unchanged.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::client::ClientInfo;
use crate::auth::service::two_factor::{self, Presented, Status, TwoFactorError};
use crate::auth::service::{self, ReauthError};
use crate::auth::PageUser;
use crate::domain::Password;
use crate::error::AppError;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::pages::{render, see_other};
use crate::http::qr;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pages/account_2fa.html")]
struct TwoFactorPage {
    layout: Layout,
    /// `off`, `pending` or `on`.
    status: &'static str,
    recovery_codes_left: i64,
    qr_data_uri: String,
    /// The secret in groups of four, for typing.
    secret: String,
    /// Recovery codes to show this once (after enabling or regenerating).
    new_codes: Vec<String>,
    error: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
pub struct PasswordCodeForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// Draws the page for the user's current state, with `new_codes` and `error`.
async fn draw(
    state: &AppState,
    user: &PageUser,
    session: &Session,
    new_codes: Vec<String>,
    error: String,
    status_code: StatusCode,
) -> Result<HttpResponse, PageError> {
    let account = service::current_user(state, &user.0)
        .await?
        .ok_or(AppError::SignInRequired {
            next: "/account/2fa".into(),
        })?;
    let (status, left) = match two_factor::status(state, &account).await? {
        Status::Off => ("off", 0),
        Status::Pending => ("pending", 0),
        Status::On {
            recovery_codes_left,
        } => ("on", recovery_codes_left),
    };
    let (mut qr_data_uri, mut secret) = (String::new(), String::new());
    if let Some(enrolment) = two_factor::pending_enrolment(state, &account) {
        qr_data_uri = qr::svg_data_uri(&enrolment.otpauth_uri).map_err(AppError::internal)?;
        secret = grouped(&enrolment.secret);
    }
    let page = TwoFactorPage {
        layout: Layout::new(session, true)?,
        // A pending secret that no longer opens (JWT_SECRET changed) starts over.
        status: if status == "pending" && secret.is_empty() {
            "off"
        } else {
            status
        },
        recovery_codes_left: left,
        qr_data_uri,
        secret,
        new_codes,
        error,
    };
    render(&page, status_code)
}

/// `ABCD EFGH …`: easier to type into an app.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shows a refusal on the page (403 for a wrong password or code); anything
/// else (429, 409, faults) is an error page or, for a state change, a reload.
async fn refused(
    state: &AppState,
    user: &PageUser,
    session: &Session,
    e: TwoFactorError,
) -> Result<HttpResponse, PageError> {
    match e {
        TwoFactorError::Reauth(e @ ReauthError::WrongPassword) => {
            draw(
                state,
                user,
                session,
                vec![],
                e.to_string(),
                StatusCode::FORBIDDEN,
            )
            .await
        }
        TwoFactorError::WrongCode => {
            let message = "The code is not correct.".to_owned();
            draw(state, user, session, vec![], message, StatusCode::FORBIDDEN).await
        }
        TwoFactorError::AlreadyOn | TwoFactorError::NotOn | TwoFactorError::NoPendingEnrolment => {
            Ok(see_other("/account/2fa"))
        }
        other => Err(AppError::from(other).into()),
    }
}

/// The two-factor page.
pub async fn two_factor_page(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
) -> Result<HttpResponse, PageError> {
    draw(
        &state,
        &user,
        &session,
        vec![],
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /account/2fa/enrol`: the password starts an enrolment (a new secret).
pub async fn enrol(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let password = Password::presented(form.into_inner().password);
    match two_factor::start_enrolment(&state, &user.0, password, &client).await {
        Ok(_) => Ok(see_other("/account/2fa")),
        Err(e) => refused(&state, &user, &session, e).await,
    }
}

/// `POST /account/2fa/confirm`: a code turns two-factor on; the codes are shown once.
pub async fn confirm(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    form: CsrfForm<CodeForm>,
) -> Result<HttpResponse, PageError> {
    let code = form.into_inner().code;
    match two_factor::confirm_enrolment(&state, &user.0, &code, &client).await {
        Ok(codes) => {
            draw(
                &state,
                &user,
                &session,
                codes,
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => refused(&state, &user, &session, e).await,
    }
}

/// `POST /account/2fa/recovery-codes`: a new set, shown once; the old set dies.
pub async fn regenerate(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    form: CsrfForm<PasswordCodeForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let (password, code) = (
        Password::presented(form.password),
        Presented::either(form.code),
    );
    match two_factor::regenerate_codes(&state, &user.0, password, code, &client).await {
        Ok(codes) => {
            draw(
                &state,
                &user,
                &session,
                codes,
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => refused(&state, &user, &session, e).await,
    }
}

/// `POST /account/2fa/disable`: two-factor off (password and a code).
pub async fn disable(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    form: CsrfForm<PasswordCodeForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let (password, code) = (
        Password::presented(form.password),
        Presented::either(form.code),
    );
    match two_factor::disable(&state, &user.0, password, code, &client).await {
        Ok(()) => {
            set_flash(&session, "Two-factor sign-in is off.");
            Ok(see_other("/account/2fa"))
        }
        Err(e) => refused(&state, &user, &session, e).await,
    }
}
