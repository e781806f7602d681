//! [`CaCertificates::verify`]: the chain from the trust anchor, by signature, and the roles
//! chosen among what chains (rules in the [`trust`](super) module documentation).

use alloc::vec::Vec;

use super::{DropReason, Dropped, TrustAnchor, TrustedCaCertificates};
use crate::ca_certs::{CaCertificates, fingerprint};
use crate::cert::Certificate;
use crate::crypto::{CryptoProvider, DigestAlgorithm};
use crate::error::{Error, TrustFailure};
use crate::oid;

/// keyUsage as the roles need it.
#[derive(Clone, Copy)]
enum Usage {
    /// No keyUsage extension: unrestricted.
    Absent,
    /// keyUsage present: (keyEncipherment, digitalSignature, keyCertSign).
    Bits {
        encipher: bool,
        sign: bool,
        cert_sign: bool,
    },
}

impl Usage {
    fn of(c: &Certificate) -> Self {
        if !c.extensions().iter().any(|e| e.extn_id == oid::KEY_USAGE) {
            return Self::Absent;
        }
        // Present but unreadable: no usage at all.
        c.key_usage().map_or(
            Self::Bits {
                encipher: false,
                sign: false,
                cert_sign: false,
            },
            |ku| Self::Bits {
                encipher: ku.key_encipherment(),
                sign: ku.digital_signature(),
                cert_sign: ku.key_cert_sign(),
            },
        )
    }
    fn encipher(self) -> bool {
        matches!(self, Self::Absent | Self::Bits { encipher: true, .. })
    }
    fn encipher_asserted(self) -> bool {
        matches!(self, Self::Bits { encipher: true, .. })
    }
    fn sign(self) -> bool {
        matches!(self, Self::Absent | Self::Bits { sign: true, .. })
    }
    fn sign_asserted(self) -> bool {
        matches!(self, Self::Bits { sign: true, .. })
    }
    fn cert_sign(self) -> bool {
        matches!(
            self,
            Self::Absent
                | Self::Bits {
                    cert_sign: true,
                    ..
                }
        )
    }
}

/// A believed certificate.
struct Node {
    cert: Certificate,
    /// The node that issued it (`None` for the anchor).
    parent: Option<usize>,
    /// May issue certificates (the anchor, or a CA certificate allowed keyCertSign).
    issues: bool,
    depth: usize,
    usage: Usage,
    /// Position in the reply (`usize::MAX` for an anchor that was not in it).
    position: usize,
    /// Chains, but has no role ([`DropReason::KeyUsage`]).
    removed: bool,
}

/// Whether `c` can be a trust anchor: basicConstraints `cA` TRUE, or a self-issued certificate
/// without basicConstraints (a v1 root).
fn anchor_is_ca(c: &Certificate) -> bool {
    c.is_ca()
        || (c.is_self_issued()
            && !c
                .extensions()
                .iter()
                .any(|e| e.extn_id == oid::BASIC_CONSTRAINTS))
}

impl CaCertificates {
    /// Keeps the certificates of this reply that chain to `anchor`, and chooses the RA/CA
    /// roles among them only (RFC 8894 §2.2). See the [`trust`](crate::trust) module for the
    /// rules; certificates not kept are listed in [`TrustedCaCertificates::dropped`].
    ///
    /// # Errors
    /// - [`Error::Untrusted`]`(AnchorNotFound)` when no certificate of the reply has the
    ///   fingerprint (a fingerprint anchor must match a certificate of the reply).
    /// - [`Error::Untrusted`]`(AnchorNotCa)` when the anchor is not a CA certificate.
    /// - [`Error::UnsupportedAlgorithm`]`(Digest)` when the provider lacks SHA-256.
    pub fn verify(
        &self,
        anchor: &TrustAnchor,
        provider: &CryptoProvider,
    ) -> Result<TrustedCaCertificates, Error> {
        let certs = self.certificates();
        let anchor = match anchor {
            TrustAnchor::Certificate(c) => c.clone(),
            TrustAnchor::Sha256Fingerprint(want) => {
                let mut found = None;
                for c in certs {
                    if fingerprint(c, DigestAlgorithm::Sha256, provider)?.as_bytes() == want {
                        found = Some(c.clone());
                        break;
                    }
                }
                found.ok_or(Error::Untrusted(TrustFailure::AnchorNotFound))?
            }
        };
        if !anchor_is_ca(&anchor) {
            return Err(Error::Untrusted(TrustFailure::AnchorNotCa));
        }
        Ok(build(certs, anchor, provider))
    }

    /// Believes this reply as it is, without any signature check: **trust on first use**. The
    /// roles are those of [`CaCertificates`]' name-based selection. Use it only when the reply
    /// cannot have been tampered with, or for a first contact whose CA fingerprint you then
    /// pin ([`TrustAnchor::Sha256Fingerprint`]) for every later run; see the
    /// [`trust`](crate::trust) module.
    pub fn trust_on_first_use(&self) -> TrustedCaCertificates {
        let chain = self.chain().to_vec();
        let issuers = if chain.is_empty() {
            self.certificates().to_vec()
        } else {
            chain.clone()
        };
        // As clients did before anchors: any signing certificate or CA may sign a reply.
        let mut signing = self.signing_certificates().to_vec();
        for c in &chain {
            if !signing.iter().any(|s| s.as_der() == c.as_der()) {
                signing.push(c.clone());
            }
        }
        TrustedCaCertificates {
            anchor: None,
            certificates: self.certificates().to_vec(),
            encryption: self.encryption_certificate().clone(),
            signing,
            ca: self.ca_certificate().cloned(),
            chain,
            issuers,
            dropped: Vec::new(),
        }
    }
}

/// The chain building and role selection of [`CaCertificates::verify`].
fn build(
    certs: &[Certificate],
    anchor: Certificate,
    provider: &CryptoProvider,
) -> TrustedCaCertificates {
    let anchor_pos = certs
        .iter()
        .position(|c| c.as_der() == anchor.as_der())
        .unwrap_or(usize::MAX);
    let anchor_cert = anchor.clone();
    let mut nodes = alloc::vec![Node {
        usage: Usage::of(&anchor),
        cert: anchor,
        parent: None,
        issues: true,
        depth: 0,
        position: anchor_pos,
        removed: false,
    }];
    // The rest, each with how many nodes it has been tried against (nodes only grow, so no
    // signature is checked twice).
    let mut pending: Vec<(usize, usize)> = (0..certs.len())
        .filter(|&i| i != anchor_pos)
        .map(|i| (i, 0))
        .collect();
    loop {
        let mut grew = false;
        let mut k = 0;
        while let Some(&(i, tried)) = pending.get(k) {
            let Some(c) = certs.get(i) else { break };
            let parent = nodes
                .iter()
                .enumerate()
                .skip(tried)
                .find(|(_, n)| {
                    n.issues
                        && c.issuer() == n.cert.subject()
                        && c.verify_issued_by(&n.cert, provider).is_ok()
                })
                .map(|(p, _)| p);
            match parent {
                Some(p) => {
                    let usage = Usage::of(c);
                    let depth = nodes.get(p).map_or(0, |n| n.depth) + 1;
                    nodes.push(Node {
                        cert: c.clone(),
                        parent: Some(p),
                        issues: c.is_ca() && usage.cert_sign(),
                        depth,
                        usage,
                        position: i,
                        removed: false,
                    });
                    pending.remove(k);
                    grew = true;
                }
                None => {
                    if let Some(e) = pending.get_mut(k) {
                        e.1 = nodes.len();
                    }
                    k += 1;
                }
            }
        }
        if !grew {
            break;
        }
    }

    let mut dropped: Vec<Dropped> = Vec::new();
    for &(i, _) in &pending {
        let Some(c) = certs.get(i) else { continue };
        let named = |n: &&Node| n.cert.subject() == c.issuer();
        let reason = if nodes.iter().filter(named).any(|n| n.issues) {
            DropReason::BadSignature
        } else if nodes.iter().any(|n| named(&n)) {
            DropReason::IssuerNotCa
        } else {
            DropReason::NotChained
        };
        dropped.push(Dropped {
            certificate: c.clone(),
            reason,
        });
    }
    // RAs that may do nothing for SCEP. (An RA issues nothing, so no node depends on it.)
    for n in &mut nodes {
        let ra = n.parent.is_some() && !n.cert.is_ca();
        if ra && !n.usage.encipher() && !n.usage.sign() {
            n.removed = true;
            dropped.push(Dropped {
                certificate: n.cert.clone(),
                reason: DropReason::KeyUsage,
            });
        }
    }
    select(&nodes, &anchor_cert, dropped)
}

/// Chooses the roles among believed nodes (index 0 is the anchor).
fn select(nodes: &[Node], anchor: &Certificate, dropped: Vec<Dropped>) -> TrustedCaCertificates {
    let node = |i: usize| nodes.get(i).filter(|n| !n.removed);
    let der = |i: usize| node(i).map_or(&[][..], |n| n.cert.as_der());
    let is_ra = |i: usize| node(i).is_some_and(|n| n.parent.is_some() && !n.cert.is_ca());
    let is_issuer = |i: usize| node(i).is_some_and(|n| n.issues);
    let usage = |i: usize| node(i).map_or(Usage::Absent, |n| n.usage);
    let depth = |i: usize| node(i).map_or(0, |n| n.depth);
    let parent = |i: usize| node(i).and_then(|n| n.parent);
    let n = nodes.len();

    // RAs, best encryption candidate first: keyEncipherment asserted, then no keyUsage, then
    // the rest (signing-only RAs).
    let mut ras: Vec<usize> = (0..n).filter(|&i| is_ra(i)).collect();
    let tier = |i: usize| {
        let u = usage(i);
        if u.encipher_asserted() {
            0u8
        } else if u.encipher() {
            1
        } else {
            2
        }
    };
    sort(&mut ras, &|a, b| {
        tier(a).cmp(&tier(b)).then_with(|| der(a).cmp(der(b)))
    });

    // The issuing CA: the issuer of the best RA; without RAs the deepest issuer.
    let ca = match ras.first() {
        Some(&r) => parent(r).unwrap_or(0),
        None => {
            let mut issuers: Vec<usize> = (0..n).filter(|&i| is_issuer(i)).collect();
            sort(&mut issuers, &|a, b| {
                depth(b).cmp(&depth(a)).then_with(|| der(a).cmp(der(b)))
            });
            issuers.first().copied().unwrap_or(0)
        }
    };

    let encryption = match ras.first() {
        Some(&r) if tier(r) <= 1 => r,
        _ if usage(ca).encipher() => ca,
        _ => 0,
    };

    // Signers: RAs (digitalSignature asserted first), the issuing CA, other CAs, the anchor.
    let mut signing: Vec<usize> = ras.iter().copied().filter(|&i| usage(i).sign()).collect();
    sort(&mut signing, &|a, b| {
        (!usage(a).sign_asserted())
            .cmp(&!usage(b).sign_asserted())
            .then_with(|| der(a).cmp(der(b)))
    });
    if usage(ca).sign() || ca == 0 {
        signing.push(ca);
    }
    let mut cas: Vec<usize> = (1..n)
        .filter(|&i| node(i).is_some() && !is_ra(i) && i != ca && usage(i).sign())
        .collect();
    sort(&mut cas, &|a, b| der(a).cmp(der(b)));
    signing.extend(cas);
    if !signing.contains(&0) {
        signing.push(0);
    }

    // Chain: from the issuing CA up to the anchor, then any other CA by depth.
    let mut chain: Vec<usize> = Vec::new();
    let mut cur = Some(ca);
    while let Some(i) = cur {
        if chain.contains(&i) {
            break;
        }
        chain.push(i);
        cur = parent(i);
    }
    let mut rest: Vec<usize> = (0..n)
        .filter(|&i| node(i).is_some() && !is_ra(i) && !chain.contains(&i))
        .collect();
    sort(&mut rest, &|a, b| {
        depth(a).cmp(&depth(b)).then_with(|| der(a).cmp(der(b)))
    });
    chain.extend(rest);

    let issuers: Vec<usize> = (0..n).filter(|&i| is_issuer(i)).collect();

    let pick = |i: usize| node(i).map(|k| k.cert.clone());
    let many = |v: &[usize]| v.iter().filter_map(|&i| pick(i)).collect::<Vec<_>>();
    let mut by_position: Vec<usize> = (0..n).filter(|&i| node(i).is_some()).collect();
    let position = |i: usize| node(i).map_or(0, |k| k.position.wrapping_add(1));
    sort(&mut by_position, &|a, b| position(a).cmp(&position(b)));
    TrustedCaCertificates {
        anchor: Some(anchor.clone()),
        certificates: many(&by_position),
        encryption: pick(encryption).unwrap_or_else(|| anchor.clone()),
        signing: many(&signing),
        ca: pick(ca),
        chain: many(&chain),
        issuers: many(&issuers),
        dropped,
    }
}

/// Sorts indices with one comparator type (one copy of the sort in the binary, which matters
/// in firmware).
fn sort(v: &mut [usize], cmp: &dyn Fn(usize, usize) -> core::cmp::Ordering) {
    v.sort_by(|a, b| cmp(*a, *b));
}
