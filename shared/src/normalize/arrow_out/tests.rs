use super::*;
use serde_json::{json, Value};

/// Writes one event as the normalizer does: into the guessed class, then again
/// into the class it wrote. Returns its NDJSON length, or `None` on a defect.
fn write(columns: &mut ColumnEvents, event: impl Fn(&mut dyn EventOut)) -> Option<usize> {
    columns.begin();
    let mut class = columns.guess(4001);
    for _ in 0..2 {
        let mut out = columns.row(class)?;
        event(&mut out);
        match out.end("u") {
            RowEnd::Kept(len) => {
                columns.commit(class, Some(1));
                return Some(len);
            }
            RowEnd::Again(other) => class = other,
            RowEnd::Failed(e) => {
                columns.fail(e);
                return None;
            }
        }
    }
    None
}

/// The rows of each class as JSON objects (nulls left out).
fn rows(columns: ColumnEvents) -> Vec<(u64, Vec<Value>)> {
    columns
        .into_classes()
        .unwrap()
        .into_iter()
        .map(|class| {
            let uid = class.class_uid;
            let batch = class.into_batch().unwrap();
            let mut w = arrow_json::LineDelimitedWriter::new(Vec::new());
            w.write_batches(&[&batch]).unwrap();
            w.finish().unwrap();
            let text = String::from_utf8(w.into_inner()).unwrap();
            (
                uid,
                text.lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect(),
            )
        })
        .collect()
}

fn error(columns: &ColumnEvents) -> String {
    columns.error().expect("a defect").to_string()
}

/// The NDJSON text the text writer writes for `event`.
fn ndjson(event: &dyn Fn(&mut dyn EventOut)) -> String {
    let mut text = String::new();
    let mut json = super::super::json_out::JsonOut::new(&mut text);
    event(&mut json);
    json.finish();
    text
}

#[test]
fn attributes_without_a_column_go_to_unmapped_wherever_they_are() {
    type Event<'a> = &'a dyn Fn(&mut dyn EventOut);
    let cases: [(&str, Event); 5] = [
        (r#"{"not_ocsf":"x"}"#, &|out| {
            out.uint("class_uid", 4001);
            out.str("not_ocsf", "x");
        }),
        (r#"{"src_endpoint.nope":"x \"y\""}"#, &|out| {
            out.open("src_endpoint");
            out.str("nope", "x \"y\"");
            out.close();
            out.uint("class_uid", 4001);
        }),
        (
            r#"{"metadata.extra":{"deeper":{"n":1},"list":[2,"a"]}}"#,
            &|out| {
                out.uint("class_uid", 4001);
                out.open("metadata");
                out.open("extra");
                out.open("deeper");
                out.int("n", 1);
                out.close();
                out.open("empty");
                out.close();
                out.open_array("list");
                out.uint("", 2);
                out.str("", "a");
                out.close();
                out.close();
                out.close();
            },
        ),
        // Kept even when empty, so in the event; written after `unmapped`, it joins
        // the members already there.
        (r#"{"source_object":{"key":"k"},"kept":{}}"#, &|out| {
            out.uint("class_uid", 4001);
            out.open("unmapped");
            out.open("source_object");
            out.str("key", "k");
            out.close();
            out.close();
            out.open("kept");
            out.close_keep();
        }),
        (
            r#"{"source_object":{"key":"k"},"flag":true,"list":["a"]}"#,
            &|out| {
                out.uint("class_uid", 4001);
                out.boolean("flag", true);
                out.open_array("list");
                out.str("", "a");
                out.close();
                out.open("unmapped");
                out.open("source_object");
                out.str("key", "k");
                out.close();
                out.close();
            },
        ),
    ];
    for (want, event) in cases {
        let mut columns = ColumnEvents::default();
        let len = write(&mut columns, event);
        assert_eq!(columns.error(), None, "{want}");
        // Chunks are still cut where the NDJSON output cuts them.
        assert_eq!(len, Some(ndjson(event).len()), "{want}");
        let rows = rows(columns);
        let unmapped = rows[0].1[0]["unmapped"].as_str().unwrap().to_owned();
        assert_eq!(unmapped, want);
        let text: Value = serde_json::from_str(&unmapped).unwrap();
        assert!(text.is_object());
    }
    // A container without a column that stays empty leaves no trace, as in the text.
    let mut columns = ColumnEvents::default();
    write(&mut columns, |out| {
        out.uint("class_uid", 4001);
        out.open("nothing");
        out.close();
    });
    assert_eq!(rows(columns), [(4001, vec![json!({"class_uid": 4001})])]);
}

#[test]
fn attributes_of_the_wrong_type_are_errors() {
    let mut columns = ColumnEvents::default();
    assert_eq!(
        write(&mut columns, |out| {
            out.uint("class_uid", 4001);
            out.str("time", "noon");
        }),
        None
    );
    assert!(error(&columns).contains("attribute time: is not a column of strings"));
    // Regression: a chunk whose only event failed counted no events, so the
    // pipeline passed it over as empty and the event was lost without a word.
    assert_eq!(columns.len(), 1);
    assert!(!columns.is_empty());
    assert!(columns.into_classes().is_err());
}

#[test]
fn containers_without_a_column_that_stay_empty_leave_no_trace_as_in_the_text() {
    let mut columns = ColumnEvents::default();
    let len = write(&mut columns, |out| {
        out.open("no_such_object");
        out.open("inner");
        out.close();
        out.close();
        out.open_array("no_such_list");
        out.close();
        out.uint("class_uid", 4001);
    });
    assert_eq!(columns.error(), None);
    assert_eq!(len, Some(r#"{"class_uid":4001}"#.len()));
    assert_eq!(rows(columns), [(4001, vec![json!({"class_uid": 4001})])]);
}

#[test]
fn an_attribute_written_twice_is_an_error() {
    let mut columns = ColumnEvents::default();
    write(&mut columns, |out| {
        out.uint("class_uid", 4001);
        out.str("message", "a");
        out.str("message", "b");
    });
    assert!(error(&columns).contains("message is written twice"));
}

#[test]
fn rows_of_another_class_are_rolled_back_and_written_again_in_theirs() {
    // HTTP Activity has `http_request`, Network Activity has not: an HTTP event
    // written into the guessed Network Activity columns fails there, and is written
    // again in its own; nothing of the first attempt stays.
    let http = |n: i64| {
        move |out: &mut dyn EventOut| {
            out.open("src_endpoint");
            out.str("ip", "10.0.0.1");
            out.close();
            out.open("http_request");
            out.open_array("http_headers");
            out.open("");
            out.str("name", "h");
            out.close();
            out.close();
            out.close();
            out.uint("class_uid", 4002);
            out.int("time", n);
        }
    };
    let network = |n: i64| {
        move |out: &mut dyn EventOut| {
            out.open("src_endpoint");
            out.str("ip", "10.0.0.2");
            out.uint("port", 443);
            out.close();
            out.uint("class_uid", 4001);
            out.int("time", n);
            out.open("metadata");
            out.open_array("profiles");
            out.str("", "cloud");
            out.close();
            out.close();
        }
    };
    let mut columns = ColumnEvents::default();
    write(&mut columns, network(1));
    write(&mut columns, http(2));
    write(&mut columns, network(3));
    write(&mut columns, http(4));
    write(&mut columns, http(5));
    assert_eq!(columns.error(), None);
    assert_eq!(columns.len(), 5);
    let classes = columns.classes.iter().map(|c| (c.class_uid, c.first));
    assert_eq!(classes.collect::<Vec<_>>(), [(4001, 0), (4002, 1)]);
    let net = |n: i64| {
        json!({"class_uid": 4001, "time": n, "src_endpoint": {"ip": "10.0.0.2", "port": 443},
            "metadata": {"profiles": ["cloud"]}})
    };
    let web = |n: i64| {
        json!({"class_uid": 4002, "time": n, "src_endpoint": {"ip": "10.0.0.1"},
            "http_request": {"http_headers": [{"name": "h"}]}})
    };
    assert_eq!(
        rows(columns),
        [
            (4001, vec![net(1), net(3)]),
            (4002, vec![web(2), web(4), web(5)])
        ]
    );
}

#[test]
fn json_t_columns_hold_the_text_the_ndjson_writer_writes() {
    let mut columns = ColumnEvents::default();
    let event = |out: &mut dyn EventOut| {
        out.uint("class_uid", 4001);
        out.open("unmapped");
        out.open("source_object");
        out.str("key", "a \"b\"");
        out.close();
        out.json_text("record", "{\"x\": [1, 2.50]}");
        out.open("empty");
        out.close();
        out.close();
        // An empty `unmapped` is left out, as the text writer leaves it out.
    };
    let len = write(&mut columns, event).unwrap();
    write(&mut columns, |out| {
        out.uint("class_uid", 4001);
        out.open("unmapped");
        out.close();
    });
    let mut text = String::new();
    let mut json = super::super::json_out::JsonOut::new(&mut text);
    event(&mut json);
    json.finish();
    assert_eq!(len, text.len());
    let got = rows(columns);
    assert_eq!(
        got[0].1,
        [
            json!({"class_uid": 4001, "unmapped": r#"{"source_object":{"key":"a \"b\""},"record":{"x": [1, 2.50]}}"#}),
            json!({"class_uid": 4001})
        ]
    );
}

#[test]
fn the_next_chunks_columns_with_room_hold_the_same_rows_as_fresh_ones() {
    let event = |out: &mut dyn EventOut| {
        out.open("src_endpoint");
        out.str("ip", "10.0.0.1");
        out.uint("port", 443);
        out.close();
        out.open("metadata");
        out.open_array("profiles");
        out.str("", "cloud");
        out.close();
        out.close();
        out.uint("class_uid", 4001);
    };
    let mut first = ColumnEvents::default();
    write(&mut first, event).unwrap();
    write(&mut first, event).unwrap();
    let mut next = first.room().into_events();
    assert!(next.is_empty());
    assert!(next.clone().into_classes().unwrap().is_empty());
    write(&mut next, event).unwrap();
    let mut fresh = ColumnEvents::default();
    write(&mut fresh, event).unwrap();
    assert_eq!(rows(next), rows(fresh));
}
