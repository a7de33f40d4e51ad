//! Why a line was skipped, and caveats about lines that were parsed.
//!
//! A malformed line is data, not an error: parsers report it through
//! [`Sink::skip`](crate::Sink::skip) with a [`SkipReason`] and go on. The reasons' string forms
//! are stable: they appear in reports (`skipped_reasons` in the JSON output).

use std::fmt;

/// Why a line was not turned into (part of) a record.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// An empty or whitespace-only line.
    Blank,
    /// A JSON line that ends before the object closes.
    TruncatedJson,
    /// A line that is not valid JSON.
    InvalidJson,
    /// Valid JSON that is not an object (a number, an array...).
    JsonNotObject,
    /// A CSV row with fewer fields than its header.
    CsvTooFewFields,
    /// A CSV row with more fields than its header.
    CsvTooManyFields,
    /// A CSV row whose quoted field never closes.
    CsvUnterminatedQuote,
    /// A CSV line seen before any header row.
    CsvNoHeader,
    /// A repeat of the CSV header line (files concatenated together).
    CsvRepeatedHeader,
    /// A CSV row whose key cell cannot be read: a k6 row without a metric name or with a
    /// non-numeric request duration, a vegeta row whose timestamp, code or latency is not an
    /// integer.
    CsvBadValue,
    /// A Postgres line that does not match the log_line_prefix.
    PgUnknownPrefix,
    /// A Postgres DETAIL/HINT/continuation line with no record before it.
    PgOrphanContinuation,
    /// A line of a file whose format could not be recognised.
    UnknownFormat,
    /// A line that no rule of the detected format understood.
    Unrecognised,
    /// A line with bytes that are not UTF-8 where text was required.
    NotUtf8,
    /// A line longer than the reader's limit; its bytes were dropped unread.
    LineTooLong,
    /// A row of an aggregated output (Locust CSV) whose required field (a count, a
    /// timestamp) could not be read.
    AggregateBadField,
    /// A line of a wrk summary that ends before its `N requests in ...` line (cut output, or
    /// cut by a foreign line).
    TruncatedSummary,
}

impl SkipReason {
    /// The stable snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Blank => "blank",
            SkipReason::TruncatedJson => "truncated_json",
            SkipReason::InvalidJson => "invalid_json",
            SkipReason::JsonNotObject => "json_not_object",
            SkipReason::CsvTooFewFields => "csv_too_few_fields",
            SkipReason::CsvTooManyFields => "csv_too_many_fields",
            SkipReason::CsvUnterminatedQuote => "csv_unterminated_quote",
            SkipReason::CsvNoHeader => "csv_no_header",
            SkipReason::CsvRepeatedHeader => "csv_repeated_header",
            SkipReason::CsvBadValue => "csv_bad_value",
            SkipReason::PgUnknownPrefix => "pg_unknown_prefix",
            SkipReason::PgOrphanContinuation => "pg_orphan_continuation",
            SkipReason::UnknownFormat => "unknown_format",
            SkipReason::Unrecognised => "unrecognised",
            SkipReason::NotUtf8 => "not_utf8",
            SkipReason::LineTooLong => "line_too_long",
            SkipReason::AggregateBadField => "aggregate_bad_field",
            SkipReason::TruncatedSummary => "truncated_summary",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A caveat about a line that *was* parsed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Note {
    /// The record carries no timestamp at all.
    NoTimestamp,
    /// A timestamp was present but could not be read; the record has none.
    BadTimestamp,
    /// The timestamp had no zone; the default offset (`--tz`, else UTC) was assumed.
    ZoneAssumed,
    /// The line had no readable timestamp; its time was taken from the previous timestamped
    /// line of the same file, or the next one at the start of a file.
    TimestampInferred,
    /// Invalid UTF-8 was replaced by U+FFFD to read the line.
    LossyUtf8,
    /// A status cell that was neither empty nor a number; read as "no response".
    NonNumericStatus,
    /// A numeric cell (elapsed, offset, burst) that could not be read; left empty.
    BadNumber,
    /// A garbled timestamp whose time was recovered from it (`%M%s` instead of `%M:%S`).
    TimestampRecovered,
    /// The zone was a named abbreviation such as CET or CST, read with the offset documented
    /// on [`zone_abbreviation`](crate::time::zone_abbreviation); ambiguous names are read as
    /// listed there.
    ZoneAbbreviation,
    /// The line's time is earlier than an earlier line's of the same file; events are sorted
    /// by time, so it is placed correctly.
    OutOfOrder,
}

impl Note {
    /// The stable snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Note::NoTimestamp => "no_timestamp",
            Note::BadTimestamp => "bad_timestamp",
            Note::ZoneAssumed => "zone_assumed",
            Note::TimestampInferred => "timestamp_inferred",
            Note::LossyUtf8 => "lossy_utf8",
            Note::NonNumericStatus => "non_numeric_status",
            Note::BadNumber => "bad_number",
            Note::TimestampRecovered => "timestamp_recovered",
            Note::ZoneAbbreviation => "zone_abbreviation",
            Note::OutOfOrder => "out_of_order",
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
