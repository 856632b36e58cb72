//! The sink-neutral event writer every mapping writes to.

use super::lookup::Obj;
use std::net::IpAddr;

/// Receives an event as it is mapped.
///
/// Objects and arrays are opened and closed around their members; one closed
/// with no members disappears, so mappings never write empty objects. Inside
/// an array, keys are ignored.
pub(super) trait EventOut {
    fn str(&mut self, key: &'static str, v: &str);
    /// A string given in pieces, saving a temporary allocation on the text path.
    fn str_parts(&mut self, key: &'static str, parts: &[&str]) {
        self.str(key, &parts.concat());
    }
    fn uint(&mut self, key: &'static str, v: u64);
    fn int(&mut self, key: &'static str, v: i64);
    fn boolean(&mut self, key: &'static str, v: bool);
    fn map(&mut self, key: &'static str, v: &Obj);
    /// A value given as JSON text known to be valid and free of line breaks.
    fn json_text(&mut self, key: &'static str, text: &str);
    fn open(&mut self, key: &'static str);
    fn open_array(&mut self, key: &'static str);
    fn close(&mut self);
    /// Closes an object that stays in the event even when empty (`{}`), for an
    /// attribute the class requires when the source has nothing to put in it.
    fn close_keep(&mut self);
    /// Declares that the event uses a profile's attributes (`PROFILE_*` bits).
    fn declare(&mut self, profile: u8);
    /// The profiles declared so far.
    fn profiles(&self) -> u8;
    /// String members that are the same in every event of a source object, as
    /// [`Self::str`] writes them; the text writer copies their JSON, rendered once per object.
    fn constant_strs(&mut self, members: &ConstantStrs) {
        for (key, value) in &members.members {
            self.str(key, value);
        }
    }
}

/// Longest string an OCSF `string_t` attribute holds: the schema's `max_len` (65,535).
pub(super) const MAX_STRING_BYTES: usize = 65_535;

/// `v` cut to at most [`MAX_STRING_BYTES`] bytes (so as many characters at most) at a
/// character boundary: every writer's string attributes go through it. The whole value
/// stays where the event keeps the record itself (`unmapped.record`, a free-form object).
pub(super) fn ocsf_str(v: &str) -> &str {
    if v.len() <= MAX_STRING_BYTES {
        return v;
    }
    let mut end = MAX_STRING_BYTES;
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    &v[..end]
}

/// String members written unchanged into every event of one source object (its bucket,
/// key, ETag), with their JSON text (`"bucket":"...","key":"..."`) rendered once.
#[derive(Debug, Clone, Default)]
pub(super) struct ConstantStrs {
    members: Vec<(&'static str, String)>,
    json: String,
}

impl ConstantStrs {
    /// The members whose value is present, in order.
    pub(super) fn new(members: &[(&'static str, Option<&str>)]) -> Self {
        let members: Vec<(&'static str, String)> = members
            .iter()
            .filter_map(|(k, v)| Some((*k, (*v)?.to_owned())))
            .collect();
        let mut json = String::new();
        for (i, (key, value)) in members.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push('"');
            json.push_str(key);
            json.push_str("\":");
            super::json_out::write_json_str(&mut json, value);
        }
        ConstantStrs { members, json }
    }

    /// The members whose value is present, in order.
    pub(super) fn members(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.members.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// The members as JSON object members, without braces; empty when there are none.
    pub(super) fn json(&self) -> &str {
        &self.json
    }
}

pub(super) fn opt_str(out: &mut dyn EventOut, key: &'static str, v: Option<&str>) {
    if let Some(v) = v.filter(|v| !v.is_empty()) {
        out.str(key, v);
    }
}

/// An address from the input, only when it is one (OCSF's `ip_t`): anything else (a
/// damaged or custom value) stays in the original record.
pub(super) fn opt_ip(out: &mut dyn EventOut, key: &'static str, v: Option<&str>) {
    if let Some(v) = v.filter(|v| v.parse::<IpAddr>().is_ok()) {
        out.str(key, v);
    }
}

/// A host name from the input as OCSF's `hostname_t` takes it (dot-separated labels of
/// letters, digits and inner hyphens), without the DNS root's trailing dot
/// (`www.example.com.` is `www.example.com`); anything else (a `host:port`, an IPv6
/// literal, an `_underscore` label) is left out and stays in the original record.
pub(super) fn opt_hostname(out: &mut dyn EventOut, key: &'static str, v: Option<&str>) {
    if let Some(v) = v.and_then(host_name) {
        out.str(key, v);
    }
}

/// `name` as OCSF's `hostname_t` takes it, without its trailing dot; `None` when it is
/// not a host name. The schema's pattern (OCSF 1.3 dictionary, `hostname_t`):
/// `^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9])$`.
pub(super) fn host_name(name: &str) -> Option<&str> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let label = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    name.split('.').all(label).then_some(name)
}

/// A counter from the input; one past `i64::MAX` is left out (OCSF's `long_t` is signed).
pub(super) fn opt_uint(out: &mut dyn EventOut, key: &'static str, v: Option<u64>) {
    if let Some(v) = v.filter(|v| i64::try_from(*v).is_ok()) {
        out.uint(key, v);
    }
}

pub(super) fn opt_int(out: &mut dyn EventOut, key: &'static str, v: Option<i64>) {
    if let Some(v) = v {
        out.int(key, v);
    }
}

#[cfg(test)]
mod tests {
    use crate::normalize::test_support::built;
    use serde_json::json;

    #[test]
    fn empty_objects_and_arrays_are_left_out_by_both_outputs() {
        let (value, text) = built(|out| {
            out.open("first_empty");
            out.open("nested_empty");
            out.close();
            out.close();
            out.str("kept", "x");
            out.open_array("empty_list");
            out.close();
            out.open("partly");
            out.open("empty");
            out.close();
            out.uint("n", 1);
            out.close();
            out.open_array("list");
            out.str("", "a\"b");
            out.open("");
            out.boolean("flag", true);
            out.close();
            out.close();
        });
        let expected =
            json!({ "kept": "x", "partly": { "n": 1 }, "list": ["a\"b", { "flag": true }] });
        assert_eq!(value, expected);
        assert_eq!(text, expected);
    }
}
