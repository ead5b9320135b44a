//! A small SMTP server for tests: listens on 127.0.0.1:0, speaks enough of
//! RFC 5321 for lettre (EHLO/HELO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT), keeps what it receives in memory, and can be switched "down"
//! in several ways so tests can watch retries.
//!
//! ```ignore
//! let sink = SmtpSink::start().await;
//! // SMTP_URL = format!("smtp://127.0.0.1:{}", sink.port())
//! let mails = sink.wait_for(|m| m.len() == 1, Duration::from_secs(10)).await;
//! let token = mails[0].token("/reset-password").unwrap();
//! ```
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the sink answers new connections and transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Accepts mail.
    Up,
    /// Closes each connection at once, before any greeting.
    Close,
    /// Greets with `421` (service not available) and closes.
    Busy421,
    /// Answers `MAIL FROM` with `451` (local error, try again later).
    TempFail451,
    /// Answers `RCPT TO` with `550` (no such user): a permanent refusal.
    Reject550,
    /// Accepts the connection and never says a word (a stuck relay).
    Hang,
}

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA section, dot-unstuffed, CRLF line ends, without the final dot.
    pub data: String,
    /// The user name of `AUTH`, when the client authenticated.
    pub auth_user: Option<String>,
}

impl Received {
    /// The first header named `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = found.as_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((key, value)) = line.split_once(':') {
                if key.trim().eq_ignore_ascii_case(name) {
                    found = Some(value.trim().to_owned());
                }
            }
        }
        found
    }

    /// The text body with `\n` line ends, decoded from quoted-printable when
    /// it was sent so.
    pub fn body(&self) -> String {
        let raw = self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let qp = self
            .header("Content-Transfer-Encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("quoted-printable"));
        let text = if qp { decode_qp(raw) } else { raw.to_owned() };
        // The message's last line break and the DATA terminator's are one.
        let text = text.replace("\r\n", "\n");
        format!("{}\n", text.trim_end_matches('\n'))
    }

    /// The first link in the body that contains `path` (e.g. `/verify-email`).
    pub fn link(&self, path: &str) -> Option<String> {
        self.body()
            .split_whitespace()
            .find(|w| w.contains(path) && w.contains("://"))
            .map(str::to_owned)
    }

    /// The `token` query value of the first link to `path`.
    pub fn token(&self, path: &str) -> Option<String> {
        let link = self.link(path)?;
        let (_, query) = link.split_once('?')?;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .map(str::to_owned)
    }
}

fn decode_qp(raw: &str) -> String {
    let mut out = Vec::new();
    let bytes = raw.replace("=\r\n", "").into_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'=', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Default)]
struct State {
    messages: Mutex<Vec<Received>>,
    mode: Mutex<Option<Mode>>,
    connections: AtomicUsize,
}

impl State {
    fn mode(&self) -> Mode {
        self.mode.lock().unwrap().unwrap_or(Mode::Up)
    }
}

/// The running sink; stops accepting when dropped.
pub struct SmtpSink {
    port: u16,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl SmtpSink {
    /// Starts listening on a free loopback port, up.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("sink address").port();
        let state = Arc::new(State::default());
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Self {
            port,
            state,
            accept,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:PORT`, for `SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Everything received so far, in order.
    pub fn messages(&self) -> Vec<Received> {
        self.state.messages.lock().unwrap().clone()
    }

    /// Connections accepted so far (delivery attempts, whatever their fate).
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = Some(mode);
    }

    /// Down in the commonest way: greets with 421 and hangs up.
    pub fn go_down(&self) {
        self.set_mode(Mode::Busy421);
    }

    pub fn come_up(&self) {
        self.set_mode(Mode::Up);
    }

    /// Waits until `done` holds for the messages received; `None` on timeout.
    pub async fn try_wait_for(
        &self,
        done: impl Fn(&[Received]) -> bool,
        timeout: Duration,
    ) -> Option<Vec<Received>> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if done(&messages) {
                return Some(messages);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Like [`SmtpSink::try_wait_for`], but panics on timeout.
    pub async fn wait_for(
        &self,
        done: impl Fn(&[Received]) -> bool,
        timeout: Duration,
    ) -> Vec<Received> {
        match self.try_wait_for(done, timeout).await {
            Some(messages) => messages,
            None => panic!(
                "SMTP sink: condition not met within {timeout:?}; {} message(s), {} connection(s)",
                self.messages().len(),
                self.connections()
            ),
        }
    }
}

async fn session(stream: TcpStream, state: Arc<State>) {
    let _ = converse(stream, &state).await;
}

async fn converse(stream: TcpStream, state: &State) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    match state.mode() {
        Mode::Close => return Ok(()),
        Mode::Busy421 => {
            return write
                .write_all(b"421 sink.test Service not available\r\n")
                .await;
        }
        Mode::Hang => {
            while state.mode() == Mode::Hang {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            return Ok(());
        }
        _ => {}
    }
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 sink.test ESMTP test sink\r\n")
        .await?;
    let (mut from, mut rcpt, mut auth_user) = (None::<String>, Vec::<String>::new(), None);
    loop {
        let Some(line) = read_line(&mut lines).await? else {
            return Ok(());
        };
        let upper = line.to_ascii_uppercase();
        let answer: String = if upper.starts_with("EHLO") {
            "250-sink.test\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 10485760\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 sink.test\r\n".into()
        } else if upper.starts_with("AUTH PLAIN") {
            let initial = line.get(10..).unwrap_or("").trim().to_owned();
            let response = if initial.is_empty() {
                write.write_all(b"334 \r\n").await?;
                read_line(&mut lines).await?.unwrap_or_default()
            } else {
                initial
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(response.trim())
                .unwrap_or_default();
            let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
            auth_user = parts
                .get(1)
                .map(|u| String::from_utf8_lossy(u).into_owned());
            "235 2.7.0 Authentication successful\r\n".into()
        } else if upper.starts_with("AUTH LOGIN") {
            write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
            let user = read_line(&mut lines).await?.unwrap_or_default();
            write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
            read_line(&mut lines).await?;
            let user = base64::engine::general_purpose::STANDARD
                .decode(user.trim())
                .unwrap_or_default();
            auth_user = Some(String::from_utf8_lossy(&user).into_owned());
            "235 2.7.0 Authentication successful\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            if state.mode() == Mode::TempFail451 {
                "451 4.3.0 Try again later\r\n".into()
            } else {
                from = Some(address(&line["MAIL FROM:".len()..]));
                rcpt.clear();
                "250 2.1.0 OK\r\n".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            if state.mode() == Mode::Reject550 {
                "550 5.1.1 No such user here\r\n".into()
            } else if from.is_none() {
                "503 5.5.1 MAIL first\r\n".into()
            } else {
                rcpt.push(address(&line["RCPT TO:".len()..]));
                "250 2.1.5 OK\r\n".into()
            }
        } else if upper == "DATA" {
            if rcpt.is_empty() {
                "503 5.5.1 RCPT first\r\n".into()
            } else {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    let Some(l) = read_line(&mut lines).await? else {
                        return Ok(());
                    };
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push_str("\r\n");
                }
                let mut messages = state.messages.lock().unwrap();
                messages.push(Received {
                    mail_from: from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut rcpt),
                    data,
                    auth_user: auth_user.clone(),
                });
                format!("250 2.0.0 OK queued as {}\r\n", messages.len())
            }
        } else if upper == "RSET" {
            (from, rcpt) = (None, Vec::new());
            "250 2.0.0 OK\r\n".into()
        } else if upper == "NOOP" {
            "250 2.0.0 OK\r\n".into()
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 Command not implemented\r\n".into()
        };
        write.write_all(answer.as_bytes()).await?;
    }
}

/// One line without its CRLF; `None` at end of stream.
async fn read_line(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if lines.read_until(b'\n', &mut buf).await? == 0 {
        return Ok(None);
    }
    let line = String::from_utf8_lossy(&buf);
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// `<a@b> SIZE=…` → `a@b`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    let end = arg.find('>').map_or(arg.len(), |i| i + 1);
    arg[..end].trim_matches(['<', '>']).to_owned()
}
