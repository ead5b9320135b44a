//! `POST /logout`.

use actix_session::Session;
use actix_web::{web, HttpResponse};

use super::see_other;
use crate::auth::client::ClientInfo;
use crate::auth::{csrf, service, MaybeUser};
use crate::error::AppError;
use crate::http::csrf_form::{CsrfForm, NoFields};
use crate::http::error::PageError;
use crate::http::layout::set_flash;
use crate::state::AppState;

/// Revokes the session (if any), clears the cookies, back to the login form.
pub async fn logout(
    state: web::Data<AppState>,
    client: ClientInfo,
    session: Session,
    user: MaybeUser,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    if let Some(auth) = user.0 {
        service::logout(&state, &auth, &client).await?;
    }
    let res = clear_and_redirect(&state, &session, "/login");
    set_flash(&session, "Signed out");
    res
}

/// Clears the auth cookies and rotates the CSRF token; used by logout and account deletion.
pub fn clear_and_redirect(
    state: &AppState,
    session: &Session,
    to: &str,
) -> Result<HttpResponse, PageError> {
    csrf::rotate(session)?;
    let mut res = see_other(to);
    for cookie in state.cookies.clear() {
        res.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(res)
}
