//! Pending upstream transactions, in memory and in `DIR/pending`.

#[allow(clippy::wildcard_imports, reason = "the parent module's imports")]
use super::*;

/// Upstream transactions that were answered PENDING, by key (`scep <device transaction ID>`
/// or `light <SHA-256 of the public key>`). On disk: `pending/<hex of the key>.tx` holds the
/// upstream transaction ID and `.csr` the CSR (DER).
pub(super) struct Pending {
    pub(super) dir: PathBuf,
    pub(super) map: HashMap<String, Transaction>,
}

impl Pending {
    pub(super) fn load(dir: PathBuf) -> Result<Pending, String> {
        let mut map = HashMap::new();
        for entry in fs::read_dir(&dir).map_err(ca::io_err(&dir))?.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "tx") {
                continue;
            }
            let restored = (|| -> Result<(String, Transaction), String> {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                let key = unhex(stem).ok_or("bad file name")?;
                let id = fs::read_to_string(&path).map_err(ca::io_err(&path))?;
                let id = TransactionId::new(id.trim()).map_err(ca::scep_err("transaction ID"))?;
                let csr_path = path.with_extension("csr");
                let csr = Csr::from_der(&fs::read(&csr_path).map_err(ca::io_err(&csr_path))?)
                    .map_err(ca::scep_err("CSR"))?;
                // Only the ID and the key matter for polling; the nonce is drawn afresh.
                let nonce = Nonce::random(&mut getrandom::SysRng).map_err(ca::scep_err("nonce"))?;
                let purpose = Purpose::Enroll {
                    public_key: csr.public_key().clone(),
                    subject: csr.subject().clone(),
                };
                let tx = Transaction::new(id, nonce, MessageType::PkcsReq, purpose);
                Ok((key, tx))
            })();
            match restored {
                Ok((key, tx)) => {
                    eprintln!(
                        "proxy: still PENDING upstream: {key} (upstream tx={})",
                        tx.transaction_id().as_str()
                    );
                    map.insert(key, tx);
                }
                Err(e) => eprintln!("proxy: ignoring {}: {e}", path.display()),
            }
        }
        Ok(Pending { dir, map })
    }

    pub(super) fn get(&self, key: &str) -> Option<&Transaction> {
        self.map.get(key)
    }

    pub(super) fn insert(&mut self, key: &str, tx: &Transaction, csr: &Csr) {
        let base = self.dir.join(util::hex(key.as_bytes()));
        let saved = fs::write(base.with_extension("csr"), csr.as_der()).and_then(|()| {
            fs::write(
                base.with_extension("tx"),
                tx.transaction_id().as_str().as_bytes(),
            )
        });
        if let Err(e) = saved {
            eprintln!("proxy: cannot keep {key} on disk ({e}); in memory only");
        }
        self.map.insert(key.to_owned(), tx.clone());
    }

    pub(super) fn remove(&mut self, key: &str) {
        if self.map.remove(key).is_some() {
            let base = self.dir.join(util::hex(key.as_bytes()));
            let _ = fs::remove_file(base.with_extension("tx"));
            let _ = fs::remove_file(base.with_extension("csr"));
        }
    }
}

pub(super) fn unhex(s: &str) -> Option<String> {
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}
