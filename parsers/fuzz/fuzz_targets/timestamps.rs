//! Every public function of `rootcause_parsers::time`, on the input as a stamp and on numbers
//! read from its first bytes. Checks that a parsed stamp formats and parses back to itself,
//! that `timestamp` reads the same stamp from what it consumed, that epochs are never negative,
//! that a recovered stamp keeps its written minute, that offsets stay within a day, and that
//! the civil-date conversions are inverse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::text;
use rootcause_parsers::time::{
    Micros, SECOND, Stamp, TimeOptions, UTC_NAMES, ZoneKind, civil_from_days, days_from_civil,
    format_rfc3339, format_rfc3339_micros, from_epoch, parse, parse_epoch, parse_offset,
    recover_garbled, timestamp, zone_abbreviation,
};

/// UTC, India, and the most negative offset `--tz` accepts: zone-less stamps read with each.
const OFFSETS: [i32; 3] = [0, 5 * 3600 + 1800, -(23 * 3600 + 59 * 60)];

const DAY: Micros = 86_400 * SECOND;

/// True when `m` formats with a four-digit year, which the ISO grammar reads back.
fn four_digit_year(m: Micros) -> bool {
    (days_from_civil(0, 1, 1) * DAY..days_from_civil(10_000, 1, 1) * DAY).contains(&m)
}

/// A stamp printed as RFC 3339 parses back to the same instant, with an explicit zone.
fn round_trips(m: Micros, o: &TimeOptions) {
    let us = format_rfc3339_micros(m);
    let ms = format_rfc3339(m);
    if four_digit_year(m) {
        let exact = Stamp { micros: m, zone: ZoneKind::Explicit };
        assert_eq!(parse(us.as_bytes(), o), Some(exact), "{us}");
        let floor = m.div_euclid(1000) * 1000;
        assert_eq!(parse(ms.as_bytes(), o).map(|s| s.micros), Some(floor), "{ms}");
    }
}

fn stamps(s: &[u8], o: &TimeOptions) {
    if let Some(st) = parse(s, o) {
        let _ = st.caveat();
        round_trips(st.micros, o);
        if st.zone == ZoneKind::Recovered {
            assert_eq!(recover_garbled(s.trim_ascii()), Some(st.micros));
        }
    }
    if let Ok((rest, st)) = timestamp(s, o) {
        assert!(s.ends_with(rest), "timestamp returned a rest that is not the input's tail");
        let used = &s[..s.len() - rest.len()];
        assert_eq!(timestamp(used, o), Ok((&b""[..], st)), "re-reading {used:?}");
        if rest.trim_ascii().is_empty() {
            assert_eq!(parse(s, o), Some(st), "a whole stamp that parse reads otherwise");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for off in OFFSETS {
        stamps(data, &TimeOptions { default_offset_secs: off });
    }
    if let Some(m) = parse_epoch(data) {
        assert!(m >= 0, "negative epoch {m}");
    }
    if let Some(m) = recover_garbled(data) {
        assert!(m >= 0, "negative recovered time {m}");
        let minute = format_rfc3339_micros(m);
        assert_eq!(minute.get(14..16).map(str::as_bytes), data.get(14..16), "{minute}");
    }
    if let Some(off) = parse_offset(&text::lossy(data)) {
        assert!(off.abs() < 86_400, "offset {off}");
    }
    if let Some(off) = zone_abbreviation(data) {
        assert!(off.abs() < 86_400, "offset {off}");
        assert!(!UTC_NAMES.contains(&data) || off == 0);
    }

    // Numbers from the first bytes: an f64 epoch, an instant, a civil date, a day count.
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(data) {
        *d = *s;
    }
    if let Some(m) = from_epoch(f64::from_le_bytes(b)) {
        assert!(m >= 0, "negative epoch {m}");
    }
    round_trips(i64::from_le_bytes(b), &TimeOptions::default());
    let y = i64::from(i16::from_le_bytes([b[0], b[1]]));
    let m = u32::from(b[2] % 12) + 1;
    let next = if m == 12 { days_from_civil(y + 1, 1, 1) } else { days_from_civil(y, m + 1, 1) };
    let len = next - days_from_civil(y, m, 1);
    assert!((28..=31).contains(&len), "{y}-{m} has {len} days");
    let d = u32::from(b[3]) % len as u32 + 1;
    assert_eq!(civil_from_days(days_from_civil(y, m, d)), (y, m, d));
    let z = i64::from(i32::from_le_bytes([b[4], b[5], b[6], b[7]]));
    let (y, m, d) = civil_from_days(z);
    assert_eq!(days_from_civil(y, m, d), z);
});
