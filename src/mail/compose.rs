//! What each message says: a subject and a plain-text body that reads well on
//! its own (no HTML).
//!
//! Bodies are ASCII apart from what the caller passes in (an address, a token
//! name). Notices say what happened, when, and what to do if it was not you.

use std::fmt;

use chrono::NaiveDateTime;

use super::{texts, MailKind};

/// What the caller supplies for each message. Tokens go in raw; the link is
/// built here from `PUBLIC_URL` so the path can never be wrong.
#[derive(Clone, Copy)]
pub enum Mail<'a> {
    VerifyEmail {
        token: &'a str,
    },
    PasswordReset {
        token: &'a str,
    },
    PasswordResetDone,
    PasswordChanged,
    /// Sent to the new address.
    EmailChangeConfirm {
        token: &'a str,
        new_email: &'a str,
    },
    /// Sent to the old address; `new_email` is shown masked.
    EmailChangeNotice {
        new_email: &'a str,
    },
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesRegenerated,
    /// `scopes` as the user should read them, e.g. `tasks:read, introspect`.
    TokenCreated {
        name: &'a str,
        scopes: &'a str,
        expires_at: NaiveDateTime,
    },
}

/// Facts every message needs: the external base URL and when it happened.
#[derive(Debug, Clone, Copy)]
pub struct MailContext<'a> {
    pub public_url: &'a str,
    pub at: NaiveDateTime,
}

/// A composed message, ready to be queued. `Debug` hides the body: it may
/// hold a link with a token.
#[derive(Clone, PartialEq, Eq)]
pub struct Composed {
    pub kind: MailKind,
    pub subject: String,
    pub body: String,
}

impl fmt::Debug for Composed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Composed")
            .field("kind", &self.kind)
            .field("subject", &self.subject)
            .field("body", &"***")
            .finish()
    }
}

impl Mail<'_> {
    /// Which kind of message this is.
    pub fn kind(&self) -> MailKind {
        match self {
            Self::VerifyEmail { .. } => MailKind::VerifyEmail,
            Self::PasswordReset { .. } => MailKind::PasswordReset,
            Self::PasswordResetDone => MailKind::PasswordResetDone,
            Self::PasswordChanged => MailKind::PasswordChanged,
            Self::EmailChangeConfirm { .. } => MailKind::EmailChangeConfirm,
            Self::EmailChangeNotice { .. } => MailKind::EmailChangeNotice,
            Self::TwoFactorEnabled => MailKind::TwoFactorEnabled,
            Self::TwoFactorDisabled => MailKind::TwoFactorDisabled,
            Self::RecoveryCodesRegenerated => MailKind::RecoveryCodesRegenerated,
            Self::TokenCreated { .. } => MailKind::TokenCreated,
        }
    }
}

/// Writes the subject and body for `mail`: paragraphs wrapped at 72 columns,
/// a link alone on its line (never wrapped), a signature.
pub fn compose(mail: &Mail<'_>, ctx: &MailContext<'_>) -> Composed {
    let kind = mail.kind();
    let base = ctx.public_url.trim_end_matches('/');
    let (subject, paragraphs) = texts::subject_and_paragraphs(mail, base, ctx.at);
    let text: Vec<String> = paragraphs.iter().map(|p| wrap(p, 72)).collect();
    Composed {
        kind,
        subject: subject.to_owned(),
        body: format!("Hello,\n\n{}\n\n-- \ntaskgate\n{base}\n", text.join("\n\n")),
    }
}

/// Greedy word wrap; a word longer than `width` (a link) gets a line of its own.
fn wrap(paragraph: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in paragraph.split_whitespace() {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::mail::link;

    const BASE: &str = "https://tasks.example.org/";

    fn at() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
            .unwrap()
            .and_hms_opt(14, 3, 0)
            .unwrap()
    }

    fn every_mail() -> Vec<Mail<'static>> {
        vec![
            Mail::VerifyEmail {
                token: "tok-verify",
            },
            Mail::PasswordReset { token: "tok-reset" },
            Mail::PasswordResetDone,
            Mail::PasswordChanged,
            Mail::EmailChangeConfirm {
                token: "tok-change",
                new_email: "new@example.net",
            },
            Mail::EmailChangeNotice {
                new_email: "new@example.net",
            },
            Mail::TwoFactorEnabled,
            Mail::TwoFactorDisabled,
            Mail::RecoveryCodesRegenerated,
            Mail::TokenCreated {
                name: "backup script",
                scopes: "tasks:read",
                expires_at: at() + chrono::Duration::days(90),
            },
        ]
    }

    /// The body with line breaks and runs of spaces as single spaces.
    fn flat(mail: &Composed) -> String {
        mail.body.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn composed(mail: &Mail<'_>) -> Composed {
        compose(
            mail,
            &MailContext {
                public_url: BASE,
                at: at(),
            },
        )
    }

    #[test]
    fn every_kind_has_a_mail_and_only_link_kinds_carry_a_token() {
        let kinds: Vec<MailKind> = every_mail().iter().map(Mail::kind).collect();
        assert_eq!(kinds, MailKind::ALL.to_vec());
        let with_token: Vec<&str> = MailKind::ALL
            .into_iter()
            .filter(|k| k.carries_token())
            .map(MailKind::as_str)
            .collect();
        assert_eq!(
            with_token,
            ["verify_email", "password_reset", "email_change_confirm"]
        );
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MailKind::parse("nonsense"), None);
    }

    #[test]
    fn link_mails_hold_exactly_their_link_and_say_how_long_it_works() {
        let cases = [
            (
                0,
                "https://tasks.example.org/verify-email?token=tok-verify",
                "24 hours",
            ),
            (
                1,
                "https://tasks.example.org/reset-password?token=tok-reset",
                "1 hour",
            ),
            (
                4,
                "https://tasks.example.org/confirm-email?token=tok-change",
                "1 hour",
            ),
        ];
        let mails = every_mail();
        for (index, link, lifetime) in cases {
            let mail = composed(&mails[index]);
            let links: Vec<&str> = mail
                .body
                .split_whitespace()
                .filter(|w| w.contains("token="))
                .collect();
            assert_eq!(links, [link], "{}", mail.body);
            assert!(flat(&mail).contains(lifetime), "{}", mail.body);
            assert!(flat(&mail).contains("ignore this message"), "{}", mail.body);
        }
    }

    #[test]
    fn notices_say_what_when_and_what_to_do_and_carry_no_token() {
        for mail in every_mail().iter().filter(|m| !m.kind().carries_token()) {
            let mail = composed(mail);
            let text = flat(&mail);
            assert!(!text.contains("token="), "{}", mail.body);
            assert!(text.contains("on 2026-11-29 at 14:03 UTC"), "{}", mail.body);
            assert!(text.contains("If this was not you"), "{}", mail.body);
            assert!(
                text.contains("https://tasks.example.org/forgot-password"),
                "{}",
                mail.body
            );
        }
    }

    #[test]
    fn bodies_read_as_plain_text() {
        for mail in every_mail() {
            let mail = composed(&mail);
            assert!(!mail.subject.is_empty() && mail.subject.is_ascii());
            assert!(mail.body.starts_with("Hello,\n\n"));
            assert!(mail
                .body
                .ends_with("-- \ntaskgate\nhttps://tasks.example.org\n"));
            assert!(!mail.body.contains('<') && !mail.body.contains("{"));
            for line in mail.body.lines().filter(|l| !l.contains("://")) {
                assert!(line.len() <= 78, "long line {line:?}");
            }
        }
    }

    #[test]
    fn the_old_address_sees_the_new_one_masked_and_debug_hides_the_body() {
        let notice = composed(&every_mail()[5]);
        assert!(notice.body.contains("n***@example.net"));
        assert!(!notice.body.contains("new@example.net"));
        let confirm = composed(&every_mail()[4]);
        assert!(confirm.body.contains("new@example.net"));
        let debug = format!("{confirm:?}");
        assert!(!debug.contains("tok-change") && debug.contains("***"));
    }

    #[test]
    fn links_escape_the_token_and_ignore_a_trailing_slash() {
        assert_eq!(
            link("http://localhost:8080/", MailKind::PasswordReset, "a+b/c=").as_deref(),
            Some("http://localhost:8080/reset-password?token=a%2Bb%2Fc%3D")
        );
        assert_eq!(link(BASE, MailKind::PasswordChanged, "x"), None);
    }
}
