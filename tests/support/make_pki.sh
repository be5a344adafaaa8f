#!/usr/bin/env bash
# Make the test PKI in $1 (created if missing). Everything is generated at
# test time, so no committed certificate can expire. Idempotent: a directory
# holding a complete PKI (the .complete marker) is left alone.
#
#   ca.pem / ca.key                 RSA root "tlsplug Test Root"
#   int.pem / int.key               intermediate under the root
#   server.{pem,key}, server-chain.pem       RSA leaf: localhost, server.test, 127.0.0.1, ::1
#   server-ec.{pem,key}, server-ec-chain.pem ECDSA P-256 leaf, same names
#   server-enc.key                  server.key encrypted (PKCS#8), passphrase "secret"
#   client.{pem,key}, client-chain.pem       client leaf (CN "tlsplug client")
#   self.{pem,key}                  self-signed leaf for localhost
#   expired.{pem,key}, expired-chain.pem     leaf that expired in 2021
#   future.{pem,key}, future-chain.pem       leaf valid only from 2090
#   wronghost.{pem,key}, wronghost-chain.pem leaf for other.test only
#   other-ca.pem / other-ca.key     a second, unrelated root
#   untrusted.{pem,key}, untrusted-chain.pem leaf under other-ca (chain includes other-ca)
set -euo pipefail
out=${1:?usage: make_pki.sh OUTDIR}
[ -f "$out/.complete" ] && exit 0
mkdir -p "$out"
cd "$out"
command -v certtool >/dev/null || { echo "make_pki.sh: certtool missing (apt-get install gnutls-bin)" >&2; exit 1; }

key() { # key NAME [rsa|ecdsa]
  if [ "${2:-rsa}" = ecdsa ]; then
    certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile "$1.key" 2>/dev/null
  else
    certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$1.key" 2>/dev/null
  fi
}
ca_tmpl() { printf 'cn = "%s"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 3650\n' "$1" > "$2"; }
leaf_tmpl() { # leaf_tmpl CN FILE [extra lines...]
  local cn=$1 f=$2; shift 2
  { printf 'cn = "%s"\nsigning_key\nencryption_key\ntls_www_server\ntls_www_client\n' "$cn"; printf '%s\n' "$@"; } > "$f"
}
sign() { # sign NAME ISSUER TEMPLATE
  certtool --generate-certificate --load-privkey "$1.key" --load-ca-certificate "$2.pem" \
    --load-ca-privkey "$2.key" --template "$3" --outfile "$1.pem" 2>/dev/null
}
names=('dns_name = "localhost"' 'dns_name = "server.test"' 'ip_address = "127.0.0.1"' 'ip_address = "::1"')
valid='expiration_days = 365'

key ca; ca_tmpl "tlsplug Test Root" t.ca
certtool --generate-self-signed --load-privkey ca.key --template t.ca --outfile ca.pem 2>/dev/null
key int; ca_tmpl "tlsplug Test Intermediate" t.int; sign int ca t.int

key server; leaf_tmpl localhost t.server "${names[@]}" "$valid"; sign server int t.server
cat server.pem int.pem > server-chain.pem
key server-ec ecdsa; sign server-ec int t.server
cat server-ec.pem int.pem > server-ec-chain.pem
openssl pkcs8 -topk8 -in server.key -out server-enc.key -passout pass:secret -v2 aes-256-cbc 2>/dev/null

key client; leaf_tmpl "tlsplug client" t.client "$valid"; sign client int t.client
cat client.pem int.pem > client-chain.pem

key self; leaf_tmpl localhost t.self "${names[@]}" "$valid"
certtool --generate-self-signed --load-privkey self.key --template t.self --outfile self.pem 2>/dev/null

key expired
leaf_tmpl localhost t.expired "${names[@]}" 'activation_date = "2020-01-01 00:00:00 UTC"' 'expiration_date = "2021-01-01 00:00:00 UTC"'
sign expired int t.expired; cat expired.pem int.pem > expired-chain.pem

key future
leaf_tmpl localhost t.future "${names[@]}" 'activation_date = "2090-01-01 00:00:00 UTC"' 'expiration_date = "2091-01-01 00:00:00 UTC"'
sign future int t.future; cat future.pem int.pem > future-chain.pem

key wronghost; leaf_tmpl other.test t.wrong 'dns_name = "other.test"' "$valid"; sign wronghost int t.wrong
cat wronghost.pem int.pem > wronghost-chain.pem

key other-ca; ca_tmpl "tlsplug Other Root" t.other
certtool --generate-self-signed --load-privkey other-ca.key --template t.other --outfile other-ca.pem 2>/dev/null
key untrusted; sign untrusted other-ca t.server; cat untrusted.pem other-ca.pem > untrusted-chain.pem

rm -f t.*
touch .complete
