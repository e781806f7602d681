//! A tiny DER tree for building the messages real peers send from messages we seal: decode a
//! sealed pkiMessage into nodes, change them (reorder attributes, drop certificates, use
//! indefinite lengths or chunked strings, swap algorithm identifiers), re-encode, and re-sign
//! with the test key where the change touches signed bytes. Single-octet tags only (all that
//! CMS uses here); primitives (including the OCTET STRING that carries the envelope) are kept
//! as bytes.

use scep::crypto::{DigestAlgorithm, Signer};
use scep::provider::rustcrypto::PROVIDER;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A primitive element.
    Prim { tag: u8, content: Vec<u8> },
    /// A constructed element, written with the indefinite length form when `indefinite`.
    Cons {
        tag: u8,
        children: Vec<Node>,
        indefinite: bool,
    },
    /// Bytes written as they are (an element encoded elsewhere).
    Raw(Vec<u8>),
}

fn header(b: &[u8]) -> (u8, usize, usize) {
    let tag = b[0];
    let first = b[1];
    if first < 0x80 {
        return (tag, 2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    let len = b[2..2 + n]
        .iter()
        .fold(0usize, |acc, &x| acc << 8 | usize::from(x));
    (tag, 2 + n, len)
}

/// Decodes one DER element (and everything under its constructed children).
pub fn parse(b: &[u8]) -> Node {
    let (node, used) = parse_one(b);
    assert_eq!(used, b.len(), "trailing bytes");
    node
}

fn parse_one(b: &[u8]) -> (Node, usize) {
    let (tag, h, len) = header(b);
    let content = &b[h..h + len];
    let node = if tag & 0x20 != 0 {
        let mut children = Vec::new();
        let mut pos = 0;
        while pos < content.len() {
            let (child, used) = parse_one(&content[pos..]);
            children.push(child);
            pos += used;
        }
        Node::Cons {
            tag,
            children,
            indefinite: false,
        }
    } else {
        Node::Prim {
            tag,
            content: content.to_vec(),
        }
    };
    (node, h + len)
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

impl Node {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Node::Prim { tag, content } => tlv(*tag, content),
            Node::Raw(b) => b.clone(),
            Node::Cons {
                tag,
                children,
                indefinite,
            } => {
                let inner: Vec<u8> = children.iter().flat_map(Node::encode).collect();
                if *indefinite {
                    let mut out = vec![*tag, 0x80];
                    out.extend_from_slice(&inner);
                    out.extend_from_slice(&[0, 0]);
                    out
                } else {
                    tlv(*tag, &inner)
                }
            }
        }
    }

    pub fn tag(&self) -> u8 {
        match self {
            Node::Prim { tag, .. } | Node::Cons { tag, .. } => *tag,
            Node::Raw(b) => b[0],
        }
    }

    pub fn children(&mut self) -> &mut Vec<Node> {
        match self {
            Node::Cons { children, .. } => children,
            other => panic!("not constructed: {other:?}"),
        }
    }

    pub fn child(&mut self, i: usize) -> &mut Node {
        &mut self.children()[i]
    }

    /// The first child with `tag`.
    pub fn find(&mut self, tag: u8) -> &mut Node {
        self.children()
            .iter_mut()
            .find(|c| c.tag() == tag)
            .unwrap_or_else(|| panic!("no child with tag {tag:#04x}"))
    }

    pub fn content(&mut self) -> &mut Vec<u8> {
        match self {
            Node::Prim { content, .. } => content,
            other => panic!("not primitive: {other:?}"),
        }
    }

    /// Switches this element and its constructed descendants down to `levels` levels to the
    /// indefinite length form.
    pub fn make_indefinite(&mut self, levels: usize) {
        if levels == 0 {
            return;
        }
        if let Node::Cons {
            children,
            indefinite,
            ..
        } = self
        {
            *indefinite = true;
            for c in children {
                c.make_indefinite(levels - 1);
            }
        }
    }

    /// Turns a primitive string into a constructed one (`tag | 0x20`, indefinite) whose chunks
    /// are OCTET STRINGs of `chunk` bytes.
    pub fn chunk(&mut self, chunk: usize) {
        let Node::Prim { tag, content } = self else {
            panic!("not primitive")
        };
        let children = content
            .chunks(chunk)
            .map(|c| Node::Prim {
                tag: 0x04,
                content: c.to_vec(),
            })
            .collect();
        *self = Node::Cons {
            tag: *tag | 0x20,
            children,
            indefinite: true,
        };
    }
}

/// A pkiMessage (ContentInfo) as a tree, with accessors for the parts SCEP cares about.
pub struct Msg(pub Node);

impl Msg {
    pub fn parse(bytes: &[u8]) -> Self {
        Msg(parse(bytes))
    }

    pub fn encode(&self) -> Vec<u8> {
        self.0.encode()
    }

    pub fn signed_data(&mut self) -> &mut Node {
        self.0.child(1).child(0)
    }

    /// `encapContentInfo`.
    pub fn encap(&mut self) -> &mut Node {
        self.signed_data().child(2)
    }

    /// The eContent OCTET STRING.
    pub fn econtent(&mut self) -> &mut Node {
        self.encap().child(1).child(0)
    }

    pub fn signer_info(&mut self) -> &mut Node {
        let sd = self.signed_data();
        let last = sd.children().len() - 1;
        sd.child(last).child(0)
    }

    /// The signed attributes (`[0] IMPLICIT SET`).
    pub fn attrs(&mut self) -> &mut Node {
        self.signer_info().find(0xa0)
    }

    /// Index of the attribute with `oid` among the signed attributes.
    pub fn attr_index(&mut self, oid: &der::asn1::ObjectIdentifier) -> Option<usize> {
        self.attrs()
            .children()
            .iter_mut()
            .position(|a| a.child(0).content().as_slice() == oid.as_bytes())
    }

    pub fn remove_attr(&mut self, oid: &der::asn1::ObjectIdentifier) {
        let i = self.attr_index(oid).expect("attribute present");
        self.attrs().children().remove(i);
    }

    /// Signs the signed attributes as they are now (in this order) with `key`, and puts the
    /// signature in place.
    pub fn resign(&mut self, key: &dyn Signer) {
        let mut set = self.attrs().encode();
        set[0] = 0x31;
        let sig = key.sign(&set).unwrap();
        *self.signer_info().find(0x04).content() = sig;
    }

    /// Replaces the eContent octets (the envelope) and updates `messageDigest` (SHA-256, the
    /// test keys' digest). The caller re-signs.
    pub fn set_econtent(&mut self, envelope: Vec<u8>) {
        let digest = PROVIDER
            .digests
            .digest(DigestAlgorithm::Sha256, &envelope)
            .unwrap();
        *self.econtent() = Node::Prim {
            tag: 0x04,
            content: envelope,
        };
        let i = self.attr_index(&scep::oid::MESSAGE_DIGEST).unwrap();
        *self.attrs().child(i).child(1).child(0).content() = digest.as_bytes().to_vec();
    }

    /// The eContent octets as a primitive OCTET STRING holds them.
    pub fn econtent_bytes(&mut self) -> Vec<u8> {
        self.econtent().content().clone()
    }
}
