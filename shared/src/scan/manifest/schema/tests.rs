use std::io::Write;
use std::sync::Arc;

use flate2::write::GzEncoder;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::*;

fn types(cols: &[Column]) -> Vec<(&str, &str)> {
    cols.iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect()
}

#[test]
fn csv_columns_get_the_narrowest_type_covering_every_sampled_value() {
    let csv = "id,amount,paid,day,at,name,empty\n\
               1,10,true,2024-01-02,2024-01-02T10:00:00Z,Ann,\n\
               2,10.5,false,2024-01-03,2024-01-03,Bob,\n";
    let cols = infer_text("t.csv", csv.as_bytes(), "csv", None, 100).unwrap();
    assert_eq!(
        types(&cols),
        [
            ("id", "BIGINT"),
            ("amount", "DOUBLE"),
            ("paid", "BOOLEAN"),
            ("day", "DATE"),
            ("at", "TIMESTAMP"),
            ("name", "STRING"),
            ("empty", "STRING"),
        ]
    );
}

#[test]
fn separator_and_tsv_are_honoured() {
    let cols = infer_text("t.csv", b"a;b\n1;x\n", "csv", Some(";"), 10).unwrap();
    assert_eq!(types(&cols), [("a", "BIGINT"), ("b", "STRING")]);
    let cols = infer_text("t.tsv", b"a\tb\n1\t2\n", "tsv", None, 10).unwrap();
    assert_eq!(types(&cols), [("a", "BIGINT"), ("b", "BIGINT")]);
    let cols = infer_text("t.csv", b"a\tb\n1\tz\n", "csv", Some("\\t"), 10).unwrap();
    assert_eq!(types(&cols), [("a", "BIGINT"), ("b", "STRING")]);
    assert!(infer_text("t.csv", b"a\n", "csv", Some("::"), 10).is_err());
}

#[test]
fn a_record_cut_by_the_sample_is_left_out() {
    // The last row is cut after "x": it would make `n` a STRING.
    let cols = infer_text("t.csv", b"n,s\n1,a\n2,b\nx", "csv", None, 10).unwrap();
    assert_eq!(types(&cols), [("n", "BIGINT"), ("s", "STRING")]);
}

#[test]
fn gzip_samples_cut_mid_stream_are_read_as_far_as_they_go() {
    let mut body = String::from("n,s\n");
    for i in 0..5000 {
        body.push_str(&format!("{i},row{i}\n"));
    }
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body.as_bytes()).unwrap();
    let gz = e.finish().unwrap();
    let cut = &gz[..gz.len() / 2];
    let cols = infer_text("t.csv.gz", cut, "csv", None, 1000).unwrap();
    assert_eq!(types(&cols), [("n", "BIGINT"), ("s", "STRING")]);
}

#[test]
fn json_lines_members_are_columns_in_first_seen_order() {
    let text = b"{\"id\": 1, \"user\": {\"email\": \"x\"}, \"tags\": [\"a\"], \"score\": 1}\n\
                 {\"id\": 2, \"score\": 2.5, \"seen\": \"2024-05-01T00:00:00Z\", \"note\": null}\n";
    let cols = infer_text("t.json", text, "json", None, 10).unwrap();
    assert_eq!(
        types(&cols),
        [
            ("id", "BIGINT"),
            ("user", "STRUCT"),
            ("tags", "ARRAY"),
            ("score", "DOUBLE"),
            ("seen", "TIMESTAMP"),
            ("note", "STRING"),
        ]
    );
    let err = infer_text("t.json", b"[1,2]\n", "json", None, 10).unwrap_err();
    assert!(err.contains("line 1 is not a JSON object"), "{err}");
}

#[test]
fn unsupported_formats_say_what_is_read() {
    let err = infer_text("t.avro", b"Obj", "avro", None, 10).unwrap_err();
    assert!(err.contains("not avro"), "{err}");
}

fn parquet_file() -> Vec<u8> {
    let schema = Arc::new(
        parse_message_type(
            "message spark_schema {
                required int64 id;
                optional binary email (UTF8);
                optional int32 day (DATE);
                optional int64 at (TIMESTAMP_MILLIS);
                optional group address { optional binary city (UTF8); }
            }",
        )
        .unwrap(),
    );
    let mut buf = Vec::new();
    let mut w = SerializedFileWriter::new(
        &mut buf,
        schema,
        Arc::new(WriterProperties::builder().build()),
    )
    .unwrap();
    let mut rg = w.next_row_group().unwrap();
    let mut i = 0;
    while let Some(mut col) = rg.next_column().unwrap() {
        match i {
            0 | 3 => {
                col.typed::<Int64Type>()
                    .write_batch(&[7], if i == 0 { None } else { Some(&[1]) }, None)
                    .unwrap();
            }
            2 => {
                col.typed::<Int32Type>()
                    .write_batch(&[19_000], Some(&[1]), None)
                    .unwrap();
            }
            _ => {
                col.typed::<ByteArrayType>()
                    .write_batch(
                        &[ByteArray::from("v")],
                        Some(&[if i == 4 { 2 } else { 1 }]),
                        None,
                    )
                    .unwrap();
            }
        }
        col.close().unwrap();
        i += 1;
    }
    rg.close().unwrap();
    w.close().unwrap();
    buf
}

#[test]
fn parquet_columns_come_from_the_footer() {
    let file = parquet_file();
    let cols = parquet_footer(&file).unwrap();
    assert_eq!(
        types(&cols),
        [
            ("id", "BIGINT"),
            ("email", "STRING"),
            ("day", "DATE"),
            ("at", "TIMESTAMP"),
            ("address", "STRUCT"),
        ]
    );
}

#[test]
fn short_parquet_tail_asks_for_the_metadata_length() {
    let file = parquet_file();
    match parquet_footer(&file[file.len() - 20..]) {
        Err(FooterNeeds::More(len)) => assert!(len + 8 > 20 && len + 8 <= file.len()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parquet_footer(b"not parquet at all"),
        Err(FooterNeeds::Invalid(_))
    ));
}

#[test]
fn data_files_and_partitions_follow_spark_and_hive_layouts() {
    assert!(is_data_file(
        "year=2024/part-0000.snappy.parquet",
        "parquet"
    ));
    assert!(!is_data_file("year=2024/_SUCCESS", "parquet"));
    assert!(is_data_file("a/b.csv.gz", "csv"));
    assert!(!is_data_file("a/b.parquet", "csv"));
    assert!(is_data_file("x.jsonl", "json"));
    assert_eq!(
        hive_partitions("year=2024/month=01/f.parquet"),
        ["year", "month"]
    );
    assert!(hive_partitions("f.parquet").is_empty());
}
