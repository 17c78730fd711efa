//! A report's expression `filter` turned into structured filters, for the expressions a
//! query can run: comparisons of a field with a literal, joined by `and`.
//!
//! Accepted: `field == lit`, `!=`, `<`, `<=`, `>`, `>=` (either side may be the field),
//! `field in [lit, …]`, `field is none`, `field is not none`, parentheses, and `and`.
//! Literals are strings in `'` or `"`, numbers, `true`/`false` and `none` (any case of the
//! first letter, as minijinja accepts). Anything else (`or`, `not`, arithmetic, calls) is
//! refused with [`PlanError::ExpressionFilter`], so a report never runs a filter it cannot
//! express exactly.

use formwork_model::{FilterDef, FilterOp};
use serde_json::Value;

use crate::error::PlanError;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Lit(Value),
    Op(&'static str),
    Open,
    Close,
    OpenList,
    CloseList,
    Comma,
}

fn refused() -> PlanError {
    PlanError::ExpressionFilter {
        at: "/filter".into(),
    }
}

fn tokens(src: &str) -> Result<Vec<Token>, PlanError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | ')' | '[' | ']' | ',' => {
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenList,
                    ']' => Token::CloseList,
                    _ => Token::Comma,
                });
                i += 1;
            }
            '=' | '!' | '<' | '>' => {
                let op = match (c, next) {
                    ('=', Some('=')) => "==",
                    ('!', Some('=')) => "!=",
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    ('>', _) => ">",
                    _ => return Err(refused()),
                };
                i += op.len();
                out.push(Token::Op(op));
            }
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|x| *x == c)
                    .ok_or_else(refused)?;
                let text: String = chars[i + 1..i + 1 + end].iter().collect();
                if text.contains('\\') {
                    return Err(refused());
                }
                out.push(Token::Lit(Value::String(text)));
                i += end + 2;
            }
            c if c.is_ascii_digit() || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) => {
                let len = chars[i + 1..]
                    .iter()
                    .take_while(|x| x.is_ascii_digit() || **x == '.')
                    .count();
                let text: String = chars[i..i + 1 + len].iter().collect();
                let number: serde_json::Number = text.parse().map_err(|_| refused())?;
                out.push(Token::Lit(Value::Number(number)));
                i += len + 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|x| x.is_ascii_alphanumeric() || **x == '_')
                    .count();
                let word: String = chars[i..i + len].iter().collect();
                out.push(match word.as_str() {
                    "true" | "True" => Token::Lit(Value::Bool(true)),
                    "false" | "False" => Token::Lit(Value::Bool(false)),
                    "none" | "None" => Token::Lit(Value::Null),
                    _ => Token::Ident(word),
                });
                i += len;
            }
            _ => return Err(refused()),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn take(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(x)) if x == w)
    }

    /// `term (and term)*`.
    fn conjunction(&mut self, out: &mut Vec<FilterDef>) -> Result<(), PlanError> {
        self.term(out)?;
        while self.word("and") {
            self.at += 1;
            self.term(out)?;
        }
        Ok(())
    }

    fn term(&mut self, out: &mut Vec<FilterDef>) -> Result<(), PlanError> {
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            self.conjunction(out)?;
            return match self.take() {
                Some(Token::Close) => Ok(()),
                _ => Err(refused()),
            };
        }
        let filter = |field: String, op, value: Option<Value>| FilterDef {
            field,
            op,
            value,
            to_field: None,
        };
        match (self.take(), self.take()) {
            (Some(Token::Ident(field)), Some(Token::Ident(is))) if is == "is" => {
                let negated = self.word("not");
                if negated {
                    self.at += 1;
                }
                match self.take() {
                    Some(Token::Lit(Value::Null)) => {
                        let op = if negated {
                            FilterOp::NotNull
                        } else {
                            FilterOp::IsNull
                        };
                        out.push(filter(field, op, None));
                        Ok(())
                    }
                    _ => Err(refused()),
                }
            }
            (Some(Token::Ident(field)), Some(Token::Ident(is_in))) if is_in == "in" => {
                if self.take() != Some(Token::OpenList) {
                    return Err(refused());
                }
                let mut items = Vec::new();
                loop {
                    match self.take() {
                        Some(Token::Lit(v)) if !v.is_null() => items.push(v),
                        _ => return Err(refused()),
                    }
                    match self.take() {
                        Some(Token::Comma) => {}
                        Some(Token::CloseList) => break,
                        _ => return Err(refused()),
                    }
                }
                out.push(filter(field, FilterOp::In, Some(Value::Array(items))));
                Ok(())
            }
            (Some(Token::Ident(field)), Some(Token::Op(op))) => {
                let Some(Token::Lit(value)) = self.take() else {
                    return Err(refused());
                };
                out.push(comparison(field, op, value, false)?);
                Ok(())
            }
            (Some(Token::Lit(value)), Some(Token::Op(op))) => {
                let Some(Token::Ident(field)) = self.take() else {
                    return Err(refused());
                };
                out.push(comparison(field, op, value, true)?);
                Ok(())
            }
            _ => Err(refused()),
        }
    }
}

fn comparison(
    field: String,
    op: &str,
    value: Value,
    flipped: bool,
) -> Result<FilterDef, PlanError> {
    let op = match (op, flipped) {
        ("==", _) => FilterOp::Eq,
        ("!=", _) => FilterOp::Ne,
        ("<", false) | (">", true) => FilterOp::Lt,
        ("<=", false) | (">=", true) => FilterOp::Le,
        (">", false) | ("<", true) => FilterOp::Gt,
        _ => FilterOp::Ge,
    };
    Ok(match (op, value) {
        (FilterOp::Eq, Value::Null) => FilterDef {
            field,
            op: FilterOp::IsNull,
            value: None,
            to_field: None,
        },
        (FilterOp::Ne, Value::Null) => FilterDef {
            field,
            op: FilterOp::NotNull,
            value: None,
            to_field: None,
        },
        (_, Value::Null) => return Err(refused()),
        (op, value) => FilterDef {
            field,
            op,
            value: Some(value),
            to_field: None,
        },
    })
}

/// The filters `src` means, or [`PlanError::ExpressionFilter`] when it is outside the subset.
pub fn translate(src: &str) -> Result<Vec<FilterDef>, PlanError> {
    let mut parser = Parser {
        tokens: tokens(src)?,
        at: 0,
    };
    let mut out = Vec::new();
    parser.conjunction(&mut out)?;
    if parser.at != parser.tokens.len() {
        return Err(refused());
    }
    Ok(out)
}
