//! A guide to deploying SCEP with this crate: the peers you will meet, what each one needs,
//! and how to build an RA. Documentation only; there is no code in this module.
//!
//! - [Debugging a message](#debugging-a-message): the `inspect` tool.
//! - [Microsoft NDES](#microsoft-ndes) as the server your client talks to.
//! - [An NDES-style server](#an-ndes-style-server): `scep serve` with one-time challenge
//!   passwords, an approval queue, an admin page and API, the RA pair, and light clients (also
//!   in `scep proxy`).
//! - [Windows and Intune](#windows-and-intune) devices talking to your server.
//! - [iOS and macOS](#ios-and-macos) configuration profiles.
//! - [Cisco IOS](#cisco-ios) routers and the old VPN clients.
//! - [The `insecure-legacy` trade-off](#the-insecure-legacy-trade-off): single DES and MD5.
//! - [An RA in front of a CA](#an-ra-in-front-of-a-ca): [`Server`] downstream, [`Client`]
//!   upstream, in one process.
//! - [Firmware](#firmware): what a device links and how big it is.
//! - [Trust](#trust): which certificates are believed, and the time they are checked at.
//!
//! # Debugging a message
//!
//! When a device says only "failed", capture what it sent or received (the body of the POST,
//! the whole GET request target, or the reply) and run
//!
//! ```text
//! scep inspect --lint message.der
//! scep inspect --lint '/scep?operation=PKIOperation&message=MIIK...'
//! scep inspect --key ra.key.pem --cert ra.pem request.der
//! scep inspect --ca getcacert.p7b --json reply.der
//! ```
//!
//! It accepts DER, BER, base64, PEM and GET request targets; prints the message type, status,
//! `failInfo`, transaction ID, nonces, signer, certificates, algorithms and every BER-versus-DER
//! fact; checks the signature; with the RA's (or the device's) key, decrypts the envelope and
//! shows the CSR (the challenge password only with `--show-secrets`), the issued certificates
//! or the `IssuerAndSubject`. `--lint` names each deviation that breaks a known peer, the peer
//! and the reason: a `transactionID` sent as UTF8String (sscep, jscep and Apple refuse it), a
//! CertRep whose `senderNonce` repeats the request's (jscep's replay check), single DES, an
//! RA certificate whose key usage Apple will not select, and so on. Add `--features
//! insecure-legacy` to `cargo run` to open DES and MD5 messages.
//!
//! # Microsoft NDES
//!
//! NDES (the Network Device Enrollment Service of Active Directory Certificate Services) is
//! the SCEP server of most Windows PKIs. A [`Client`] talks to it with these adjustments:
//!
//! - **GetCACert returns RA certificates.** NDES answers with a certificates-only SignedData
//!   holding two RA certificates, one with keyUsage `digitalSignature` only (it signs
//!   CertReps) and one with `keyEncipherment` only (requests are encrypted to it), plus the
//!   issuing CA. Verify the reply against the issuing CA (its certificate or SHA-256
//!   fingerprint, from your PKI) with
//!   [`CaCertificates::verify`](crate::ca_certs::CaCertificates::verify) and build the client
//!   with [`Client::new`]: the encryption RA becomes the recipient and the
//!   signing RA a signer, both because the CA signed them (see [Trust](#trust)).
//! - **Replies carry no certificates.** An NDES CertRep names its signer but does not include
//!   it; [`Client::handle`] finds it among the verified signing certificates, so keep the
//!   whole GetCACert reply. (`inspect` needs the same: `--ca getcacert.p7b`.)
//! - **GetCACaps cannot be trusted.** NDES may not answer GetCACaps at all, and versions that
//!   advertise AES and SHA-2 have sent replies that could not be decrypted (RFC 8894 §3.5.2).
//!   Use [`Policy::ndes()`](crate::caps::Policy::ndes) in [`ClientOptions::policy`]: DES-EDE3-CBC
//!   and SHA-1 whatever is advertised. An empty or failed GetCACaps reply goes through
//!   [`Capabilities::from_http`](crate::caps::Capabilities::from_http), which means "no
//!   capabilities" and the same 3DES/SHA-1 fallback.
//! - **The challenge is single-use** and comes from the NDES administration page
//!   (`/certsrv/mscep_admin`); a second enrollment with the same one fails with `badRequest`.
//! - **What its replies look like**: no `signingTime`, `rsaEncryption` as the SignerInfo
//!   signature algorithm, RSAES-OAEP key transport with default (SHA-1) parameters, AES-128-CBC,
//!   and a Microsoft attribute (1.3.6.1.4.1.311.21.38) that says "Issued". All of this is read.
//!
//! # An NDES-style server
//!
//! Windows NDES is the workflow most SCEP administrators know: every enrollment needs a
//! one-time challenge password that an administrator fetches from a web page and hands to the
//! device, and a template may hold requests for manual approval. `scep serve` (the tools
//! crate, `cli/`) does the same, scriptable as well as in a browser:
//!
//! ```text
//! scep admin --state ca-state set-password            # the admin password, read from stdin
//! scep serve --state ca-state --challenge-mode one-time --approval rule \
//!     --addr 0.0.0.0:8080 --admin-addr 127.0.0.1:8081
//! scep admin --state ca-state password new --ttl 30m --subject 'CN=printer-*'
//! curl -H "Authorization: Bearer $ADMIN" -d '{"ttl":"2h"}' \
//!     http://127.0.0.1:8081/admin/api/passwords
//! ```
//!
//! ## One-time challenge passwords
//!
//! With `--challenge-mode one-time`, each password is 20 random characters
//! (about 99 bits, in groups of five, without look-alike letters), valid for one enrollment
//! until it expires (`--challenge-ttl`, 60 minutes by default), optionally only for subjects
//! matching a pattern (`*` stands for any text). The database keeps only an HMAC-SHA256 of
//! each password under a key in the state directory (`challenge-hmac.key`, mode 0600; replicas
//! on other machines need a copy of it), so a copy of the database cannot be used to enroll. A password is spent by a single conditional
//! UPDATE ("unused and unexpired: mark it used by this transaction"), so two requests, on one
//! server or on two replicas sharing a PostgreSQL database, can never both use it. A used,
//! expired or unknown password, or a subject outside its pattern, gets FAILURE badRequest
//! with the text "challenge password not accepted"; the precise reason is only in the server
//! log. The CSRs the server stores have their challenge blanked, in either mode. A renewal signed by a certificate this CA issued needs no password, and
//! the same PKCSReq sent again (same transaction, same CSR, as `scepclient` does while
//! PENDING) is recognised and does not need a second one. `--challenge-mode static` keeps the
//! single `--challenge` for everyone.
//!
//! ## The approval queue
//!
//! `--approval auto` issues at once; `manual` answers PENDING to
//! every new request and waits for the operator; `rule` issues at once when the challenge
//! password is valid and queues the request for the operator when it is missing or wrong
//! (instead of refusing it). The queue is a table in the database: a decision survives a
//! restart and every replica sees it. The operator approves, or rejects with a chosen failInfo
//! (badRequest, badAlg, badMessageCheck, badTime or badCertId); the device learns the decision
//! at its next CertPoll, or when it sends the same PKCSReq again, which never creates a
//! second entry. A poll signed by another key than the request's is refused.
//!
//! ## The admin page and its API
//!
//! The admin page listens on its own address (`--admin-addr`, 127.0.0.1:8081 by default;
//! the device port answers 404 to every admin path) and only when an admin password is set
//! (`scep admin set-password`, stored as a PBKDF2-SHA256 hash, or `--admin-password-file`).
//! It is plain server-rendered HTML with no script. What it shows:
//!
//! - *Sign in*: one password field and a "Sign in" button. A wrong password gets "Wrong
//!   password." and no session; the right one sets an HttpOnly, SameSite=Strict session cookie
//!   (8 hours; a restart signs everyone out).
//! - *The dashboard*, under a dark title bar "SCEP server administration" that names the CA
//!   and has a "Sign out" button, has three panels. **One-time challenge passwords**: a blue
//!   "New password" button with the lifetime next to it ("valid 60 min") and an optional
//!   subject-pattern field; below, the recent passwords with number, creation time, expiry
//!   ("in 59 min"), pattern ("any") and status ("unused", "expired", or "used just now by"
//!   the transaction ID). **Requests waiting for approval (N)**: one row per request with its
//!   subject, SANs (DNS, IP, e-mail, URI), key ("RSA 2048", "EC P-256"), the requester's
//!   address and port, the transaction ID, when it arrived, a green "Approve" button and a
//!   failInfo menu with a red "Reject" button; approved or rejected requests whose device has
//!   not polled yet are listed under it. **Recently issued certificates**: serial, subject,
//!   expiry, transaction ID and "valid" with a reason menu and a red "Revoke" button (or
//!   "revoked" with the time). With nothing to show, each panel says so ("Nothing is
//!   waiting.", "None yet.").
//! - *After "New password"* a highlighted box at the top of the first panel shows the password
//!   in large letters, "shown once; give it to the device", and "Valid for one enrollment
//!   until 2026-12-04 14:40:04 UTC (in 60 min)". Reloading does not show it again.
//! - *After Approve, Reject or Revoke* a blue notice on top confirms it ("Request … approved;
//!   the device gets it at its next poll.").
//!
//! Every form carries a per-session CSRF token in a hidden field; a POST without it, or with
//! another session's, is refused with 403. Everything shown is HTML-escaped (subjects and
//! transaction IDs come from devices), and a Content-Security-Policy forbids scripts and
//! framing. The page has no TLS of its own: keep it on loopback or put a TLS proxy in front.
//!
//! **The JSON API** (`/admin/api/…`, `Authorization: Bearer` with the admin password) does the
//! same for scripts: `POST passwords` (`{"ttl":"30m","subject":"CN=printer-*"}` → the password
//! and its expiry), `GET passwords`, `GET pending`, `POST pending/approve`
//! (`{"transaction_id":…}`), `POST pending/reject` (`{"transaction_id":…,"fail_info":
//! "badCertId"}`), `GET certificates`, `POST certificates/revoke` (`{"serial":"0x0a",
//! "reason":"keyCompromise"}`). `scep admin password new`, `approve`, `reject --fail-info` and
//! `revoke` do the same from a shell on the server.
//!
//! ## The RA pair
//!
//! `scep serve --ra split` publishes what NDES publishes. On the first start with it, the
//! server creates two RSA-2048 keys beside its CA key (`ra-sign.key.pem` and
//! `ra-encrypt.key.pem`: PKCS #8, mode 0600, created exclusively and never overwritten) and two
//! certificates its CA issues: the RA signing certificate (keyUsage `digitalSignature` only)
//! and the RA encryption certificate (keyUsage `keyEncipherment` only), both end-entity
//! (basicConstraints `cA` FALSE). Later starts load them. (NDES's signing certificate also
//! carries Microsoft's Certificate Request Agent extended key usage, 1.3.6.1.4.1.311.20.2.1;
//! ours has no extended key usage.) Then:
//!
//! - GetCACert answers a certificates-only SignedData with the CA and both RA certificates.
//!   A client picks the recipient and the signer by key usage, as
//!   [`CaCertificates`](crate::ca_certs::CaCertificates) does.
//! - Requests are opened with the encryption key only (the recipient is chosen by its
//!   identifier). A request encrypted to the signing certificate, or to the CA, gets a signed
//!   FAILURE `badMessageCheck` and a log line for the operator; nothing is issued.
//! - CertReps are signed with the signing key (OpenSSL shows it: `openssl cms -verify -signer
//!   signer.pem ...` on a captured reply writes the RA signing certificate). The CA key only
//!   issues certificates and CRLs.
//!
//! micromdm's `scepclient` encrypts its request to every certificate of the GetCACert reply
//! (one RecipientInfo each), so the server finds the encryption certificate's among them;
//! `scep enroll` encrypts to the `keyEncipherment` certificate. It, `scepclient` and certmonger
//! all enroll against `--ra split` (tested), given the CA certificate (or its fingerprint) to
//! trust. `--ra ca`, the
//! default, keeps one key for everything, as micromdm's server does.
//!
//! ## Light clients
//!
//! Some clients cannot make a key pair or a CSR at all. For them `scep serve` and `scep proxy`
//! take a form on `POST /light`:
//!
//! ```text
//! curl -o device.p12 --data-urlencode 'subject=CN=device-7,O=Example' \
//!      --data-urlencode challenge=SECRET --data-urlencode 'password=p12 password' \
//!      [--data-urlencode key-type=p256] http://127.0.0.1:8080/light
//! openssl pkcs12 -info -in device.p12 -passin 'pass:p12 password' -nodes
//! ```
//!
//! The server checks the challenge (403 when it is missing or wrong; the endpoint is off
//! without `--challenge`; with `--challenge-mode one-time` the form spends a one-time password
//! like a PKCSReq, and a refusal says only "challenge password not accepted"), generates an RSA-2048 key (or a P-256 key with `key-type=p256`),
//! builds and signs the CSR, enrolls it, and answers `application/x-pkcs12`: the key, the
//! certificate and the chain, encrypted with the client's password as OpenSSL 3 does by default
//! (PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, an HMAC-SHA256 MAC). `scep serve` issues
//! through its own CA and store (the certificate is listed and revocable like any other);
//! `scep proxy` enrolls upstream as it does for a light CSR.
//!
//! **The private key is never stored**, nor logged, and neither is the password: it exists in
//! the server's memory for the one request and is gone with it. There is no escrow, so a lost
//! file or password means a new enrollment. For the same reason a light client cannot wait:
//! `scep serve --approval manual` answers 409, and a proxy whose upstream answers PENDING
//! answers 502 (the key is discarded). The body is a plain form over plain HTTP here: the
//! challenge, the password and the private key travel in the clear, so put TLS in front of
//! the device port before any real use.
//!
//! ## What an NDES administrator will still miss
//!
//! - **Certificate templates**: one profile here (the CA copies subject and SANs from the
//!   CSR and sets its own validity and key usage); no per-template policy, no manual-approval
//!   flag per template (`--approval` is server-wide).
//! - **Accounts**: one shared admin password (and bearer token), no Active Directory users or
//!   groups, no Windows integrated authentication, no roles (everyone who signs in may issue
//!   passwords, approve and revoke), no audit trail beyond the server's log lines. Sessions
//!   live in one process: each replica has its own, a restart signs everyone out.
//! - **Hardening of the page**: no HTTPS of its own (keep it on loopback or behind a TLS
//!   proxy), no lockout after failed sign-ins (only a half-second delay each).
//! - **NDES's password cache rules**: no limit on outstanding passwords, no per-requester
//!   password, no "password of the last hour" reuse.
//! - **Policy plug-ins**: no Intune Certificate Connector or other external per-request
//!   validation hook; no notification (mail) when a request is queued.
//! - **The enterprise CA around it**: the CA key is a file in the state directory, not an AD CS
//!   or HSM-backed CA with its own console; revocation reaches devices through GetCRL only (no
//!   CRL distribution point or OCSP); the lists show the newest 50 entries with no search.
//!
//! # Windows and Intune
//!
//! Windows 10 and 11 devices enroll with SCEP when Intune (or another MDM) pushes a SCEP
//! profile; the server is NDES behind the Intune Certificate Connector, or a third-party
//! server such as yours.
//!
//! - **RSAES-OAEP key transport.** Windows clients wrap the content key with RSAES-OAEP, not
//!   PKCS #1 v1.5. [`Server`] decrypts both (SHA-1 and SHA-256 OAEP); an RA key held in an HSM
//!   must support OAEP in its [`Decryptor::decrypt_key`](crate::crypto::Decryptor::decrypt_key).
//! - **The challenge is a token, not a password.** Intune puts a signed, per-request token in
//!   `challengePassword`. [`PkiRequest::challenge_password`](crate::server::PkiRequest::challenge_password)
//!   hands it to you together with the CSR; validate it with Intune's validation API (the
//!   connector or Microsoft's SCEP library does this), which also checks that the CSR's
//!   subject and SANs are the ones Intune asked for. Do not compare it with
//!   [`challenge_matches`](crate::server::challenge_matches).
//! - **Report back.** Intune expects to be told whether issuance succeeded; do that from your
//!   [`Decision`] handling, after [`Server::reply`] has built the CertRep.
//!
//! # iOS and macOS
//!
//! Apple devices enroll from a configuration profile (payload `com.apple.security.scep`),
//! usually pushed by an MDM server. What they need from a server:
//!
//! - **Capabilities.** List `SHA-1`, `SHA-256` and `SHA-512` (an iOS 10 release refused a
//!   server that did not), `AES`, `POSTPKIOperation` and `Renewal` (without it macOS reports
//!   that the server cannot renew). [`Capabilities::rfc8894_server`](crate::caps::Capabilities::rfc8894_server)
//!   has them all.
//! - **GetCACert and key usage.** A single CA certificate (`application/x-x509-ca-cert`) is
//!   used as is. A CA/RA bundle is searched for RA certificates issued by another certificate
//!   in the bundle: one with keyUsage `digitalSignature` and `keyEncipherment`, or a sign-only
//!   and an encrypt-only pair. Without one the profile fails. `inspect --lint` on your
//!   GetCACert reply checks this (`ra-key-usage`).
//! - **PrintableString attributes** with short-form lengths: this crate never writes anything
//!   else.
//! - **What they send**: a self-signed signer certificate whose subject is a random UUID, not
//!   the CSR's subject (do not require them to match); sometimes a CSR with `version` 2, which
//!   [`Csr`](crate::message::Csr) reads; 1024-bit keys when the profile does not set `Keysize`
//!   (refuse them in your policy if you must, with `badRequest`); indefinite-length BER; and,
//!   from macOS, GET requests whose `+` and `/` are not percent-encoded, which
//!   [`http::parse_request`](crate::http::parse_request) reads. GetCACert may carry
//!   `message=Device Management Identity Certificate`, handed to you as
//!   [`IncomingHttp::ca_ident`](crate::http::IncomingHttp::ca_ident).
//!
//! # Cisco IOS
//!
//! Routers enroll with `crypto pki enroll` against a trustpoint whose `enrollment url` points
//! at your server.
//!
//! - **Always GET.** IOS sends PKIOperation as GET even when `POSTPKIOperation` is advertised,
//!   over HTTP/1.0, appends `/pkiclient.exe` to the configured URL, and wraps the
//!   base64 at 64 columns with `%0A`. Route that path to your server and pass the whole request
//!   target to [`Server::handle`]; the parser reads wrapped and unwrapped base64 alike. A
//!   request with a 4096-bit key and a chain makes a long URL: raise
//!   [`HttpLimits`](crate::http::HttpLimits) if your HTTP server allows it.
//! - **The trustpoint name** arrives as GetCACert's `message`.
//! - **Old IOS releases use MD5 and single DES** when the server advertises no better, which
//!   needs [the `insecure-legacy` feature](#the-insecure-legacy-trade-off). Advertise `AES` or
//!   `DES3` and current releases use them.
//! - **The CA certificate in the CertRep.** The Cisco VPN client wants the CA certificate in
//!   the CertRep next to the issued one (some Juniper devices want it absent): the `chain` of
//!   [`Decision::Issued`] is what it gets.
//! - Cisco PIX pads its messages with zero octets after the end; they are ignored.
//!
//! # The `insecure-legacy` trade-off
//!
//! RFC 8894 §2.9 forbids single DES and MD5, and the crate refuses both unless it is built
//! with the `insecure-legacy` feature **and** the application opts in at run time with one
//! [`Legacy`](crate::crypto::Legacy) value: `Legacy::allow()?`, which is an error in a build
//! without the feature. A client takes it in its [`Policy`](crate::caps::Policy)`::legacy`
//! (which also picks DES when a CA advertises no cipher, and governs sealing requests and
//! opening replies), a server in [`ServerOptions`]`::legacy`, the envelope functions in
//! [`OpenOptions`](crate::envelope::OpenOptions)`::legacy` and
//! [`SealOptions`](crate::envelope::SealOptions)`::legacy`.
//! MD5 in a CSR's or a certificate's own signature follows the same rule:
//! `Csr::verify_signature` and `Certificate::verify_issued_by` refuse it, their `_with` twins
//! take the `Legacy` value, and the server passes its own.
//!
//! What you give up by turning it on: a 56-bit DES key can be searched exhaustively, and the
//! envelope it protects holds the challenge password, so anyone who records a request can
//! learn the challenge and use it (before the legitimate device, if it is single-use). MD5
//! signatures can be forged by collision. And because GetCACaps is not authenticated, a
//! server that *accepts* DES can be driven to it by an attacker who rewrites the capabilities
//! a client sees (RFC 8894 §7.5).
//!
//! Who needs it anyway: micromdm's `scepserver` (the Debian `scep` package) encrypts every
//! CertRep with single DES, and its `scepclient` every request; old Cisco IOS, OpenSCEP and
//! sscep without capabilities use DES and MD5. If you must serve them, build a separate
//! endpoint with the feature, give it short-lived single-use challenges, and keep the
//! RFC 8894 endpoint for everything else. OpenSSL 3 refuses both algorithms without its
//! `legacy` provider, so certmonger cannot read micromdm's replies either.
//!
//! # An RA in front of a CA
//!
//! A registration authority (RA) is a SCEP server that devices talk to and that forwards the
//! requests it approves to the CA, often a CA that only the RA can reach. With this crate it
//! is a [`Server`] facing the devices and a [`Client`] facing the CA, in one process:
//!
//! 1. The RA has its own key and certificate. Its GetCACert reply holds the RA certificate and
//!    the CA chain, so devices encrypt their requests to the RA and accept CertReps signed by
//!    it. The RA key opens device requests ([`Server::handle`]): the device's signature, the
//!    CSR's self-signature and the envelope are checked before your code sees a
//!    [`PkiRequest`](crate::server::PkiRequest).
//! 2. Your policy decides: the challenge, the subject and SANs against your inventory, the
//!    key size. A rejection becomes [`Decision::Rejected`] and never reaches the CA.
//! 3. An approved request goes upstream with [`Client::relay`]: the device's CSR *unchanged*
//!    (it is signed by the device's key, so its challenge password cannot be replaced) and
//!    the device's transaction ID, in a new PKCSReq (or RenewalReq) that the RA signs with its
//!    own key. The CSR still proves the device holds its key; the RA's signature tells the CA
//!    that the RA vouches for it. Keep the upstream [`Transaction`](crate::client::Transaction)
//!    with the device's transaction ID; [`Transaction::new`](crate::client::Transaction::new)
//!    rebuilds one you stored, so a restarted RA can go on polling.
//! 4. The CA's CertRep is encrypted to the RA (the signer of the upstream request).
//!    [`Client::handle`] verifies it and picks the issued certificate by the device's public
//!    key; `Decision::from(outcome)` turns the CA's answer into the device's
//!    ([`Decision::Issued`], [`Decision::Pending`], [`Decision::Rejected`] with the CA's
//!    failInfo), and [`Server::reply`] encrypts it to the device. When the device polls (a
//!    CertPoll with the same transaction ID, or the same PKCSReq again), the RA polls the CA
//!    with [`Client::poll`] and the stored upstream transaction.
//!
//! **How the CA authorises the RA.** The device's challenge is checked at the RA (with
//! [`challenge_matches`](crate::server::challenge_matches)), so the CA must accept what the RA
//! forwards on the RA's word. Either the CA trusts the RA's certificate (a CA that waives the
//! challenge for requests signed by a certificate it issued: enroll the RA's own key with the
//! CA once, with the CA's challenge, and sign relayed requests with the issued certificate),
//! or the CA does not check a challenge at all and only the RA can reach it. micromdm's
//! `scepserver` is of the second kind: it checks only the challenge inside the CSR, never the
//! request's signer, so behind an RA it runs without `-challenge`, and the RA is the only
//! gate.
//!
//! **The tool.** `scep proxy` (`cli/src/proxy.rs`) is such an RA over HTTP, with both upstream
//! identities (`--upstream-challenge` enrolls the RA with the CA on first start), PENDING and
//! polling relayed and kept across restarts, and a light-client endpoint (`POST /light` with
//! a CSR and an `X-SCEP-Challenge` header, answered with a PEM chain or 202 while pending) for
//! clients that do not speak SCEP. Its module documentation spells out the light endpoint's
//! trust model: the RA vouches, the CSR's signature proves only possession of the key, and
//! TLS is the deployer's job in front of it.
//!
//! ```text
//! scep serve --addr 127.0.0.1:8080 --state ca-state --challenge UPSTREAM --pending
//! scep proxy --addr 127.0.0.1:8081 --upstream http://127.0.0.1:8080/scep \
//!     --upstream-ca ca-state/ca.cert.pem --upstream-challenge UPSTREAM --challenge DEVICE
//! scep enroll --url http://127.0.0.1:8081/scep --challenge DEVICE
//! curl -H 'X-SCEP-Challenge: DEVICE' --data-binary @device.csr http://127.0.0.1:8081/light
//! ```
//!
//! The whole round, in memory (the HTTP hops are direct calls here):
//!
//! ```
//! use scep::builder::{self, CertificateTemplate};
//! use scep::caps::Capabilities;
//! use scep::ca_certs::CaCertificates;
//! use scep::trust::TrustAnchor;
//! use scep::client::{Client, Outcome};
//! use scep::crypto::{DigestAlgorithm, SignatureAlgorithm, Signer};
//! use scep::provider::rustcrypto::{PROVIDER, RsaKey};
//! use scep::server::{Decision, Incoming, Server, challenge_matches};
//! use scep::Certificate;
//! # let pem = |name: &str| std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
//! let mut rng = getrandom::SysRng;
//! let sha256 = SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256);
//! let caps = Capabilities::rfc8894_server;
//!
//! // The CA, which only the RA talks to.
//! let ca_cert = Certificate::from_pem(&pem("ra2048.cert.pem"))?;
//! let ca_key = RsaKey::from_pem(&pem("ra2048.pkcs8.pem"), ca_cert.clone())?;
//! let ca = Server::new(ca_key.clone(), ca_key.clone(), vec![ca_cert.clone()], caps(), PROVIDER);
//!
//! // The RA: a key of its own; devices see its certificate and the CA's.
//! let ra_cert = Certificate::from_pem(&pem("rsa2048.cert.pem"))?;
//! let ra_key = RsaKey::from_pem(&pem("rsa2048.pkcs8.pem"), ra_cert.clone())?;
//! let ra = Server::new(ra_key.clone(), ra_key.clone(),
//!                      vec![ra_cert.clone(), ca_cert.clone()], caps(), PROVIDER);
//! let anchor = TrustAnchor::Certificate(ca_cert.clone());
//! let upstream = Client::new(CaCertificates::new(vec![ca_cert.clone()])?.verify(&anchor, &PROVIDER)?,
//!                            caps(), PROVIDER)?;
//!
//! // A device enrolls with the RA.
//! let device = RsaKey::from_pem(&pem("client2048.pkcs8.pem"),
//!                               Certificate::from_pem(&pem("client2048.cert.pem"))?)?;
//! let csr = builder::csr(device.certificate().subject(),
//!                        device.certificate().subject_public_key_info(),
//!                        Some("s3cret"), &[], sha256, &mut |m| device.sign(m))?;
//! // Here the RA's certificate is self-signed, so the device is configured with both and
//! // trusts them as given; with an RA certificate the CA issued, `verify` against the CA.
//! let to_ra = Client::new(CaCertificates::new(vec![ra_cert.clone(), ca_cert.clone()])?
//!                             .trust_on_first_use(), caps(), PROVIDER)?;
//! let (request, device_tx) = to_ra.enroll(&csr, &device, &mut rng)?;
//!
//! // 1-2. The RA opens the request and applies its policy.
//! let Incoming::Request(at_ra) =
//!     ra.handle("POST", &request.path_and_query, &request.body, &mut rng)
//! else { unreachable!() };
//! assert!(challenge_matches(&at_ra.challenge_password().unwrap_or_default(), "s3cret"));
//! let approved = at_ra.csr().expect("a PKCSReq carries a CSR").clone();
//!
//! // 3. The same CSR goes to the CA, signed by the RA, with the device's transaction ID.
//! let (forward, upstream_tx) = upstream.relay(&at_ra, &ra_key, &mut rng)?;
//! assert_eq!(upstream_tx.transaction_id(), device_tx.transaction_id());
//! let Incoming::Request(at_ca) =
//!     ca.handle("POST", &forward.path_and_query, &forward.body, &mut rng)
//! else { unreachable!() };
//! assert_eq!(at_ca.signer_certificate(), &ra_cert); // the CA authorises by the RA
//! let template = CertificateTemplate {
//!     serial: vec![0x17],
//!     subject: approved.subject().clone(),
//!     not_before: der::DateTime::new(2026, 1, 1, 0, 0, 0)?,
//!     not_after: der::DateTime::new(2027, 1, 1, 0, 0, 0)?,
//!     public_key: approved.public_key().clone(),
//!     is_ca: false,
//!     key_usage: None,
//!     extensions: vec![],
//! };
//! let issued = builder::certificate(&template, Some(&ca_cert), sha256,
//!                                   &mut |tbs| ca_key.sign(tbs), &PROVIDER)?;
//! let ca_reply = ca.reply(&at_ca, Decision::Issued { certificate: issued, chain: vec![ca_cert.clone()] }, &mut rng)?;
//!
//! // 4. The RA reads the CA's reply and answers the device.
//! let now = scep::trust::UnixTime::from_secs(1_790_000_000); // 2026-09-21: your clock
//! let outcome = upstream.handle(&upstream_tx, ca_reply.status, Some(ca_reply.content_type), &ca_reply.body, &ra_key, now, &mut rng)?;
//! assert!(matches!(outcome, Outcome::Issued { .. }));
//! let reply = ra.reply(&at_ra, Decision::from(outcome), &mut rng)?;
//!
//! let Outcome::Issued { certificate, .. } = to_ra.handle(&device_tx, reply.status, Some(&*reply.content_type), &reply.body, &device, now, &mut rng)?
//! else { unreachable!() };
//! assert_eq!(certificate.subject(), csr.subject());
//! assert_eq!(certificate.issuer(), ca_cert.subject());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Both keys can be hardware key holders: [`Server`] is generic over its
//! [`Signer`](crate::crypto::Signer) and [`Decryptor`](crate::crypto::Decryptor), and
//! [`Client::enroll`] and [`Client::relay`] take any `&dyn Signer`.
//!
//! # Trust
//!
//! SCEP runs over plain HTTP: whatever GetCACert returns may come from a man in the middle, and
//! a certificate's issuer *name* proves nothing (anyone can write any name). The crate believes
//! a certificate only for a reason it checked ([`trust`](crate::trust) has the rules):
//!
//! - **Client, CA certificates.** Configure a trust anchor: the CA certificate, or its SHA-256
//!   fingerprint (RFC 8894 §2.2; `openssl x509 -noout -fingerprint -sha256 -in ca.pem`).
//!   [`CaCertificates::verify`](crate::ca_certs::CaCertificates::verify) keeps what chains to it
//!   by signature, reports the rest ([`Dropped`](crate::trust::Dropped)), and chooses the RA to
//!   encrypt to and the certificates that may sign replies among the kept ones.
//!   [`trust_on_first_use`](crate::ca_certs::CaCertificates::trust_on_first_use) is the
//!   explicit opt-out for a first contact: print the CA fingerprint and pin it afterwards.
//! - **Client, issued certificates.** [`Client::handle`] takes the current time as a
//!   [`UnixTime`](crate::trust::UnixTime) (the crate has no clock) and returns
//!   [`Error::Untrusted`](crate::Error::Untrusted) for an issued certificate the CA did not sign
//!   or that is not valid now (within [`ClientOptions::clock_skew`](crate::client::ClientOptions::clock_skew)).
//!   A device without a real-time clock should get the time from a source it trusts, not from
//!   the SCEP server.
//! - **Server, renewals.** [`PkiRequest::signer_kind`](crate::server::PkiRequest::signer_kind)
//!   takes the time and your revocation answer ([`Revocation`](crate::trust::Revocation): a
//!   closure, [`RevokedSerials`](crate::trust::RevokedSerials) or
//!   [`NoneRevoked`](crate::trust::NoneRevoked)); only a valid, unrevoked certificate this CA
//!   issued is `IssuedByCa`, so test for exactly that before skipping the challenge. Expired and
//!   revoked signers are their own kinds: allow a grace period if you want one.
//!   [`PkiRequest::check_renewal`](crate::server::PkiRequest::check_renewal) refuses a renewal
//!   that changes the subject or subjectAltName unless your
//!   [`RenewalPolicy`](crate::trust::RenewalPolicy) allows it.
//! - **Server, first enrollments.** A self-signed signer proves only possession of its key
//!   (RFC 8894 §2.4): authenticate by the challenge.
//!   [`PkiRequest::signer_holds_csr_key`](crate::server::PkiRequest::signer_holds_csr_key) says
//!   whether it is the CSR's key; NDES-style clients sign with a throw-away key, so it is not
//!   required.
//!
//! # Firmware
//!
//! The crate builds without `std` (`default-features = false, features = ["rustcrypto"]`) and
//! touches a device key only through [`Signer`](crate::crypto::Signer) and
//! [`Decryptor`](crate::crypto::Decryptor), so the key can stay in a secure element: a
//! digest-only element gets the PKCS #1 `DigestInfo` from
//! [`digest_info`](crate::crypto::digest_info). Randomness is any
//! [`SecureRandom`](crate::crypto::SecureRandom), so a failing TRNG is an error.
//!
//! `examples/firmware/` is a Cortex-M4F image (`thumbv7em-none-eabihf`, `opt-level = "z"`,
//! LTO) that runs a complete enrollment under QEMU through
//! [`client::driver`](crate::client::driver) (a `Transport` over its UART): GetCACaps
//! negotiation, a CSR signed by the secure element, the sealed PKCSReq, CertPolls while PENDING,
//! and the CertRep opened and verified. `.ci/run` runs it and prints its figures: about 188 KiB
//! of `.text` without the stand-in secure element for the RSA-2048 image, with [`COMPACT_PROVIDER`](crate::provider::rustcrypto::COMPACT_PROVIDER)
//! (no SHA-384/512: 31 KiB less than with [`PROVIDER`](crate::provider::rustcrypto::PROVIDER))
//! and [`AesCbcCipher`](crate::provider::rustcrypto::AesCbcCipher) in place of its cipher (no
//! DES-EDE3: 2.8 KiB less). Cargo features decide which envelope kinds are linked at all: a
//! device whose key is RSA leaves out `p256`/`p384` (key agreement) and `pwri` (password
//! recipients), 23 KiB of `.text`, and `pem` (PEM GetCACert replies), 7 KiB; a device with a P-256 key in its element turns on `p256` only,
//! and with an EC CA it verifies with
//! [`CompactEcdsaVerifier`](crate::provider::rustcrypto::CompactEcdsaVerifier) and links no RSA.
//! The largest remaining parts are this crate's message code, `der`'s decoders and the RSA
//! big-integer arithmetic; `--cfg sha2_backend_soft="compact"` in `RUSTFLAGS` saves another
//! 7 KiB at some speed.
//!
//! [`Server`]: crate::server::Server
//! [`Client::relay`]: crate::client::Client::relay
//! [`Server::handle`]: crate::server::Server::handle
//! [`Server::reply`]: crate::server::Server::reply
//! [`ServerOptions`]: crate::server::ServerOptions
//! [`Decision`]: crate::server::Decision
//! [`Decision::Issued`]: crate::server::Decision::Issued
//! [`Decision::Rejected`]: crate::server::Decision::Rejected
//! [`Decision::Pending`]: crate::server::Decision::Pending
//! [`Client`]: crate::client::Client
//! [`Client::new`]: crate::client::Client::new
//! [`Client::enroll`]: crate::client::Client::enroll
//! [`Client::handle`]: crate::client::Client::handle
//! [`Client::poll`]: crate::client::Client::poll
//! [`ClientOptions`]: crate::client::ClientOptions
//! [`ClientOptions::policy`]: crate::client::ClientOptions::policy
