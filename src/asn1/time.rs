//! Time on the wire: what we write (UTCTime through 2049, GeneralizedTime from 2050) and what we
//! read (both, with the offsets and missing seconds real peers send).

use der::asn1::{GeneralizedTime, UtcTime};
use x509_cert::time::Time;

use crate::asn1::ber::{Class, Tlv};

/// RFC 5280 §4.1.2.5 (and RFC 5652 §11.3 for signingTime): UTCTime through 2049,
/// GeneralizedTime from 2050.
pub(crate) fn x509_time(t: der::DateTime) -> Time {
    if t.year() < 2050 {
        if let Ok(utc) = UtcTime::from_date_time(t) {
            return Time::UtcTime(utc);
        }
    }
    Time::GeneralTime(GeneralizedTime::from_date_time(t))
}

/// Parses UTCTime (with `Z` or a `±hhmm` offset, seconds optional) and GeneralizedTime into UTC.
/// `None` for anything else: signingTime is informational, and some peers get it wrong.
pub(crate) fn parse_time(v: &Tlv<'_>) -> Option<der::DateTime> {
    let s = core::str::from_utf8(v.content).ok()?;
    let (year, rest) = match (v.tag.class, v.tag.number) {
        (Class::Universal, 23) => {
            let yy: u16 = s.get(0..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        (Class::Universal, 24) => (s.get(0..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let num = |r: &str, i: usize| -> Option<u8> {
        let d = r.get(i..i + 2)?;
        if !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        d.parse().ok()
    };
    let (month, day, hour, minute) = (num(rest, 0)?, num(rest, 2)?, num(rest, 4)?, num(rest, 6)?);
    let mut tail = rest.get(8..)?;
    let second = match num(tail, 0) {
        Some(sec) => {
            tail = tail.get(2..)?;
            sec
        }
        None => 0,
    };
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        tail = frac.get(digits..)?;
    }
    let base = der::DateTime::new(year, month, day, hour, minute, second).ok()?;
    let offset_secs: i64 = match tail {
        "Z" => 0,
        t if t.len() == 5 && (t.starts_with('+') || t.starts_with('-')) => {
            let h = i64::from(num(t, 1)?);
            let m = i64::from(num(t, 3)?);
            let o = h * 3600 + m * 60;
            if t.starts_with('+') { o } else { -o }
        }
        _ => return None,
    };
    let unix = i64::try_from(base.unix_duration().as_secs()).ok()? - offset_secs;
    der::DateTime::from_unix_duration(core::time::Duration::from_secs(u64::try_from(unix).ok()?))
        .ok()
}
