//! One SMTP connection: the reply codes, the order commands must come in, and
//! the DATA phase, as a real mail server answers them.

use std::{io, net::SocketAddr};

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use tokio::{
    io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter},
    net::{
        TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
};

use super::{
    SmtpSinkConfig,
    command::{Command, CommandError, MailFrom},
    message::{Envelope, ReceivedMail},
    store::MailStore,
};

/// RFC 5321 §4.5.3.1.4 allows 512 octets; clients sending long `AUTH` or
/// SMTPUTF8 lines exceed it in practice, so the sink is more generous while
/// still bounding what one line can make it buffer.
const MAX_COMMAND_LINE: usize = 4096;

/// Once a message is over the size limit the rest of DATA is only scanned
/// for the terminating dot, so lines need no more room than that.
const DISCARD_LINE: usize = 1000;

/// Real servers hang up on clients that keep sending garbage.
const MAX_ERRORS: u32 = 20;

/// Whether the session goes on after a command.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

enum Input {
    /// A line without its CRLF (or bare LF).
    Line(Vec<u8>),
    /// A line over the limit; it has been read and thrown away.
    TooLong,
    Closed,
    TimedOut,
}

/// Outcome of asking the client for one more line during `AUTH`.
enum Answer {
    Text(String),
    /// The session already replied (cancelled, bad input, gone).
    Settled(Flow),
}

struct Transaction {
    from: String,
    to: Vec<String>,
}

struct Session<'a> {
    reader: BufReader<OwnedReadHalf>,
    writer: BufWriter<OwnedWriteHalf>,
    peer: SocketAddr,
    config: &'a SmtpSinkConfig,
    store: &'a MailStore,
    client_name: Option<String>,
    auth_user: Option<String>,
    transaction: Option<Transaction>,
    errors: u32,
}

/// Talks SMTP with one client until it quits, hangs up or idles too long.
pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    config: &SmtpSinkConfig,
    store: &MailStore,
) -> io::Result<()> {
    let (read, write) = stream.into_split();
    let mut session = Session {
        reader: BufReader::new(read),
        writer: BufWriter::new(write),
        peer,
        config,
        store,
        client_name: None,
        auth_user: None,
        transaction: None,
        errors: 0,
    };
    session.run().await
}

/// Sent to a connection refused because too many are open.
pub(crate) async fn refuse_busy(mut stream: TcpStream, hostname: &str) -> io::Result<()> {
    let line = format!("421 4.3.2 {hostname} Too many connections, try again later\r\n");
    stream.write_all(line.as_bytes()).await?;
    stream.shutdown().await
}

impl Session<'_> {
    async fn run(&mut self) -> io::Result<()> {
        let greeting = format!("{} ESMTP Juragan sandbox mail sink", self.config.hostname);
        self.reply(220, &greeting).await?;
        loop {
            let flow = match self.read_line(MAX_COMMAND_LINE).await? {
                Input::Line(line) => match String::from_utf8(line) {
                    Ok(line) => match Command::parse(&line) {
                        Ok(command) => self.handle(command).await?,
                        Err(error) => self.refuse(error).await?,
                    },
                    Err(_) => {
                        self.fail(500, "5.5.2 Command line is not valid UTF-8")
                            .await?
                    }
                },
                Input::TooLong => self.fail(500, "5.5.2 Line too long").await?,
                Input::TimedOut => self.time_out().await?,
                Input::Closed => Flow::Close,
            };
            if flow == Flow::Close {
                tracing::debug!(peer = %self.peer, "SMTP session closed");
                return Ok(());
            }
        }
    }

    async fn handle(&mut self, command: Command<'_>) -> io::Result<Flow> {
        match command {
            Command::Ehlo(client) => {
                self.greeted_by(client);
                let lines = [
                    format!("{} Hello {client}", self.config.hostname),
                    format!("SIZE {}", self.config.max_message_size),
                    "8BITMIME".to_owned(),
                    "SMTPUTF8".to_owned(),
                    "ENHANCEDSTATUSCODES".to_owned(),
                    // Any credentials are accepted, so a client configured
                    // with a user and password (as production is) works.
                    "AUTH PLAIN LOGIN".to_owned(),
                    "HELP".to_owned(),
                ];
                self.reply_lines(250, &lines).await
            }
            Command::Helo(client) => {
                self.greeted_by(client);
                let text = format!("{} Hello {client}", self.config.hostname);
                self.reply(250, &text).await
            }
            Command::Mail(mail) => self.start_transaction(mail).await,
            Command::Rcpt(path) => self.add_recipient(path).await,
            Command::Data => self.receive_message().await,
            Command::Rset => {
                self.transaction = None;
                self.reply(250, "2.0.0 Ok").await
            }
            Command::Noop => self.reply(250, "2.0.0 Ok").await,
            Command::Vrfy => {
                // RFC 5321 §3.5.3: the answer for "will not say, but try it".
                self.reply(
                    252,
                    "2.5.0 Cannot VRFY user, but will accept message and attempt delivery",
                )
                .await
            }
            Command::Help => {
                self.reply(
                    214,
                    "2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY AUTH HELP",
                )
                .await
            }
            Command::Quit => {
                self.reply(221, "2.0.0 Bye").await?;
                Ok(Flow::Close)
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => self.authenticate(mechanism, initial_response).await,
            Command::NotImplemented => self.fail(502, "5.5.1 Command not implemented").await,
        }
    }

    fn greeted_by(&mut self, client: &str) {
        // A new greeting resets the session like RSET (RFC 5321 §4.1.4).
        self.client_name = Some(client.to_owned());
        self.transaction = None;
    }

    async fn start_transaction(&mut self, mail: MailFrom<'_>) -> io::Result<Flow> {
        if self.client_name.is_none() {
            return self.fail(503, "5.5.1 Send EHLO or HELO first").await;
        }
        if self.transaction.is_some() {
            return self.fail(503, "5.5.1 Nested MAIL command").await;
        }
        if mail
            .declared_size
            .is_some_and(|size| size > self.config.max_message_size as u64)
        {
            let text = format!(
                "5.3.4 Message size exceeds the fixed limit of {} bytes",
                self.config.max_message_size
            );
            return self.reply(552, &text).await;
        }
        self.transaction = Some(Transaction {
            from: mail.path.to_owned(),
            to: Vec::new(),
        });
        self.reply(250, "2.1.0 Ok").await
    }

    async fn add_recipient(&mut self, path: &str) -> io::Result<Flow> {
        let max_recipients = self.config.max_recipients;
        let Some(transaction) = self.transaction.as_mut() else {
            return self.fail(503, "5.5.1 Need MAIL before RCPT").await;
        };
        if transaction.to.len() >= max_recipients {
            // 452, not 5xx: RFC 5321 §4.5.3.1.10 wants clients to send the
            // rest in another transaction.
            return self.reply(452, "4.5.3 Too many recipients").await;
        }
        transaction.to.push(path.to_owned());
        self.reply(250, "2.1.5 Ok").await
    }

    async fn receive_message(&mut self) -> io::Result<Flow> {
        match &self.transaction {
            None => return self.fail(503, "5.5.1 Need MAIL command").await,
            Some(transaction) if transaction.to.is_empty() => {
                return self.fail(503, "5.5.1 Need RCPT command").await;
            }
            Some(_) => {}
        }
        self.reply(354, "End data with <CR><LF>.<CR><LF>").await?;

        let max = self.config.max_message_size;
        let mut raw = Vec::new();
        let mut too_big = false;
        loop {
            // The budget bounds memory to the size limit whatever the client
            // sends; +2 leaves room for a lone "." with its CR.
            let limit = if too_big {
                DISCARD_LINE
            } else {
                max - raw.len() + 2
            };
            match self.read_line(limit).await? {
                Input::Line(line) if line == b"." => break,
                Input::Line(_) if too_big => {}
                Input::Line(line) => {
                    // RFC 5321 §4.5.2: the client doubled every leading dot.
                    let content = line.strip_prefix(b".").unwrap_or(&line);
                    if raw.len() + content.len() + 2 > max {
                        too_big = true;
                        raw = Vec::new();
                    } else {
                        raw.extend_from_slice(content);
                        raw.extend_from_slice(b"\r\n");
                    }
                }
                Input::TooLong => {
                    too_big = true;
                    raw = Vec::new();
                }
                Input::TimedOut => return self.time_out().await,
                // A client that vanishes mid-message has not sent it.
                Input::Closed => return Ok(Flow::Close),
            }
        }

        let Some(transaction) = self.transaction.take() else {
            return self.fail(503, "5.5.1 Need MAIL command").await;
        };
        if too_big {
            let text = format!("5.3.4 Message exceeds the fixed limit of {max} bytes");
            return self.reply(552, &text).await;
        }
        let envelope = Envelope {
            client_name: self.client_name.clone().unwrap_or_default(),
            auth_user: self.auth_user.clone(),
            from: transaction.from,
            to: transaction.to,
        };
        let mail = self.store.push(ReceivedMail::parse(envelope, raw));
        tracing::info!(
            id = %mail.id,
            from = %mail.envelope_from,
            to = %mail.envelope_to.join(", "),
            subject = mail.subject.as_deref().unwrap_or(""),
            "mail received"
        );
        let text = format!("2.0.0 Ok: queued as {}", mail.id);
        self.reply(250, &text).await
    }

    /// `AUTH PLAIN` and `AUTH LOGIN` (RFC 4954, 4616) accepting any password:
    /// the sink records who logged in rather than checking it.
    async fn authenticate(&mut self, mechanism: &str, initial: Option<&str>) -> io::Result<Flow> {
        if self.client_name.is_none() {
            return self.fail(503, "5.5.1 Send EHLO first").await;
        }
        if self.auth_user.is_some() {
            return self.fail(503, "5.5.1 Already authenticated").await;
        }
        if self.transaction.is_some() {
            return self
                .fail(503, "5.5.1 AUTH is not allowed during a mail transaction")
                .await;
        }
        let user = match mechanism.to_ascii_uppercase().as_str() {
            "PLAIN" => {
                let response = match initial {
                    Some(response) => response.to_owned(),
                    None => match self.challenge("").await? {
                        Answer::Text(response) => response,
                        Answer::Settled(flow) => return Ok(flow),
                    },
                };
                // authorization-id NUL authentication-id NUL password
                let user = decode_base64(&response).and_then(|plain| {
                    let mut fields = plain.split('\0');
                    let _authorization_id = fields.next()?;
                    let user = fields.next()?;
                    fields.next()?;
                    Some(user.to_owned())
                });
                match user {
                    Some(user) => user,
                    None => {
                        return self
                            .fail(501, "5.5.2 Cannot decode the PLAIN response")
                            .await;
                    }
                }
            }
            "LOGIN" => {
                let encoded_user = match initial {
                    Some(response) => response.to_owned(),
                    None => match self.challenge(&BASE64.encode("Username:")).await? {
                        Answer::Text(response) => response,
                        Answer::Settled(flow) => return Ok(flow),
                    },
                };
                let Some(user) = decode_base64(&encoded_user) else {
                    return self.fail(501, "5.5.2 Cannot decode the user name").await;
                };
                match self.challenge(&BASE64.encode("Password:")).await? {
                    Answer::Text(_password) => user,
                    Answer::Settled(flow) => return Ok(flow),
                }
            }
            _ => {
                return self
                    .fail(504, "5.5.4 Unrecognized authentication type")
                    .await;
            }
        };
        tracing::debug!(peer = %self.peer, %user, "SMTP client authenticated");
        self.auth_user = Some(user);
        self.reply(235, "2.7.0 Authentication successful").await
    }

    async fn challenge(&mut self, prompt: &str) -> io::Result<Answer> {
        self.reply(334, prompt).await?;
        let flow = match self.read_line(MAX_COMMAND_LINE).await? {
            Input::Line(line) if line == b"*" => {
                self.fail(501, "5.7.0 Authentication cancelled").await?
            }
            Input::Line(line) => match String::from_utf8(line) {
                Ok(text) => return Ok(Answer::Text(text)),
                Err(_) => self.fail(501, "5.5.2 Cannot decode the response").await?,
            },
            Input::TooLong => self.fail(500, "5.5.2 Line too long").await?,
            Input::TimedOut => self.time_out().await?,
            Input::Closed => Flow::Close,
        };
        Ok(Answer::Settled(flow))
    }

    async fn refuse(&mut self, error: CommandError) -> io::Result<Flow> {
        match error {
            CommandError::Unrecognized => self.fail(500, "5.5.2 Command unrecognized").await,
            CommandError::Syntax(problem) => {
                let text = format!("5.5.4 Syntax error: {problem}");
                self.fail(501, &text).await
            }
            CommandError::UnsupportedParameter => {
                self.fail(555, "5.5.4 Unsupported MAIL or RCPT parameter")
                    .await
            }
        }
    }

    /// Replies with an error and hangs up once the client has made too many.
    async fn fail(&mut self, code: u16, text: &str) -> io::Result<Flow> {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            self.reply(421, "4.7.0 Too many errors, closing connection")
                .await?;
            return Ok(Flow::Close);
        }
        self.reply(code, text).await
    }

    async fn time_out(&mut self) -> io::Result<Flow> {
        self.reply(421, "4.4.2 Idle timeout, closing connection")
            .await?;
        Ok(Flow::Close)
    }

    async fn reply(&mut self, code: u16, text: &str) -> io::Result<Flow> {
        let line = format!("{code} {text}\r\n");
        self.writer.write_all(line.as_bytes()).await?;
        self.writer.flush().await?;
        Ok(Flow::Continue)
    }

    async fn reply_lines(&mut self, code: u16, lines: &[String]) -> io::Result<Flow> {
        let last = lines.len().saturating_sub(1);
        for (index, text) in lines.iter().enumerate() {
            let separator = if index == last { ' ' } else { '-' };
            let line = format!("{code}{separator}{text}\r\n");
            self.writer.write_all(line.as_bytes()).await?;
        }
        self.writer.flush().await?;
        Ok(Flow::Continue)
    }

    /// Reads one line of at most `max_len` bytes (CR included) within the
    /// idle timeout.
    async fn read_line(&mut self, max_len: usize) -> io::Result<Input> {
        match tokio::time::timeout(
            self.config.idle_timeout,
            read_bounded_line(&mut self.reader, max_len),
        )
        .await
        {
            Ok(input) => input,
            Err(_) => Ok(Input::TimedOut),
        }
    }
}

/// Like `read_until(b'\n')`, but a line over `max_len` is skipped instead of
/// growing the buffer without bound.
async fn read_bounded_line<R>(reader: &mut R, max_len: usize) -> io::Result<Input>
where
    R: AsyncBufRead + Unpin,
{
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(Input::Closed);
        }
        let (chunk, used, complete) = match available.iter().position(|&byte| byte == b'\n') {
            Some(end) => (&available[..end], end + 1, true),
            None => (available, available.len(), false),
        };
        if !too_long {
            if line.len() + chunk.len() > max_len {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(used);
        if complete {
            break;
        }
    }
    if too_long {
        return Ok(Input::TooLong);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Input::Line(line))
}

fn decode_base64(text: &str) -> Option<String> {
    // RFC 4954 §4: "=" is an empty initial response.
    let text = text.trim();
    if text == "=" {
        return Some(String::new());
    }
    let bytes = BASE64.decode(text).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8], max_len: usize) -> Vec<String> {
        let mut reader = BufReader::with_capacity(8, input);
        let mut out = Vec::new();
        loop {
            match read_bounded_line(&mut reader, max_len)
                .await
                .expect("in-memory read")
            {
                Input::Line(line) => out.push(String::from_utf8_lossy(&line).into_owned()),
                Input::TooLong => out.push("<too long>".to_owned()),
                Input::Closed | Input::TimedOut => return out,
            }
        }
    }

    #[tokio::test]
    async fn splits_lines_across_buffer_refills_and_strips_crlf() {
        let read = lines(b"EHLO a-rather-long-name.test\r\nNOOP\nQUIT\r\n", 100).await;
        assert_eq!(read, ["EHLO a-rather-long-name.test", "NOOP", "QUIT"]);
    }

    #[tokio::test]
    async fn skips_an_overlong_line_and_keeps_reading() {
        let read = lines(b"0123456789ABCDEF\r\nNOOP\r\n", 10).await;
        assert_eq!(read, ["<too long>", "NOOP"]);
    }

    #[tokio::test]
    async fn drops_a_partial_line_at_end_of_input() {
        let read = lines(b"NOOP\r\nQUI", 10).await;
        assert_eq!(read, ["NOOP"]);
    }

    #[test]
    fn decodes_plain_and_empty_responses() {
        assert_eq!(
            decode_base64("AGJ1ZGkAc2VjcmV0").as_deref(),
            Some("\0budi\0secret")
        );
        assert_eq!(decode_base64("=").as_deref(), Some(""));
        assert_eq!(decode_base64("not base64!"), None);
    }
}
