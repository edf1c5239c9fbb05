//! The fast path of [`Timestamp::parse`](super::Timestamp::parse): the
//! two forms Resend sends, read straight to seconds since the epoch.

/// `YYYY-MM-DD(T| )HH:MM:SS[.f{1,9}](Z|±HH[[:]MM])`, or `None` for
/// anything else, including every invalid date (chrono then decides).
/// Written for the hot path: three a run, a hundred runs a page. The head
/// is a fixed array, so the digit checks need no bounds checks and no
/// branch per digit.
pub(super) fn fast_parse(b: &[u8]) -> Option<(i64, u32)> {
    let (head, rest) = b.split_first_chunk::<19>()?;
    // Eight bytes at a time: `YYYY-MM-` and `DD?hh:mm`, then `:ss`.
    let (w0, w1) = (
        u64::from_le_bytes([
            head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7],
        ]),
        u64::from_le_bytes([
            head[8], head[9], head[10], head[11], head[12], head[13], head[14], head[15],
        ]),
    );
    // The separators: `-` at 4 and 7, `:` at 13 (w1's byte 5).
    const SEP0: u64 = 0x2d00_002d_0000_0000;
    const M0: u64 = 0x00ff_ff00_ffff_ffff;
    const M1: u64 = 0xffff_00ff_ff00_ffff;
    if w0 & !M0 != SEP0 || (w1 >> 40) & 0xff != u64::from(b':') || head[16] != b':' {
        return None;
    }
    if !matches!(head[10], b'T' | b't' | b' ') {
        return None;
    }
    // Separators read as '0', then every byte must be an ASCII digit. (The
    // halves added hold disjoint bits: `+` is `|` here, and no carry.)
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let (w0, w1) = ((w0 & M0) + (ZEROS & !M0), (w1 & M1) + (ZEROS & !M1));
    let all_digits = |w: u64| {
        (w & 0xf0f0_f0f0_f0f0_f0f0)
            + (((w.wrapping_add(0x0606_0606_0606_0606)) & 0xf0f0_f0f0_f0f0_f0f0) >> 4)
            == 0x3333_3333_3333_3333
    };
    let (s1, s2) = (head[17].wrapping_sub(b'0'), head[18].wrapping_sub(b'0'));
    // The tens of seconds need no check of their own: any byte but '0' to
    // '5' there makes the second past 59, refused below.
    if !all_digits(w0) || !all_digits(w1) || s2 > 9 {
        return None;
    }
    let (a, c) = ((w0 - ZEROS).to_le_bytes(), (w1 - ZEROS).to_le_bytes());
    let two = |h: u8, l: u8| u32::from(h) * 10 + u32::from(l);
    let year = two(a[0], a[1]) * 100 + two(a[2], a[3]);
    let (month, day) = (two(a[5], a[6]), two(c[0], c[1]));
    let (hour, minute, second) = (two(c[3], c[4]), two(c[6], c[7]), two(s1, s2));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = rest;
    let mut nanos = 0u32;
    if let [b'.', tail @ ..] = rest {
        // One pass: up to nine digits, scaled to nanoseconds.
        let mut digits = 0;
        for &c in tail {
            let digit = c.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            if digits == 9 {
                return None; // more than nanoseconds: chrono decides
            }
            nanos = nanos * 10 + u32::from(digit);
            digits += 1;
        }
        const SCALE: [u32; 10] = [
            0,
            100_000_000,
            10_000_000,
            1_000_000,
            100_000,
            10_000,
            1_000,
            100,
            10,
            1,
        ];
        nanos *= *SCALE.get(digits).filter(|s| **s > 0)?;
        rest = &tail[digits..];
    }
    let offset_secs: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let pair = |a: u8, b: u8| {
                let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
                (a <= 9 && b <= 9).then(|| u32::from(a) * 10 + u32::from(b))
            };
            let (h, m) = match *tail {
                [h1, h2] => (pair(h1, h2)?, 0),
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (pair(h1, h2)?, pair(m1, m2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil), in
    // unsigned arithmetic: the year is shifted 400 years up so that January
    // and February of year 0 stay positive.
    let y = year + 400 - u32::from(month <= 2);
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = i64::from(era) * 146_097 + i64::from(doe) - 719_468 - 146_097;
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    Some((secs, nanos))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset, Utc};

    use super::*;
    use crate::Timestamp;

    fn fast(s: &str) -> Option<DateTime<Utc>> {
        fast_parse(s.as_bytes()).map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
    }

    fn chrono_parse(s: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(s)
            .or_else(|_| DateTime::<FixedOffset>::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z"))
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        let cases = [
            "2025-10-01T12:00:00.000Z",
            "2025-10-01T12:00:00Z",
            "2026-10-01 12:00:00.000000+00",
            "2026-10-01 12:00:00.123456789+05:30",
            "2024-02-29T23:59:59-08:00",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.5Z",
            "2100-12-31T23:59:59.999999999-23:59",
            "2000-02-29T00:00:00Z",
            "2400-02-29T00:00:00Z",
            "2026-10-01 12:00:00+00",
            "2026-10-01 12:00:00.5+0530",
            "0000-01-01T00:00:00Z",
            "0000-02-29T23:59:59.999999999+01:00",
            "0400-03-01 00:00:00+00",
            "9999-12-31T23:59:59.999999999Z",
        ];
        for s in cases {
            assert_eq!(fast(s), chrono_parse(s), "{s}");
            assert!(
                fast_parse(s.as_bytes()).is_some(),
                "{s} takes the fast path"
            );
        }
        for bad in [
            "2023-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-04-31T00:00:00Z",
            "2025-10-01T24:00:00Z",
            "2025-10-01T12:00:00",
            "2025-10-01T12:00:00.Z",
            "2025-10-01T12:00:00+1",
            "yesterday at noon, roughly",
            "1900-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            // Each separator alone out of place, and one character short.
            "2025/10-01T12:00:00Z",
            "2025-10/01T12:00:00Z",
            "2025-10-01T12/00:00Z",
            "2025-10-01T12:00/00Z",
            "2025-10-01X12:00:00Z",
            "2025-10-01T12:00:0Z",
            "2025-10-00T12:00:00Z",
            "2025-10-01T12:60:00Z",
            "2025-10-01T12:00:00+24:00",
            "2025-10-01T12:00:00+00:60",
            "2025-10-01T12:00:00+0",
            // ':' is '9' + 1: read as ten, each would pass the range checks.
            "20:5-10-01T12:00:00Z",
            "2025-10-0:T12:00:00Z",
            "2025-10-01T0::00:00Z",
            "2025-10-01T12:0::00Z",
            "2025-10-01 12:00:0:+00",
            "2025-10-01T12:00:00+0:",
            "2025-10-01T12:00:00+00:0:",
            // Found by fuzzing: chrono reads a five-digit year, which RFC
            // 3339 cannot print back.
            "+42023-10- 6 23:47:56.24678+00",
            "-0001-01-01 00:00:00+00",
        ] {
            assert_eq!(fast(bad), None, "{bad}");
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
        // Ten fraction digits: not the fast path's, but chrono reads them.
        let ten = "2025-10-01T12:00:00.1234567890Z";
        assert_eq!(fast(ten), None);
        assert_eq!(
            Timestamp::parse(ten).map(|t| t.as_datetime()).ok(),
            chrono_parse(ten)
        );
        // A little more lenient than chrono: an offset without a colon.
        assert_eq!(
            Timestamp::parse("2000-02-29t01:02:03+0100")
                .unwrap()
                .to_string(),
            "2000-02-29T00:02:03+00:00"
        );
        // A leap second is left to chrono, and read as chrono reads it.
        let leap = "2016-12-31T23:59:60Z";
        assert_eq!(fast(leap), None);
        assert_eq!(
            Timestamp::parse(leap).map(|t| t.as_datetime()).ok(),
            chrono_parse(leap)
        );
        // Not a leap second where the minute is out of range.
        assert!(Timestamp::parse("2016-12-31T23:60:00Z").is_err());
    }

    #[test]
    fn random_instants_round_trip_through_both_forms() {
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = (x % 8_000_000_000).cast_signed() - 2_000_000_000;
            let nanos = (x >> 40) as u32 % 1_000_000_000;
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            let rfc = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, x.is_multiple_of(2));
            assert_eq!(fast(&rfc), Some(t), "{rfc}");
            let pg = t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
            assert_eq!(fast(&pg), chrono_parse(&pg), "{pg}");
            assert_eq!(Timestamp::from(t).as_datetime(), t);
            assert_eq!(
                Timestamp::from(t).subsec_nanos(),
                t.timestamp_subsec_nanos()
            );
        }
    }
}
