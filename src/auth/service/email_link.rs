//! The single-use tokens in mailed links, shared by the email flows: minted
//! with 256 random bits, stored only as a SHA-256 hash, issued together with
//! their mail in one transaction, checked without being used up.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::Connection;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::email_tokens::{self, NewEmailToken, Purpose};
use crate::db::{self, users};
use crate::domain::{SessionId, UserId};
use crate::error::Fault;
use crate::mail::{Composed, MailKind};
use crate::state::AppState;

/// Random bytes in a token: 256 bits, 43 base64url characters.
const TOKEN_BYTES: usize = 32;
/// Anything longer is not one of our tokens: refused before it is hashed.
const MAX_TOKEN_CHARS: usize = 128;

/// A new token and the hash stored for it. The token goes only into the
/// mail (sealed in the outbox); the hash is all the database keeps.
pub(super) fn mint() -> (String, String) {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    (token, hash)
}

/// SHA-256 (hex). A fast hash suffices: a 256-bit random token cannot be
/// brute-forced from its hash.
fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The stored hash for a presented token; `None` when it cannot be one of
/// ours (empty, too long, or outside the base64url alphabet).
pub(super) fn presented_hash(token: &str) -> Option<String> {
    let token = token.trim();
    let plausible = !token.is_empty()
        && token.len() <= MAX_TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| hash(token))
}

/// The mail that carries a token of `purpose`, and so its lifetime.
fn mail_kind(purpose: Purpose) -> MailKind {
    match purpose {
        Purpose::Verify => MailKind::VerifyEmail,
        Purpose::Reset => MailKind::PasswordReset,
        Purpose::Change => MailKind::EmailChangeConfirm,
    }
}

/// What a link is for and where its mail goes.
pub(super) struct Link<'a> {
    pub user: UserId,
    pub purpose: Purpose,
    /// The recipient: the account's address, or the new one for a change.
    pub to: &'a str,
    /// For a change: the address the token is bound to.
    pub new_email: Option<&'a str>,
    /// For a change: the session that asked (it survives the change).
    pub session: Option<SessionId>,
}

/// Issues a link: in one transaction, queues `mail` (which must hold the token
/// minted as `hash`) within the limit of 3 token mails per address per hour,
/// and only if it was queued, supersedes the user's older tokens of the same
/// purpose, stores the new hash and queues `also` (a notice to another
/// address). Past the limit nothing changes, so earlier links keep working.
/// Returns whether the mail was queued.
pub(super) async fn issue(
    state: &AppState,
    link: Link<'_>,
    hash: String,
    mail: Composed,
    also: Option<(String, Composed)>,
) -> Result<bool, Fault> {
    let kind = mail_kind(link.purpose);
    if mail.kind != kind {
        return Err(Fault::internal(format!(
            "a {} link sent in a {} mail",
            link.purpose.as_str(),
            mail.kind
        )));
    }
    let lifetime = kind
        .link_lifetime()
        .ok_or_else(|| Fault::internal("a link mail without a lifetime"))?;
    let (user, purpose, session) = (link.user, link.purpose, link.session);
    let to = link.to.to_owned();
    let new_email = link.new_email.map(str::to_owned);
    let outbox = state.outbox.clone();
    let queued = db::write(&state.pool, move |conn| {
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            // Serialises one user's links, so the per-address count is exact.
            if !users::lock_row(conn, user)? {
                return Ok(false);
            }
            if outbox.enqueue_limited(conn, &to, &mail)?.is_none() {
                return Ok(false);
            }
            let now = db::now();
            email_tokens::supersede(conn, user, purpose, now)?;
            email_tokens::insert(
                conn,
                &NewEmailToken {
                    token_hash: &hash,
                    user_id: user,
                    purpose: purpose.as_str(),
                    new_email: new_email.as_deref(),
                    session_id: session.map(|s| s.to_string()),
                    created_at: now,
                    expires_at: now + lifetime,
                },
            )?;
            if let Some((to, notice)) = &also {
                outbox.enqueue(conn, to, notice)?;
            }
            Ok(true)
        })
    })
    .await?;
    if queued {
        state.outbox.wake();
    }
    Ok(queued)
}

/// True when `token` would be accepted for `purpose` right now. Reading does
/// not use it up: pages call this on GET to show the form or say at once
/// that the link is no longer valid.
pub async fn link_is_valid(state: &AppState, token: &str, purpose: Purpose) -> Result<bool, Fault> {
    let Some(hash) = presented_hash(token) else {
        return Ok(false);
    };
    db::run(&state.pool, move |conn| {
        email_tokens::find_valid(conn, &hash, purpose, db::now()).map(|t| t.is_some())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_only_their_hash_is_kept() {
        let (token, hash) = mint();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_eq!(presented_hash(&token), Some(hash.clone()));
        assert_ne!(token, hash);
        assert_ne!(mint().0, token);
    }

    #[test]
    fn implausible_tokens_are_refused_before_hashing() {
        for bad in [
            "",
            "   ",
            "a b",
            "tok%20en",
            "t\u{0}k",
            "é",
            &"a".repeat(129),
        ] {
            assert_eq!(presented_hash(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn each_purpose_travels_in_its_own_mail_with_the_contract_lifetime() {
        let hours = |p| mail_kind(p).link_lifetime().unwrap().num_hours();
        assert_eq!(
            (
                hours(Purpose::Verify),
                hours(Purpose::Reset),
                hours(Purpose::Change)
            ),
            (24, 1, 1)
        );
    }
}
