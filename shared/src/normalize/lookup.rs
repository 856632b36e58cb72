//! Field access to parsed records for the mappings.

use crate::logs::vpc_flow::VpcFlowRecord;
use serde_json::{Map, Value};

pub(super) type Obj = Map<String, Value>;

/// Field access for mappings that read either a map or a format's typed record view.
pub(super) trait Lookup {
    /// A string field.
    fn str(&self, key: &str) -> Option<&str>;
    /// An unsigned integer field.
    fn u64(&self, key: &str) -> Option<u64>;
}

impl Lookup for Obj {
    fn str(&self, key: &str) -> Option<&str> {
        get_str(self, key)
    }
    fn u64(&self, key: &str) -> Option<u64> {
        get_u64(self, key)
    }
}

impl Lookup for VpcFlowRecord<'_> {
    fn str(&self, key: &str) -> Option<&str> {
        self.text(key)
    }
    fn u64(&self, key: &str) -> Option<u64> {
        self.uint(key)
    }
}

/// A string field; AWS's `-` placeholder for "none" (WAF's `httpSourceName` and
/// `httpSourceId`, as every line format's `-`) reads as absent, never as a value.
pub(super) fn get_str<'a>(r: &'a Obj, key: &str) -> Option<&'a str> {
    present(r.get(key)?.as_str()?)
}

/// `s`, unless it is the `-` placeholder.
fn present(s: &str) -> Option<&str> {
    (s != "-").then_some(s)
}

pub(super) fn get_u64(r: &Obj, key: &str) -> Option<u64> {
    r.get(key)?.as_u64()
}

pub(super) fn get_f64(r: &Obj, key: &str) -> Option<f64> {
    r.get(key)?.as_f64()
}

pub(super) fn get_obj<'a>(r: &'a Obj, key: &str) -> Option<&'a Obj> {
    r.get(key)?.as_object()
}

pub(super) fn path<'a>(r: &'a Obj, keys: &[&str]) -> Option<&'a Value> {
    let (last, parents) = keys.split_last()?;
    let mut cur = r;
    for k in parents {
        cur = get_obj(cur, k)?;
    }
    cur.get(*last)
}

pub(super) fn path_str<'a>(r: &'a Obj, keys: &[&str]) -> Option<&'a str> {
    present(path(r, keys)?.as_str()?)
}
