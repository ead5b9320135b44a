//! Forgot password: a reset link (1 h) for a known address, and for any
//! well-formed address the same answer in the same time.
//!
//! The request only hands the work to a background task (see `detached`)
//! and answers 202: its content and duration cannot depend on whether the
//! address has an account, and it never waits on the database's write queue
//! or on SMTP. The task itself does the same steps for both (look up, mint a
//! token, compose the mail, one write transaction that counts the address's
//! recent link mails), so even the server's load barely tells them apart.

use std::sync::Arc;

use diesel::Connection;

use super::detached::detach;
use super::email_link::{self, Link};
use crate::auth::client::ClientInfo;
use crate::db::email_tokens::Purpose;
use crate::db::{self, outbox, users};
use crate::domain::Email;
use crate::error::Fault;
use crate::mail::{compose, Mail, TOKEN_MAIL_WINDOW};
use crate::state::AppState;

/// Asks for a reset link for `email`; returns once the work is handed over.
pub async fn forgot_password(state: Arc<AppState>, email: Email, client: ClientInfo) {
    detach("password reset request", async move {
        send_reset_link(&state, &email, &client).await
    })
    .await;
}

async fn send_reset_link(
    state: &AppState,
    email: &Email,
    client: &ClientInfo,
) -> Result<(), Fault> {
    let key = email.clone();
    let found = db::run(&state.pool, move |conn| users::find_by_email(conn, &key)).await?;
    let (token, hash) = email_link::mint();
    let mail = compose(
        &Mail::PasswordReset { token: &token },
        &state.mail_context(),
    );
    let Some(user) = found else {
        // The same round trip as the limited enqueue's count, for an address
        // that gets nothing.
        let to = email.as_ref().to_owned();
        db::write(&state.pool, move |conn| {
            conn.transaction::<_, diesel::result::Error, _>(|conn| {
                outbox::count_recent_token_mails(conn, &to, db::now() - TOKEN_MAIL_WINDOW)
            })
        })
        .await?;
        drop((hash, mail));
        tracing::info!(target: "audit", event = "password_reset_requested", account = %state.audit.fingerprint(email.as_ref()), known = false, client_ip = %client.ip);
        return Ok(());
    };
    let link = Link {
        user: user.id,
        purpose: Purpose::Reset,
        to: &user.email,
        new_email: None,
        session: None,
    };
    let queued = email_link::issue(state, link, hash, mail, None).await?;
    tracing::info!(target: "audit", event = "password_reset_requested", user_id = %user.id, known = true, queued, client_ip = %client.ip);
    Ok(())
}
