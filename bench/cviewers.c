/* Scoreboard viewers for the venue benchmark, in C: bench/viewers.py runs this when its mode
 * is full-c (bench_live.py --viewers-impl c), and builds it with cc -O2 if it is missing.
 *
 *     cviewers HOST PORT COUNT
 *
 * Connects COUNT websocket viewers (no token), says hello, prints "connected COUNT", then notes
 * when each viewer's socket delivered each update frame that changed something (its seq) and
 * each 亮分 card (its contestant), until "dump PATH" arrives on stdin: it writes what it noted
 * to PATH ("u VIEWER SEQ TIME", "r VIEWER CONTESTANT TIME", "d DROPPED"; TIME in seconds of
 * CLOCK_MONOTONIC, Python's time.monotonic), prints "dumped" and exits.
 *
 * Why C: a thousand viewers in Python cost the load generator more CPU than the server spends
 * sending to them, and on one machine that CPU is the server's. Here a frame costs the load
 * generator a read and a byte search, as the hall's own machines would cost the server nothing.
 * Run by hand; not a test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wsclient.h"

typedef struct { long seq; double t; } Upd;
typedef struct { char cid[24]; double t; } Rev;

typedef struct {
    int fd, open, closed;
    unsigned char *buf; size_t len, cap;
    Upd *u; size_t nu, cu;
    Rev *r; size_t nr, cr;
} Viewer;

static const char HELLO[] = "{\"type\":\"hello\",\"protocol\":1,\"client\":\"bench\"}";

static void on_text(Viewer *v, const unsigned char *p, size_t n, double t) {
    static const char UPD[] = "{\"type\":\"update\"", EMPTY[] = "\"patch\":{}}";
    if (n < sizeof UPD - 1 || memcmp(p, UPD, sizeof UPD - 1)) return;
    if (n >= sizeof EMPTY - 1 && !memcmp(p + n - (sizeof EMPTY - 1), EMPTY, sizeof EMPTY - 1)) return;
    v->u = grow(v->u, &v->cu, v->nu + 1, sizeof *v->u);
    v->u[v->nu++] = (Upd){seq_of(p, n), t};
    const unsigned char *r = memmem(p, n, "\"reveal\":{", 10);
    if (!r) return;
    const unsigned char *c = memmem(r, n - (r - p), "\"contestant\":\"", 14);
    if (!c) return;
    c += 14;
    const unsigned char *e = memchr(c, '"', n - (c - p));
    if (!e || e - c >= 24) return;
    for (size_t i = 0; i < v->nr; i++)
        if (strlen(v->r[i].cid) == (size_t)(e - c) && !memcmp(v->r[i].cid, c, e - c)) return;  /* first arrival */
    v->r = grow(v->r, &v->cr, v->nr + 1, sizeof *v->r);
    memcpy(v->r[v->nr].cid, c, e - c);
    v->r[v->nr].cid[e - c] = 0;
    v->r[v->nr++].t = t;
}

/* Split whole frames off the buffer; returns -1 once the connection should close. */
static int on_bytes(Viewer *v, double t) {
    size_t pos = 0;
    if (!v->open) {
        unsigned char *end = memmem(v->buf, v->len, "\r\n\r\n", 4);
        if (!end) return 0;
        if (v->len < 12 || memcmp(v->buf + 8, " 101", 4)) return -1;
        v->open = 1;
        send_frame(v->fd, 1, (const unsigned char *)HELLO, sizeof HELLO - 1);
        pos = end + 4 - v->buf;
    }
    size_t start, len;
    while (whole_frame(v->buf + pos, v->len - pos, &start, &len)) {
        unsigned char *b = v->buf + pos;
        int opcode = b[0] & 0x0f;
        if (opcode == 1) on_text(v, b + start, len, t);
        else if (opcode == 9) send_frame(v->fd, 0xA, b + start, len);
        else if (opcode == 8) return -1;
        pos += start + len;
    }
    memmove(v->buf, v->buf + pos, v->len - pos);
    v->len -= pos;
    return 0;
}

static void dump(Viewer *vs, int count, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); exit(2); }
    int dropped = 0;
    for (int i = 0; i < count; i++) {
        Viewer *v = &vs[i];
        dropped += v->closed;
        for (size_t k = 0; k < v->nu; k++) fprintf(f, "u %d %ld %.6f\n", i, v->u[k].seq, v->u[k].t);
        for (size_t k = 0; k < v->nr; k++) fprintf(f, "r %d %s %.6f\n", i, v->r[k].cid, v->r[k].t);
    }
    fprintf(f, "d %d\n", dropped);
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: cviewers HOST PORT COUNT\n"); return 2; }
    int port = atoi(argv[2]), count = atoi(argv[3]);
    Viewer *vs = calloc(count, sizeof *vs);
    int ep = epoll_create1(0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, argv[1], &addr.sin_addr);
    char req[512];
    for (int i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("connect"); return 1; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int n = snprintf(req, sizeof req,
                         "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                         argv[1], port);
        send_all(fd, req, n);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        vs[i].fd = fd;
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    }
    struct epoll_event in = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in);
    int opened = 0, said = 0;
    char line[4096];
    size_t linelen = 0;
    struct epoll_event evs[256];
    for (;;) {
        if (!said && opened == count) {
            printf("connected %d\n", count);
            fflush(stdout);
            said = 1;
        }
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int k = 0; k < n; k++) {
            uint32_t i = evs[k].data.u32;
            if (i == UINT32_MAX) {  /* stdin: "dump PATH" */
                int got = read_line(line, &linelen, sizeof line);
                if (got < 0) return 0;
                if (!got) continue;
                if (!strncmp(line, "dump ", 5)) {
                    dump(vs, count, line + 5);
                    printf("dumped\n");
                    fflush(stdout);
                }
                return 0;
            }
            Viewer *v = &vs[i];
            for (;;) {
                v->buf = grow(v->buf, &v->cap, v->len + 65536, 1);
                ssize_t r = read(v->fd, v->buf + v->len, v->cap - v->len);
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
                if (r <= 0) { v->closed = 1; epoll_ctl(ep, EPOLL_CTL_DEL, v->fd, NULL); close(v->fd); break; }
                v->len += r;
                int was = v->open;
                if (on_bytes(v, now()) < 0) { v->closed = 1; epoll_ctl(ep, EPOLL_CTL_DEL, v->fd, NULL); close(v->fd); break; }
                if (!was && v->open) opened++;
            }
        }
    }
}
