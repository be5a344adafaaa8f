/* The crypto floor: what GnuTLS's primitives (nettle, GMP) cost on this
 * machine, for crypto_floor.py to set beside `openssl speed` (OpenSSL's
 * assembly, which Node, Python's ssl and Ruby's openssl use). A binding's
 * handshake or bulk row cannot beat its runtime's native TLS by more than
 * these ratios allow, whatever the binding does.
 *
 *   crypto_floor [SECONDS]     (default 1 per figure)
 *
 * Prints one JSON object: ECDSA P-256 and RSA-2048 (PKCS#1 v1.5, SHA-256)
 * signs and verifies per CPU-second, and AES-128-GCM bytes sealed per
 * CPU-second in 16 KiB records (a full TLS record). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void check(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "crypto_floor: %s: %s\n", what, gnutls_strerror(rc));
        exit(1);
    }
}

typedef struct {
    double sign, verify; /* per CPU-second */
} sig_rates;

static sig_rates signatures(gnutls_pk_algorithm_t pk, unsigned bits, gnutls_sign_algorithm_t sa,
                            double seconds)
{
    gnutls_privkey_t key;
    gnutls_pubkey_t pub;
    check(gnutls_privkey_init(&key), "privkey_init");
    check(gnutls_privkey_generate2(key, pk, bits, 0, NULL, 0), "generate");
    check(gnutls_pubkey_init(&pub), "pubkey_init");
    check(gnutls_pubkey_import_privkey(pub, key, 0, 0), "import");
    /* What a TLS 1.3 CertificateVerify signs: about 130 bytes. */
    unsigned char msg[130];
    memset(msg, 0x20, sizeof msg);
    gnutls_datum_t data = {msg, sizeof msg}, sig = {NULL, 0};
    sig_rates r;
    long n = 0;
    double t0 = cpu_now(), t;
    do {
        gnutls_free(sig.data);
        check(gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &data, &sig), "sign");
        n++;
    } while ((t = cpu_now() - t0) < seconds);
    r.sign = (double)n / t;
    n = 0;
    t0 = cpu_now();
    do {
        check(gnutls_pubkey_verify_data2(pub, sa, 0, &data, &sig), "verify");
        n++;
    } while ((t = cpu_now() - t0) < seconds);
    r.verify = (double)n / t;
    gnutls_free(sig.data);
    gnutls_pubkey_deinit(pub);
    gnutls_privkey_deinit(key);
    return r;
}

static double aes_gcm(double seconds)
{
    static unsigned char key_bytes[16], nonce[12], in[16384], out[16384 + 16];
    gnutls_datum_t key = {key_bytes, sizeof key_bytes};
    gnutls_aead_cipher_hd_t h;
    check(gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_128_GCM, &key), "aead_init");
    long n = 0;
    double t0 = cpu_now(), t;
    do {
        size_t len = sizeof out;
        nonce[0] = (unsigned char)n; /* a fresh nonce per record, as TLS */
        check(gnutls_aead_cipher_encrypt(h, nonce, sizeof nonce, NULL, 0, 16, in, sizeof in, out,
                                         &len),
              "seal");
        n++;
    } while ((t = cpu_now() - t0) < seconds);
    gnutls_aead_cipher_deinit(h);
    return (double)n * sizeof in / t;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (seconds <= 0) {
        fprintf(stderr, "usage: crypto_floor [SECONDS]\n");
        return 2;
    }
    check(gnutls_global_init(), "global_init");
    sig_rates ec = signatures(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
                              GNUTLS_SIGN_ECDSA_SHA256, seconds);
    sig_rates rsa = signatures(GNUTLS_PK_RSA, 2048, GNUTLS_SIGN_RSA_SHA256, seconds);
    double gcm = aes_gcm(seconds);
    printf("{\"ecdsa_p256_sign\": %.1f, \"ecdsa_p256_verify\": %.1f, \"rsa2048_sign\": %.1f, "
           "\"rsa2048_verify\": %.1f, \"aes128gcm_bytes\": %.0f}\n",
           ec.sign, ec.verify, rsa.sign, rsa.verify, gcm);
    gnutls_global_deinit();
    return 0;
}
