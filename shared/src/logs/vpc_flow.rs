//! VPC Flow Logs delivered to S3 as text.
//!
//! Each file starts with a header line naming its fields (the default v2 list or
//! any custom selection of v2..v8 fields, in any order); records are read by
//! those names. Keys keep AWS's hyphenated names, numeric fields become numbers
//! and `-` values are left out, so NODATA and SKIPDATA records simply have no
//! addresses.

use std::io::BufRead;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::field_value::is_absent;
use super::line_reader::{parse_lines, LineFormat, LineReader};
use super::{Emitter, Fields, ParseError};

/// The default (version 2) format, used when a file has no header line.
pub const DEFAULT_FIELDS: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

/// Every field name VPC Flow Logs defines (versions 2 to 8), and Transit Gateway flow logs'.
pub const KNOWN_FIELDS: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
    // Transit Gateway flow logs (Amazon VPC Transit Gateways guide, "Transit Gateway
    // Flow Logs records"): the same format, read by the same header.
    "resource-type",
    "tgw-id",
    "tgw-attachment-id",
    "tgw-src-vpc-account-id",
    "tgw-dst-vpc-account-id",
    "tgw-src-vpc-id",
    "tgw-dst-vpc-id",
    "tgw-src-subnet-id",
    "tgw-dst-subnet-id",
    "tgw-src-eni",
    "tgw-dst-eni",
    "tgw-src-az-id",
    "tgw-dst-az-id",
    "tgw-pair-attachment-id",
    "packets-lost-no-route",
    "packets-lost-blackhole",
    "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
];

/// Fields whose values are integers; everything else stays a string (account IDs keep leading zeros).
const INTEGER_FIELDS: &[&str] = &[
    "version",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "tcp-flags",
    "traffic-path",
    "packets-lost-no-route",
    "packets-lost-blackhole",
    "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
];

/// True for a name VPC Flow Logs defines; underscores are accepted for hyphens.
pub fn is_known_field(name: &str) -> bool {
    KNOWN_FIELDS.iter().any(|k| same_name(k, name))
}

fn same_name(known: &str, name: &str) -> bool {
    known.len() == name.len()
        && known
            .bytes()
            .zip(name.bytes())
            .all(|(k, n)| k == n || (k == b'-' && n == b'_'))
}

/// The field layout of one flow log file, taken from its header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcFlowHeader {
    fields: Vec<(String, bool)>,
}

impl VpcFlowHeader {
    /// The default v2 layout.
    pub fn default_v2() -> Self {
        Self::from_names(DEFAULT_FIELDS.iter().copied())
    }

    /// Reads a header line; `None` when the line is a record, not a header.
    ///
    /// A header is a line of lowercase field names with at least one known name,
    /// so future fields are still read by name while data lines (which hold
    /// numbers, addresses or upper-case actions) are not mistaken for one.
    pub fn parse(line: &str) -> Option<Self> {
        let mut any_known = false;
        for name in line.split_ascii_whitespace() {
            let shaped = name.as_bytes()[0].is_ascii_lowercase()
                && name.bytes().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_'
                });
            if !shaped {
                return None;
            }
            any_known |= is_known_field(name);
        }
        any_known.then(|| Self::from_names(line.split_ascii_whitespace()))
    }

    /// The layout of a Parquet flow log file, from its column names in file order
    /// (underscores read as hyphens, as in a header line).
    pub fn from_columns<'a>(names: impl Iterator<Item = &'a str>) -> Self {
        Self::from_names(names)
    }

    fn from_names<'a>(names: impl Iterator<Item = &'a str>) -> Self {
        let fields = names
            .map(|n| {
                let name = n.replace('_', "-");
                let integer = INTEGER_FIELDS.contains(&name.as_str());
                (name, integer)
            })
            .collect();
        VpcFlowHeader { fields }
    }

    /// Field names in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(n, _)| n.as_str())
    }

    /// The line's values in header order, once their count and integers are checked.
    pub(crate) fn split<'t>(&self, line: &'t str) -> Result<Vec<&'t str>, String> {
        let mut values = Vec::with_capacity(self.fields.len());
        values.extend(line.split_ascii_whitespace());
        if values.len() != self.fields.len() {
            return Err(format!(
                "expected {} fields (from the header), found {}",
                self.fields.len(),
                values.len()
            ));
        }
        for (value, (name, integer)) in values.iter().zip(&self.fields) {
            if !*integer || is_absent(value) {
                continue;
            }
            let Ok(n) = value.parse::<u64>() else {
                return Err(format!(
                    "field `{name}`: expected an unsigned integer, found {value:?}"
                ));
            };
            if let Some(max) = largest_value(name).filter(|max| n > *max) {
                return Err(format!(
                    "field `{name}`: {n} is out of range (at most {max})"
                ));
            }
        }
        Ok(values)
    }

    /// All present fields by name, integers as numbers.
    fn map_of(&self, values: &[&str]) -> Map<String, Value> {
        let mut m = Map::new();
        for (value, (name, integer)) in values.iter().zip(&self.fields) {
            if is_absent(value) {
                continue;
            }
            if *integer {
                // `split` checked that these parse.
                if let Ok(n) = value.parse::<u64>() {
                    m.insert(name.clone(), Value::Number(n.into()));
                }
            } else {
                m.insert(name.clone(), Value::String((*value).to_owned()));
            }
        }
        m
    }

    fn position(&self, name: &str) -> Option<usize> {
        // Several names share a length (`srcaddr`, `dstport`, `version`...): their first
        // and last bytes tell most apart without a byte comparison per candidate, which
        // showed in profiles (a mapping looks up about 30 fields per record).
        let (first, last) = (name.as_bytes().first(), name.as_bytes().last());
        self.fields.iter().position(|(n, _)| {
            n.len() == name.len()
                && n.as_bytes().first() == first
                && n.as_bytes().last() == last
                && n == name
        })
    }
}

/// The largest value a flow log field can hold, where its definition bounds it: ports are
/// 16-bit and `protocol` is the 8-bit IANA protocol number, so a line with more is corrupt.
/// (`start` and `end` are not bounded here: a time the mapping cannot represent is left out
/// of the event, which then takes the processed time and says so in its labels.)
fn largest_value(name: &str) -> Option<u64> {
    match name {
        "srcport" | "dstport" => Some(u64::from(u16::MAX)),
        "protocol" => Some(u64::from(u8::MAX)),
        _ => None,
    }
}

/// One flow log record read by its file's header: the line's values, looked up by
/// field name, without building a map per record.
#[derive(Debug, Clone, PartialEq)]
pub struct VpcFlowRecord<'a> {
    header: Arc<VpcFlowHeader>,
    values: Vec<&'a str>,
}

impl<'a> VpcFlowRecord<'a> {
    /// A record of `values` in `header`'s order, as [`VpcFlowHeader::split`] returns them.
    pub(crate) fn new(header: Arc<VpcFlowHeader>, values: Vec<&'a str>) -> Self {
        VpcFlowRecord { header, values }
    }

    /// The text of field `name` (hyphenated); `None` when it is `-` or not in the file.
    pub fn text(&self, name: &str) -> Option<&'a str> {
        let value = self.values[self.header.position(name)?];
        (!is_absent(value)).then_some(value)
    }

    /// An integer field (checked when the line was read).
    pub fn uint(&self, name: &str) -> Option<u64> {
        self.text(name)?.parse().ok()
    }

    /// All present fields by name, integers as numbers (what owned records hold).
    pub fn to_map(&self) -> Map<String, Value> {
        self.header.map_of(&self.values)
    }
}

struct VpcFlowFormat {
    header: Option<Arc<VpcFlowHeader>>,
}

impl VpcFlowFormat {
    /// Whether a line after the first header is a header too (two flow log files joined
    /// into one object, `cat a.log b.log`): its first word is a field name, which no
    /// record's first value is. The later header applies from there on.
    fn later_header(&mut self, line: &[u8]) -> bool {
        if !line.first().is_some_and(u8::is_ascii_lowercase) {
            return false;
        }
        // The first word alone first: this runs on every record line.
        let first = line.split(|b| *b == b' ').next().unwrap_or_default();
        if !std::str::from_utf8(first).is_ok_and(is_known_field) {
            return false;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return false;
        };
        match VpcFlowHeader::parse(text) {
            Some(header) => {
                self.header = Some(Arc::new(header));
                true
            }
            None => false,
        }
    }
}

impl LineFormat for VpcFlowFormat {
    fn directive(&mut self, line: &[u8], number: u64) -> Result<bool, ParseError> {
        if self.header.is_some() {
            return Ok(self.later_header(line));
        }
        let text = std::str::from_utf8(line).map_err(|_| ParseError::HeaderNotUtf8 {
            format: "VPC flow log",
            line: number,
        })?;
        match VpcFlowHeader::parse(text) {
            Some(header) => {
                self.header = Some(Arc::new(header));
                Ok(true)
            }
            None => {
                // Headerless text (e.g. copied from CloudWatch Logs) uses the default format.
                self.header = Some(Arc::new(VpcFlowHeader::default_v2()));
                Ok(false)
            }
        }
    }

    fn parse<'t>(&mut self, line: &'t str) -> Result<Fields<'t>, String> {
        let header = self
            .header
            .get_or_insert_with(|| Arc::new(VpcFlowHeader::default_v2()));
        Ok(Fields::VpcFlow(VpcFlowRecord {
            values: header.split(line)?,
            header: header.clone(),
        }))
    }
}

pub(crate) fn parse<R: BufRead>(reader: R, out: &mut Emitter<'_>) -> Result<(), ParseError> {
    parse_lines(
        &mut LineReader::new(reader),
        &mut VpcFlowFormat { header: None },
        out,
    )
}

#[cfg(test)]
pub(crate) mod samples {
    /// A Transit Gateway flow log file with every field of the documented default format.
    pub(crate) const TRANSIT_GATEWAY_FILE: &str = "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service
6 TransitGateway 123456789010 tgw-0f0fd4bc2b4e8ec8c tgw-attach-0a3e3bd1ec7c9c8d2 123456789010 123456789010 vpc-0d1da8ef7f5bf7a3e vpc-0b2a2b0a8f5d3a1e1 subnet-0a1b2c3d4e5f6a7b8 subnet-0b1c2d3e4f5a6b7c8 eni-0a1b2c3d4e5f6a7b8 eni-0b1c2d3e4f5a6b7c9 use1-az1 use1-az2 tgw-attach-0b3e3bd1ec7c9c8d3 10.0.1.5 10.1.2.7 49152 443 6 10 5200 1659370001 1659370061 OK IPv4 0 0 0 0 2 us-east-1 egress - -
";

    /// Default v2 header, an accepted and a rejected flow, then NODATA and SKIPDATA records.
    pub(crate) const DEFAULT_FILE: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
2 123456789010 eni-11111111111111111 - - - - - - - 1431280876 1431280934 - SKIPDATA
";

    /// A custom v5 selection in a non-default order, with IPv6 and AWS-service fields.
    pub(crate) const CUSTOM_FILE: &str = "start end srcaddr dstaddr srcport dstport protocol bytes packets action log-status account-id region az-id vpc-id subnet-id instance-id interface-id type tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path version
1620140661 1620140721 2001:db8:1234:a100::12 2600:1f18:4000:8400::5 53142 443 6 8600 11 ACCEPT OK 123456789012 us-east-1 use1-az4 vpc-0a1b2c3d4e5f67890 subnet-0a1b2c3d4e5f67890 i-0a1b2c3d4e5f67890 eni-0a1b2c3d4e5f67890 IPv6 19 2001:db8:1234:a100::12 2600:1f18:4000:8400::5 - AMAZON egress 8 5
";
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;
    use crate::logs::test_support::collect;
    use crate::logs::LogType;

    #[test]
    fn values_outside_a_fields_range_reject_the_line_with_the_reason() {
        let header = VpcFlowHeader::parse(DEFAULT_FILE.lines().next().unwrap()).unwrap();
        for (line, reason) in [
            (
                "2 123456789012 eni-1 10.0.0.1 10.0.0.2 2064100000 22 6 20 4249 1796630400 1796630460 ACCEPT OK",
                "field `srcport`: 2064100000 is out of range (at most 65535)",
            ),
            (
                "2 123456789012 eni-1 10.0.0.1 10.0.0.2 20641 22 300 20 4249 1796630400 1796630460 ACCEPT OK",
                "field `protocol`: 300 is out of range (at most 255)",
            ),
        ] {
            assert_eq!(header.split(line).unwrap_err(), reason);
        }
        let edge = "2 123456789012 eni-1 10.0.0.1 10.0.0.2 65535 0 255 20 4249 1796630400 1796630460 ACCEPT OK";
        assert!(header.split(edge).is_ok());
    }

    #[test]
    fn vpc_flow_default_header_maps_fields_with_numbers_as_numbers() {
        let got = collect(LogType::VpcFlow, DEFAULT_FILE);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.records.len(), 4);
        let first = &got.records[0];
        assert_eq!((first.index, first.line), (0, Some(2)));
        let m = &first.fields;
        assert_eq!(m["version"], 2);
        assert_eq!(m["account-id"], "123456789010");
        assert_eq!(m["srcaddr"], "172.31.16.139");
        assert_eq!(m["dstport"], 22);
        assert_eq!(m["protocol"], 6);
        assert_eq!(m["bytes"], 4249);
        assert_eq!(m["start"], 1418530010);
        assert_eq!(m["action"], "ACCEPT");
        assert_eq!(m["log-status"], "OK");
    }

    #[test]
    fn vpc_flow_nodata_and_skipdata_records_have_no_addresses() {
        let got = collect(LogType::VpcFlow, DEFAULT_FILE);
        for (rec, status) in got.records[2..].iter().zip(["NODATA", "SKIPDATA"]) {
            assert_eq!(rec.fields["log-status"], status);
            for absent in ["srcaddr", "dstaddr", "srcport", "bytes", "action"] {
                assert!(!rec.fields.contains_key(absent), "{status} has {absent}");
            }
            assert_eq!(rec.fields["end"], 1431280934);
        }
    }

    /// "If a field is not applicable or could not be computed for a specific record,
    /// the record displays a '-' symbol for that entry": numbers included.
    #[test]
    fn vpc_flow_dash_in_any_field_leaves_it_out() {
        let input = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags traffic-path type pkt-srcaddr pkt-src-aws-service flow-direction reject-reason
5 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA - - - - - - -
";
        let got = collect(LogType::VpcFlow, input);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        let m = &got.records[0].fields;
        let mut present: Vec<&str> = m.keys().map(String::as_str).collect();
        // serde_json keeps insertion order when another crate turns on `preserve_order`.
        present.sort_unstable();
        assert_eq!(
            present,
            [
                "account-id",
                "end",
                "interface-id",
                "log-status",
                "start",
                "version"
            ]
        );
    }

    #[test]
    fn vpc_flow_custom_header_maps_fields_by_name() {
        let got = collect(LogType::VpcFlow, CUSTOM_FILE);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        let m = &got.records[0].fields;
        assert_eq!(m["start"], 1620140661);
        assert_eq!(m["srcaddr"], "2001:db8:1234:a100::12");
        assert_eq!(m["dstaddr"], "2600:1f18:4000:8400::5");
        assert_eq!(m["bytes"], 8600);
        assert_eq!(m["packets"], 11);
        assert_eq!(m["region"], "us-east-1");
        assert_eq!(m["type"], "IPv6");
        assert_eq!(m["tcp-flags"], 19);
        assert_eq!(m["pkt-dst-aws-service"], "AMAZON");
        assert!(!m.contains_key("pkt-src-aws-service"));
        assert_eq!(m["flow-direction"], "egress");
        assert_eq!(m["traffic-path"], 8);
        assert_eq!(m["version"], 5);
    }

    #[test]
    fn vpc_flow_wrong_field_count_names_expected_and_found() {
        let input = format!(
            "{}2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6\n",
            DEFAULT_FILE
        );
        let got = collect(LogType::VpcFlow, &input);
        assert_eq!(got.records.len(), 4);
        assert_eq!(got.errors.len(), 1);
        assert_eq!(
            got.errors[0].reason,
            "expected 14 fields (from the header), found 8"
        );
        assert_eq!((got.errors[0].index, got.errors[0].line), (4, Some(6)));
    }

    #[test]
    fn vpc_flow_non_numeric_port_is_a_record_error_naming_the_field() {
        let input = "version srcport\n2 http\n";
        let got = collect(LogType::VpcFlow, input);
        assert!(
            got.errors[0].reason.contains("`srcport`"),
            "{}",
            got.errors[0].reason
        );
    }

    #[test]
    fn vpc_flow_file_without_header_uses_default_fields() {
        let body = DEFAULT_FILE.split_once('\n').unwrap().1;
        let got = collect(LogType::VpcFlow, body);
        assert_eq!(got.records.len(), 4);
        assert_eq!(got.records[0].line, Some(1));
        assert_eq!(got.records[0].fields["srcaddr"], "172.31.16.139");
    }

    /// Ingest trial 6, D6: two flow log files joined into one object (`cat`): the second
    /// header is a header, not a malformed record, and it applies to the lines after it.
    #[test]
    fn a_later_header_line_is_a_header_and_applies_from_there() {
        let custom = "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
                      eni-0a1b 10.0.0.1 10.0.0.2 443 5000 6 10 840 1418530010 1418530070 ACCEPT OK\n";
        let input = format!("{DEFAULT_FILE}{DEFAULT_FILE}{custom}");
        let got = collect(LogType::VpcFlow, &input);
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.records.len(), 9);
        assert_eq!(got.records[8].fields["interface-id"], "eni-0a1b");
        assert_eq!(got.records[8].fields["srcaddr"], "10.0.0.1");
        // A record whose first value is a lower-case id is still a record.
        let eni_first = format!("{custom}{}", custom.lines().nth(1).unwrap());
        assert_eq!(collect(LogType::VpcFlow, &eni_first).records.len(), 2);
    }

    #[test]
    fn vpc_flow_header_detection_accepts_names_and_rejects_data() {
        assert!(VpcFlowHeader::parse("srcaddr dstaddr future-field").is_some());
        assert!(VpcFlowHeader::parse("account_id interface_id").is_some());
        assert!(VpcFlowHeader::parse("eni-0123 vpc-0456").is_none());
        assert!(VpcFlowHeader::parse("2 123456789010 eni-1 - - NODATA").is_none());
        let h = VpcFlowHeader::parse("account_id srcport").unwrap();
        assert_eq!(h.names().collect::<Vec<_>>(), vec!["account-id", "srcport"]);
    }
}
