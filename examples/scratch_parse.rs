fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut files: Vec<_> = walk(std::path::Path::new(&dir));
    files.sort();
    for f in files {
        if !f.extension().is_some_and(|e| e == "der" || e == "bin") {
            continue;
        }
        let bytes = std::fs::read(&f).unwrap();
        let mut opts = scep::envelope::OpenOptions::DEFAULT;
        opts.allow_legacy = true;
        let r = scep::envelope::parse(&bytes, &opts);
        match r {
            Ok(p) => println!(
                "OK   {} type={:?} tx={} status={:?} certs={} content={} digest={:?} signer={:?}",
                f.display(),
                p.message_type(),
                p.transaction_id(),
                p.pki_status(),
                p.certificates().len(),
                p.has_content(),
                p.digest_algorithm(),
                p.signer_certificate().map(|c| c.subject().to_string())
            ),
            Err(e) => println!("ERR  {} {e:?}", f.display()),
        }
    }
}
fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v = vec![];
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            v.extend(walk(&e))
        } else {
            v.push(e)
        }
    }
    v
}
