//! The `/account/2fa` page itself: what it shows for each state (off,
//! pending with the QR code, on), and how refusals are shown on it.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::auth::service::two_factor::{self, Status, TwoFactorError};
use crate::auth::service::{self, ReauthError};
use crate::auth::PageUser;
use crate::error::AppError;
use crate::http::error::PageError;
use crate::http::layout::Layout;
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

/// Draws the page for the user's current state, with `new_codes` and `error`.
pub(super) async fn draw(
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
pub(super) async fn refused(
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
        e @ TwoFactorError::WrongCode => {
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
        TwoFactorError::AlreadyOn | TwoFactorError::NotOn | TwoFactorError::NoPendingEnrolment => {
            Ok(see_other("/account/2fa"))
        }
        other => Err(AppError::from(other).into()),
    }
}
