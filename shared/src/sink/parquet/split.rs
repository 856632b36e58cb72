//! A class's rows cut by output partition: every row of a file belongs to the partition
//! its key names (account, region, day), as Security Lake's custom-source layout and
//! Athena's partition pruning assume. A chunk's events usually share one partition; an
//! object read just after midnight, or a Firehose stream carrying several accounts and
//! regions, holds several.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::ArrowError;

use super::FirstEvent;

/// Milliseconds in a UTC day.
const DAY_MS: i64 = 86_400_000;

/// A row's UTC day number, `cloud.account.uid` and `cloud.region`.
type RowAttributes<'a> = (Option<i64>, Option<&'a str>, Option<&'a str>);

/// The output partition a row's key resolves to, from its `time`, `cloud.account.uid` and
/// `cloud.region` (the key maker's resolution: the object key's AWS convention first);
/// rows of equal partitions share a file.
pub type PartitionOf<'a> = &'a dyn Fn(&FirstEvent) -> String;

/// `batch` (rows in ascending time, `times` theirs) as one batch per partition, in the
/// order of each partition's first row, with the attributes of that first row (the
/// earliest of the partition). One partition gives the batch back uncopied.
pub(super) fn by_partition(
    batch: RecordBatch,
    times: &[Option<i64>],
    partition_of: PartitionOf<'_>,
) -> Result<Vec<(FirstEvent, RecordBatch)>, ArrowError> {
    let accounts = cloud_strings(&batch, &["account", "uid"]);
    let regions = cloud_strings(&batch, &["region"]);
    // Row attributes to group index: resolved once per distinct (day, account, region).
    let mut known: HashMap<RowAttributes<'_>, usize> = HashMap::new();
    let mut partitions: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(FirstEvent, Vec<u32>)> = Vec::new();
    let mut last = None;
    for (row, time) in times.iter().enumerate() {
        let attributes = (
            time.map(|t| t.div_euclid(DAY_MS)),
            text(accounts.as_ref(), row),
            text(regions.as_ref(), row),
        );
        let group = match last {
            Some((previous, group)) if previous == attributes => group,
            _ => *known.entry(attributes).or_insert_with(|| {
                let first = FirstEvent {
                    time_ms: *time,
                    account: attributes.1.map(str::to_owned),
                    region: attributes.2.map(str::to_owned),
                };
                *partitions.entry(partition_of(&first)).or_insert_with(|| {
                    groups.push((first, Vec::new()));
                    groups.len() - 1
                })
            }),
        };
        last = Some((attributes, group));
        groups[group].1.push(row as u32);
    }
    if groups.len() <= 1 {
        let first = groups.pop().map(|(first, _)| first).unwrap_or_default();
        return Ok(vec![(first, batch)]);
    }
    groups
        .into_iter()
        .map(|(first, rows)| {
            let rows = UInt32Array::from(rows);
            Ok((first, arrow_select::take::take_record_batch(&batch, &rows)?))
        })
        .collect()
}

/// Row `row` of `column`, when there is a value.
fn text(column: Option<&StringArray>, row: usize) -> Option<&str> {
    column.and_then(|c| c.is_valid(row).then(|| c.value(row)))
}

/// The string column at `cloud.<path>`, nulls where a row has no `cloud` or no value
/// (a null struct's children are not read: `cloud` null gives null).
fn cloud_strings(batch: &RecordBatch, path: &[&str]) -> Option<StringArray> {
    let mut column = batch.column_by_name("cloud")?.clone();
    let mut nulls = column.logical_nulls();
    for name in path {
        let object = column.as_struct_opt()?;
        let child = object.column_by_name(name)?.clone();
        nulls = arrow_buffer::NullBuffer::union(nulls.as_ref(), child.logical_nulls().as_ref());
        column = child;
    }
    let strings = column.as_string_opt::<i32>()?;
    StringArray::try_new(strings.offsets().clone(), strings.values().clone(), nulls).ok()
}
