//! `POST /account/sessions/{id}/revoke`.

use actix_session::Session;
use actix_web::{web, HttpResponse};

use crate::auth::client::ClientInfo;
use crate::auth::{service, PageUser};
use crate::domain::SessionId;
use crate::http::csrf_form::{CsrfForm, NoFields};
use crate::http::error::PageError;
use crate::http::layout::set_flash;
use crate::http::pages::logout::clear_and_redirect;
use crate::http::pages::see_other;
use crate::state::AppState;

/// Revokes one of the user's sessions (another user's is 404). Revoking the
/// current one signs out.
pub async fn revoke_session(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let target = SessionId::parse(&path);
    service::revoke_session(&state, &user.0, target, &client).await?;
    if target == Some(user.0.session_id()) {
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
