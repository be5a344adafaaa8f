package tlsplug

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMain lets `go test ./...` run on its own: without $TLSPLUG_PKI (ctest
// sets it to tests/support/make_pki.sh's output) it makes the files the
// tests read, with the same names and roles, in a temporary directory.
func TestMain(m *testing.M) {
	if os.Getenv("TLSPLUG_PKI") == "" {
		dir, err := os.MkdirTemp("", "tlsplug-go-pki-")
		if err == nil {
			err = makePKI(dir)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "tlsplug tests: cannot make a PKI:", err)
			os.Exit(2)
		}
		os.Setenv("TLSPLUG_PKI", dir)
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

type pkiCert struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

// makePKI writes ca, int, server (RSA), server-ec (P-256), client and
// other-ca, with the -chain.pem files (leaf then intermediate).
func makePKI(dir string) error {
	serial := int64(1)
	issue := func(cn string, parent *pkiCert, ca, ec bool) (*pkiCert, error) {
		var key crypto.Signer
		var err error
		if ec {
			key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		} else {
			key, err = rsa.GenerateKey(rand.Reader, 2048)
		}
		if err != nil {
			return nil, err
		}
		serial++
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		}
		if ca {
			tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
			tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		} else {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
			if cn == "localhost" {
				tmpl.DNSNames = []string{"localhost", "server.test"}
				tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
			}
		}
		signer, parentCert := key, tmpl
		if parent != nil {
			signer, parentCert = parent.key, parent.cert
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), signer)
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		return &pkiCert{cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
	}
	write := func(name string, data []byte) error { return os.WriteFile(filepath.Join(dir, name), data, 0o600) }
	save := func(name string, c *pkiCert, chain *pkiCert) error {
		der, err := x509.MarshalPKCS8PrivateKey(c.key)
		if err != nil {
			return err
		}
		if err := write(name+".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return err
		}
		if err := write(name+".pem", c.pem); err != nil {
			return err
		}
		if chain != nil {
			return write(name+"-chain.pem", append(append([]byte(nil), c.pem...), chain.pem...))
		}
		return nil
	}
	root, err := issue("tlsplug Test Root", nil, true, false)
	if err != nil {
		return err
	}
	inter, err := issue("tlsplug Test Intermediate", root, true, false)
	if err != nil {
		return err
	}
	other, err := issue("tlsplug Other Root", nil, true, false)
	if err != nil {
		return err
	}
	for _, s := range []struct {
		name, cn string
		ec       bool
	}{{"server", "localhost", false}, {"server-ec", "localhost", true}, {"client", "tlsplug client", false}} {
		leaf, err := issue(s.cn, inter, false, s.ec)
		if err != nil {
			return err
		}
		if err := save(s.name, leaf, inter); err != nil {
			return err
		}
	}
	for name, c := range map[string]*pkiCert{"ca": root, "int": inter, "other-ca": other} {
		if err := save(name, c, nil); err != nil {
			return err
		}
	}
	return nil
}

// The generated PKI is what the tests expect of make_pki.sh's: a chain
// that verifies for localhost.
func TestPKIChainVerifies(t *testing.T) {
	block, _ := pem.Decode(pki(t, "server.pem"))
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AppendCertsFromPEM(pki(t, "ca.pem"))
	inters.AppendCertsFromPEM(pki(t, "int.pem"))
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: roots, Intermediates: inters}); err != nil {
		t.Fatal(err)
	}
}
