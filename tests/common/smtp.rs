//! An SMTP server for tests: it listens on a loopback port over real TCP, speaks enough SMTP for
//! lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), and keeps every message so that a test can
//! wait for one and read it (subject, text, HTML, links).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A received message.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// Every http(s) link in the text part.
    pub fn links(&self) -> Vec<String> {
        self.text
            .split_whitespace()
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| w.trim_end_matches(['.', ',', ')']).to_string())
            .collect()
    }

    /// The first link whose path starts with `prefix`.
    pub fn link_to(&self, prefix: &str) -> Option<String> {
        self.links().into_iter().find(|l| {
            url::Url::parse(l)
                .map(|u| u.path().starts_with(prefix))
                .unwrap_or(false)
        })
    }
}

#[derive(Clone)]
pub struct SmtpCapture {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    arrived: Arc<Notify>,
}

impl SmtpCapture {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let capture = Self {
            port,
            mails: Arc::default(),
            arrived: Arc::default(),
        };
        let c = capture.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let c = c.clone();
                tokio::spawn(async move {
                    let _ = c.session(socket).await;
                });
            }
        });
        capture
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn all(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) for a message to `to`.
    pub async fn wait_for(&self, to: &str) -> Mail {
        self.wait_for_nth(to, 1).await
    }

    /// Waits for the `n`-th message (1-based) to `to`.
    pub async fn wait_for_nth(&self, to: &str, n: usize) -> Mail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let notified = self.arrived.notified();
            {
                let mails = self.mails.lock().unwrap();
                let matching: Vec<&Mail> = mails
                    .iter()
                    .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
                    .collect();
                if matching.len() >= n {
                    return matching[n - 1].clone();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "no mail number {n} to {to} arrived; got {:?}",
                    self.summary()
                );
            }
        }
    }

    /// Messages to `to` received so far.
    pub fn count_to(&self, to: &str) -> usize {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .count()
    }

    fn summary(&self) -> Vec<(Vec<String>, String)> {
        self.all().into_iter().map(|m| (m.to, m.subject)).collect()
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut reader = BufReader::new(read);
        write.write_all(b"220 capture ESMTP ready\r\n").await?;
        let mut from = String::new();
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_string();
            let upper = command.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                write
                    .write_all(b"250-capture\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n")
                    .await?;
            } else if upper.starts_with("HELO") {
                write.write_all(b"250 capture\r\n").await?;
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&command[10..]);
                to.clear();
                write.write_all(b"250 OK\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                to.push(address(&command[8..]));
                write.write_all(b"250 OK\r\n").await?;
            } else if upper == "DATA" {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut raw = Vec::new();
                loop {
                    let mut data_line = Vec::new();
                    if reader.read_until(b'\n', &mut data_line).await? == 0 {
                        return Ok(());
                    }
                    if data_line == b".\r\n" || data_line == b".\n" {
                        break;
                    }
                    // Undo dot-stuffing.
                    if data_line.starts_with(b"..") {
                        data_line.remove(0);
                    }
                    raw.extend_from_slice(&data_line);
                }
                self.store(&from, &to, raw);
                write.write_all(b"250 OK queued\r\n").await?;
            } else if upper == "RSET" || upper == "NOOP" {
                write.write_all(b"250 OK\r\n").await?;
            } else if upper == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                write.write_all(b"502 not implemented\r\n").await?;
            }
        }
    }

    fn store(&self, from: &str, to: &[String], raw: Vec<u8>) {
        let parsed = mail_parser::MessageParser::default().parse(&raw);
        let (subject, text, html) = match &parsed {
            Some(m) => (
                m.subject().unwrap_or_default().to_string(),
                m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            ),
            None => Default::default(),
        };
        self.mails.lock().unwrap().push(Mail {
            from: from.to_string(),
            to: to.to_vec(),
            raw,
            subject,
            text,
            html,
        });
        self.arrived.notify_waiters();
    }
}

fn address(arg: &str) -> String {
    let arg = arg.trim();
    let inner = arg
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(a, _)| a)
        .unwrap_or(arg);
    inner.trim().to_string()
}
