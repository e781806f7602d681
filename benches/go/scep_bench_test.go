// Benchmarks of micromdm/scep (Debian's golang-github-micromdm-scep-dev), the peer that
// benches/compare-peers.sh compares the scep crate with. Written for this comparison; each
// benchmark does the same protocol step as the Rust bench of the same name (benches/envelope.rs,
// benches/decode.rs), with the same fixture keys (tests/data).
//
// Build offline in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go test -run '^$' -bench . -benchmem
package scepbench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/micromdm/scep/scep"
	scepserver "github.com/micromdm/scep/server"
	"go.mozilla.org/pkcs7"
)

func init() {
	// The Rust side seals with AES-128-CBC (RFC 8894's default); pkcs7's default is DES-CBC.
	pkcs7.ContentEncryptionAlgorithm = pkcs7.EncryptionAlgorithmAES128CBC
}

func data(b *testing.B, name string) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "tests", "data", name))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func pemBlock(b *testing.B, name string) []byte {
	b.Helper()
	block, _ := pem.Decode(data(b, name))
	if block == nil {
		b.Fatalf("%s: no PEM block", name)
	}
	return block.Bytes
}

type party struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

func load(b *testing.B, name string) party {
	b.Helper()
	cert, err := x509.ParseCertificate(pemBlock(b, name+".cert.pem"))
	if err != nil {
		b.Fatal(err)
	}
	k, err := x509.ParsePKCS8PrivateKey(pemBlock(b, name+".pkcs8.pem"))
	if err != nil {
		b.Fatal(err)
	}
	return party{cert: cert, key: k.(*rsa.PrivateKey)}
}

// fixture is one enrolment: the client's PKCSReq, the server's view of it, the issued
// certificate and the CertRep SUCCESS.
type fixture struct {
	ra, client party
	csr        *x509.CertificateRequest
	issued     *x509.Certificate
	pkcsReq    []byte
	opened     *scep.PKIMessage
	certRep    []byte
}

func setup(b *testing.B, bits int) fixture {
	b.Helper()
	f := fixture{
		ra:     load(b, fmt.Sprintf("ra%d", bits)),
		client: load(b, fmt.Sprintf("client%d", bits)),
	}
	var err error
	f.csr, err = x509.ParseCertificateRequest(data(b, fmt.Sprintf("client%d.csr.der", bits)))
	if err != nil {
		b.Fatal(err)
	}
	// The issued certificate: the client's self-signed one stands in (same size and key).
	f.issued = f.client.cert
	req, err := scep.NewCSRRequest(f.csr, f.template())
	if err != nil {
		b.Fatal(err)
	}
	f.pkcsReq = req.Raw
	f.opened = f.serverOpen(b)
	rep, err := f.opened.Success(f.ra.cert, f.ra.key, f.issued)
	if err != nil {
		b.Fatal(err)
	}
	f.certRep = rep.Raw
	return f
}

func (f *fixture) template() *scep.PKIMessage {
	return &scep.PKIMessage{
		MessageType: scep.PKCSReq,
		Recipients:  []*x509.Certificate{f.ra.cert},
		SignerKey:   f.client.key,
		SignerCert:  f.client.cert,
	}
}

// serverOpen: verify the signature, decrypt the envelope, parse the CSR.
func (f *fixture) serverOpen(b *testing.B) *scep.PKIMessage {
	msg, err := scep.ParsePKIMessage(f.pkcsReq)
	if err != nil {
		b.Fatal(err)
	}
	if err := msg.DecryptPKIEnvelope(f.ra.cert, f.ra.key); err != nil {
		b.Fatal(err)
	}
	return msg
}

var sizes = []int{2048, 4096}

// Client builds a PKCSReq: encrypt the CSR to the RA, sign.
func BenchmarkPkcsReqBuild(b *testing.B) {
	for _, bits := range sizes {
		f := setup(b, bits)
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := scep.NewCSRRequest(f.csr, f.template()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Server opens a PKCSReq: verify, decrypt, parse the CSR (micromdm's ParsePKIMessage +
// DecryptPKIEnvelope; the Rust counterpart is envelope::open).
func BenchmarkPkcsReqOpen(b *testing.B) {
	for _, bits := range sizes {
		f := setup(b, bits)
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f.serverOpen(b)
			}
		})
	}
}

// The same, plus what scep::server::Server::pki_operation also checks: the CSR's
// self-signature and whether the signer certificate is self-signed.
func BenchmarkPkcsReqServer(b *testing.B) {
	for _, bits := range sizes {
		f := setup(b, bits)
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				msg := f.serverOpen(b)
				if err := msg.CSRReqMessage.CSR.CheckSignature(); err != nil {
					b.Fatal(err)
				}
				signer := msg.SignerCert
				if signer == nil {
					signer = f.client.cert
				}
				if err := signer.CheckSignatureFrom(signer); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Server builds a CertRep SUCCESS for an already issued certificate: encrypt a degenerate
// SignedData to the requester, sign.
func BenchmarkCertRepBuild(b *testing.B) {
	for _, bits := range sizes {
		f := setup(b, bits)
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := f.opened.Success(f.ra.cert, f.ra.key, f.issued); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Client opens the CertRep: verify with the CA certificate, decrypt, parse the certificates.
func BenchmarkCertRepOpen(b *testing.B) {
	for _, bits := range sizes {
		f := setup(b, bits)
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				msg, err := scep.ParsePKIMessage(f.certRep, scep.WithCACerts([]*x509.Certificate{f.ra.cert}))
				if err != nil {
					b.Fatal(err)
				}
				if err := msg.DecryptPKIEnvelope(f.client.cert, f.client.key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Decode only (no signature check, no decryption): the PKCS #7 structure and the SCEP
// attributes. micromdm has no such entry point (ParsePKIMessage always verifies), so this is
// its parser, pkcs7.Parse, plus the attribute reads ParsePKIMessage does.
func decodeOnly(b *testing.B, raw []byte, reply bool) {
	p7, err := pkcs7.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	var tID scep.TransactionID
	var mt scep.MessageType
	if err := p7.UnmarshalSignedAttribute(oidTransactionID, &tID); err != nil {
		b.Fatal(err)
	}
	if err := p7.UnmarshalSignedAttribute(oidMessageType, &mt); err != nil {
		b.Fatal(err)
	}
	if reply {
		var st scep.PKIStatus
		if err := p7.UnmarshalSignedAttribute(oidPkiStatus, &st); err != nil {
			b.Fatal(err)
		}
		var rn scep.RecipientNonce
		if err := p7.UnmarshalSignedAttribute(oidRecipientNonce, &rn); err != nil {
			b.Fatal(err)
		}
	} else {
		var sn scep.SenderNonce
		if err := p7.UnmarshalSignedAttribute(oidSenderNonce, &sn); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePkcsReq(b *testing.B) {
	for _, bits := range sizes {
		f := setup(b, bits)
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				decodeOnly(b, f.pkcsReq, false)
			}
		})
	}
}

func BenchmarkDecodeCertRep(b *testing.B) {
	for _, bits := range sizes {
		f := setup(b, bits)
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				decodeOnly(b, f.certRep, true)
			}
		})
	}
}

// GetCACaps: micromdm's client keeps the reply and answers Supports(keyword) with
// bytes.Contains; the keywords are the ones scep::caps::Capabilities::negotiate looks at.
func BenchmarkCaps(b *testing.B) {
	body := []byte("Renewal\nSHA-1\nSHA-256\nSHA-512\nAES\nDES3\nSCEPStandard\nPOSTPKIOperation\nGetNextCACert")
	keywords := []string{"POSTPKIOperation", "SCEPStandard", "AES", "DES3", "SHA-512", "SHA-256", "SHA-1", "Renewal"}
	get := func(context.Context, interface{}) (interface{}, error) {
		return scepserver.SCEPResponse{Data: body}, nil
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e := &scepserver.Endpoints{GetEndpoint: get}
		if _, err := e.GetCACaps(context.Background()); err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, k := range keywords {
			if e.Supports(k) {
				n++
			}
		}
		if n != len(keywords) {
			b.Fatal("caps")
		}
	}
}

// HTTP GET decode of a PKIOperation: the steps of micromdm's server/transport.go message()
// (unexported): parse the query, PathUnescape, standard base64.
func BenchmarkHttpGet(b *testing.B) {
	f := setup(b, 2048)
	target := "/scep?operation=PKIOperation&message=" + url.QueryEscape(base64.StdEncoding.EncodeToString(f.pkcsReq))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		if q.Get("operation") != "PKIOperation" {
			b.Fatal("operation")
		}
		msg, err := url.PathUnescape(q.Get("message"))
		if err != nil {
			b.Fatal(err)
		}
		der, err := base64.StdEncoding.DecodeString(msg)
		if err != nil || !bytes.Equal(der, f.pkcsReq) {
			b.Fatal("message", err)
		}
	}
}

// Go's RSA alone (crypto/rsa, which micromdm's pkcs7 calls), so that micromdm's non-RSA share
// can be read off: the same operations as the Rust rsa_* benches.
func BenchmarkRsaSign(b *testing.B) {
	for _, bits := range sizes {
		ra := load(b, fmt.Sprintf("ra%d", bits))
		msg := bytes.Repeat([]byte{0x31}, 300)
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				h := sha256.Sum256(msg)
				if _, err := rsa.SignPKCS1v15(rand.Reader, ra.key, crypto.SHA256, h[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRsaVerify(b *testing.B) {
	for _, bits := range sizes {
		ra := load(b, fmt.Sprintf("ra%d", bits))
		msg := bytes.Repeat([]byte{0x31}, 300)
		h := sha256.Sum256(msg)
		sig, err := rsa.SignPKCS1v15(rand.Reader, ra.key, crypto.SHA256, h[:])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				h := sha256.Sum256(msg)
				if err := rsa.VerifyPKCS1v15(&ra.key.PublicKey, crypto.SHA256, h[:], sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRsaEncrypt(b *testing.B) {
	for _, bits := range sizes {
		ra := load(b, fmt.Sprintf("ra%d", bits))
		key := bytes.Repeat([]byte{0x42}, 16)
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := rsa.EncryptPKCS1v15(rand.Reader, &ra.key.PublicKey, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRsaDecrypt(b *testing.B) {
	for _, bits := range sizes {
		ra := load(b, fmt.Sprintf("ra%d", bits))
		ct, err := rsa.EncryptPKCS1v15(rand.Reader, &ra.key.PublicKey, bytes.Repeat([]byte{0x42}, 16))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("rsa%d", bits), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := rsa.DecryptPKCS1v15(rand.Reader, ra.key, ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
