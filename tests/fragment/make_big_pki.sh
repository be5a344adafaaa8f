#!/usr/bin/env bash
# Certificates whose chains are larger than one TLS record (16 KiB), made
# in $1 at test time (nothing committed can expire). Idempotent: a
# directory holding the .complete marker is left alone.
#
#   root.pem / root.key            "tlsplug Fragment Root" (self-signed)
#   int1..int3.{pem,key}           root -> int1 -> int2 -> int3, each padded
#                                  with filler SAN entries (~5 KB each)
#   server.{pem,key}               leaf under int3: localhost, 127.0.0.1 and
#                                  filler names (~11 KB)
#   server-ints.pem                int3 int2 int1 (s_server -cert_chain)
#   server-chain.pem               server.pem + server-ints.pem (leaf first)
#   client.{pem,key}               client leaf under int3, CN "tlsplug
#                                  fragment client", filler names (~11 KB)
#   client-chain.pem               client.pem + server-ints.pem (leaf first)
#
# Size comes from many SAN entries, not from big keys: every key is ECDSA
# P-256, made in milliseconds (RSA 4096 would take seconds each). Every CA
# has its own key so that the key identifiers tell the issuers apart.
set -euo pipefail
out=${1:?usage: make_big_pki.sh OUTDIR}
[ -f "$out/.complete" ] && exit 0
openssl=${TLSPLUG_OPENSSL:-openssl}
mkdir -p "$out"
cd "$out"

key() { "$openssl" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
# filler N PREFIX: a comma-separated SAN list of N made-up DNS names.
filler() {
  seq -f "DNS:$2-%04g.filler.fragment.tlsplug.test" 1 "$1" | paste -sd, -
}
# sign NAME ISSUER SUBJECT EXTENSIONS...: a certificate for NAME.key.
sign() {
  local name=$1 issuer=$2 subj=$3; shift 3
  printf '%s\n' "$@" > "$name.ext"
  "$openssl" req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
  "$openssl" x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" -set_serial "0x$("$openssl" rand -hex 8)" \
    -days 825 -sha256 -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

ca_ext=("basicConstraints=critical,CA:TRUE" "keyUsage=critical,keyCertSign,cRLSign"
        "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid:always")

key root
"$openssl" req -new -x509 -key root.key -subj "/CN=tlsplug Fragment Root" -days 3650 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out root.pem 2>/dev/null

issuer=root
for i in 1 2 3; do
  key "int$i"
  sign "int$i" "$issuer" "/CN=tlsplug Fragment Intermediate $i" "${ca_ext[@]}" \
    "subjectAltName=$(filler 130 "int$i")"
  issuer="int$i"
done
cat int3.pem int2.pem int1.pem > server-ints.pem

leaf_ext=("basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature"
          "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid:always")
key server
sign server int3 "/CN=localhost" "${leaf_ext[@]}" "extendedKeyUsage=serverAuth" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,$(filler 300 server)"
cat server.pem server-ints.pem > server-chain.pem

key client
sign client int3 "/CN=tlsplug fragment client" "${leaf_ext[@]}" "extendedKeyUsage=clientAuth" \
  "subjectAltName=$(filler 300 client)"
cat client.pem server-ints.pem > client-chain.pem

touch .complete
