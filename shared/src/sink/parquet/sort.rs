//! A class's rows put in time order: Arrow's `take`, except that a column whose rows all
//! hold the same value (or none) is kept as it is, since sorting cannot change it.
//! Most columns of a file are such (the class, the product, the source object, the
//! account and region): copying them row by row in the new order was most of the
//! sort's cost.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray, UInt32Array};
use arrow_schema::{ArrowError, DataType};

/// The batch's rows in `order`, without copying when that is their order already.
pub(super) fn sorted(batch: RecordBatch, order: Vec<u32>) -> Result<RecordBatch, ArrowError> {
    if order.iter().enumerate().all(|(i, &row)| i as u32 == row) {
        return Ok(batch);
    }
    let indices = UInt32Array::from(order);
    let columns = batch
        .columns()
        .iter()
        .map(|column| take_varying(column, &indices))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(batch.schema(), columns)
}

/// `array`'s rows in the order `indices` gives: the array itself when every row is the
/// same, a struct rebuilt from its members taken one by one when its own validity is
/// the same in every row, else Arrow's `take`.
fn take_varying(array: &ArrayRef, indices: &UInt32Array) -> Result<ArrayRef, ArrowError> {
    if let Some(object) = array.as_struct_opt() {
        let uniform_validity = object.null_count() == 0 || object.null_count() == object.len();
        if !uniform_validity {
            return arrow_select::take::take(array.as_ref(), indices, None);
        }
        let members = object
            .columns()
            .iter()
            .map(|member| take_varying(member, indices))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Arc::new(StructArray::try_new_with_length(
            object.fields().clone(),
            members,
            object.nulls().cloned(),
            indices.len(),
        )?));
    }
    if is_constant(array.as_ref()) {
        return Ok(Arc::clone(array));
    }
    arrow_select::take::take(array.as_ref(), indices, None)
}

/// Whether every row of a non-struct array is the same: all null, or all present and
/// equal (strings, integers, booleans; other types are never said to be).
fn is_constant(array: &dyn Array) -> bool {
    let (len, nulls) = (array.len(), array.null_count());
    if nulls == len {
        return true;
    }
    if nulls > 0 {
        return false;
    }
    match array.data_type() {
        DataType::Utf8 => {
            let strings = array.as_string::<i32>();
            let first = strings.value(0);
            (1..len).all(|i| strings.value(i) == first)
        }
        DataType::Int64 => {
            let values = array.as_primitive::<Int64Type>().values();
            values.iter().all(|v| *v == values[0])
        }
        DataType::Boolean => {
            let trues = array.as_boolean().true_count();
            trues == 0 || trues == len
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{BooleanArray, Int64Array, ListArray, StringArray};
    use arrow_buffer::NullBuffer;
    use arrow_schema::{Field, Fields, Schema};

    /// A batch of `rows` rows whose columns are constant, varying, or partly null, at the
    /// top level and inside structs (valid, partly null, all null).
    fn batch(rows: usize) -> RecordBatch {
        let varying_str = |salt: usize| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| format!("v{}", (i * 7 + salt) % 5)),
            ))
        };
        let constant_str: ArrayRef =
            Arc::new(StringArray::from_iter_values((0..rows).map(|_| "same")));
        // Equal except the last row: a check that stops early must not call it constant.
        let last_differs: ArrayRef = Arc::new(StringArray::from_iter_values((0..rows).map(|i| {
            if i + 1 == rows {
                "samf"
            } else {
                "same"
            }
        })));
        let partly_null: ArrayRef = Arc::new(StringArray::from_iter(
            (0..rows).map(|i| (i % 3 != 0).then_some("same")),
        ));
        let all_null: ArrayRef = Arc::new(StringArray::from_iter((0..rows).map(|_| None::<&str>)));
        let constant_int: ArrayRef = Arc::new(Int64Array::from_iter_values((0..rows).map(|_| 7)));
        let varying_int: ArrayRef =
            Arc::new(Int64Array::from_iter_values((0..rows).map(|i| i as i64)));
        let varying_bool: ArrayRef =
            Arc::new(BooleanArray::from_iter((0..rows).map(|i| Some(i % 2 == 0))));
        let constant_bool: ArrayRef =
            Arc::new(BooleanArray::from_iter((0..rows).map(|_| Some(true))));
        let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(
            (0..rows).map(|_| Some(vec![Some(1)])),
        ));
        let members = |nulls: Option<NullBuffer>| -> ArrayRef {
            let fields = Fields::from(vec![
                Field::new("c", DataType::Utf8, true),
                Field::new("v", DataType::Utf8, true),
                Field::new("n", DataType::Int64, true),
            ]);
            Arc::new(
                StructArray::try_new(
                    fields,
                    vec![constant_str.clone(), varying_str(3), varying_int.clone()],
                    nulls,
                )
                .unwrap(),
            )
        };
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("constant_str", constant_str.clone()),
            ("varying_str", varying_str(0)),
            ("last_differs", last_differs),
            ("partly_null", partly_null),
            ("all_null", all_null),
            ("constant_int", constant_int),
            ("varying_int", varying_int.clone()),
            ("varying_bool", varying_bool),
            ("constant_bool", constant_bool),
            ("list", list),
            ("valid_struct", members(None)),
            (
                "partly_null_struct",
                members(Some(NullBuffer::from_iter((0..rows).map(|i| i % 4 != 1)))),
            ),
            (
                "null_struct",
                members(Some(NullBuffer::from_iter((0..rows).map(|_| false)))),
            ),
        ];
        let schema = Schema::new(
            columns
                .iter()
                .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        );
        RecordBatch::try_new(
            Arc::new(schema),
            columns.into_iter().map(|(_, a)| a).collect(),
        )
        .unwrap()
    }

    #[test]
    fn sorting_keeps_constant_columns_and_gives_what_take_gives() {
        for rows in [1, 2, 9, 100] {
            let batch = batch(rows);
            // Reversed, and interleaved (the sawtooth of several delivery periods).
            let reversed: Vec<u32> = (0..rows as u32).rev().collect();
            let mut interleaved: Vec<u32> = (0..rows as u32).collect();
            interleaved.sort_by_key(|&i| (i % 3, i));
            for order in [reversed, interleaved] {
                assert_eq!(order.len(), rows);
                let expected = arrow_select::take::take_record_batch(
                    &batch,
                    &UInt32Array::from(order.clone()),
                )
                .unwrap();
                let got = sorted(batch.clone(), order).unwrap();
                assert_eq!(got, expected, "{rows} rows");
                for (name, column) in [("constant_str", 0), ("all_null", 4), ("constant_int", 5)] {
                    // Kept, not copied: the same buffers.
                    assert_eq!(
                        got.column(column).to_data().buffers()[0].as_ptr(),
                        batch.column(column).to_data().buffers()[0].as_ptr(),
                        "{name}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_columns_whose_rows_are_all_the_same_are_constant() {
        let strings = |v: &[Option<&str>]| StringArray::from(v.to_vec());
        assert!(is_constant(&strings(&[Some("a"), Some("a")])));
        assert!(is_constant(&strings(&[None, None])));
        assert!(!is_constant(&strings(&[Some("a"), Some("b")])));
        assert!(!is_constant(&strings(&[Some("a"), None])));
        // Same bytes, split differently across rows.
        assert!(!is_constant(&strings(&[Some("ab"), Some("a"), Some("b")])));
        assert!(!is_constant(&strings(&[Some(""), Some("a")])));
        assert!(is_constant(&Int64Array::from(vec![3, 3, 3])));
        assert!(!is_constant(&Int64Array::from(vec![3, 3, 4])));
        assert!(!is_constant(&Int64Array::from(vec![Some(3), None])));
        assert!(is_constant(&BooleanArray::from(vec![false, false])));
        assert!(!is_constant(&BooleanArray::from(vec![false, true])));
        let list = ListArray::from_iter_primitive::<Int64Type, _, _>([Some(vec![Some(1)])]);
        assert!(!is_constant(&list), "lists are always taken");
    }
}
