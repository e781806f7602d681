//! Private ASN.1 plumbing with no SCEP meaning, below the message layer: the BER reader, the DER
//! writer, PEM, time encoding, and borrowed views of received CMS structures.

pub(crate) mod ber;
pub(crate) mod cms;
pub(crate) mod enc;
pub(crate) mod pem;
pub(crate) mod time;
