//! Pending upstream transactions, in memory and in `DIR/pending`.

#[allow(clippy::wildcard_imports, reason = "the parent module's imports")]
use super::*;

/// Upstream transactions that were answered PENDING, by key (`scep <device transaction ID>`
/// or `light <SHA-256 of the public key>`). On disk (files 0600 in a 0700 directory):
/// `pending/<hex of the key>.tx` holds the upstream transaction ID, `.csr` the CSR (DER) and
/// `.owner` the SubjectPublicKeyInfo (DER) of the key that signed the device's request: only
/// that key may poll (empty for the light endpoint, whose key is the CSR's).
pub(super) struct Pending {
    pub(super) dir: PathBuf,
    pub(super) map: HashMap<String, (Transaction, Vec<u8>)>,
}

/// Writes a new private file (0600), replacing an old one.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let _ = fs::remove_file(path);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

impl Pending {
    pub(super) fn load(dir: PathBuf) -> Result<Pending, String> {
        use std::os::unix::fs::PermissionsExt as _;
        fs::create_dir_all(&dir).map_err(ca::io_err(&dir))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(ca::io_err(&dir))?;
        let mut map = HashMap::new();
        for entry in fs::read_dir(&dir).map_err(ca::io_err(&dir))?.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "tx") {
                continue;
            }
            let restored = (|| -> Result<(String, (Transaction, Vec<u8>)), String> {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                let key = unhex(stem).ok_or("bad file name")?;
                let id = fs::read_to_string(&path).map_err(ca::io_err(&path))?;
                let id = TransactionId::new(id.trim()).map_err(ca::scep_err("transaction ID"))?;
                let csr_path = path.with_extension("csr");
                let csr = Csr::from_der(&fs::read(&csr_path).map_err(ca::io_err(&csr_path))?)
                    .map_err(ca::scep_err("CSR"))?;
                // Only the ID and the key matter for polling; the nonce is drawn afresh.
                let nonce = Nonce::random(&mut getrandom::SysRng).map_err(ca::scep_err("nonce"))?;
                let tx = Transaction::new(id, nonce, MessageType::PkcsReq, Request::PkcsReq(csr));
                let owner = match fs::read(path.with_extension("owner")) {
                    Ok(o) => o,
                    Err(_) if key.starts_with("light ") => Vec::new(),
                    Err(e) => return Err(format!("owner: {e}")),
                };
                Ok((key, (tx, owner)))
            })();
            match restored {
                Ok((key, (tx, owner))) => {
                    eprintln!(
                        "proxy: still PENDING upstream: {key} (upstream tx={})",
                        tx.transaction_id().as_str()
                    );
                    map.insert(key, (tx, owner));
                }
                Err(e) => eprintln!("proxy: ignoring {}: {e}", path.display()),
            }
        }
        Ok(Pending { dir, map })
    }

    pub(super) fn get(&self, key: &str) -> Option<&Transaction> {
        self.map.get(key).map(|(tx, _)| tx)
    }

    /// The SubjectPublicKeyInfo (DER) of the key that sent the request (empty for light).
    pub(super) fn owner(&self, key: &str) -> Option<&[u8]> {
        self.map.get(key).map(|(_, o)| o.as_slice())
    }

    pub(super) fn insert(&mut self, key: &str, tx: &Transaction, csr: &Csr, owner: &[u8]) {
        let base = self.dir.join(util::hex(key.as_bytes()));
        let saved = write_private(&base.with_extension("csr"), csr.as_der())
            .and_then(|()| write_private(&base.with_extension("owner"), owner))
            .and_then(|()| {
                write_private(
                    &base.with_extension("tx"),
                    tx.transaction_id().as_str().as_bytes(),
                )
            });
        if let Err(e) = saved {
            eprintln!("proxy: cannot keep {key} on disk ({e}); in memory only");
        }
        self.map
            .insert(key.to_owned(), (tx.clone(), owner.to_vec()));
    }

    pub(super) fn remove(&mut self, key: &str) {
        if self.map.remove(key).is_some() {
            let base = self.dir.join(util::hex(key.as_bytes()));
            let _ = fs::remove_file(base.with_extension("tx"));
            let _ = fs::remove_file(base.with_extension("csr"));
            let _ = fs::remove_file(base.with_extension("owner"));
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
