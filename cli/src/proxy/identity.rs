//! The RA's identity: its key and self-signed certificate in the state directory.

#[allow(clippy::wildcard_imports, reason = "the parent module's imports")]
use super::*;

/// `DIR/ra.key.pem` and `DIR/ra.cert.pem`, created on first start.
pub(super) fn open_ra(dir: &Path) -> Result<RsaKey, String> {
    fs::create_dir_all(dir.join("pending")).map_err(ca::io_err(dir))?;
    let key_path = dir.join("ra.key.pem");
    let cert_path = dir.join("ra.cert.pem");
    if key_path.exists() && cert_path.exists() {
        let cert = Certificate::from_pem(&fs::read(&cert_path).map_err(ca::io_err(&cert_path))?)
            .map_err(ca::scep_err("RA certificate"))?;
        return RsaKey::from_pem(&fs::read(&key_path).map_err(ca::io_err(&key_path))?, cert)
            .map_err(ca::scep_err("RA key"));
    }
    let key = ca::create_self_signed(
        RA_SUBJECT,
        RA_DAYS,
        false,
        KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment),
    )?;
    let pem = key.to_pkcs8_pem().map_err(ca::scep_err("RA key"))?;
    write_private(&key_path, pem.as_bytes())?;
    fs::write(&cert_path, key.certificate().to_pem()).map_err(ca::io_err(&cert_path))?;
    eprintln!(
        "proxy: created the RA key and certificate in {}",
        dir.display()
    );
    Ok(key)
}
