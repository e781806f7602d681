//! The device's only link to the world: USART1 of the STM32F405, carrying frames to a host-side
//! relay (`run.py`) that turns them into HTTP requests, as a modem would.
//!
//! A frame is a tag byte, a 4-byte big-endian length and that many bytes. Device to host:
//!
//! | tag | payload |
//! |---|---|
//! | `L` | a log line (UTF-8) |
//! | `Q` | an HTTP request: `METHOD SP path-and-query LF` then the body |
//! | `C` | the issued certificate (DER) |
//! | `M` | a measurement: `name SP value` |
//! | `S` | empty: asks for boot entropy and the time (the first frame; the receiver is on by then) |
//! | `X` | the end: one status byte ([`Status`]) |
//!
//! Host to device: `S`, 32 bytes of boot entropy then the current Unix time (seconds since
//! 1970-01-01T00:00:00Z, 8 bytes big-endian); `R`, an HTTP reply: the 2-byte big-endian status
//! code, then the body.
//!
//! The time comes over the link because the board has no clock the emulator keeps: a real
//! device gets it from SNTP or its modem (the network time of a cellular link) before it
//! enrolls, from a source it trusts, never from the SCEP server's reply.
//!
//! On real hardware the clock and pin set-up (RCC, GPIO alternate function, baud rate) come
//! first; the emulator needs only the enable bits.

use alloc::vec::Vec;
use core::fmt;

const USART1: usize = 0x4001_1000;
const SR: *mut u32 = USART1 as *mut u32;
const DR: *mut u32 = (USART1 + 0x04) as *mut u32;
const CR1: *mut u32 = (USART1 + 0x0C) as *mut u32;
const SR_TXE: u32 = 1 << 7;
const SR_RXNE: u32 = 1 << 5;
const CR1_UE: u32 = 1 << 13;
const CR1_TE: u32 = 1 << 3;
const CR1_RE: u32 = 1 << 2;

/// The largest reply body the device accepts (larger ones are read and dropped).
pub const MAX_REPLY: usize = 16 * 1024;

/// How a run ended, sent in the `X` frame.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[repr(u8)]
pub enum Status {
    /// A certificate for the secure element's key was issued.
    Issued = 0,
    /// The CA answered FAILURE.
    Rejected = 1,
    /// The enrollment failed (a protocol, crypto or link error).
    Error = 2,
    /// The heap arena was exhausted.
    OutOfMemory = 3,
    /// Any other panic.
    Panic = 4,
}

/// Enables the USART's transmitter and receiver.
pub fn init() {
    // SAFETY: USART1's control register, written once before any other access.
    #[allow(unsafe_code)]
    unsafe {
        CR1.write_volatile(CR1_UE | CR1_TE | CR1_RE);
    }
}

fn write_byte(b: u8) {
    // SAFETY: USART1's status and data registers; single-threaded firmware.
    #[allow(unsafe_code)]
    unsafe {
        while SR.read_volatile() & SR_TXE == 0 {}
        DR.write_volatile(u32::from(b));
    }
}

fn read_byte() -> u8 {
    // SAFETY: as in `write_byte`.
    #[allow(unsafe_code)]
    unsafe {
        while SR.read_volatile() & SR_RXNE == 0 {}
        DR.read_volatile() as u8
    }
}

fn write_all(bytes: &[u8]) {
    bytes.iter().copied().for_each(write_byte);
}

/// Sends one frame made of `parts` back to back.
pub fn send(tag: u8, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    write_byte(tag);
    write_all(&(len as u32).to_be_bytes());
    parts.iter().for_each(|p| write_all(p));
}

fn read_u32() -> u32 {
    let mut b = [0u8; 4];
    b.iter_mut().for_each(|x| *x = read_byte());
    u32::from_be_bytes(b)
}

/// Waits for the host's frame tagged `tag` (frames with other tags are skipped); its payload
/// is given to `f` byte by byte.
fn receive(tag: u8, mut f: impl FnMut(u8)) -> usize {
    loop {
        let t = read_byte();
        let len = read_u32() as usize;
        for _ in 0..len {
            let b = read_byte();
            if t == tag {
                f(b);
            }
        }
        if t == tag {
            return len;
        }
    }
}

/// What the host sends at boot.
pub struct Boot {
    /// 32 bytes of entropy for the RNG stand-in.
    pub entropy: [u8; 32],
    /// The current time, seconds since 1970-01-01T00:00:00Z.
    pub unix_time: u64,
}

/// Asks the host for boot entropy and the time, and waits for them.
pub fn boot() -> Boot {
    send(b'S', &[]);
    let mut entropy = [0u8; 32];
    let mut time = [0u8; 8];
    let mut i = 0;
    receive(b'S', |b| {
        match i {
            0..32 => entropy[i] = b,
            32..40 => time[i - 32] = b,
            _ => {}
        }
        i += 1;
    });
    Boot {
        entropy,
        unix_time: u64::from_be_bytes(time),
    }
}

/// Why an exchange failed.
#[derive(Clone, Copy, Debug)]
pub enum LinkError {
    /// The reply was longer than [`MAX_REPLY`] (its length).
    TooLong(usize),
    /// The reply frame was shorter than its status code.
    Short,
}

/// Sends an HTTP request through the relay and waits for the reply: (status, body).
pub fn http(method: &str, target: &str, body: &[u8]) -> Result<(u16, Vec<u8>), LinkError> {
    send(
        b'Q',
        &[method.as_bytes(), b" ", target.as_bytes(), b"\n", body],
    );
    let mut status = 0u16;
    let mut reply = Vec::new();
    let mut seen = 0usize;
    let mut too_long = false;
    let len = receive(b'R', |b| {
        match seen {
            0 | 1 => status = (status << 8) | u16::from(b),
            _ if too_long => {}
            n if n - 2 >= MAX_REPLY => {
                too_long = true;
                reply = Vec::new();
            }
            _ => reply.push(b),
        }
        seen += 1;
    });
    if len < 2 {
        return Err(LinkError::Short);
    }
    if too_long {
        return Err(LinkError::TooLong(len - 2));
    }
    Ok((status, reply))
}

/// A log line, formatted into a fixed buffer (longer lines are cut): usable where allocating is
/// not (the panic handler, an allocation failure).
pub fn log(args: fmt::Arguments<'_>) {
    let mut line = Line {
        buf: [0; 200],
        len: 0,
    };
    let _ = fmt::write(&mut line, args);
    send(b'L', &[line.buf.get(..line.len).unwrap_or_default()]);
}

/// `log!("...", args)`: [`log`] with `format_args!`.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => { $crate::link::log(format_args!($($arg)*)) };
}

struct Line {
    buf: [u8; 200],
    len: usize,
}

impl fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if let Some(x) = self.buf.get_mut(self.len) {
                *x = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// A measurement: `M` frame `name value`.
pub fn measure(name: &str, value: usize) {
    let mut line = Line {
        buf: [0; 200],
        len: 0,
    };
    let _ = fmt::write(&mut line, format_args!("{name} {value}"));
    send(b'M', &[line.buf.get(..line.len).unwrap_or_default()]);
}

/// The end of the run: the `X` frame, then nothing (the host stops the emulator).
pub fn finish(status: Status) -> ! {
    send(b'X', &[&[status as u8]]);
    loop {
        cortex_m::asm::wfi();
    }
}
