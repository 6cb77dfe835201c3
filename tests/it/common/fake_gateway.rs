//! A fake SMS/WhatsApp gateway on loopback for tests: a tiny HTTP/1.1 server that records every
//! request (method, path with query, headers, body, when it arrived) and answers from a script
//! (`then`), then with its default answer (200 `{"status":true}` unless `always` changes it).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// path and query, as sent
    pub target: String,
    /// names lowercased
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn status(status: u16) -> Answer {
        Answer { status, headers: Vec::new(), body: format!("{{\"status\":{}}}", status < 300) }
    }

    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

#[derive(Clone)]
pub struct FakeGateway {
    pub port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    default: Arc<Mutex<Answer>>,
}

impl FakeGateway {
    pub fn start() -> FakeGateway {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake gateway");
        let port = listener.local_addr().expect("addr").port();
        let gateway = FakeGateway {
            port,
            requests: Arc::default(),
            script: Arc::default(),
            default: Arc::new(Mutex::new(Answer::status(200))),
        };
        let server = gateway.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let server = server.clone();
                std::thread::spawn(move || {
                    let _ = server.serve(stream);
                });
            }
        });
        gateway
    }

    /// `http://127.0.0.1:<port><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Answers the next requests with these, in order (then with the default).
    pub fn then(&self, answers: impl IntoIterator<Item = Answer>) -> &FakeGateway {
        self.script.lock().expect("script").extend(answers);
        self
    }

    /// The answer once the script is used up.
    pub fn always(&self, answer: Answer) {
        *self.default.lock().expect("default") = answer;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The requests once there are at least `count` (panics after `timeout`).
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Recorded> {
        let start = Instant::now();
        loop {
            let requests = self.requests();
            if requests.len() >= count {
                return requests;
            }
            assert!(start.elapsed() < timeout, "the fake gateway got {} requests, not {count}", requests.len());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        let mut out = stream.try_clone()?;
        let mut reader = BufReader::new(stream);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let target = parts.next().unwrap_or_default().to_string();
            let mut headers = Vec::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header)?;
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
                }
            }
            let length = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body)?;
            let recorded = Recorded {
                method,
                target,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                at: Instant::now(),
            };
            self.requests.lock().expect("requests").push(recorded);
            let answer = match self.script.lock().expect("script").pop_front() {
                Some(answer) => answer,
                None => self.default.lock().expect("default").clone(),
            };
            let mut reply = format!(
                "HTTP/1.1 {} Fake\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                answer.status,
                answer.body.len()
            );
            for (name, value) in &answer.headers {
                reply.push_str(&format!("{name}: {value}\r\n"));
            }
            reply.push_str("\r\n");
            reply.push_str(&answer.body);
            out.write_all(reply.as_bytes())?;
            out.flush()?;
        }
    }
}

/// A loopback URL nothing listens on (a port bound, then released).
pub fn unreachable_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/send")
}
