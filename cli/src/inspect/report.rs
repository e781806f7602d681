//! The facts found, as one tree rendered either as indented text or as JSON, so that both
//! outputs always carry the same facts.

use std::fmt::Write as _;

/// A value in the report.
#[derive(Clone, Debug)]
pub enum V {
    Str(String),
    Num(i64),
    Bool(bool),
    List(Vec<V>),
    Obj(Obj),
}

/// An ordered set of named values.
#[derive(Clone, Debug, Default)]
pub struct Obj(pub Vec<(String, V)>);

impl Obj {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn set(&mut self, key: &str, v: V) -> &mut Self {
        self.0.push((key.to_owned(), v));
        self
    }
    pub fn s(&mut self, key: &str, v: impl Into<String>) -> &mut Self {
        self.set(key, V::Str(v.into()))
    }
    pub fn n(&mut self, key: &str, v: usize) -> &mut Self {
        self.set(key, V::Num(i64::try_from(v).unwrap_or(i64::MAX)))
    }
    pub fn b(&mut self, key: &str, v: bool) -> &mut Self {
        self.set(key, V::Bool(v))
    }
    pub fn o(&mut self, key: &str, v: Obj) -> &mut Self {
        self.set(key, V::Obj(v))
    }
    pub fn l(&mut self, key: &str, v: Vec<V>) -> &mut Self {
        self.set(key, V::List(v))
    }
}

impl From<Obj> for V {
    fn from(o: Obj) -> Self {
        V::Obj(o)
    }
}

/// Indented `key: value` text.
pub fn text(o: &Obj) -> String {
    let mut out = String::new();
    obj_text(o, 0, &mut out);
    out
}

fn scalar(v: &V) -> Option<String> {
    match v {
        V::Str(s) => Some(s.clone()),
        V::Num(n) => Some(n.to_string()),
        V::Bool(b) => Some(if *b { "yes".into() } else { "no".into() }),
        V::List(l) if l.is_empty() => Some("(none)".into()),
        V::List(_) | V::Obj(_) => None,
    }
}

fn label(key: &str) -> String {
    key.replace('_', " ")
}

fn obj_text(o: &Obj, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (k, v) in &o.0 {
        if let Some(s) = scalar(v) {
            let _ = writeln!(out, "{pad}{}: {s}", label(k));
            continue;
        }
        let _ = writeln!(out, "{pad}{}:", label(k));
        match v {
            V::Obj(inner) => obj_text(inner, indent + 2, out),
            V::List(items) => list_text(items, indent + 2, out),
            _ => {}
        }
    }
}

fn list_text(items: &[V], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            V::Obj(o) => {
                let mut inner = String::new();
                obj_text(o, indent + 2, &mut inner);
                // The first line goes after the dash.
                let trimmed = inner.get(indent + 2..).unwrap_or("");
                let _ = write!(out, "{pad}- {trimmed}");
            }
            V::List(l) => {
                let _ = writeln!(out, "{pad}-");
                list_text(l, indent + 2, out);
            }
            other => {
                let _ = writeln!(out, "{pad}- {}", scalar(other).unwrap_or_default());
            }
        }
    }
}

/// Pretty-printed JSON.
pub fn json(o: &Obj) -> String {
    let mut out = String::new();
    obj_json(o, 0, &mut out);
    out.push('\n');
    out
}

fn obj_json(o: &Obj, indent: usize, out: &mut String) {
    if o.0.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    let pad = " ".repeat(indent + 2);
    for (i, (k, v)) in o.0.iter().enumerate() {
        out.push_str(&pad);
        json_str(k, out);
        out.push_str(": ");
        value_json(v, indent + 2, out);
        if i + 1 < o.0.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str(&" ".repeat(indent));
    out.push('}');
}

fn value_json(v: &V, indent: usize, out: &mut String) {
    match v {
        V::Str(s) => json_str(s, out),
        V::Num(n) => out.push_str(&n.to_string()),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Obj(o) => obj_json(o, indent, out),
        V::List(l) if l.is_empty() => out.push_str("[]"),
        V::List(l) => {
            out.push_str("[\n");
            let pad = " ".repeat(indent + 2);
            for (i, item) in l.iter().enumerate() {
                out.push_str(&pad);
                value_json(item, indent + 2, out);
                if i + 1 < l.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
        }
    }
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
