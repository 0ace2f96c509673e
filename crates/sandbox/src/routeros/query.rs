//! What a print returns: the rows that pass its `?` query words and, of
//! each, the attributes `.proplist` names. RouterOS evaluates query words
//! on a stack — `?name=value` (or `?=name=value`), `?name` (has it),
//! `?-name` (lacks it), `?<name=value`, `?>name=value` push a truth value,
//! `?#` operators (`!`, `&`, `|`, `.`, a digit) combine them — and a row
//! passes when every value left on the stack is true. Matching is exact
//! and case-sensitive, as on the router; booleans match `yes`/`no` and
//! `true`/`false` alike, as a typed property does there.

/// One row: attribute names and values, in the router's order.
pub(crate) type Row = Vec<(String, String)>;

/// A compiled list of query words.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query(Vec<Step>);

#[derive(Debug, Clone)]
enum Step {
    Equals(String, String),
    Less(String, String),
    Greater(String, String),
    Has(String),
    Lacks(String),
    Operators(String),
}

/// A query the router would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid query")]
pub(crate) struct InvalidQuery;

impl Query {
    /// Compiles the `?` words of a request (other words are ignored).
    pub(crate) fn parse<'a>(
        words: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, InvalidQuery> {
        let mut steps = Vec::new();
        for word in words {
            let Some(body) = word.strip_prefix('?') else {
                continue;
            };
            let step = if let Some(operators) = body.strip_prefix('#') {
                Step::Operators(operators.to_owned())
            } else if let Some(rest) = body.strip_prefix('=') {
                let (name, value) = rest.split_once('=').ok_or(InvalidQuery)?;
                Step::Equals(name.to_owned(), value.to_owned())
            } else if let Some(rest) = body.strip_prefix('<') {
                let (name, value) = rest.split_once('=').ok_or(InvalidQuery)?;
                Step::Less(name.to_owned(), value.to_owned())
            } else if let Some(rest) = body.strip_prefix('>') {
                let (name, value) = rest.split_once('=').ok_or(InvalidQuery)?;
                Step::Greater(name.to_owned(), value.to_owned())
            } else if let Some(name) = body.strip_prefix('-') {
                Step::Lacks(name.to_owned())
            } else if let Some((name, value)) = body.split_once('=') {
                Step::Equals(name.to_owned(), value.to_owned())
            } else {
                Step::Has(body.to_owned())
            };
            if matches!(&step, Step::Equals(name, _) | Step::Has(name) | Step::Lacks(name) | Step::Less(name, _) | Step::Greater(name, _) if name.is_empty())
            {
                return Err(InvalidQuery);
            }
            steps.push(step);
        }
        let query = Query(steps);
        // An operator that underflows the stack fails whatever the row.
        query.matches(&Vec::new())?;
        Ok(query)
    }

    /// A query of one exact match, as REST's `?name=value` is.
    pub(crate) fn equals(pairs: &[(String, String)]) -> Self {
        Query(
            pairs
                .iter()
                .map(|(name, value)| Step::Equals(name.clone(), value.clone()))
                .collect(),
        )
    }

    pub(crate) fn matches(&self, row: &Row) -> Result<bool, InvalidQuery> {
        let get = |name: &str| {
            row.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let mut stack: Vec<bool> = Vec::new();
        for step in &self.0 {
            match step {
                Step::Equals(name, value) => {
                    stack.push(get(name).is_some_and(|have| same_value(have, value)));
                }
                Step::Less(name, value) => {
                    stack.push(get(name).is_some_and(|have| compare(have, value).is_lt()));
                }
                Step::Greater(name, value) => {
                    stack.push(get(name).is_some_and(|have| compare(have, value).is_gt()));
                }
                Step::Has(name) => stack.push(get(name).is_some()),
                Step::Lacks(name) => stack.push(get(name).is_none()),
                Step::Operators(operators) => {
                    for operator in operators.chars() {
                        apply(&mut stack, operator)?;
                    }
                }
            }
        }
        Ok(stack.into_iter().all(|value| value))
    }
}

fn apply(stack: &mut Vec<bool>, operator: char) -> Result<(), InvalidQuery> {
    match operator {
        '!' => {
            let top = stack.pop().ok_or(InvalidQuery)?;
            stack.push(!top);
        }
        '&' | '|' => {
            let right = stack.pop().ok_or(InvalidQuery)?;
            let left = stack.pop().ok_or(InvalidQuery)?;
            stack.push(if operator == '&' {
                left && right
            } else {
                left || right
            });
        }
        '.' => {
            stack.pop().ok_or(InvalidQuery)?;
        }
        digit if digit.is_ascii_digit() => {
            let position = usize::try_from(digit.to_digit(10).ok_or(InvalidQuery)?)
                .map_err(|_| InvalidQuery)?;
            let value = *stack.get(position).ok_or(InvalidQuery)?;
            stack.push(value);
        }
        _ => return Err(InvalidQuery),
    }
    Ok(())
}

fn boolean(value: &str) -> Option<bool> {
    match value {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

fn same_value(have: &str, want: &str) -> bool {
    have == want || matches!((boolean(have), boolean(want)), (Some(a), Some(b)) if a == b)
}

fn compare(have: &str, want: &str) -> std::cmp::Ordering {
    match (have.parse::<i64>(), want.parse::<i64>()) {
        (Ok(have), Ok(want)) => have.cmp(&want),
        _ => have.cmp(want),
    }
}

/// `=.proplist=a,b`: only those attributes, in the order asked; a missing
/// one is left out (a row may end up with no attribute at all, as on the
/// router).
pub(crate) fn project(row: Row, proplist: Option<&[String]>) -> Row {
    let Some(names) = proplist else {
        return row;
    };
    names
        .iter()
        .filter_map(|name| row.iter().find(|(key, _)| key == name).cloned())
        .collect()
}

/// The names of a `.proplist` value.
pub(crate) fn proplist(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn row(name: &str, disabled: &str) -> Row {
        vec![
            (".id".into(), "*1".into()),
            ("name".into(), name.into()),
            ("disabled".into(), disabled.into()),
        ]
    }

    #[test]
    fn exact_case_sensitive_and_stacked() {
        let budi = row("budi", "false");
        let q = Query::parse(["?name=budi"]).unwrap();
        assert!(q.matches(&budi).unwrap());
        assert!(
            !Query::parse(["?name=Budi"])
                .unwrap()
                .matches(&budi)
                .unwrap()
        );
        assert!(
            Query::parse(["?=disabled=no"])
                .unwrap()
                .matches(&budi)
                .unwrap()
        );
        let either = Query::parse(["?name=siti", "?name=budi", "?#|"]).unwrap();
        assert!(either.matches(&budi).unwrap());
        let not = Query::parse(["?name=budi", "?#!"]).unwrap();
        assert!(!not.matches(&budi).unwrap());
        assert!(
            Query::parse(["?comment", "?#!"])
                .unwrap()
                .matches(&budi)
                .unwrap()
        );
        assert!(Query::parse(["?-comment"]).unwrap().matches(&budi).unwrap());
        assert_eq!(Query::parse(["?#|"]).unwrap_err(), InvalidQuery);
    }
}
