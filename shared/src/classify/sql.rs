//! SQL dumps (`.sql`: mysqldump, pg_dump, hand-written scripts), read per value: the
//! values of `INSERT INTO t (a, b) VALUES (...), (...)` and of pg_dump's
//! `COPY t (a, b) FROM stdin;` tab-separated blocks are classified as the columns they
//! fill, so a value's column name counts as its keyword (as a CSV header does), however
//! far the column list is from the value. An `INSERT` without a column list takes the
//! columns of the file's `CREATE TABLE` for that table (mysqldump writes them so). Every
//! other statement, and comments, are classified as text.
//!
//! The reader is a byte-level tokenizer over the stream: memory holds one token (a value
//! is cut at [`MAX_VALUE`] bytes), the current column list, and the column lists of up
//! to [`MAX_TABLES`] tables.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use super::batch::{ObjectScan, Place};
use super::engine::{looks_binary, Classifier};
use super::findings::{ObjectReport, ObjectStatus, SkipReason};
use super::format::SampleLimits;
use super::ClassifyError;

/// Longest value or text piece kept as one field; a longer one is classified in pieces.
const MAX_VALUE: usize = 64 * 1024;

/// Tables whose `CREATE TABLE` column lists are remembered.
const MAX_TABLES: usize = 10_000;

/// Columns remembered per table or column list.
const MAX_COLUMNS: usize = 4_096;

/// Column of the text of other statements and comments (it names no identifier).
const TEXT_COLUMN: &str = "statement";

/// One token, with the line and offset it starts at.
#[derive(Debug, PartialEq)]
enum Token {
    /// A word or number, or an identifier in backticks or double quotes (`quoted`).
    Word { text: Vec<u8>, quoted: bool },
    /// A string literal's content, unescaped.
    Str(Vec<u8>),
    /// Any other byte (`(`, `)`, `,`, `;`...).
    Punct(u8),
    /// A comment's text.
    Comment(Vec<u8>),
}

/// A byte stream read as SQL tokens, counting lines and offsets.
struct Lexer<R: BufRead> {
    inner: R,
    line: u64,
    offset: u64,
    /// The raw bytes of the statement being read, for statements classified as text.
    raw: Vec<u8>,
    capture: bool,
}

impl<R: BufRead> Lexer<R> {
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        Ok(self.inner.fill_buf()?.first().copied())
    }

    fn bump(&mut self) -> std::io::Result<Option<u8>> {
        let Some(b) = self.peek()? else {
            return Ok(None);
        };
        self.inner.consume(1);
        self.offset += 1;
        if b == b'\n' {
            self.line += 1;
        }
        if self.capture && self.raw.len() < MAX_VALUE {
            self.raw.push(b);
        }
        Ok(Some(b))
    }

    /// The next token and where it starts (line from 1, offset), or `None` at the end.
    fn next(&mut self) -> std::io::Result<Option<(Token, u64, u64)>> {
        loop {
            let Some(b) = self.peek()? else {
                return Ok(None);
            };
            if b.is_ascii_whitespace() {
                self.bump()?;
                continue;
            }
            let (line, offset) = (self.line, self.offset);
            self.bump()?;
            let token = match b {
                b'\'' => Token::Str(self.quoted(b'\'', true)?),
                b'"' | b'`' => Token::Word {
                    text: self.quoted(b, false)?,
                    quoted: true,
                },
                b'-' if self.peek()? == Some(b'-') => Token::Comment(self.line_rest()?),
                b'#' => Token::Comment(self.line_rest()?),
                b'/' if self.peek()? == Some(b'*') => {
                    self.bump()?;
                    let mut text = Vec::new();
                    let mut star = false;
                    while let Some(c) = self.bump()? {
                        if star && c == b'/' {
                            text.pop();
                            break;
                        }
                        star = c == b'*';
                        if text.len() < MAX_VALUE {
                            text.push(c);
                        }
                    }
                    Token::Comment(text)
                }
                b if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.' | b'@') => {
                    let mut text = vec![b];
                    while let Some(c) = self.peek()? {
                        if !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.' | b'@'))
                            || text.len() >= MAX_VALUE
                        {
                            break;
                        }
                        text.push(c);
                        self.bump()?;
                    }
                    Token::Word {
                        text,
                        quoted: false,
                    }
                }
                b => Token::Punct(b),
            };
            return Ok(Some((token, line, offset)));
        }
    }

    /// The rest of a quoted token after its opening `quote`: a doubled quote is one, and
    /// in strings a backslash escapes the next byte (MySQL's escapes).
    fn quoted(&mut self, quote: u8, escapes: bool) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(c) = self.bump()? {
            let byte = if c == quote {
                if self.peek()? == Some(quote) {
                    self.bump()?;
                    quote
                } else {
                    break;
                }
            } else if c == b'\\' && escapes {
                match self.bump()? {
                    Some(b'n') => b'\n',
                    Some(b't') => b'\t',
                    Some(b'r') => b'\r',
                    Some(b'0') => 0,
                    Some(other) => other,
                    None => break,
                }
            } else {
                c
            };
            if out.len() < MAX_VALUE {
                out.push(byte);
            }
        }
        Ok(out)
    }

    /// The rest of the line (a `--` or `#` comment), without its line end.
    fn line_rest(&mut self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(c) = self.peek()? {
            if c == b'\n' {
                break;
            }
            self.bump()?;
            if out.len() < MAX_VALUE {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// One line of a `COPY ... FROM stdin` block, its line and offset; `None` at its end
    /// (`\.`) or at the end of the stream.
    fn copy_line(&mut self) -> std::io::Result<Option<(Vec<u8>, u64, u64)>> {
        let (line, offset) = (self.line, self.offset);
        let mut out = Vec::new();
        let mut any = false;
        while let Some(c) = self.bump()? {
            any = true;
            if c == b'\n' {
                break;
            }
            if out.len() < MAX_VALUE {
                out.push(c);
            }
        }
        if out.last() == Some(&b'\r') {
            out.pop();
        }
        Ok((any && out != b"\\.").then_some((out, line, offset)))
    }
}

/// A COPY text field unescaped (`\t`, `\n`, `\\`...); `None` for `\N` (NULL).
fn copy_field(field: &[u8]) -> Option<Vec<u8>> {
    if field == b"\\N" {
        return None;
    }
    let mut out = Vec::with_capacity(field.len());
    let mut it = field.iter();
    while let Some(&c) = it.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        out.push(match it.next() {
            Some(b't') => b'\t',
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(&other) => other,
            None => break,
        });
    }
    Some(out)
}

fn is_word(t: &Token, word: &str) -> bool {
    matches!(t, Token::Word { text, quoted: false } if text.eq_ignore_ascii_case(word.as_bytes()))
}

/// An identifier's last part (`public.users` is `users`), lower case.
fn table_key(name: &[u8]) -> String {
    let last = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
    String::from_utf8_lossy(last).to_ascii_lowercase()
}

/// Statement forms the reader follows.
enum Statement {
    /// Not followed: its text is classified.
    Text,
    /// `INSERT`/`REPLACE` up to `VALUES`: the table and the column list.
    InsertHead,
    /// `CREATE TABLE` up to its column list.
    CreateHead,
    /// `COPY` up to `FROM stdin;`.
    CopyHead,
    /// Skipped to the statement's end (`ON DUPLICATE KEY UPDATE ...`, a read table's
    /// options).
    Rest,
}

/// The reader's state between tokens.
struct SqlScan<'s, 'c> {
    scan: &'s mut ObjectScan<'c>,
    columns: HashMap<String, usize>,
    tables: HashMap<String, Vec<String>>,
    rows: u64,
}

impl SqlScan<'_, '_> {
    fn column(&mut self, name: &str) -> usize {
        if let Some(&c) = self.columns.get(name) {
            return c;
        }
        let c = self.scan.column(name, Some(name), None, name);
        self.columns.insert(name.to_string(), c);
        c
    }

    /// Classifies text that is no value (another statement, a comment).
    fn text(&mut self, text: &[u8], line: u64, offset: u64) {
        if text.trim_ascii().is_empty() {
            return;
        }
        let c = self.column(TEXT_COLUMN);
        self.scan.value(
            c,
            text,
            Place {
                line,
                offset,
                ..Place::default()
            },
        );
        self.scan.end_record();
    }

    /// One row's values under `names` (`column N` past the list's end).
    fn row(&mut self, names: &[String], values: &[Option<Vec<u8>>], line: u64, offset: u64) {
        self.rows += 1;
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            let name = names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("column {}", i + 1));
            let c = self.column(&name);
            self.scan.value(
                c,
                v,
                Place {
                    row: Some(self.rows),
                    line,
                    offset,
                    ..Place::default()
                },
            );
        }
        self.scan.end_record();
    }
}

impl Classifier {
    /// Classifies a SQL dump read from `reader` (see the module's documentation).
    /// `limits.max_rows` counts the rows of `INSERT` and `COPY` statements.
    pub(crate) fn classify_sql<R: Read>(
        &self,
        reader: R,
        limits: &SampleLimits,
    ) -> Result<ObjectReport, ClassifyError> {
        let mut buffered = BufReader::with_capacity(64 * 1024, reader);
        let head = buffered.fill_buf().map_err(ClassifyError::Read)?;
        if looks_binary(&head[..head.len().min(8192)]) {
            return Ok(ObjectReport::skipped(
                SkipReason::UnsupportedType,
                Some("binary content".into()),
                "sql",
            ));
        }
        let mut lexer = Lexer {
            inner: buffered,
            line: 1,
            offset: 0,
            raw: Vec::new(),
            capture: false,
        };
        let mut scan = ObjectScan::new(self);
        let mut sql = SqlScan {
            scan: &mut scan,
            columns: HashMap::new(),
            tables: HashMap::new(),
            rows: 0,
        };
        let status = read_statements(&mut lexer, &mut sql, limits).map_err(ClassifyError::Read)?;
        let rows = sql.rows;
        scan.rows = rows;
        Ok(scan.finish(status, "sql"))
    }
}

/// Reads statements to the end of the stream or the row limit.
fn read_statements<R: BufRead>(
    lexer: &mut Lexer<R>,
    sql: &mut SqlScan<'_, '_>,
    limits: &SampleLimits,
) -> std::io::Result<ObjectStatus> {
    let full = |sql: &SqlScan<'_, '_>| limits.max_rows.is_some_and(|max| sql.rows >= max);
    let mut state: Option<Statement> = None;
    let mut start = (1, 0);
    let mut table = String::new();
    let mut names: Vec<String> = Vec::new();
    while let Some((token, line, offset)) = lexer.next()? {
        if let Token::Comment(text) = &token {
            // Inside a statement read as text the comment is in its text already.
            if !matches!(state, Some(Statement::Text)) {
                sql.text(text, line, offset);
            }
            continue;
        }
        let Some(current) = state.as_mut() else {
            // A statement begins.
            start = (line, offset);
            names.clear();
            table.clear();
            let next = if is_word(&token, "insert") || is_word(&token, "replace") {
                Statement::InsertHead
            } else if is_word(&token, "create") {
                Statement::CreateHead
            } else if is_word(&token, "copy") {
                Statement::CopyHead
            } else {
                Statement::Text
            };
            if matches!(next, Statement::Text) {
                lexer.raw.clear();
                lexer.raw.extend_from_slice(&token_text(&token));
                lexer.capture = true;
            }
            if token == Token::Punct(b';') {
                continue;
            }
            state = Some(next);
            continue;
        };
        let end = token == Token::Punct(b';');
        match current {
            Statement::Text => {
                if end || lexer.raw.len() >= MAX_VALUE {
                    lexer.capture = !end;
                    let raw = std::mem::take(&mut lexer.raw);
                    sql.text(&raw, start.0, start.1);
                    if end {
                        state = None;
                    }
                }
            }
            Statement::Rest => {
                if end {
                    state = None;
                }
            }
            Statement::InsertHead => match token {
                Token::Word { text, quoted }
                    if table.is_empty()
                        && (quoted
                            || !matches!(
                                text.to_ascii_lowercase().as_slice(),
                                b"into"
                                    | b"ignore"
                                    | b"low_priority"
                                    | b"delayed"
                                    | b"high_priority"
                            )) =>
                {
                    table = table_key(&text);
                }
                Token::Punct(b'(') if !table.is_empty() => {
                    names = identifier_list(lexer)?;
                }
                ref t if is_word(t, "values") || is_word(t, "value") => {
                    if names.is_empty() {
                        names = sql.tables.get(&table).cloned().unwrap_or_default();
                    }
                    let done = read_values(lexer, sql, &names, limits)?;
                    if full(sql) {
                        return Ok(ObjectStatus::Partial);
                    }
                    state = if done { None } else { Some(Statement::Rest) };
                }
                // `INSERT ... SELECT` and other forms: skipped to the end.
                _ if end => state = None,
                _ => {}
            },
            Statement::CreateHead => match token {
                ref t if is_word(t, "table") => {}
                ref t
                    if table.is_empty()
                        && (is_word(t, "if")
                            || is_word(t, "not")
                            || is_word(t, "exists")
                            || is_word(t, "temporary")
                            || is_word(t, "unlogged")) => {}
                Token::Word { text, .. } if table.is_empty() => table = table_key(&text),
                Token::Punct(b'(') if !table.is_empty() => {
                    let defs = column_definitions(lexer)?;
                    if sql.tables.len() < MAX_TABLES || sql.tables.contains_key(&table) {
                        sql.tables.insert(table.clone(), defs);
                    }
                    state = Some(Statement::Rest);
                }
                _ if end => state = None,
                // `CREATE INDEX`, `CREATE FUNCTION`...: not followed.
                _ => state = Some(Statement::Rest),
            },
            Statement::CopyHead => match token {
                Token::Word { text, .. } if table.is_empty() => table = table_key(&text),
                Token::Punct(b'(') if names.is_empty() => names = identifier_list(lexer)?,
                ref t if is_word(t, "stdin") => {}
                Token::Punct(b';') => {
                    state = None;
                    // pg_dump's data follows on the next line, to `\.`.
                    lexer.line_rest()?;
                    lexer.bump()?;
                    if names.is_empty() {
                        names = sql.tables.get(&table).cloned().unwrap_or_default();
                    }
                    while let Some((row, line, offset)) = lexer.copy_line()? {
                        let values: Vec<Option<Vec<u8>>> =
                            row.split(|&b| b == b'\t').map(copy_field).collect();
                        sql.row(&names, &values, line, offset);
                        if full(sql) {
                            return Ok(ObjectStatus::Partial);
                        }
                    }
                }
                _ => {}
            },
        }
    }
    if matches!(state, Some(Statement::Text)) {
        let raw = std::mem::take(&mut lexer.raw);
        sql.text(&raw, start.0, start.1);
    }
    Ok(ObjectStatus::Complete)
}

/// A token as text (for a statement classified as text, its first token).
fn token_text(t: &Token) -> Vec<u8> {
    match t {
        Token::Word { text, .. } | Token::Str(text) | Token::Comment(text) => text.clone(),
        Token::Punct(b) => vec![*b],
    }
}

/// Identifiers up to the `)` closing a list opened before the call.
fn identifier_list<R: BufRead>(lexer: &mut Lexer<R>) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    while let Some((t, ..)) = lexer.next()? {
        match t {
            Token::Punct(b')') => break,
            Token::Word { text, .. } if names.len() < MAX_COLUMNS => {
                names.push(String::from_utf8_lossy(&text).into_owned());
            }
            _ => {}
        }
    }
    Ok(names)
}

/// The column names of a `CREATE TABLE` list (after its `(`), to the matching `)`: the
/// first word of each definition that is not a constraint.
fn column_definitions<R: BufRead>(lexer: &mut Lexer<R>) -> std::io::Result<Vec<String>> {
    const NOT_COLUMNS: &[&str] = &[
        "primary",
        "key",
        "unique",
        "constraint",
        "index",
        "foreign",
        "check",
        "fulltext",
        "spatial",
        "exclude",
        "like",
        "period",
    ];
    let mut names = Vec::new();
    let mut depth = 1;
    let mut first = true;
    while let Some((t, ..)) = lexer.next()? {
        match t {
            Token::Punct(b'(') => depth += 1,
            Token::Punct(b')') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Token::Punct(b',') if depth == 1 => first = true,
            Token::Word { text, quoted } if first && depth == 1 => {
                first = false;
                let constraint = !quoted
                    && NOT_COLUMNS
                        .iter()
                        .any(|w| text.eq_ignore_ascii_case(w.as_bytes()));
                if !constraint && names.len() < MAX_COLUMNS {
                    names.push(String::from_utf8_lossy(&text).into_owned());
                }
            }
            _ => first = false,
        }
    }
    Ok(names)
}

/// The rows of a `VALUES` list, each under `names`; true when the statement ended (`;`)
/// with them, false when something follows (`ON DUPLICATE KEY UPDATE`). A value is a
/// string's content, or the text of anything else (a number, `NULL` is left out, a
/// call such as `X'..'` or `now()` as its words).
fn read_values<R: BufRead>(
    lexer: &mut Lexer<R>,
    sql: &mut SqlScan<'_, '_>,
    names: &[String],
    limits: &SampleLimits,
) -> std::io::Result<bool> {
    let mut values: Vec<Option<Vec<u8>>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut depth = 0;
    let mut row_at = (0, 0);
    while let Some((t, line, offset)) = lexer.next()? {
        match t {
            Token::Punct(b'(') => {
                depth += 1;
                if depth == 1 {
                    values.clear();
                    current = None;
                    row_at = (line, offset);
                }
            }
            Token::Punct(b')') if depth == 1 => {
                depth = 0;
                values.push(current.take());
                sql.row(names, &values, row_at.0, row_at.1);
                if limits.max_rows.is_some_and(|max| sql.rows >= max) {
                    return Ok(true);
                }
            }
            Token::Punct(b')') => depth -= 1,
            Token::Punct(b',') if depth == 1 => values.push(current.take()),
            Token::Punct(b',') if depth == 0 => {}
            Token::Punct(b';') if depth == 0 => return Ok(true),
            Token::Comment(_) => {}
            t if depth >= 1 => {
                let null = is_word(&t, "null");
                let text = token_text(&t);
                if !null {
                    let v = current.get_or_insert_with(Vec::new);
                    if v.len() + text.len() <= MAX_VALUE {
                        v.extend_from_slice(&text);
                    }
                }
            }
            // Another clause after the rows.
            _ => return Ok(false),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::tests::shared;
    use super::super::{Finding, ObjectFormat, ObjectReport, SampleLimits};

    fn run(text: &str) -> ObjectReport {
        shared()
            .classify_stream(&ObjectFormat::Sql, text.as_bytes(), &SampleLimits::NONE)
            .unwrap()
    }

    fn found<'a>(r: &'a ObjectReport, id: &str) -> Option<&'a Finding> {
        r.findings.iter().find(|f| f.detector == id)
    }

    /// Closing note 6: the SSN's column name was 30+ characters before the value, past
    /// Macie's keyword distance. The column name is its keyword, in every dump form.
    #[test]
    fn a_values_column_name_is_its_keyword_in_every_dump_form() {
        // Unformatted, an SSN needs a keyword: here only its column's name.
        let ssn = "536228726";
        let plain = "536228726";
        for (form, text) in [
            (
                "INSERT with a column list, multi-row",
                format!(
                    "INSERT INTO people (id, first_name, last_name, email_verified, created_at, ssn) VALUES\n(1, 'Ann', 'Lee', 1, '2024-01-01', '111-11-1111'),\n(2, 'Bob', 'Roe', 0, '2024-01-02', '{ssn}');\n"
                ),
            ),
            (
                "mysqldump: CREATE TABLE, then INSERT without columns",
                format!(
                    "-- MySQL dump 10.13\nCREATE TABLE `people` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `first_name` varchar(64) DEFAULT NULL,\n  `notes` text,\n  `ssn` char(11) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `idx` (`first_name`)\n) ENGINE=InnoDB;\nLOCK TABLES `people` WRITE;\nINSERT INTO `people` VALUES (1,'Ann','it''s a \\'note\\', long enough to be far','{ssn}'),(2,'Bob',NULL,'{plain}');\nUNLOCK TABLES;\n"
                ),
            ),
            (
                "pg_dump COPY block",
                format!(
                    "--\n-- PostgreSQL database dump\n--\nCOPY public.people (id, first_name, notes, created_at, ssn) FROM stdin;\n1\tAnn\t\\N\t2024-01-01 10:00:00+00\t{ssn}\n2\tBob\tsome\\tnote\t2024-01-02 10:00:00+00\t{plain}\n\\.\n\nSELECT pg_catalog.setval('people_id_seq', 2, true);\n"
                ),
            ),
        ] {
            let r = run(&text);
            let f = found(&r, "us_ssn").unwrap_or_else(|| panic!("{form}: {r:?}"));
            assert!(f.count >= 1, "{form}");
            let l = &f.locations[0];
            assert_eq!(l.column_name.as_deref(), Some("ssn"), "{form}");
            assert!(l.row.is_some(), "{form}");
            assert_eq!(r.format, "sql");
        }
    }

    #[test]
    fn values_outside_their_column_and_other_statements_are_read_as_text() {
        // A bare SSN under a column that does not name it needs its keyword nearby.
        let r = run("INSERT INTO t (id, ref) VALUES (1, '536228726');\n");
        assert!(found(&r, "us_ssn").is_none(), "{r:?}");
        // Statements other than INSERT and COPY, and comments, are text.
        let r = run(
            "-- owner: jane.doe@mail.example.org\nUPDATE people SET note = 'ssn 536-22-8726' WHERE id = 1;\n",
        );
        assert!(found(&r, "email").is_some(), "{r:?}");
        let f = found(&r, "us_ssn").unwrap();
        assert_eq!(f.locations[0].line, 2);
        // A password column's value is a secret, as a CSV column's is.
        let r = run("INSERT INTO users (name, password) VALUES ('ann', 'Zq8!vR2#mK9x');\n");
        assert!(found(&r, "generic_secret").is_some(), "{r:?}");
    }

    #[test]
    fn rows_are_counted_and_limited_and_broken_input_does_not_panic() {
        let text = "INSERT INTO t (a) VALUES (1),(2),(3);\nINSERT INTO t (a) VALUES (4);\n";
        let r = run(text);
        assert_eq!(r.rows, Some(4));
        let limited = shared()
            .classify_stream(
                &ObjectFormat::Sql,
                text.as_bytes(),
                &SampleLimits {
                    max_bytes: None,
                    max_rows: Some(2),
                },
            )
            .unwrap();
        assert_eq!(limited.rows, Some(2));
        assert_eq!(limited.status, super::ObjectStatus::Partial);
        for broken in [
            "INSERT INTO t (a VALUES ('x",
            "COPY t (a) FROM stdin;\n1\t2",
            "CREATE TABLE t (a int",
            "'''''",
            "/* open",
            ")))(((;;;",
            "INSERT INTO VALUES",
        ] {
            run(broken);
        }
    }
}
