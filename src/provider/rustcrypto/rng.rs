//! Randomness: the adapter from a `SecureRandom` and the derived blinding generator.

use core::convert::Infallible;

use rsa::PrivateKey;
use rsa::traits::PrivateKeyParts;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::{RngError, SecureRandom};

/// Lends a `&mut dyn SecureRandom` to `rsa` as a `rand_core` 0.10 generator.
pub(super) struct RngAdapter<'a> {
    pub(super) inner: &'a mut dyn SecureRandom,
}

impl rand_core::TryRng for RngAdapter<'_> {
    type Error = RngError;

    fn try_next_u32(&mut self) -> Result<u32, RngError> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, RngError> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngError> {
        self.inner.fill(dst)
    }
}

impl rand_core::TryCryptoRng for RngAdapter<'_> {}

/// Blinding values for one private-key operation: SHA-256 in counter mode over a state that
/// hashes a key-derived secret, a domain label and the operation's input.
pub(super) struct BlindingRng {
    state: Zeroizing<[u8; 32]>,
    counter: u64,
    block: Zeroizing<[u8; 32]>,
    used: usize,
}

impl BlindingRng {
    pub(super) fn new(seed: &[u8; 32], label: &[u8], input: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(b"scep rustcrypto blinding v1");
        h.update(seed);
        h.update((label.len() as u64).to_be_bytes());
        h.update(label);
        h.update(input);
        let mut state = Zeroizing::new([0u8; 32]);
        h.finalize_into((&mut *state).into());
        Self {
            state,
            counter: 0,
            block: Zeroizing::new([0u8; 32]),
            used: 32,
        }
    }

    fn refill(&mut self) {
        let mut h = Sha256::new();
        h.update(&self.state[..]);
        h.update(self.counter.to_be_bytes());
        self.counter = self.counter.wrapping_add(1);
        h.finalize_into((&mut *self.block).into());
        self.used = 0;
    }
}

impl rand_core::TryRng for BlindingRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        rand_core::utils::next_word_via_fill(self)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst.iter_mut() {
            if self.used >= self.block.len() {
                self.refill();
            }
            *byte = self.block.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for BlindingRng {}

/// The per-key secret that seeds [`BlindingRng`]: a hash of the private exponent.
pub(super) fn blinding_seed(key: &PrivateKey) -> Zeroizing<[u8; 32]> {
    let d = Zeroizing::new(key.d().to_be_bytes());
    let mut h = Sha256::new();
    h.update(b"scep rustcrypto blinding seed v1");
    h.update(&d[..]);
    let mut seed = Zeroizing::new([0u8; 32]);
    h.finalize_into((&mut *seed).into());
    seed
}
