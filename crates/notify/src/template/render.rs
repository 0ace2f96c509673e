//! Template text: `{placeholder}` slots, `{{` and `}}` for literal braces.
//! Checked when saved (unknown or missing placeholders are refused) and
//! filled when sent.

use std::collections::BTreeSet;

use super::catalog::EventDefinition;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{0}}}")]
    UnknownPlaceholder(String),
    #[error("required placeholder {{{0}}} is missing")]
    MissingPlaceholder(&'static str),
    #[error("unbalanced brace at character {0}; write {{{{ or }}}} for a literal brace")]
    UnbalancedBrace(usize),
}

enum Piece<'a> {
    Text(&'a str),
    Literal(char),
    Slot(&'a str),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut text_start = 0;
    let bytes = template.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'{' if bytes.get(index + 1) == Some(&b'{') => {
                out.push(Piece::Text(&template[text_start..index]));
                out.push(Piece::Literal('{'));
                index += 2;
                text_start = index;
            }
            b'}' if bytes.get(index + 1) == Some(&b'}') => {
                out.push(Piece::Text(&template[text_start..index]));
                out.push(Piece::Literal('}'));
                index += 2;
                text_start = index;
            }
            b'{' => {
                let end = template[index..]
                    .find('}')
                    .map(|offset| index + offset)
                    .ok_or(TemplateError::UnbalancedBrace(index))?;
                let name = &template[index + 1..end];
                if name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    return Err(TemplateError::UnbalancedBrace(index));
                }
                out.push(Piece::Text(&template[text_start..index]));
                out.push(Piece::Slot(name));
                index = end + 1;
                text_start = index;
            }
            b'}' => return Err(TemplateError::UnbalancedBrace(index)),
            _ => index += 1,
        }
    }
    out.push(Piece::Text(&template[text_start..]));
    Ok(out)
}

/// Every problem of a subject + body pair for an event, as (field, error).
pub fn validate(
    event: &EventDefinition,
    subject: &str,
    body: &str,
) -> Vec<(&'static str, TemplateError)> {
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for (field, text) in [("subject", subject), ("body", body)] {
        match pieces(text) {
            Ok(parts) => {
                for part in parts {
                    if let Piece::Slot(name) = part {
                        if event
                            .placeholders
                            .iter()
                            .any(|placeholder| placeholder.name == name)
                        {
                            used.insert(name.to_owned());
                        } else {
                            problems
                                .push((field, TemplateError::UnknownPlaceholder(name.to_owned())));
                        }
                    }
                }
            }
            Err(error) => problems.push((field, error)),
        }
    }
    for placeholder in event
        .placeholders
        .iter()
        .filter(|placeholder| placeholder.required)
    {
        if !used.contains(placeholder.name) {
            problems.push(("body", TemplateError::MissingPlaceholder(placeholder.name)));
        }
    }
    problems
}

/// Fills the slots from `value_of`; a slot without a value renders empty
/// (only optional placeholders can lack one: saving checked the rest).
pub fn render(
    template: &str,
    value_of: &dyn Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 32);
    for piece in pieces(template)? {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Literal(ch) => out.push(ch),
            Piece::Slot(name) => out.push_str(&value_of(name).unwrap_or_default()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::catalog::{ACCOUNT_LOCKED, event};
    use super::*;

    #[test]
    fn renders_slots_and_literal_braces() {
        let rendered = render("Halo {name}, {{kode}} {code}", &|name| {
            Some(format!("<{name}>"))
        })
        .expect("valid");
        assert_eq!(rendered, "Halo <name>, {kode} <code>");
    }

    #[test]
    fn refuses_unknown_missing_and_broken_placeholders() {
        let locked = event(ACCOUNT_LOCKED).expect("in catalog");
        assert!(validate(locked, "Dikunci", "Dikunci {minutes} menit, {name}").is_empty());
        let problems = validate(locked, "Dikunci {order_id}", "Dikunci sebentar");
        assert_eq!(
            problems,
            vec![
                (
                    "subject",
                    TemplateError::UnknownPlaceholder("order_id".to_owned())
                ),
                ("body", TemplateError::MissingPlaceholder("minutes"))
            ]
        );
        assert!(matches!(
            validate(locked, "x", "{minutes").as_slice(),
            [("body", TemplateError::UnbalancedBrace(0)), ..]
        ));
        assert!(matches!(
            validate(locked, "x", "{minutes} }").as_slice(),
            [("body", TemplateError::UnbalancedBrace(10)), ..]
        ));
    }

    #[test]
    fn every_built_in_text_is_valid() {
        for definition in super::super::catalog::EVENTS {
            for (subject, body) in definition.defaults {
                assert!(
                    validate(definition, subject, body).is_empty(),
                    "{}",
                    definition.key
                );
            }
        }
    }
}
