//! Parsing of SMTP command lines (RFC 5321 §4.1) into [`Command`]s.
//!
//! Parsing is kept apart from the session so the grammar can be tested
//! without sockets.

/// One command line from the client, already split into its arguments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command<'a> {
    Ehlo(&'a str),
    Helo(&'a str),
    Mail(MailFrom<'a>),
    Rcpt(&'a str),
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    Auth {
        mechanism: &'a str,
        initial_response: Option<&'a str>,
    },
    /// Commands real servers know but this sink does not offer (`STARTTLS`,
    /// `EXPN`, `BDAT`, ...); they get 502 rather than "unknown".
    NotImplemented,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct MailFrom<'a> {
    /// Empty for the null reverse-path `<>`.
    pub path: &'a str,
    /// The `SIZE=` the client declared (RFC 1870).
    pub declared_size: Option<u64>,
}

/// Why a line is not a command the session can act on; each maps to one reply.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CommandError {
    /// 500: not an SMTP command at all.
    Unrecognized,
    /// 501: a known command with bad arguments.
    Syntax(&'static str),
    /// 555: a `MAIL`/`RCPT` parameter this server did not advertise.
    UnsupportedParameter,
}

impl<'a> Command<'a> {
    pub(crate) fn parse(line: &'a str) -> Result<Self, CommandError> {
        let line = line.trim_end();
        let (verb, args) = match line.split_once(' ') {
            Some((verb, args)) => (verb, args.trim()),
            None => (line, ""),
        };
        let verb = verb.to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => non_empty(args, "EHLO needs a domain or address literal").map(Command::Ehlo),
            "HELO" => non_empty(args, "HELO needs a domain").map(Command::Helo),
            "MAIL" => parse_mail(args).map(Command::Mail),
            "RCPT" => parse_rcpt(args).map(Command::Rcpt),
            "DATA" => no_args(args, Command::Data),
            "RSET" => no_args(args, Command::Rset),
            // NOOP and HELP may carry an argument, which servers ignore.
            "NOOP" => Ok(Command::Noop),
            "HELP" => Ok(Command::Help),
            "QUIT" => no_args(args, Command::Quit),
            "VRFY" => non_empty(args, "VRFY needs a user or mailbox").map(|_| Command::Vrfy),
            "AUTH" => parse_auth(args),
            "STARTTLS" | "EXPN" | "BDAT" | "TURN" | "ETRN" | "ATRN" => Ok(Command::NotImplemented),
            _ => Err(CommandError::Unrecognized),
        }
    }
}

fn non_empty<'a>(args: &'a str, problem: &'static str) -> Result<&'a str, CommandError> {
    if args.is_empty() {
        Err(CommandError::Syntax(problem))
    } else {
        Ok(args)
    }
}

fn no_args<'a>(args: &str, command: Command<'a>) -> Result<Command<'a>, CommandError> {
    if args.is_empty() {
        Ok(command)
    } else {
        Err(CommandError::Syntax("this command takes no arguments"))
    }
}

fn parse_mail(args: &str) -> Result<MailFrom<'_>, CommandError> {
    let rest = strip_prefix_ignore_case(args, "FROM:")
        .ok_or(CommandError::Syntax("use MAIL FROM:<address>"))?;
    let (path, params) = split_path(rest)?;
    let mut declared_size = None;
    for param in params.split_ascii_whitespace() {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => {
                declared_size = Some(
                    value
                        .parse()
                        .map_err(|_| CommandError::Syntax("SIZE must be a number"))?,
                );
            }
            // Advertised (8BITMIME, SMTPUTF8, AUTH), so their parameters are
            // accepted; the sink stores bytes as they come either way.
            "BODY" | "SMTPUTF8" | "AUTH" => {}
            _ => return Err(CommandError::UnsupportedParameter),
        }
    }
    Ok(MailFrom {
        path,
        declared_size,
    })
}

fn parse_rcpt(args: &str) -> Result<&str, CommandError> {
    let rest = strip_prefix_ignore_case(args, "TO:")
        .ok_or(CommandError::Syntax("use RCPT TO:<address>"))?;
    let (path, params) = split_path(rest)?;
    if !params.trim().is_empty() {
        return Err(CommandError::UnsupportedParameter);
    }
    if path.is_empty() {
        return Err(CommandError::Syntax("a recipient address is required"));
    }
    if !path.contains('@') && !path.eq_ignore_ascii_case("postmaster") {
        return Err(CommandError::Syntax("a recipient needs a domain"));
    }
    Ok(path)
}

fn parse_auth(args: &str) -> Result<Command<'_>, CommandError> {
    let mut words = args.split_ascii_whitespace();
    let mechanism = words
        .next()
        .ok_or(CommandError::Syntax("AUTH needs a mechanism"))?;
    let initial_response = words.next();
    if words.next().is_some() {
        return Err(CommandError::Syntax(
            "AUTH takes a mechanism and one response",
        ));
    }
    Ok(Command::Auth {
        mechanism,
        initial_response,
    })
}

/// Splits `<path> params` into the path (without brackets or an obsolete
/// source route) and the parameter text.
fn split_path(rest: &str) -> Result<(&str, &str), CommandError> {
    // Some clients write `MAIL FROM: <a@b>`; Postfix and Exim accept it, so
    // a fake that refused it would fail clients the real servers pass.
    let rest = rest.trim_start();
    let (path, params) = if let Some(inner) = rest.strip_prefix('<') {
        let end = inner
            .find('>')
            .ok_or(CommandError::Syntax("missing '>' after the address"))?;
        (&inner[..end], &inner[end + 1..])
    } else {
        // Bare addresses are likewise tolerated by common servers.
        rest.split_once(' ').unwrap_or((rest, ""))
    };
    let path = match path.split_once(':') {
        Some((route, mailbox)) if route.starts_with('@') => mailbox,
        _ => path,
    };
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CommandError::Syntax("the address contains spaces"));
    }
    Ok((path, params))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_case_insensitive() {
        assert_eq!(
            Command::parse("ehlo client.test"),
            Ok(Command::Ehlo("client.test"))
        );
        assert_eq!(Command::parse("Quit"), Ok(Command::Quit));
    }

    #[test]
    fn mail_from_takes_the_path_and_the_size_parameter() {
        assert_eq!(
            Command::parse("MAIL FROM:<shop@juragan.test> SIZE=1024 BODY=8BITMIME"),
            Ok(Command::Mail(MailFrom {
                path: "shop@juragan.test",
                declared_size: Some(1024)
            }))
        );
    }

    #[test]
    fn mail_from_accepts_the_null_path_and_a_space_after_the_colon() {
        assert_eq!(
            Command::parse("mail from: <>"),
            Ok(Command::Mail(MailFrom {
                path: "",
                declared_size: None
            }))
        );
    }

    #[test]
    fn rcpt_drops_an_obsolete_source_route() {
        assert_eq!(
            Command::parse("RCPT TO:<@relay.test:budi@example.test>"),
            Ok(Command::Rcpt("budi@example.test"))
        );
    }

    #[test]
    fn rcpt_rejects_empty_and_domainless_addresses() {
        assert!(matches!(
            Command::parse("RCPT TO:<>"),
            Err(CommandError::Syntax(_))
        ));
        assert!(matches!(
            Command::parse("RCPT TO:<budi>"),
            Err(CommandError::Syntax(_))
        ));
        assert_eq!(
            Command::parse("RCPT TO:<Postmaster>"),
            Ok(Command::Rcpt("Postmaster"))
        );
    }

    #[test]
    fn unadvertised_parameters_are_refused() {
        assert_eq!(
            Command::parse("RCPT TO:<a@b.test> NOTIFY=SUCCESS"),
            Err(CommandError::UnsupportedParameter)
        );
        assert_eq!(
            Command::parse("MAIL FROM:<a@b.test> RET=FULL"),
            Err(CommandError::UnsupportedParameter)
        );
    }

    #[test]
    fn unknown_and_unoffered_commands_differ() {
        assert_eq!(Command::parse("FROB"), Err(CommandError::Unrecognized));
        assert_eq!(Command::parse("STARTTLS"), Ok(Command::NotImplemented));
    }

    #[test]
    fn auth_carries_an_optional_initial_response() {
        assert_eq!(
            Command::parse("AUTH PLAIN AGJ1ZGkAc2VjcmV0"),
            Ok(Command::Auth {
                mechanism: "PLAIN",
                initial_response: Some("AGJ1ZGkAc2VjcmV0")
            })
        );
        assert_eq!(
            Command::parse("AUTH LOGIN"),
            Ok(Command::Auth {
                mechanism: "LOGIN",
                initial_response: None
            })
        );
    }
}
