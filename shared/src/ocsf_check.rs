//! Checks OCSF events against the schema as a strict consumer does.
//!
//! The schema comes as the compact table `shared/ocsf/schema-1.3.0.json`, generated
//! from the OCSF 1.3.0 schema source by `scripts/ocsf-schema-table.py` (`make
//! ocsf-table`, with ocsf-lib's compiler). [`Schema::validate`] reports, per event:
//! an unknown class; `category_uid` not the class's; `type_uid` other than
//! `class_uid * 100 + activity_id`; a required attribute missing (a profile's
//! attributes count only where `metadata.profiles` declares the profile); an attribute
//! the class or object does not define, or one from an undeclared profile (free-form
//! data belongs under `unmapped`); an enum value the schema does not define; a value of
//! the wrong type (`integer_t` an integer, `timestamp_t` integer milliseconds, `ip_t` an
//! IP address, `port_t` 0..=65535, strings within their type's `max_len` and matching its
//! `regex` (`hostname_t`, `email_t`, `mac_t`...), arrays where the schema says arrays); and an object's
//! `at_least_one` / `just_one` constraint broken.
//!
//! The library does not embed the table (the Lambda functions never need it); tests
//! and tools read it with [`Schema::from_json`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;
use serde_json::{Map, Value};

/// Path of the committed table, relative to the `shared` crate's directory.
pub const TABLE_PATH: &str = "ocsf/schema-1.3.0.json";

/// A table that does not parse, or holds a type pattern that does not compile.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The table is not the JSON `scripts/ocsf-schema-table.py` writes.
    #[error("OCSF schema table: {0}")]
    Json(#[from] serde_json::Error),
    /// A type's `regex` is not a pattern the `regex` engines accept.
    #[error("OCSF schema table: the regex of type {name}: {source}")]
    Pattern {
        /// The type (`hostname_t`).
        name: String,
        /// Why it does not compile.
        source: Box<regex_automata::meta::BuildError>,
    },
}

/// One attribute's definition: type, object, requirement, array, profile, enum values.
#[derive(Debug, Deserialize)]
struct AttrDef {
    t: String,
    #[serde(default)]
    o: Option<String>,
    #[serde(default)]
    r: u8,
    #[serde(default)]
    a: u8,
    #[serde(default)]
    p: Option<String>,
    #[serde(default)]
    e: Option<Vec<Value>>,
}

#[derive(Debug, Default, Deserialize)]
struct Constraints {
    #[serde(default)]
    at_least_one: Vec<String>,
    #[serde(default)]
    just_one: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ClassDef {
    name: String,
    category_uid: u64,
    attributes: BTreeMap<String, AttrDef>,
    #[serde(default)]
    constraints: Constraints,
}

#[derive(Debug, Deserialize)]
struct ObjectDef {
    attributes: BTreeMap<String, AttrDef>,
    #[serde(default)]
    constraints: Constraints,
}

#[derive(Debug, Deserialize)]
struct TypeDef {
    base: String,
    #[serde(default)]
    range: Option<(i64, i64)>,
    #[serde(default)]
    max_len: Option<usize>,
    /// The pattern every value of the type must match (`hostname_t`, `email_t`,
    /// `mac_t`, `datetime_t`, `ip_t`), as the schema's dictionary writes it.
    #[serde(default)]
    regex: Option<String>,
}

/// The OCSF schema as the validation needs it.
#[derive(Debug, Deserialize)]
pub struct Schema {
    /// Schema version, `1.3.0`.
    pub version: String,
    profiles: HashSet<String>,
    classes: HashMap<String, ClassDef>,
    objects: HashMap<String, ObjectDef>,
    types: HashMap<String, TypeDef>,
    /// Each type's `regex`, compiled once.
    #[serde(skip)]
    patterns: HashMap<String, regex_automata::meta::Regex>,
}

/// One way an event breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the attribute (`http_request.url.port`; `[i]` for array items).
    pub path: String,
    /// What is wrong, in words.
    pub problem: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

/// Smallest epoch-milliseconds value taken as a time (1973-03-03); below it a
/// `timestamp_t` is almost certainly seconds.
const MIN_PLAUSIBLE_MS: i64 = 100_000_000_000;

struct Walk<'s> {
    schema: &'s Schema,
    profiles: HashSet<&'s str>,
    found: Vec<Violation>,
}

impl Schema {
    /// Reads the table written by `scripts/ocsf-schema-table.py`.
    pub fn from_json(text: &str) -> Result<Schema, SchemaError> {
        let mut schema: Schema = serde_json::from_str(text)?;
        for (name, def) in &schema.types {
            if let Some(pattern) = &def.regex {
                let regex = regex_automata::meta::Regex::new(pattern).map_err(|e| {
                    SchemaError::Pattern {
                        name: name.clone(),
                        source: Box::new(e),
                    }
                })?;
                schema.patterns.insert(name.clone(), regex);
            }
        }
        Ok(schema)
    }

    /// Name of the class `class_uid`, if the schema has it.
    pub fn class_name(&self, class_uid: u64) -> Option<&str> {
        self.classes
            .get(&class_uid.to_string())
            .map(|c| c.name.as_str())
    }

    /// `Err` with every violation, one per line, when `event` breaks the schema.
    pub fn check(&self, event: &Value) -> Result<(), String> {
        let found = self.validate(event);
        if found.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
        Err(format!(
            "not valid OCSF {}:\n  {}\n{event}",
            self.version,
            lines.join("\n  ")
        ))
    }

    /// Every way `event` breaks the schema; empty when a strict consumer accepts it.
    pub fn validate(&self, event: &Value) -> Vec<Violation> {
        let mut walk = Walk {
            schema: self,
            profiles: HashSet::new(),
            found: Vec::new(),
        };
        let Some(map) = event.as_object() else {
            walk.add("", "an event must be a JSON object");
            return walk.found;
        };
        let Some(class_uid) = map.get("class_uid").and_then(Value::as_u64) else {
            walk.add("class_uid", "missing or not an integer");
            return walk.found;
        };
        let Some(class) = self.classes.get(&class_uid.to_string()) else {
            walk.add(
                "class_uid",
                format!("no OCSF {} class {class_uid}", self.version),
            );
            return walk.found;
        };
        if let Some(category) = map.get("category_uid").and_then(Value::as_u64) {
            if category != class.category_uid {
                walk.add(
                    "category_uid",
                    format!(
                        "{category}, but {} is in category {}",
                        class.name, class.category_uid
                    ),
                );
            }
        }
        if let (Some(activity), Some(type_uid)) = (
            map.get("activity_id").and_then(Value::as_u64),
            map.get("type_uid").and_then(Value::as_u64),
        ) {
            let want = class_uid * 100 + activity;
            if type_uid != want {
                walk.add(
                    "type_uid",
                    format!("{type_uid}, but class_uid * 100 + activity_id is {want}"),
                );
            }
        }
        if let Some(declared) = event
            .pointer("/metadata/profiles")
            .and_then(Value::as_array)
        {
            for p in declared {
                match p.as_str() {
                    Some(name) if self.profiles.contains(name) => {
                        walk.profiles
                            .insert(self.profiles.get(name).expect("checked").as_str());
                    }
                    _ => walk.add("metadata.profiles", format!("{p} is not an OCSF profile")),
                }
            }
        }
        walk.object("", map, &class.attributes, &class.constraints);
        walk.found
    }
}

impl<'s> Walk<'s> {
    fn add(&mut self, path: &str, problem: impl Into<String>) {
        self.found.push(Violation {
            path: path.to_string(),
            problem: problem.into(),
        });
    }

    fn declared(&self, profile: Option<&String>) -> bool {
        profile.is_none_or(|p| self.profiles.contains(p.as_str()))
    }

    fn object(
        &mut self,
        path: &str,
        map: &Map<String, Value>,
        attrs: &'s BTreeMap<String, AttrDef>,
        constraints: &Constraints,
    ) {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        for (key, value) in map {
            let Some(attr) = attrs.get(key) else {
                self.add(
                    &join(key),
                    "not defined here (data outside the schema belongs under `unmapped`)",
                );
                continue;
            };
            if !self.declared(attr.p.as_ref()) {
                self.add(
                    &join(key),
                    format!(
                        "belongs to the `{}` profile, which metadata.profiles does not declare",
                        attr.p.as_deref().unwrap_or_default()
                    ),
                );
            }
            if value.is_null() {
                self.add(&join(key), "null (leave the attribute out instead)");
                continue;
            }
            self.value(&join(key), value, attr);
        }
        for (key, attr) in attrs {
            let present = map.get(key).is_some_and(|v| !v.is_null());
            if attr.r == 1 && !present && self.declared(attr.p.as_ref()) {
                self.add(&join(key), "required, missing");
            }
        }
        let has = |dotted: &str| {
            let mut cur = Some(map);
            let mut parts = dotted.split('.').peekable();
            while let Some(part) = parts.next() {
                let v = cur.and_then(|m| m.get(part));
                if parts.peek().is_none() {
                    return v.is_some_and(|v| !v.is_null());
                }
                cur = v.and_then(Value::as_object);
            }
            false
        };
        if !constraints.at_least_one.is_empty() && !constraints.at_least_one.iter().any(|k| has(k))
        {
            self.add(
                path,
                format!(
                    "needs at least one of {}",
                    constraints.at_least_one.join(", ")
                ),
            );
        }
        if !constraints.just_one.is_empty()
            && constraints.just_one.iter().filter(|k| has(k)).count() != 1
        {
            self.add(
                path,
                format!("needs exactly one of {}", constraints.just_one.join(", ")),
            );
        }
    }

    fn value(&mut self, path: &str, value: &Value, attr: &'s AttrDef) {
        if attr.a == 1 {
            let Some(items) = value.as_array() else {
                self.add(path, "must be an array");
                return;
            };
            for (i, item) in items.iter().enumerate() {
                self.item(&format!("{path}[{i}]"), item, attr);
            }
        } else if value.is_array() {
            self.add(path, "must not be an array");
        } else {
            self.item(path, value, attr);
        }
    }

    fn item(&mut self, path: &str, value: &Value, attr: &'s AttrDef) {
        if attr.t == "object_t" {
            let Some(map) = value.as_object() else {
                self.add(path, "must be an object");
                return;
            };
            let name = attr.o.as_deref().unwrap_or("object");
            // `object` is OCSF's free-form object (`unmapped`, `data`...): anything goes.
            if name == "object" {
                return;
            }
            match self.schema.objects.get(name) {
                Some(def) => self.object(path, map, &def.attributes, &def.constraints),
                None => self.add(path, format!("object type {name} is not in the schema")),
            }
            return;
        }
        let Some(def) = self.schema.types.get(&attr.t) else {
            self.add(path, format!("type {} is not in the schema", attr.t));
            return;
        };
        let ok = match def.base.as_str() {
            // OCSF: integer_t is a 32-bit and long_t a 64-bit signed integer (Parquet
            // and Arrow consumers store them so).
            "integer_t" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "long_t" => value.is_i64(),
            "float_t" => value.is_number(),
            "boolean_t" => value.is_boolean(),
            "json_t" => true,
            _ => value.is_string(),
        };
        if !ok {
            self.add(path, format!("{value} is not a {}", attr.t));
            return;
        }
        if let (Some((lo, hi)), Some(n)) = (def.range, value.as_i64()) {
            if !(lo..=hi).contains(&n) {
                self.add(
                    path,
                    format!("{n} is outside {}'s range {lo}..={hi}", attr.t),
                );
            }
        }
        if let (Some(max), Some(s)) = (def.max_len, value.as_str()) {
            let len = s.chars().count();
            if len > max {
                self.add(
                    path,
                    format!("{len} characters, over {}'s max_len {max}", attr.t),
                );
            }
        }
        if let (Some(pattern), Some(s)) = (self.schema.patterns.get(&attr.t), value.as_str()) {
            if !pattern.is_match(s) {
                self.add(path, format!("{s:?} does not match {}'s regex", attr.t));
            }
        }
        match attr.t.as_str() {
            "timestamp_t" => {
                if let Some(n) = value.as_i64().filter(|n| n.abs() < MIN_PLAUSIBLE_MS) {
                    self.add(path, format!("{n} is not epoch milliseconds (seconds?)"));
                }
            }
            "ip_t" => {
                if let Some(s) = value.as_str().filter(|s| s.parse::<IpAddr>().is_err()) {
                    self.add(path, format!("{s:?} is not an IP address"));
                }
            }
            _ => {}
        }
        if let Some(allowed) = &attr.e {
            let defined = allowed.iter().any(|a| match (a, value) {
                (Value::Number(a), Value::Number(v)) => a.as_i64() == v.as_i64(),
                (a, v) => a == v,
            });
            if !defined {
                self.add(path, format!("{value} is not a defined enum value"));
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::OnceLock;

    use serde_json::json;

    use super::*;

    /// The committed table, parsed once per test binary.
    pub(crate) fn schema() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(|| {
            Schema::from_json(include_str!("../ocsf/schema-1.3.0.json")).expect("schema table")
        })
    }

    /// Panics with every violation when `event` is not valid OCSF.
    pub(crate) fn assert_valid(event: &Value) {
        if let Err(report) = schema().check(event) {
            panic!("{report}");
        }
    }

    fn problems(event: &Value) -> Vec<String> {
        schema()
            .validate(event)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn base() -> Value {
        json!({
            "class_uid": 0, "category_uid": 0, "activity_id": 0, "type_uid": 0,
            "severity_id": 1, "time": 1_700_000_000_000i64,
            "metadata": {"version": "1.3.0", "product": {"vendor_name": "AWS", "name": "x"}},
        })
    }

    #[test]
    fn a_minimal_base_event_is_valid() {
        assert_valid(&base());
    }

    #[test]
    fn classification_attributes_must_agree() {
        let mut ev = base();
        ev["class_uid"] = json!(4002);
        ev["category_uid"] = json!(6);
        ev["activity_id"] = json!(3);
        ev["type_uid"] = json!(400203);
        let p = problems(&ev);
        assert!(
            p.iter()
                .any(|p| p.starts_with("category_uid: 6, but HTTP Activity is in category 4")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|p| p == "http_request: required, missing"),
            "{p:?}"
        );
        ev["type_uid"] = json!(400202);
        assert!(problems(&ev)
            .iter()
            .any(|p| p.starts_with("type_uid: 400202, but")));
        ev["class_uid"] = json!(4242);
        assert_eq!(problems(&ev), ["class_uid: no OCSF 1.3.0 class 4242"]);
    }

    #[test]
    fn undefined_attributes_and_enum_values_and_types_are_reported() {
        let mut ev = base();
        ev["tls"] = json!({"version": "1.2"});
        ev["severity_id"] = json!(7);
        ev["time"] = json!(1_700_000_000);
        ev["metadata"]["sequence"] = json!("3");
        ev["count"] = json!(1u64 << 40);
        ev["unmapped"] = json!({"anything": {"goes": [1, "x"]}});
        let p = problems(&ev);
        assert!(
            p.iter().any(|p| p.starts_with("tls: not defined here")),
            "{p:?}"
        );
        assert!(
            p.contains(&"severity_id: 7 is not a defined enum value".to_string()),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|p| p.starts_with("time: 1700000000 is not epoch milliseconds")),
            "{p:?}"
        );
        assert!(
            p.contains(&"metadata.sequence: \"3\" is not a integer_t".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"count: 1099511627776 is not a integer_t".to_string()),
            "{p:?}"
        );
        assert_eq!(p.len(), 5, "{p:?}");
    }

    #[test]
    fn profile_attributes_need_the_profile_declared() {
        let mut ev = base();
        ev["cloud"] = json!({"provider": "AWS"});
        assert_eq!(
            problems(&ev),
            ["cloud: belongs to the `cloud` profile, which metadata.profiles does not declare"]
        );
        ev["metadata"]["profiles"] = json!(["cloud"]);
        assert_valid(&ev);
        ev["metadata"]["profiles"] = json!(["clouds"]);
        assert!(problems(&ev)
            .iter()
            .any(|p| p.contains("\"clouds\" is not an OCSF profile")));
        // A declared profile makes its required attributes required.
        let mut http = base();
        http["class_uid"] = json!(4002);
        http["category_uid"] = json!(4);
        http["type_uid"] = json!(400200);
        http["metadata"]["profiles"] = json!(["cloud"]);
        http["http_request"] = json!({});
        http["http_response"] = json!({"code": 200});
        http["dst_endpoint"] = json!({"ip": "10.0.0.1"});
        assert_eq!(problems(&http), ["cloud: required, missing"]);
    }

    #[test]
    fn nested_objects_arrays_ips_ports_and_constraints_are_checked() {
        let mut ev = base();
        ev["class_uid"] = json!(4001);
        ev["category_uid"] = json!(4);
        ev["activity_id"] = json!(6);
        ev["type_uid"] = json!(400106);
        ev["src_endpoint"] = json!({"ip": "10.0.0.1, 10.0.0.2", "port": 70000});
        ev["dst_endpoint"] = json!({"port": 443});
        ev["observables"] = json!({"name": "x"});
        let p = problems(&ev);
        assert!(
            p.contains(&"src_endpoint.ip: \"10.0.0.1, 10.0.0.2\" is not an IP address".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"src_endpoint.port: 70000 is outside port_t's range 0..=65535".to_string()),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|p| p.starts_with("dst_endpoint: needs at least one of")),
            "{p:?}"
        );
        assert!(
            p.contains(&"observables: must be an array".to_string()),
            "{p:?}"
        );
    }

    /// Trial 7: DNS names with their trailing dot and Host headers with a port passed
    /// as host names; the types' patterns were not checked.
    #[test]
    fn string_types_must_match_their_pattern() {
        let mut ev = base();
        ev["class_uid"] = json!(4001);
        ev["category_uid"] = json!(4);
        ev["activity_id"] = json!(6);
        ev["type_uid"] = json!(400106);
        ev["src_endpoint"] = json!({"hostname": "www.example.com.", "mac": "06:4a:8e:aa:bb:cc"});
        ev["dst_endpoint"] = json!({"hostname": "app.example.com:8443", "mac": "not-a-mac"});
        let mut p = problems(&ev);
        p.sort();
        assert_eq!(
            p,
            [
                "dst_endpoint.hostname: \"app.example.com:8443\" does not match hostname_t's regex",
                "dst_endpoint.mac: \"not-a-mac\" does not match mac_t's regex",
                "src_endpoint.hostname: \"www.example.com.\" does not match hostname_t's regex",
            ],
        );
        ev["src_endpoint"]["hostname"] = json!("www.example.com");
        ev["dst_endpoint"] = json!({"hostname": "app.example.com", "mac": "06-4A-8E-AA-BB-CC"});
        assert_eq!(problems(&ev), Vec::<String>::new());
    }
}
