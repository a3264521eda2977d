/*
 * SHA-crypt-256 (Drepper's "Unix crypt using SHA-256") over OpenSSL's
 * SHA-256, as MySQL's my_crypt_genhash computes caching_sha2_password and
 * sha256_password hashes. A second C baseline for the benchmark next to
 * glibc's crypt(3), whose own SHA-256 does not use the CPU's SHA
 * instructions.
 *
 * Build: gcc -O2 -shared -fPIC -o libshacrypt.so shacrypt.c -lcrypto
 * Use (ctypes): shacrypt256(password, len, salt, len, rounds, out[44])
 * writes the 43-character crypt-base64 digest and a NUL.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <string.h>

static const char b64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static char *put(char *out, unsigned v, int n) {
    while (n-- > 0) {
        *out++ = b64[v & 0x3f];
        v >>= 6;
    }
    return out;
}

int shacrypt256(const unsigned char *pw, size_t plen, const unsigned char *salt, size_t slen, int rounds,
                char *out) {
    unsigned char A[32], B[32], DP[32], DS[32], C[32];
    unsigned char P[512], S[64];
    SHA256_CTX ctx;
    size_t i;
    if (plen > sizeof P || slen > sizeof S || rounds < 1) return -1;

    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pw, plen);
    SHA256_Update(&ctx, salt, slen);
    SHA256_Update(&ctx, pw, plen);
    SHA256_Final(B, &ctx);

    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pw, plen);
    SHA256_Update(&ctx, salt, slen);
    for (i = plen; i > 32; i -= 32) SHA256_Update(&ctx, B, 32);
    SHA256_Update(&ctx, B, i);
    for (i = plen; i > 0; i >>= 1) {
        if (i & 1) SHA256_Update(&ctx, B, 32);
        else SHA256_Update(&ctx, pw, plen);
    }
    SHA256_Final(A, &ctx);

    SHA256_Init(&ctx);
    for (i = 0; i < plen; i++) SHA256_Update(&ctx, pw, plen);
    SHA256_Final(DP, &ctx);
    for (i = 0; i < plen; i++) P[i] = DP[i % 32];

    SHA256_Init(&ctx);
    for (i = 0; i < 16u + A[0]; i++) SHA256_Update(&ctx, salt, slen);
    SHA256_Final(DS, &ctx);
    for (i = 0; i < slen; i++) S[i] = DS[i % 32];

    memcpy(C, A, 32);
    for (int r = 0; r < rounds; r++) {
        SHA256_Init(&ctx);
        if (r & 1) SHA256_Update(&ctx, P, plen);
        else SHA256_Update(&ctx, C, 32);
        if (r % 3) SHA256_Update(&ctx, S, slen);
        if (r % 7) SHA256_Update(&ctx, P, plen);
        if (r & 1) SHA256_Update(&ctx, C, 32);
        else SHA256_Update(&ctx, P, plen);
        SHA256_Final(C, &ctx);
    }

    static const int order[10][3] = {{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
                                     {15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}};
    char *o = out;
    for (int k = 0; k < 10; k++)
        o = put(o, ((unsigned)C[order[k][0]] << 16) | ((unsigned)C[order[k][1]] << 8) | C[order[k][2]], 4);
    o = put(o, ((unsigned)C[31] << 8) | C[30], 3);
    *o = 0;
    return 0;
}
