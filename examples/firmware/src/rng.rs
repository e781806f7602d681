//! The random number generator: a stand-in for the microcontroller's TRNG, which QEMU does not
//! emulate. SHA-256 in counter mode over a key made from a per-device seed (provisioned at build
//! time) and boot entropy from the host. A real device reads its RNG peripheral instead.

use scep::crypto::{DigestAlgorithm, RngError, SecureRandom};

use crate::PROVIDER;

/// The per-device seed (`SCEP_FW_SEED`, see `build.rs`).
static SEED: &[u8; 32] = include_bytes!(concat!(env!("OUT_DIR"), "/seed.bin"));

/// SHA-256(key ‖ counter) blocks.
pub struct Rng {
    key: [u8; 32],
    counter: u64,
}

impl Rng {
    /// A generator keyed with SHA-256(seed ‖ boot entropy).
    pub fn new(boot: &[u8; 32]) -> Result<Self, RngError> {
        let mut input = [0u8; 64];
        input[..32].copy_from_slice(SEED);
        input[32..].copy_from_slice(boot);
        let key = PROVIDER
            .digests
            .digest(DigestAlgorithm::Sha256, &input)
            .map_err(|_| RngError)?;
        let mut out = Self {
            key: [0; 32],
            counter: 0,
        };
        out.key.copy_from_slice(key.as_bytes());
        Ok(out)
    }
}

impl SecureRandom for Rng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), RngError> {
        for chunk in buf.chunks_mut(32) {
            let mut input = [0u8; 40];
            input[..32].copy_from_slice(&self.key);
            input[32..].copy_from_slice(&self.counter.to_be_bytes());
            self.counter += 1;
            let block = PROVIDER
                .digests
                .digest(DigestAlgorithm::Sha256, &input)
                .map_err(|_| RngError)?;
            let n = chunk.len();
            chunk.copy_from_slice(&block.as_bytes()[..n]);
        }
        Ok(())
    }
}
