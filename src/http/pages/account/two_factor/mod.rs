//! `/account/2fa`: turn two-factor sign-in on (password, then scan the QR
//! code or type the secret, then confirm with a code), see the recovery codes
//! once, make a new set, turn it off. The QR code is an SVG `data:` image
//! made by the server: no script, CSP unchanged.

mod page;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::client::ClientInfo;
use crate::auth::service::two_factor::{self, Presented};
use crate::auth::PageUser;
use crate::domain::Password;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::set_flash;
use crate::http::pages::see_other;
use crate::state::AppState;

use page::{draw, refused};

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

impl PasswordCodeForm {
    fn parts(self) -> (Password, Presented) {
        (
            Password::presented(self.password),
            Presented::either(self.code),
        )
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
    let (password, code) = form.into_inner().parts();
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
    let (password, code) = form.into_inner().parts();
    match two_factor::disable(&state, &user.0, password, code, &client).await {
        Ok(()) => {
            set_flash(&session, "Two-factor sign-in is off.");
            Ok(see_other("/account/2fa"))
        }
        Err(e) => refused(&state, &user, &session, e).await,
    }
}
