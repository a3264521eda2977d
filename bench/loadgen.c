/*
 * loadgen: a MySQL login load generator for the twisted_mysqlauth benchmark.
 *
 * One thread, one epoll loop, N connections in flight. Each connection does
 * one full login and goes away:
 *
 *   connect (TCP or UNIX) -> read HandshakeV10
 *   [--tls: SSLRequest, TLS handshake]
 *   -> HandshakeResponse41 (PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH,
 *      PLUGIN_AUTH_LENENC_CLIENT_DATA, CONNECT_ATTRS when offered)
 *   -> follow AuthSwitchRequest / AuthMoreData
 *      (caching_sha2_password: 01 03 fast path; 01 04 full authentication:
 *       cleartext over TLS or UNIX, else 02 to request the public key and
 *       RSA-OAEP(SHA-1) of (password + NUL) XOR nonce;
 *       sha256_password: cleartext over TLS, else 01 to request the key)
 *   -> OK -> COM_QUIT -> wait for the server to close -> close
 *
 * The latency of a login is from the connect() call to the OK packet.
 * Logins are counted in a measurement window that follows a warm-up; at the
 * window's edges the generator reads its own CPU time (getrusage) and the
 * server's (utime + stime of /proc/<pid>/stat, all threads).
 *
 * Everything is bounded: --duration seconds (and --max-logins logins) of
 * measurement, a per-login timeout, an error cap, and a drain limit.
 *
 * Output: one JSON object on stdout.
 *
 * Build: gcc -O2 -o loadgen loadgen.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_LONG_PASSWORD (1u << 0)
#define CLIENT_LONG_FLAG (1u << 2)
#define CLIENT_PROTOCOL_41 (1u << 9)
#define CLIENT_SSL (1u << 11)
#define CLIENT_TRANSACTIONS (1u << 13)
#define CLIENT_SECURE_CONNECTION (1u << 15)
#define CLIENT_MULTI_RESULTS (1u << 17)
#define CLIENT_PLUGIN_AUTH (1u << 19)
#define CLIENT_CONNECT_ATTRS (1u << 20)
#define CLIENT_PLUGIN_AUTH_LENENC (1u << 21)

#define RBUF 16384
#define WBUF 4096

enum { P_NATIVE, P_SHA2, P_SHA256, P_OTHER };
enum { ST_FREE, ST_CONNECTING, ST_GREETING, ST_TLS, ST_AUTH, ST_QUIT };

typedef struct {
    int fd;
    int state;
    SSL *ssl;
    unsigned char rbuf[RBUF];
    size_t rlen;
    unsigned char wbuf[WBUF];
    size_t wlen, woff;
    unsigned char nonce[20];
    int seq;
    int plugin;
    double t0;
    double quitAt;
    uint32_t serverCaps;
    int wantOut; /* registered for EPOLLOUT */
    int userIndex;
    int sha2State; /* 0 scramble sent, 1 key requested */
} conn_t;

/* options */
static const char *optTcp = NULL, *optUnix = NULL;
static const char *optUser = "bench", *optPassword = "";
static int optUsers = 1, optPlugin = P_NATIVE, optTLS = 0, optSha2Full = 0;
static int optConc = 1, optServerPid = 0, optAttrs = 1;
static double optDuration = 3.0, optWarmup = 0.5, optLoginTimeout = 10.0;
static long optMaxLogins = 10000000;

/* state */
static int epfd;
static SSL_CTX *sslctx;
static struct sockaddr_storage addr;
static socklen_t addrlen;
static int addrFamily;
static conn_t *conns;
static double *lat;
static long latCap, latN;
static long logins, loginsAll, errors;
static int phase; /* 0 warm-up, 1 measure, 2 drain */
static double tStart, tMeasure, tEnd;
static long errKinds[8];
static const char *errNames[8] = {"connect", "io", "eof", "err_packet", "protocol", "timeout", "tls", "rsa"};
static char firstError[256];
static unsigned char *cachedPem;
static size_t cachedPemLen;
static EVP_PKEY *cachedKey;
static long seqUser;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double rusageSeconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double serverCpuSeconds(void) {
    if (!optServerPid) return 0;
    /* The server process's CPU clock (all its threads, in nanoseconds; Linux
     * lets any process read another's). /proc/<pid>/stat counts in clock
     * ticks (10 ms), about 2 % of a half-second slice: the fallback. */
    clockid_t clock;
    struct timespec ts;
    if (clock_getcpuclockid(optServerPid, &clock) == 0 && clock_gettime(clock, &ts) == 0)
        return ts.tv_sec + ts.tv_nsec / 1e9;
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", optServerPid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    /* fields after ")": 3=state ... 14=utime 15=stime */
    unsigned long long utime = 0, stime = 0;
    int field = 2;
    char *tok = strtok(p + 1, " ");
    while (tok) {
        field++;
        if (field == 14) utime = strtoull(tok, NULL, 10);
        if (field == 15) { stime = strtoull(tok, NULL, 10); break; }
        tok = strtok(NULL, " ");
    }
    return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

static void recordError(int kind, const char *msg) {
    if (phase == 1) {
        errors++;
        errKinds[kind]++;
    }
    if (!firstError[0]) snprintf(firstError, sizeof firstError, "%s: %s", errNames[kind], msg);
}

static void startConnection(conn_t *c);

static void closeConn(conn_t *c) {
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd); /* also removes it from epoll */
        c->fd = -1;
    }
    c->state = ST_FREE;
}

static void failConn(conn_t *c, int kind, const char *msg) {
    recordError(kind, msg);
    closeConn(c);
}

static void setInterest(conn_t *c, int out) {
    struct epoll_event ev;
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->wantOut = out;
}

/* Write what is pending; returns -1 on a fatal error. */
static int flushWrites(conn_t *c) {
    while (c->woff < c->wlen) {
        ssize_t n;
        if (c->ssl) {
            n = SSL_write(c->ssl, c->wbuf + c->woff, (int)(c->wlen - c->woff));
            if (n <= 0) {
                int e = SSL_get_error(c->ssl, (int)n);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    if (!c->wantOut) setInterest(c, 1);
                    return 0;
                }
                return -1;
            }
        } else {
            n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    if (!c->wantOut) setInterest(c, 1);
                    return 0;
                }
                return -1;
            }
        }
        c->woff += (size_t)n;
    }
    c->woff = c->wlen = 0;
    if (c->wantOut) setInterest(c, 0);
    return 0;
}

static int sendPacket(conn_t *c, const unsigned char *payload, size_t len) {
    if (c->wlen + 4 + len > WBUF) return -1;
    unsigned char *p = c->wbuf + c->wlen;
    p[0] = len & 0xff;
    p[1] = (len >> 8) & 0xff;
    p[2] = (len >> 16) & 0xff;
    p[3] = (unsigned char)c->seq;
    memcpy(p + 4, payload, len);
    c->wlen += 4 + len;
    c->seq = (c->seq + 1) & 0xff;
    return flushWrites(c);
}

static void sha1(const unsigned char *d, size_t n, unsigned char *out) { SHA1(d, n, out); }
static void sha256(const unsigned char *d, size_t n, unsigned char *out) { SHA256(d, n, out); }

static size_t nativeScramble(const unsigned char *nonce, unsigned char *out) {
    size_t pl = strlen(optPassword);
    if (!pl) return 0;
    unsigned char s1[20], s2[20], buf[40], s3[20];
    sha1((const unsigned char *)optPassword, pl, s1);
    sha1(s1, 20, s2);
    memcpy(buf, nonce, 20);
    memcpy(buf + 20, s2, 20);
    sha1(buf, 40, s3);
    for (int i = 0; i < 20; i++) out[i] = s1[i] ^ s3[i];
    return 20;
}

static size_t sha2Scramble(const unsigned char *nonce, unsigned char *out) {
    size_t pl = strlen(optPassword);
    if (!pl) return 0;
    unsigned char s1[32], s2[32], buf[52], s3[32];
    sha256((const unsigned char *)optPassword, pl, s1);
    sha256(s1, 32, s2);
    memcpy(buf, s2, 32);
    memcpy(buf + 32, nonce, 20);
    sha256(buf, 52, s3);
    for (int i = 0; i < 32; i++) out[i] = s1[i] ^ s3[i];
    if (optSha2Full) out[0] ^= 0xff; /* a wrong scramble: the fast check fails, full auth follows */
    return 32;
}

static int pluginByName(const char *name) {
    if (!strcmp(name, "mysql_native_password")) return P_NATIVE;
    if (!strcmp(name, "caching_sha2_password")) return P_SHA2;
    if (!strcmp(name, "sha256_password")) return P_SHA256;
    return P_OTHER;
}

static const char *pluginName(int p) {
    switch (p) {
    case P_NATIVE: return "mysql_native_password";
    case P_SHA2: return "caching_sha2_password";
    case P_SHA256: return "sha256_password";
    }
    return "";
}

/* The first data a client plugin sends for a nonce. */
static size_t initialAuthData(conn_t *c, int plugin, unsigned char *out) {
    size_t pl = strlen(optPassword);
    switch (plugin) {
    case P_NATIVE: return nativeScramble(c->nonce, out);
    case P_SHA2: c->sha2State = 0; return sha2Scramble(c->nonce, out);
    case P_SHA256:
        if (!pl) return 0;
        if (c->ssl) { memcpy(out, optPassword, pl + 1); return pl + 1; }
        out[0] = 1; /* request the public key */
        return 1;
    }
    return 0;
}

static size_t putLenenc(unsigned char *p, size_t n) {
    if (n < 251) { p[0] = (unsigned char)n; return 1; }
    p[0] = 0xfc; p[1] = n & 0xff; p[2] = (n >> 8) & 0xff;
    return 3;
}

static size_t putLenencStr(unsigned char *p, const char *s) {
    size_t n = strlen(s), k = putLenenc(p, n);
    memcpy(p + k, s, n);
    return k + n;
}

static void currentUser(conn_t *c, char *out, size_t cap) {
    if (strstr(optUser, "%d")) snprintf(out, cap, optUser, c->userIndex);
    else snprintf(out, cap, "%s", optUser);
}

static int sendHandshakeResponse(conn_t *c) {
    unsigned char p[1024];
    size_t n = 0;
    uint32_t caps = CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS |
                    CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH |
                    CLIENT_PLUGIN_AUTH_LENENC | (optAttrs ? CLIENT_CONNECT_ATTRS : 0);
    caps &= c->serverCaps | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION;
    if (c->ssl) caps |= CLIENT_SSL;
    p[n++] = caps & 0xff; p[n++] = (caps >> 8) & 0xff; p[n++] = (caps >> 16) & 0xff; p[n++] = (caps >> 24) & 0xff;
    p[n++] = 0; p[n++] = 0; p[n++] = 0; p[n++] = 1; /* max packet 16 MiB */
    p[n++] = 45;                                    /* utf8mb4_general_ci */
    memset(p + n, 0, 23); n += 23;
    char user[128];
    currentUser(c, user, sizeof user);
    size_t ul = strlen(user);
    memcpy(p + n, user, ul + 1); n += ul + 1;
    unsigned char auth[600];
    c->plugin = optPlugin;
    size_t al = initialAuthData(c, optPlugin, auth);
    if (caps & CLIENT_PLUGIN_AUTH_LENENC) n += putLenenc(p + n, al);
    else p[n++] = (unsigned char)al;
    memcpy(p + n, auth, al); n += al;
    if (caps & CLIENT_PLUGIN_AUTH) {
        const char *pn = pluginName(optPlugin);
        size_t l = strlen(pn);
        memcpy(p + n, pn, l + 1); n += l + 1;
    }
    if (caps & CLIENT_CONNECT_ATTRS) {
        /* What libmysqlclient sends, more or less. */
        unsigned char attrs[256];
        size_t a = 0;
        char pid[16];
        snprintf(pid, sizeof pid, "%d", (int)getpid());
        a += putLenencStr(attrs + a, "_client_name"); a += putLenencStr(attrs + a, "libmysql");
        a += putLenencStr(attrs + a, "_client_version"); a += putLenencStr(attrs + a, "8.0.36");
        a += putLenencStr(attrs + a, "_os"); a += putLenencStr(attrs + a, "Linux");
        a += putLenencStr(attrs + a, "_platform"); a += putLenencStr(attrs + a, "x86_64");
        a += putLenencStr(attrs + a, "_pid"); a += putLenencStr(attrs + a, pid);
        a += putLenencStr(attrs + a, "program_name"); a += putLenencStr(attrs + a, "loadgen");
        n += putLenenc(p + n, a);
        memcpy(p + n, attrs, a); n += a;
    }
    return sendPacket(c, p, n);
}

static EVP_PKEY *publicKeyFor(const unsigned char *pem, size_t len) {
    if (cachedKey && len == cachedPemLen && !memcmp(pem, cachedPem, len)) return cachedKey;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!key) return NULL;
    if (cachedKey) EVP_PKEY_free(cachedKey);
    free(cachedPem);
    cachedPem = malloc(len);
    memcpy(cachedPem, pem, len);
    cachedPemLen = len;
    cachedKey = key;
    return key;
}

static int sendEncryptedPassword(conn_t *c, const unsigned char *pem, size_t pemLen) {
    EVP_PKEY *key = publicKeyFor(pem, pemLen);
    if (!key) return -2;
    size_t pl = strlen(optPassword);
    unsigned char plain[512];
    if (pl + 1 > sizeof plain) return -2;
    memcpy(plain, optPassword, pl + 1);
    for (size_t i = 0; i <= pl; i++) plain[i] ^= c->nonce[i % 20];
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    unsigned char out[1024];
    size_t outLen = sizeof out;
    int ok = ctx && EVP_PKEY_encrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
             EVP_PKEY_encrypt(ctx, out, &outLen, plain, pl + 1) > 0;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) return -2;
    return sendPacket(c, out, outLen);
}

static void loginDone(conn_t *c) {
    double t = now();
    loginsAll++;
    if (phase == 1) {
        logins++;
        if (latN < latCap) lat[latN++] = (t - c->t0) * 1000.0;
    }
    unsigned char quit = 0x01;
    c->seq = 0;
    c->state = ST_QUIT;
    c->quitAt = t;
    if (sendPacket(c, &quit, 1) < 0) closeConn(c);
}

/* One complete packet. Returns -1 when the connection was closed. */
static int handlePacket(conn_t *c, unsigned char *pl, size_t len, int seq) {
    c->seq = (seq + 1) & 0xff;
    if (c->state == ST_GREETING) {
        if (len < 1 || pl[0] == 0xff) { failConn(c, 3, "error instead of greeting"); return -1; }
        if (pl[0] != 10) { failConn(c, 4, "not a HandshakeV10"); return -1; }
        size_t i = 1;
        while (i < len && pl[i]) i++;
        i++;           /* version */
        i += 4;        /* connection id */
        if (i + 8 + 1 + 2 > len) { failConn(c, 4, "short greeting"); return -1; }
        memcpy(c->nonce, pl + i, 8);
        i += 9;
        uint32_t caps = pl[i] | (pl[i + 1] << 8);
        i += 2;
        if (i + 1 + 2 + 2 + 1 + 10 + 12 <= len) {
            i += 3; /* charset, status */
            caps |= (uint32_t)(pl[i] | (pl[i + 1] << 8)) << 16;
            i += 2;
            i += 1 + 10; /* auth data length, reserved */
            memcpy(c->nonce + 8, pl + i, 12);
        }
        c->serverCaps = caps;
        if (optTLS) {
            if (!(caps & CLIENT_SSL)) { failConn(c, 6, "server offers no TLS"); return -1; }
            unsigned char req[32];
            uint32_t cc = (CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS |
                           CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH |
                           CLIENT_PLUGIN_AUTH_LENENC | (optAttrs ? CLIENT_CONNECT_ATTRS : 0)) &
                          (caps | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION);
            cc |= CLIENT_SSL;
            memset(req, 0, sizeof req);
            req[0] = cc & 0xff; req[1] = (cc >> 8) & 0xff; req[2] = (cc >> 16) & 0xff; req[3] = (cc >> 24) & 0xff;
            req[7] = 1;
            req[8] = 45;
            if (sendPacket(c, req, 32) < 0) { failConn(c, 1, "write SSLRequest"); return -1; }
            c->ssl = SSL_new(sslctx);
            SSL_set_fd(c->ssl, c->fd);
            SSL_set_connect_state(c->ssl);
            c->state = ST_TLS;
            return 1; /* the caller drives the handshake */
        }
        c->state = ST_AUTH;
        if (sendHandshakeResponse(c) < 0) { failConn(c, 1, "write response"); return -1; }
        return 0;
    }
    if (c->state == ST_AUTH) {
        if (len < 1) { failConn(c, 4, "empty packet"); return -1; }
        if (pl[0] == 0x00) { loginDone(c); return 0; }
        if (pl[0] == 0xff) {
            char msg[200];
            size_t m = len > 150 ? 150 : len;
            snprintf(msg, sizeof msg, "%u %.*s", pl[1] | (pl[2] << 8), (int)(m > 3 ? m - 3 : 0), pl + 3);
            failConn(c, 3, msg);
            return -1;
        }
        if (pl[0] == 0xfe) { /* AuthSwitchRequest */
            size_t i = 1;
            while (i < len && pl[i]) i++;
            char name[64];
            size_t nl = i - 1 < 63 ? i - 1 : 63;
            memcpy(name, pl + 1, nl);
            name[nl] = 0;
            i++;
            if (len - i >= 20) memcpy(c->nonce, pl + i, 20);
            c->plugin = pluginByName(name);
            if (c->plugin == P_OTHER) { failConn(c, 4, name); return -1; }
            unsigned char auth[600];
            size_t al = initialAuthData(c, c->plugin, auth);
            if (sendPacket(c, auth, al) < 0) { failConn(c, 1, "write switch response"); return -1; }
            return 0;
        }
        if (pl[0] == 0x01) { /* AuthMoreData */
            int secure = c->ssl != NULL || addrFamily == AF_UNIX;
            if (c->plugin == P_SHA2 && len == 2 && pl[1] == 3) return 0; /* fast auth OK; the OK follows */
            if (c->plugin == P_SHA2 && len == 2 && pl[1] == 4) {
                size_t plen = strlen(optPassword);
                if (secure) {
                    if (sendPacket(c, (const unsigned char *)optPassword, plen + 1) < 0) { failConn(c, 1, "write"); return -1; }
                } else {
                    unsigned char req = 2;
                    c->sha2State = 1;
                    if (sendPacket(c, &req, 1) < 0) { failConn(c, 1, "write"); return -1; }
                }
                return 0;
            }
            if (c->plugin == P_SHA2 || c->plugin == P_SHA256) { /* the public key */
                int r = sendEncryptedPassword(c, pl + 1, len - 1);
                if (r == -2) { failConn(c, 7, "bad public key"); return -1; }
                if (r < 0) { failConn(c, 1, "write"); return -1; }
                return 0;
            }
            failConn(c, 4, "unexpected AuthMoreData");
            return -1;
        }
        failConn(c, 4, "unexpected packet");
        return -1;
    }
    if (c->state == ST_QUIT) return 0; /* ignore */
    failConn(c, 4, "packet in wrong state");
    return -1;
}

static int driveTLS(conn_t *c) {
    int r = SSL_connect(c->ssl);
    if (r == 1) {
        c->state = ST_AUTH;
        if (sendHandshakeResponse(c) < 0) { failConn(c, 1, "write response"); return -1; }
        return 0;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) { if (c->wantOut) setInterest(c, 0); return 0; }
    if (e == SSL_ERROR_WANT_WRITE) { if (!c->wantOut) setInterest(c, 1); return 0; }
    char msg[160];
    ERR_error_string_n(ERR_get_error(), msg, sizeof msg);
    failConn(c, 6, msg);
    return -1;
}

static void onReadable(conn_t *c) {
    for (;;) {
        ssize_t n;
        if (c->rlen == RBUF) { failConn(c, 4, "packet too large"); return; }
        if (c->ssl && c->state != ST_TLS) {
            n = SSL_read(c->ssl, c->rbuf + c->rlen, (int)(RBUF - c->rlen));
            if (n <= 0) {
                int e = SSL_get_error(c->ssl, (int)n);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
                n = 0; /* EOF or error */
                if (c->state != ST_QUIT) { failConn(c, e == SSL_ERROR_ZERO_RETURN ? 2 : 6, "tls read"); return; }
                closeConn(c);
                return;
            }
        } else {
            n = read(c->fd, c->rbuf + c->rlen, RBUF - c->rlen);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) return;
                if (c->state == ST_QUIT) { closeConn(c); return; }
                failConn(c, c->state == ST_GREETING && errno == ECONNREFUSED ? 0 : 1, strerror(errno));
                return;
            }
            if (n == 0) {
                if (c->state == ST_QUIT) { closeConn(c); return; }
                failConn(c, 2, "server closed the connection");
                return;
            }
        }
        size_t got = (size_t)n, room = RBUF - c->rlen;
        c->rlen += got;
        size_t off = 0;
        while (c->rlen - off >= 4) {
            size_t plen = c->rbuf[off] | (c->rbuf[off + 1] << 8) | (c->rbuf[off + 2] << 16);
            if (c->rlen - off < 4 + plen) break;
            int r = handlePacket(c, c->rbuf + off + 4, plen, c->rbuf[off + 3]);
            if (r < 0) return;
            off += 4 + plen;
            if (r == 1) { /* TLS starts: anything after the greeting is TLS */
                memmove(c->rbuf, c->rbuf + off, c->rlen - off);
                c->rlen -= off;
                driveTLS(c);
                return;
            }
        }
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
        if (c->state == ST_TLS || c->state == ST_FREE) return;
        /* A plain socket that filled less than the buffer has been drained:
         * level-triggered epoll reports it again if more arrives. */
        if (!c->ssl && got < room) return;
    }
}

static void startConnection(conn_t *c) {
    c->rlen = c->wlen = c->woff = 0;
    c->seq = 0;
    c->ssl = NULL;
    c->wantOut = 0;
    c->userIndex = (int)(seqUser++ % optUsers);
    c->t0 = now();
    int fd = socket(addrFamily, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { recordError(0, strerror(errno)); c->state = ST_FREE; return; }
    if (addrFamily == AF_INET) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    c->fd = fd;
    struct epoll_event ev;
    ev.data.ptr = c;
    int r = connect(fd, (struct sockaddr *)&addr, addrlen);
    if (r < 0 && errno == EAGAIN) { /* a full UNIX backlog: try again on the next turn */
        close(fd);
        c->fd = -1;
        c->state = ST_FREE;
        return;
    }
    if (r < 0 && errno != EINPROGRESS) {
        char msg[100];
        snprintf(msg, sizeof msg, "%s", strerror(errno));
        failConn(c, 0, msg);
        return;
    }
    /* Whether connect() finished or is in progress, the next thing to come
     * is the greeting: wait for it (a failed connect shows as EPOLLERR or
     * EPOLLHUP, and the read then says why). One epoll_ctl per connection. */
    (void)r;
    c->state = ST_GREETING;
    ev.events = EPOLLIN;
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void onWritable(conn_t *c) {
    if (c->state == ST_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) { failConn(c, 0, strerror(err)); return; }
        c->state = ST_GREETING;
        setInterest(c, 0);
        return;
    }
    if (c->state == ST_TLS) { driveTLS(c); return; }
    if (flushWrites(c) < 0) failConn(c, 1, "write");
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen (--tcp HOST:PORT | --unix PATH) --user NAME[%%d] [--users N] --password PW\n"
            "  [--plugin native|sha2|sha256] [--tls] [--sha2-full] [--concurrency N]\n"
            "  [--duration S] [--warmup S] [--max-logins N] [--server-pid PID] [--no-attrs]\n");
    exit(2);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define ARG (i + 1 < argc ? argv[++i] : (usage(), ""))
        if (!strcmp(a, "--tcp")) optTcp = ARG;
        else if (!strcmp(a, "--unix")) optUnix = ARG;
        else if (!strcmp(a, "--user")) optUser = ARG;
        else if (!strcmp(a, "--users")) optUsers = atoi(ARG);
        else if (!strcmp(a, "--password")) optPassword = ARG;
        else if (!strcmp(a, "--plugin")) {
            const char *p = ARG;
            optPlugin = !strcmp(p, "native") ? P_NATIVE : !strcmp(p, "sha2") ? P_SHA2 : !strcmp(p, "sha256") ? P_SHA256 : -1;
            if (optPlugin < 0) usage();
        } else if (!strcmp(a, "--tls")) optTLS = 1;
        else if (!strcmp(a, "--sha2-full")) optSha2Full = 1;
        else if (!strcmp(a, "--no-attrs")) optAttrs = 0;
        else if (!strcmp(a, "--concurrency")) optConc = atoi(ARG);
        else if (!strcmp(a, "--duration")) optDuration = atof(ARG);
        else if (!strcmp(a, "--warmup")) optWarmup = atof(ARG);
        else if (!strcmp(a, "--max-logins")) optMaxLogins = atol(ARG);
        else if (!strcmp(a, "--server-pid")) optServerPid = atoi(ARG);
        else if (!strcmp(a, "--login-timeout")) optLoginTimeout = atof(ARG);
        else usage();
    }
    if ((!optTcp && !optUnix) || optConc < 1 || optConc > 4096 || optUsers < 1 || optDuration <= 0 ||
        optDuration > 600 || optWarmup < 0 || optWarmup > 60)
        usage();
    signal(SIGPIPE, SIG_IGN);

    memset(&addr, 0, sizeof addr);
    if (optUnix) {
        struct sockaddr_un *un = (struct sockaddr_un *)&addr;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof un->sun_path, "%s", optUnix);
        addrlen = sizeof *un;
        addrFamily = AF_UNIX;
    } else {
        char host[128];
        snprintf(host, sizeof host, "%s", optTcp);
        char *colon = strrchr(host, ':');
        if (!colon) usage();
        *colon = 0;
        struct sockaddr_in *in = (struct sockaddr_in *)&addr;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1) usage();
        /* Loopback only: this benchmark never sends traffic elsewhere. */
        if ((ntohl(in->sin_addr.s_addr) >> 24) != 127) {
            fprintf(stderr, "loadgen: refusing a non-loopback address\n");
            return 2;
        }
        addrlen = sizeof *in;
        addrFamily = AF_INET;
    }

    sslctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(sslctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(sslctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(sslctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    latCap = 4000000;
    lat = malloc(sizeof(double) * latCap);
    conns = calloc((size_t)optConc, sizeof(conn_t));
    epfd = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < optConc; i++) conns[i].fd = -1;

    tStart = now();
    phase = optWarmup > 0 ? 0 : 1;
    double cpu0 = 0, srv0 = 0, cpu1 = 0, srv1 = 0;
    if (phase == 1) { tMeasure = tStart; cpu0 = rusageSeconds(); srv0 = serverCpuSeconds(); }
    for (int i = 0; i < optConc; i++) startConnection(&conns[i]);

    struct epoll_event events[256];
    double drainUntil = 0;
    for (;;) {
        int n = epoll_wait(epfd, events, 256, 20);
        for (int k = 0; k < n; k++) {
            conn_t *c = events[k].data.ptr;
            if (c->state == ST_FREE) continue;
            uint32_t ev = events[k].events;
            if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP) && (c->state == ST_CONNECTING || c->wantOut)) onWritable(c);
            if (c->state != ST_FREE && c->state != ST_CONNECTING && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
                if (c->state == ST_TLS) driveTLS(c);
                else onReadable(c);
            }
        }
        double t = now();
        if (phase == 0 && t - tStart >= optWarmup) {
            phase = 1;
            tMeasure = t;
            cpu0 = rusageSeconds();
            srv0 = serverCpuSeconds();
        } else if (phase == 1 && (t - tMeasure >= optDuration || logins >= optMaxLogins ||
                                  (errors >= 1000 && errors > logins))) {
            phase = 2;
            tEnd = t;
            cpu1 = rusageSeconds();
            srv1 = serverCpuSeconds();
            drainUntil = t + 5.0;
        }
        int busy = 0;
        for (int i = 0; i < optConc; i++) {
            conn_t *c = &conns[i];
            if (c->state != ST_FREE) {
                if (c->state == ST_QUIT ? t - c->quitAt > 2.0 : t - c->t0 > optLoginTimeout) {
                    if (c->state == ST_QUIT) closeConn(c);
                    else failConn(c, 5, "login timed out");
                }
            }
            if (c->state == ST_FREE && phase < 2) startConnection(c);
            if (c->state != ST_FREE) busy++;
        }
        if (phase == 2 && (!busy || t > drainUntil)) break;
    }
    for (int i = 0; i < optConc; i++) if (conns[i].state != ST_FREE) closeConn(&conns[i]);

    double elapsed = tEnd - tMeasure;
    qsort(lat, (size_t)latN, sizeof(double), cmpd);
    double p50 = latN ? lat[(long)(0.50 * (latN - 1))] : 0;
    double p90 = latN ? lat[(long)(0.90 * (latN - 1))] : 0;
    double p99 = latN ? lat[(long)(0.99 * (latN - 1))] : 0;
    double mx = latN ? lat[latN - 1] : 0, sum = 0;
    for (long i = 0; i < latN; i++) sum += lat[i];
    double genCpu = cpu1 - cpu0, srvCpu = srv1 - srv0;
    printf("{\"logins\": %ld, \"errors\": %ld, \"elapsed_s\": %.4f, \"logins_per_s\": %.2f, "
           "\"p50_ms\": %.4f, \"p90_ms\": %.4f, \"p99_ms\": %.4f, \"mean_ms\": %.4f, \"max_ms\": %.4f, "
           "\"gen_cpu_s\": %.4f, \"gen_cpu_frac\": %.4f, ",
           logins, errors, elapsed, elapsed > 0 ? logins / elapsed : 0, p50, p90, p99, latN ? sum / latN : 0, mx,
           genCpu, elapsed > 0 ? genCpu / elapsed : 0);
    if (optServerPid)
        printf("\"server_cpu_s\": %.4f, \"server_cpu_frac\": %.4f, \"server_cpu_ms_per_login\": %.5f, ", srvCpu,
               elapsed > 0 ? srvCpu / elapsed : 0, logins ? srvCpu * 1000.0 / logins : 0);
    printf("\"error_kinds\": {");
    int first = 1;
    for (int k = 0; k < 8; k++)
        if (errKinds[k]) { printf("%s\"%s\": %ld", first ? "" : ", ", errNames[k], errKinds[k]); first = 0; }
    printf("}, \"first_error\": \"");
    for (char *p = firstError; *p; p++) {
        if (*p == '"' || *p == '\\') putchar('\\');
        if ((unsigned char)*p >= 32) putchar(*p);
    }
    printf("\", \"concurrency\": %d, \"warmup_logins\": %ld}\n", optConc, loginsAll - logins);
    return 0;
}
