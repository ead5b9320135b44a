//! The account page: sessions with revoke buttons, password change, account deletion.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::auth::clear_and_redirect;
use super::{check_csrf, csrf_token, render, see_other, set_flash, take_flash, CsrfForm};
use crate::auth::client::ClientInfo;
use crate::auth::{service, PageUser};
use crate::db::{self, sessions};
use crate::domain::{Password, SessionId};
use crate::error::{AppError, PageError};
use crate::state::AppState;

struct SessionView {
    id: String,
    device: String,
    created: String,
    last_used: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "pages/account.html")]
struct AccountPage {
    signed_in: bool,
    csrf_token: String,
    flash: String,
    user_email: String,
    sessions: Vec<SessionView>,
    password_error: String,
    delete_error: String,
}

#[derive(Debug, Default)]
struct Messages {
    password_error: String,
    delete_error: String,
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

async fn page(
    state: &AppState,
    user: PageUser,
    session: &Session,
    messages: Messages,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let account = service::current_user(state, &user.0).await?;
    let (uid, idle) = (user.0.user_id, state.session_idle);
    let rows = db::run(&state.pool, move |conn| {
        sessions::list_live(conn, uid, db::now(), idle)
    })
    .await?;
    let current = user.0.session_id.to_string();
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let page = AccountPage {
        signed_in: true,
        csrf_token: csrf_token(session)?,
        flash: take_flash(session),
        user_email: account.email,
        sessions: rows
            .into_iter()
            .map(|s| SessionView {
                current: s.id == current,
                device: s.user_agent.unwrap_or_else(|| "Unknown device".to_owned()),
                created: fmt(s.created_at),
                last_used: fmt(s.last_used_at),
                id: s.id,
            })
            .collect(),
        password_error: messages.password_error,
        delete_error: messages.delete_error,
    };
    render(&page, status)
}

/// The signed-in user's account page.
pub async fn account_page(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
) -> Result<HttpResponse, PageError> {
    page(&state, user, &session, Messages::default(), StatusCode::OK).await
}

/// Changes the password; a wrong current password (403) or a weak new one (422) shows the page again.
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: PageUser,
    session: Session,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&session, &form.csrf_token)?;
    let form = form.into_inner();
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    let current = Password::presented(form.current_password);
    let (status, message) = match service::change_password(
        &state,
        &user.0,
        current,
        form.new_password,
        &client,
    )
    .await
    {
        Ok(()) => {
            set_flash(
                &session,
                "Password changed. Your other sessions were signed out.",
            );
            return Ok(see_other("/account"));
        }
        Err(e @ AppError::Forbidden(_)) => (StatusCode::FORBIDDEN, e.to_string()),
        Err(AppError::Validation(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields
                .into_values()
                .map(|r| format!("New password: {r}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(other) => return Err(PageError(other)),
    };
    let messages = Messages {
        password_error: message,
        ..Messages::default()
    };
    page(&state, user, &session, messages, status).await
}

/// Revokes one of the user's sessions (another user's is 404). Revoking the
/// current one signs out.
pub async fn revoke_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: PageUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&session, &form.csrf_token)?;
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    let target = SessionId::parse(&path);
    service::revoke_session(&state, &user.0, target, &client).await?;
    if target == Some(user.0.session_id) {
        let res = clear_and_redirect(&state, &session, "/login");
        set_flash(
            &session,
            "This session was revoked. Sign in again to continue.",
        );
        return res;
    }
    set_flash(&session, "Session revoked");
    Ok(see_other("/account"))
}

/// Deletes the account after checking the password; cookies cleared, on to `/signup`.
pub async fn delete_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: PageUser,
    session: Session,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&session, &form.csrf_token)?;
    let form = form.into_inner();
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    match service::delete_account(&state, &user.0, Password::presented(form.password), &client)
        .await
    {
        Ok(()) => {
            let res = clear_and_redirect(&state, &session, "/signup");
            set_flash(&session, "Your account and all its tasks were deleted.");
            res
        }
        Err(e @ AppError::Forbidden(_)) => {
            let messages = Messages {
                delete_error: e.to_string(),
                ..Messages::default()
            };
            page(&state, user, &session, messages, StatusCode::FORBIDDEN).await
        }
        Err(other) => Err(PageError(other)),
    }
}
