//! The RFC 5322 message around a composed subject and body: what the worker
//! hands to the transport.

use chrono::NaiveDateTime;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, SinglePart};
use lettre::{Address, Message};

/// Why a queued message could not be turned into RFC 5322.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the recipient address is not valid for mail")]
    Recipient,
    #[error("the message could not be built: {0}")]
    Message(#[from] lettre::error::Error),
}

/// The RFC 5322 message: `From`, `To`, `Subject`, a `Message-ID` made from the
/// outbox id (so a retried message keeps its id and receivers can drop a
/// duplicate), `Date` = when it was queued, and one text/plain UTF-8 part.
pub fn build_message(
    from: &Mailbox,
    to: &str,
    subject: &str,
    body: &str,
    id: &str,
    date: NaiveDateTime,
) -> Result<Message, BuildError> {
    let to: Address = to.parse().map_err(|_| BuildError::Recipient)?;
    // Seven-bit when it is ASCII within RFC 5322's 998-character lines, so a
    // long link stays whole in the raw message; quoted-printable otherwise.
    let body = if body.is_ascii() && body.lines().all(|l| l.len() <= 998) {
        let crlf = body.replace('\r', "").replace('\n', "\r\n");
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new_with_encoding(body.to_owned(), ContentTransferEncoding::QuotedPrintable)
            .unwrap_or_else(|_| Body::new(body.to_owned()))
    };
    let part = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(body);
    Ok(Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(subject)
        .message_id(Some(format!("<{id}@{}>", from.email.domain())))
        .date(date.and_utc().into())
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ))
        .singlepart(part)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::mail::{compose, Mail, MailContext};

    fn at() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
            .unwrap()
            .and_hms_opt(14, 3, 0)
            .unwrap()
    }

    #[test]
    fn messages_are_rfc5322_with_a_stable_message_id() {
        let from: Mailbox = crate::mail::settings::DEFAULT_FROM.parse().unwrap();
        let ctx = MailContext {
            public_url: "https://tasks.example.org",
            at: at(),
        };
        let mail = compose(
            &Mail::VerifyEmail {
                token: "tok-verify",
            },
            &ctx,
        );
        let message = build_message(
            &from,
            "jane@example.com",
            &mail.subject,
            &mail.body,
            "0193-id",
            at(),
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        for header in [
            "From: taskgate <no-reply@localhost>\r\n",
            "To: jane@example.com\r\n",
            "Subject: Confirm your email address\r\n",
            "Message-ID: <0193-id@localhost>\r\n",
            "Date: Sun, 29 Nov 2026 14:03:00 +0000\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "Content-Transfer-Encoding: 7bit\r\n",
            "Auto-Submitted: auto-generated\r\n",
        ] {
            assert!(raw.contains(header), "missing {header:?} in\n{raw}");
        }
        assert!(raw.contains("/verify-email?token=tok-verify\r\n"));
        assert!(matches!(
            build_message(&from, "not an address", "s", "b", "id", at()),
            Err(BuildError::Recipient)
        ));
    }

    #[test]
    fn non_ascii_text_is_sent_quoted_printable() {
        let from: Mailbox = "taskgate <no-reply@example.org>".parse().unwrap();
        let message =
            build_message(&from, "a@example.org", "s", "Grüße from José", "id", at()).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Content-Transfer-Encoding: quoted-printable\r\n"));
        assert!(raw.contains("Message-ID: <id@example.org>"));
        assert!(raw.is_ascii());
    }
}
