//! [`EventOut`] that builds a `serde_json::Value` tree.

use super::lookup::Obj;
use super::out::{ocsf_str, EventOut};
use serde_json::{Map, Value};

/// Builds a `serde_json::Value` tree.
#[derive(Default)]
pub(super) struct ValueOut {
    profiles: u8,
    root: Obj,
    /// Open containers with the key they will be stored under.
    stack: Vec<(String, Value)>,
}

impl ValueOut {
    fn put(&mut self, key: &str, v: Value) {
        match self.stack.last_mut() {
            None => {
                self.root.insert(key.to_owned(), v);
            }
            Some((_, Value::Object(m))) => {
                m.insert(key.to_owned(), v);
            }
            Some((_, Value::Array(a))) => a.push(v),
            Some(_) => unreachable!("only containers are pushed"),
        }
    }

    pub(super) fn finish(self) -> Obj {
        debug_assert!(self.stack.is_empty(), "unclosed container");
        self.root
    }
}

impl EventOut for ValueOut {
    fn str(&mut self, key: &'static str, v: &str) {
        self.put(key, Value::String(ocsf_str(v).to_owned()));
    }
    fn uint(&mut self, key: &'static str, v: u64) {
        self.put(key, v.into());
    }
    fn int(&mut self, key: &'static str, v: i64) {
        self.put(key, v.into());
    }
    fn boolean(&mut self, key: &'static str, v: bool) {
        self.put(key, v.into());
    }
    fn map(&mut self, key: &'static str, v: &Obj) {
        self.put(key, Value::Object(v.clone()));
    }
    fn json_text(&mut self, key: &'static str, text: &str) {
        let value = serde_json::from_str(text).expect("json_text is given parsed JSON");
        self.put(key, value);
    }
    fn open(&mut self, key: &'static str) {
        self.stack.push((key.to_owned(), Value::Object(Map::new())));
    }
    fn open_array(&mut self, key: &'static str) {
        self.stack.push((key.to_owned(), Value::Array(Vec::new())));
    }
    fn close(&mut self) {
        let (key, container) = self.stack.pop().expect("close without open");
        let empty = match &container {
            Value::Object(m) => m.is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => true,
        };
        if !empty {
            self.put(&key, container);
        }
    }
    fn close_keep(&mut self) {
        let (key, container) = self.stack.pop().expect("close without open");
        self.put(&key, container);
    }
    fn declare(&mut self, profile: u8) {
        self.profiles |= profile;
    }
    fn profiles(&self) -> u8 {
        self.profiles
    }
}
