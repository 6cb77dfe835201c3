//! A real SMTP server on loopback for tests: it speaks enough ESMTP for lettre, keeps every
//! message it accepts, and can be told to refuse messages (451) after N, to test retries and
//! exactly-once delivery.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    accept_limit: Arc<AtomicUsize>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let sink = SmtpSink { port, received: Arc::default(), accept_limit: Arc::new(AtomicUsize::new(usize::MAX)) };
        let server = sink.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let server = server.clone();
                std::thread::spawn(move || {
                    let _ = server.session(stream);
                });
            }
        });
        sink
    }

    /// Accept only `n` messages in all (then answer 451 to each DATA).
    pub fn accept_only(&self, n: usize) {
        self.accept_limit.store(n, Ordering::SeqCst);
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().map(|m| m.clone()).unwrap_or_default()
    }

    fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        let mut out = stream.try_clone()?;
        let mut lines = BufReader::new(stream);
        out.write_all(b"220 test.local ESMTP skm-test\r\n")?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_string();
            let upper = command.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                out.write_all(b"250-test.local\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n")?;
            } else if upper.starts_with("MAIL FROM:") {
                from = command[10..].trim().trim_matches(['<', '>']).to_string();
                to.clear();
                out.write_all(b"250 2.1.0 OK\r\n")?;
            } else if upper.starts_with("RCPT TO:") {
                to.push(command[8..].trim().trim_matches(['<', '>']).to_string());
                out.write_all(b"250 2.1.5 OK\r\n")?;
            } else if upper == "DATA" {
                out.write_all(b"354 end with .\r\n")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
                }
                let mut received = self.received.lock().map_err(|_| std::io::Error::other("poisoned"))?;
                if received.len() >= self.accept_limit.load(Ordering::SeqCst) {
                    out.write_all(b"451 4.3.0 temporarily unavailable\r\n")?;
                } else {
                    received.push(Received { from: from.clone(), to: to.clone(), data });
                    out.write_all(b"250 2.0.0 queued as test\r\n")?;
                }
            } else if upper == "QUIT" {
                out.write_all(b"221 2.0.0 bye\r\n")?;
                return Ok(());
            } else if upper == "RSET" || upper == "NOOP" {
                out.write_all(b"250 OK\r\n")?;
            } else {
                out.write_all(b"502 5.5.2 not implemented\r\n")?;
            }
        }
    }
}
