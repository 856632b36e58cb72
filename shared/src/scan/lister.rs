//! Listing a unit in key order, its key ranges in parallel.
//!
//! A [`Lister`] hands out a listed unit's objects in key order, a slice at a time. Each
//! [`Piece`] of the unit (see [`super::ranges`]) is listed by a chain of ListObjectsV2
//! requests of its own (continuation tokens make one chain's pages strictly sequential),
//! up to [`WINDOW`] chains at once, each running up to [`CHAIN_PAGES`] pages ahead of the
//! reader; slices take the pieces' keys in order, so a slice is a key range like a
//! sequential listing's and its bound (last key) is where a continuation resumes.
//!
//! The first slice of a unit (no groups yet) lists sequentially; when its first page says
//! more keys follow, the lister finds the unit's groups ([`super::ranges::discover`]) and
//! lists the rest of the unit after that page's last key by pieces. The groups are then
//! carried by the unit's continuation tasks ([`Lister::groups`]), so a task resumed in
//! another invocation lists the same pieces from its start key. A unit of one page costs
//! what it did before: no discovery request. A root-only unit (delimited listing of the
//! keys directly under a prefix) is always one sequential chain, a page per slice.

use std::collections::VecDeque;

use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::warn;

use crate::aws::{listed_name, listed_name_owned};

use super::access::AccessIssue;
use super::ranges::{self, Piece};
use super::report::ObjectMetadata;
use super::slice::{past_prefix, Slice};
use super::task::Unit;

/// Chains listing at once.
pub const WINDOW: usize = 8;

/// Pages a chain lists ahead of the reader (memory: [`WINDOW`] × this × 1,000 keys).
pub const CHAIN_PAGES: usize = 3;

/// One page of a chain.
struct ChainPage {
    objects: Vec<ObjectMetadata>,
    /// The last common prefix a delimited listing rolled up.
    last_prefix: Option<String>,
    /// The chain's last page.
    last: bool,
}

/// One running chain: its pages, and the task listing them (aborted when dropped).
struct Chain {
    pages: mpsc::Receiver<Result<ChainPage, AccessIssue>>,
    task: JoinHandle<()>,
    ended: bool,
}

impl Drop for Chain {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The objects of one listed unit in key order, a slice of `page_size` keys at a time,
/// from a start key (see the module documentation). Prefetched pages that are never asked
/// for are abandoned when the lister drops.
pub struct Lister {
    s3: aws_sdk_s3::Client,
    unit: Unit,
    page_size: usize,
    /// The unit's groups (empty: one piece).
    groups: Vec<String>,
    /// Whether the first page may lead to finding the groups.
    discover: bool,
    pending: VecDeque<Piece>,
    running: VecDeque<Chain>,
    buffer: VecDeque<ObjectMetadata>,
    /// The start key the next slice starts after (to tell whether a task may use this
    /// lister: its next slice must start where the task does).
    resumes_after: Option<String>,
    finished: bool,
}

impl Lister {
    /// Starts listing `unit` after `start_after` by the pieces of `groups` (the first
    /// requests are sent at once). With `discover` (a unit's first slice, no groups yet),
    /// a first page that is not the last leads to finding the groups.
    pub fn start(
        s3: &aws_sdk_s3::Client,
        unit: &Unit,
        page_size: u32,
        start_after: Option<String>,
        groups: Vec<String>,
        discover: bool,
    ) -> Lister {
        let page_size = page_size.clamp(1, 1000) as usize;
        let groups = if unit.root_only || !ranges::valid_groups(&unit.prefix, &groups) {
            Vec::new()
        } else {
            groups
        };
        let mut lister = Lister {
            s3: s3.clone(),
            discover: discover && groups.is_empty() && !unit.root_only,
            pending: ranges::resumed(
                ranges::pieces(&unit.prefix, &groups),
                start_after.as_deref(),
            )
            .into(),
            unit: unit.clone(),
            page_size,
            groups,
            running: VecDeque::new(),
            buffer: VecDeque::new(),
            resumes_after: start_after,
            finished: false,
        };
        lister.start_chains();
        lister
    }

    /// Whether the next slice this lister returns starts after `start_after` in `unit`.
    pub fn continues(&self, unit: &Unit, start_after: Option<&str>) -> bool {
        self.unit.id == unit.id && self.resumes_after.as_deref() == start_after
    }

    /// The groups the unit is listed by (empty: one piece), for its continuation tasks.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The next slice (`None` after the last): up to `page_size` keys in key order, and
    /// whether more follow.
    pub async fn next_page(&mut self) -> Result<Option<Slice>, AccessIssue> {
        if self.finished {
            return Ok(None);
        }
        if self.unit.root_only {
            return self.next_delimited_page().await.map(Some);
        }
        let mut objects = Vec::with_capacity(self.page_size);
        while objects.len() < self.page_size && self.fill().await? {
            let take = (self.page_size - objects.len()).min(self.buffer.len());
            objects.extend(self.buffer.drain(..take));
        }
        // Whether keys follow: known for sure (a key buffered, or every chain ended), so
        // the unit's last slice says so and no empty slice follows it.
        let more = self.fill().await?;
        if let Some(last) = objects.last() {
            self.resumes_after = Some(last.key.clone());
        }
        self.finished = !more;
        Ok(Some(Slice {
            objects: objects.into_iter().map(|m| (m, None)).collect(),
            more,
            last_prefix: None,
            inventory: None,
        }))
    }

    /// A root-only unit's next page, as it came (its common prefixes rolled up).
    async fn next_delimited_page(&mut self) -> Result<Slice, AccessIssue> {
        let page = match self.running.front_mut() {
            Some(chain) => chain.next().await?,
            None => None,
        };
        let Some(page) = page else {
            self.finished = true;
            return Ok(Slice {
                objects: Vec::new(),
                more: false,
                last_prefix: None,
                inventory: None,
            });
        };
        // Where the task's next slice starts: the last key, or past the last common
        // prefix rolled up, whichever sorts later (as `work` bounds a slice).
        let mut bound = page
            .objects
            .last()
            .map(|m| m.key.clone())
            .or_else(|| self.resumes_after.clone());
        if let Some(p) = page.last_prefix.as_deref().map(past_prefix) {
            if bound.as_deref().is_none_or(|b| p.as_str() > b) {
                bound = Some(p);
            }
        }
        self.resumes_after = bound;
        self.finished = page.last;
        Ok(Slice {
            objects: page.objects.into_iter().map(|m| (m, None)).collect(),
            more: !page.last,
            last_prefix: page.last_prefix,
            inventory: None,
        })
    }

    /// Makes sure a key is buffered, from the chains in piece order; `false` when the
    /// unit has no key left.
    async fn fill(&mut self) -> Result<bool, AccessIssue> {
        loop {
            if !self.buffer.is_empty() {
                return Ok(true);
            }
            self.start_chains();
            let Some(head) = self.running.front_mut() else {
                return Ok(false);
            };
            match head.next().await? {
                Some(page) => {
                    let more = !page.last;
                    self.buffer.extend(page.objects);
                    if self.discover {
                        self.discover = false;
                        if more {
                            self.split().await;
                        }
                    }
                }
                None => {
                    self.running.pop_front();
                }
            }
        }
    }

    /// After a first page that is not the last: finds the unit's groups and, when there
    /// are some, lists the rest of the unit after the keys already received by pieces.
    /// Finding none (or failing to: the sequential listing goes on and reports its own
    /// failures) changes nothing.
    async fn split(&mut self) {
        let groups = match ranges::discover(&self.s3, &self.unit).await {
            Ok(g) if !g.is_empty() => g,
            Ok(_) => return,
            Err(issue) => {
                warn!(bucket = %self.unit.bucket, prefix = %self.unit.prefix, "key ranges not found, listing in one chain: {}", issue.message);
                return;
            }
        };
        // Take the pages the sequential chain already has, then stop it.
        let Some(mut chain) = self.running.pop_front() else {
            return;
        };
        while let Ok(Ok(page)) = chain.pages.try_recv() {
            chain.ended = page.last;
            self.buffer.extend(page.objects);
            if chain.ended {
                break;
            }
        }
        if chain.ended {
            // Everything was listed already.
            self.groups = groups;
            return;
        }
        drop(chain);
        let resume = self
            .buffer
            .back()
            .map(|m| m.key.clone())
            .or_else(|| self.resumes_after.clone());
        self.pending = ranges::resumed(
            ranges::pieces(&self.unit.prefix, &groups),
            resume.as_deref(),
        )
        .into();
        self.groups = groups;
        self.start_chains();
    }

    /// Starts pending pieces' chains while fewer than [`WINDOW`] run.
    fn start_chains(&mut self) {
        while self.running.len() < WINDOW {
            let Some(piece) = self.pending.pop_front() else {
                return;
            };
            let (tx, rx) = mpsc::channel(CHAIN_PAGES);
            let task = tokio::spawn(list_piece(
                self.s3.clone(),
                self.unit.bucket.clone(),
                piece,
                self.unit.root_only,
                self.page_size as i32,
                tx,
            ));
            self.running.push_back(Chain {
                pages: rx,
                task,
                ended: false,
            });
        }
    }
}

impl Chain {
    /// The chain's next page; `None` once its last page was taken. A chain that stops
    /// before its last page (its task failed) is an error, never a silent end.
    async fn next(&mut self) -> Result<Option<ChainPage>, AccessIssue> {
        if self.ended {
            return Ok(None);
        }
        match self.pages.recv().await {
            Some(Ok(page)) => {
                self.ended = page.last;
                Ok(Some(page))
            }
            Some(Err(issue)) => Err(issue),
            None => Err(AccessIssue {
                operation: "ListObjectsV2".into(),
                action: "s3:ListBucket".into(),
                error_code: None,
                http_status: None,
                message: "the listing task stopped before its last page".into(),
                transient: true,
            }),
        }
    }
}

/// Lists one piece, page after page, sending each page as it arrives (waiting while
/// [`CHAIN_PAGES`] are unread); stops at the piece's end, at a failure (sent), or when
/// the lister is gone.
async fn list_piece(
    s3: aws_sdk_s3::Client,
    bucket: String,
    piece: Piece,
    delimited: bool,
    page_size: i32,
    tx: mpsc::Sender<Result<ChainPage, AccessIssue>>,
) {
    let mut token: Option<String> = None;
    loop {
        let mut req = s3
            .list_objects_v2()
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .bucket(&bucket)
            // No empty `prefix=` parameter: the request is then the AWS CLI's, byte for
            // byte in its query (list-type, encoding-type, max-keys, continuation-token).
            .set_prefix(Some(piece.prefix.clone()).filter(|p| !p.is_empty()))
            .max_keys(page_size);
        req = match token.take() {
            Some(t) => req.continuation_token(t),
            None => req.set_start_after(piece.after.clone()),
        };
        if delimited {
            req = req.delimiter("/");
        }
        let out = match req.send().await {
            Ok(out) => out,
            Err(e) => {
                let _ = tx.send(Err(AccessIssue::listing(&bucket, &e))).await;
                return;
            }
        };
        let (mut objects, last_prefix, next) = page_of(out);
        let mut last = next.is_none();
        if let Some(before) = piece.before.as_deref() {
            if let Some(i) = objects.iter().position(|m| m.key.as_str() >= before) {
                objects.truncate(i);
                last = true;
            }
        }
        if let Some(skip) = piece.skip.as_deref() {
            objects.retain(|m| !m.key.starts_with(skip));
        }
        let page = ChainPage {
            objects,
            last_prefix,
            last,
        };
        if tx.send(Ok(page)).await.is_err() || last {
            return;
        }
        token = next;
    }
}

/// Converts one ListObjectsV2 answer: keys URL-decoded (the request asks for
/// `EncodingType=url`), ETag, size, time and storage class as the report records them;
/// with the last common prefix rolled up and the next page's token (`None`: last page).
fn page_of(out: ListObjectsV2Output) -> (Vec<ObjectMetadata>, Option<String>, Option<String>) {
    let next = out
        .next_continuation_token()
        .filter(|_| out.is_truncated() == Some(true))
        .map(str::to_string);
    let last_prefix = out
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .next_back()
        .map(listed_name);
    let objects = out
        .contents
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| {
            let key = listed_name_owned(o.key?);
            let storage_class = o
                .storage_class
                .map_or_else(|| "STANDARD".to_string(), |c| c.as_str().to_string());
            Some(ObjectMetadata {
                key,
                version_id: None,
                size: o.size.unwrap_or(0).max(0) as u64,
                last_modified: o.last_modified.map(|t| t.to_string()),
                etag: o.e_tag,
                storage_class: Some(storage_class),
                ..ObjectMetadata::default()
            })
        })
        .collect();
    (objects, last_prefix, next)
}
