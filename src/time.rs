//! The system clock as the [`der::DateTime`] values the crate takes (feature `std`).
//!
//! The library has no clock: whatever depends on the time (a certificate's validity in
//! [`builder`](crate::builder) and
//! [`self_signed_certificate`](crate::builder::self_signed_certificate), the
//! `signingTime` of [`ClientOptions`](crate::client::ClientOptions)) takes a `DateTime` from the
//! caller, so that firmware without a clock can use it, and so do the trust checks
//! ([`Client::handle`](crate::client::Client::handle) and
//! [`PkiRequest::signer_kind`](crate::server::PkiRequest::signer_kind) take a
//! [`UnixTime`]). With `std`, these helpers read and convert [`SystemTime`].
//!
//! ```
//! use core::time::Duration;
//!
//! let now = scep::time::now()?;
//! let in_a_year = scep::time::from_system_time(
//!     scep::time::to_system_time(now) + Duration::from_secs(365 * 86_400),
//! )?;
//! assert!(in_a_year > now);
//! # Ok::<(), scep::Error>(())
//! ```

use core::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::trust::UnixTime;

/// `t` in whole seconds (UTC; a fraction of a second is dropped).
///
/// # Errors
/// [`Error::InvalidInput`] for a time before 1970 or after 9999 (what `DateTime` holds).
pub fn from_system_time(t: SystemTime) -> Result<der::DateTime, Error> {
    let since_epoch = t
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Error::InvalidInput)?;
    der::DateTime::from_unix_duration(Duration::from_secs(since_epoch.as_secs()))
        .map_err(|_| Error::InvalidInput)
}

/// The current time of the system clock, in whole seconds.
///
/// # Errors
/// [`Error::InvalidInput`] when the clock is set before 1970 or after 9999.
pub fn now() -> Result<der::DateTime, Error> {
    from_system_time(SystemTime::now())
}

/// The current time of the system clock as the [`UnixTime`] the trust checks take.
///
/// # Errors
/// [`Error::InvalidInput`] when the clock is set before 1970.
pub fn unix_now() -> Result<UnixTime, Error> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(UnixTime::since_epoch)
        .map_err(|_| Error::InvalidInput)
}

/// `t` as a [`SystemTime`], for comparing a certificate's validity with the clock.
pub fn to_system_time(t: der::DateTime) -> SystemTime {
    UNIX_EPOCH + t.unix_duration()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn round_trips_whole_seconds_and_refuses_what_datetime_cannot_hold() {
        let t = UNIX_EPOCH + Duration::from_millis(1_767_225_600_750); // 2026-01-01 00:00:00.75
        let d = from_system_time(t).unwrap();
        assert_eq!(
            (
                d.year(),
                d.month(),
                d.day(),
                d.hour(),
                d.minutes(),
                d.seconds()
            ),
            (2026, 1, 1, 0, 0, 0)
        );
        assert_eq!(
            to_system_time(d),
            UNIX_EPOCH + Duration::from_secs(1_767_225_600)
        );
        assert_eq!(
            from_system_time(UNIX_EPOCH - Duration::from_secs(1)),
            Err(Error::InvalidInput)
        );
        let year_10000 = UNIX_EPOCH + Duration::from_secs(253_402_300_800);
        assert_eq!(from_system_time(year_10000), Err(Error::InvalidInput));
        assert!(now().unwrap().year() >= 2026);
    }
}
