/* Scoreboard viewers for the recovery benchmark, in C: bench_recovery.py runs this with
 * --viewers-impl c, and builds it with cc -O2 if it is missing or older than this file.
 *
 *     crecovery HOST PORT COUNT
 *
 * Each viewer does what bench/leanviewers.py's LeanViewer does, which is what the shipped
 * judging.client.Client does on the wire: a hello naming the lineage and the seq it holds once
 * it has a state, a snapshot or a resume in return, then updates (it keeps the seq and nothing
 * else); after a lost connection (or a refused connect, or no upgrade within 5 s) it waits
 * judging.client.retry_delay and tries again. It notes when it was in sync with a server of a
 * new epoch (TIME in seconds of CLOCK_MONOTONIC, Python's time.monotonic).
 *
 * Prints "connected COUNT" once every viewer holds a snapshot; a line "report" on stdin prints
 * one JSON line, as bench/leanviewers.py does ({"stamps": [[[TIME, EPOCH], ...] per viewer],
 * "unacked": 0, "resumes": R, "snapshots": S, "unsynced": U}), and exits.
 *
 * Why C: a thousand viewers reconnecting at once cost the load generator, in Python, CPU the
 * restarted server needs on the same two cores; the hall's screens are machines of their own.
 * Frames, handshake and the all-zero mask as in bench/cviewers.c. Run by hand; not a test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wsclient.h"

#define QUICK_RETRIES 2.0          /* judging.client.QUICK_RETRIES */
#define BACKOFF_LOW 0.1            /* judging.client.Client's default backoff */
#define BACKOFF_HIGH 5.0
#define OPEN_TIMEOUT 5.0           /* leanviewers: asyncio.timeout(5) around the upgrade */
#define BATCH 50                   /* first connects, as leanviewers: 50 at a time */
#define STARTUP_TIMEOUT 120.0
#define BIG_BUF (256 * 1024)       /* a buffer larger than this is freed once empty */
#define NEVER 1e300

enum { NEW, IDLE, CONNECTING, UPGRADING, OPEN };

typedef struct { double t; char epoch[24]; } Mark;

typedef struct {
    int fd, state, has_state, synced, ever_open;
    long seq;
    double lost_at;  /* < 0: not lost */
    double at;       /* IDLE: the next try; CONNECTING, UPGRADING: the deadline */
    char lineage[72], epoch[24];
    unsigned char *buf; size_t len, cap;
    Mark *m; size_t nm, cm;
    long resumes, snapshots;
} Viewer;

static int ep, port;
static struct sockaddr_in addr;
static char req[512];
static int reqlen;
static Viewer *vs;
static int count;

/* The string value of KEY ("\"key\":\""), copied into out; 0 if absent or too long. */
static int str_of(const unsigned char *p, size_t n, const char *key, char *out, size_t size) {
    size_t k = strlen(key);
    const unsigned char *s = memmem(p, n, key, k);
    if (!s) return 0;
    s += k;
    const unsigned char *e = memchr(s, '"', n - (s - p));
    if (!e || (size_t)(e - s) >= size) return 0;
    memcpy(out, s, e - s);
    out[e - s] = 0;
    return 1;
}

/* judging.client.retry_delay with the default backoff. */
static double retry_delay(double lost_for) {
    double wait = BACKOFF_LOW;
    if (lost_for >= QUICK_RETRIES) {
        wait = (lost_for - QUICK_RETRIES) / 2;
        if (wait < BACKOFF_LOW) wait = BACKOFF_LOW;
        if (wait > BACKOFF_HIGH) wait = BACKOFF_HIGH;
    }
    return wait * (0.5 + drand48() / 2);
}

static void in_sync(Viewer *v, const char *epoch) {
    v->synced = 1;
    if (strcmp(epoch, v->epoch)) {
        snprintf(v->epoch, sizeof v->epoch, "%s", epoch);
        v->m = grow(v->m, &v->cm, v->nm + 1, sizeof *v->m);
        v->m[v->nm].t = now();
        snprintf(v->m[v->nm].epoch, sizeof v->m[v->nm].epoch, "%s", epoch);
        v->nm++;
    }
}

static void on_text(Viewer *v, const unsigned char *p, size_t n) {
    static const char UPD[] = "{\"type\":\"update\"", WEL[] = "{\"type\":\"welcome\"", SNAP[] = "{\"type\":\"snapshot\"";
    char epoch[24] = "";
    if (n >= sizeof UPD - 1 && !memcmp(p, UPD, sizeof UPD - 1)) {
        v->seq = seq_of(p, n);
    } else if (n >= sizeof WEL - 1 && !memcmp(p, WEL, sizeof WEL - 1)) {
        if (!str_of(p, n, "\"lineage\":\"", v->lineage, sizeof v->lineage)) v->lineage[0] = 0;
        if (memmem(p, n, "\"resumed\":true", 14)) {
            v->resumes++;
            str_of(p, n, "\"epoch\":\"", epoch, sizeof epoch);
            in_sync(v, epoch);
        }
    } else if (n >= sizeof SNAP - 1 && !memcmp(p, SNAP, sizeof SNAP - 1)) {
        /* {"type":"snapshot","epoch":...,"seq":N,"state":...}: the first "seq" is its own */
        v->seq = seq_of(p, n);
        v->has_state = 1;
        v->snapshots++;
        str_of(p, n, "\"epoch\":\"", epoch, sizeof epoch);
        in_sync(v, epoch);
    }
}

/* The connection is gone, or a try failed: wait retry_delay from when it was lost. */
static void lost(Viewer *v) {
    if (v->fd >= 0) close(v->fd);  /* close takes it out of the epoll set */
    v->fd = -1;
    v->state = IDLE;
    v->synced = 0;
    v->len = 0;
    if (v->cap > BIG_BUF) { free(v->buf); v->buf = NULL; v->cap = 0; }
    double t = now();
    if (v->lost_at < 0) v->lost_at = t;
    v->at = t + retry_delay(t - v->lost_at);
}

static void try_connect(Viewer *v, uint32_t i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) { perror("socket"); exit(1); }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    v->fd = fd;
    v->at = now() + OPEN_TIMEOUT;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        send_all(fd, req, reqlen);
        v->state = UPGRADING;
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    } else if (errno == EINPROGRESS) {
        v->state = CONNECTING;
        struct epoll_event e = {.events = EPOLLOUT, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    } else {
        lost(v);  /* refused at once */
    }
}

static void connected(Viewer *v, uint32_t i) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(v->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) { lost(v); return; }
    send_all(v->fd, req, reqlen);
    v->state = UPGRADING;
    v->at = now() + OPEN_TIMEOUT;
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
    epoll_ctl(ep, EPOLL_CTL_MOD, v->fd, &e);
}

static void hello(Viewer *v, uint32_t i) {
    char msg[256];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"hello\",\"protocol\":1,\"client\":\"crec-%d-%u\"", (int)getpid(), i);
    if (v->lineage[0] && v->has_state) n += snprintf(msg + n, sizeof msg - n, ",\"lineage\":\"%s\",\"since\":%ld", v->lineage, v->seq);
    n += snprintf(msg + n, sizeof msg - n, "}");
    send_frame(v->fd, 1, (const unsigned char *)msg, n);
}

/* Split whole frames off the buffer; returns -1 once the connection should close. */
static int on_bytes(Viewer *v, uint32_t i) {
    size_t pos = 0;
    if (v->state == UPGRADING) {
        unsigned char *end = memmem(v->buf, v->len, "\r\n\r\n", 4);
        if (!end) return 0;
        if (v->len < 12 || memcmp(v->buf + 8, " 101", 4)) return -1;
        v->state = OPEN;
        v->ever_open = 1;
        v->lost_at = -1;
        hello(v, i);
        pos = end + 4 - v->buf;
    }
    size_t start, len;
    while (whole_frame(v->buf + pos, v->len - pos, &start, &len)) {
        unsigned char *b = v->buf + pos;
        int opcode = b[0] & 0x0f;
        if (opcode == 1) on_text(v, b + start, len);
        else if (opcode == 9) send_frame(v->fd, 0xA, b + start, len);
        else if (opcode == 8) return -1;
        pos += start + len;
    }
    memmove(v->buf, v->buf + pos, v->len - pos);
    v->len -= pos;
    if (!v->len && v->cap > BIG_BUF) { free(v->buf); v->buf = NULL; v->cap = 0; }
    return 0;
}

static void on_readable(Viewer *v, uint32_t i) {
    for (;;) {
        v->buf = grow(v->buf, &v->cap, v->len + 65536, 1);
        size_t room = v->cap - v->len;
        ssize_t r = read(v->fd, v->buf + v->len, room);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (r <= 0) { lost(v); return; }
        v->len += r;
        if (on_bytes(v, i) < 0) { lost(v); return; }
        if ((size_t)r < room) return;  /* drained: level-triggered epoll says when there is more */
    }
}

static void report(void) {
    long resumes = 0, snapshots = 0, unsynced = 0;
    printf("{\"stamps\": [");
    for (int i = 0; i < count; i++) {
        Viewer *v = &vs[i];
        printf(i ? ", [" : "[");
        for (size_t k = 0; k < v->nm; k++) printf("%s[%.6f, \"%s\"]", k ? ", " : "", v->m[k].t, v->m[k].epoch);
        printf("]");
        resumes += v->resumes;
        snapshots += v->snapshots;
        unsynced += !v->synced;
    }
    printf("], \"unacked\": 0, \"resumes\": %ld, \"snapshots\": %ld, \"unsynced\": %ld}\n", resumes, snapshots, unsynced);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: crecovery HOST PORT COUNT\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    port = atoi(argv[2]);
    count = atoi(argv[3]);
    if (count <= 0) { fprintf(stderr, "crecovery: COUNT must be positive\n"); return 2; }
    srand48((long)getpid() ^ (long)(now() * 1e6));
    vs = calloc(count, sizeof *vs);
    for (int i = 0; i < count; i++) { vs[i].fd = -1; vs[i].lost_at = -1; vs[i].state = NEW; }
    ep = epoll_create1(0);
    addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) { fprintf(stderr, "crecovery: bad address %s\n", argv[1]); return 2; }
    reqlen = snprintf(req, sizeof req,
                      "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                      argv[1], port);
    struct epoll_event in = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in);
    int launched = 0, said = 0;
    double started = now();
    char line[4096];
    size_t linelen = 0;
    struct epoll_event evs[256];
    for (;;) {
        double t = now();
        if (!said) {
            /* First start: 50 at a time, the next 50 once these all opened (leanviewers). */
            int opened = 0, synced = 0;
            for (int i = 0; i < launched; i++) { opened += vs[i].ever_open; synced += vs[i].synced; }
            if (opened == launched && launched < count) {
                for (int k = 0; k < BATCH && launched < count; k++, launched++) { vs[launched].state = IDLE; vs[launched].at = t; }
            } else if (synced == count) {
                printf("connected %d\n", count);
                fflush(stdout);
                said = 1;
            } else if (t - started > STARTUP_TIMEOUT) {
                printf("not connected: %d of %d opened, %d in sync after %.0f s\n", opened, count, synced, STARTUP_TIMEOUT);
                fflush(stdout);
                return 1;
            }
        }
        /* One pass: start the tries that are due, give up on upgrades past their deadline,
         * and find the next moment something is due. */
        double next = NEVER;
        for (int i = 0; i < count; i++) {
            Viewer *v = &vs[i];
            if (v->state == NEW || v->state == OPEN) continue;
            if (v->at <= t) {
                if (v->state == IDLE) try_connect(v, i);
                else lost(v);  /* no connection or no upgrade within OPEN_TIMEOUT */
            }
            if (v->state != OPEN && v->at < next) next = v->at;
        }
        int timeout = -1;
        if (!said) timeout = 50;  /* the startup checks above */
        if (next < NEVER) {
            double ms = (next - now()) * 1000;
            int due = ms <= 0 ? 0 : ms > 60000 ? 60000 : (int)ms + 1;  /* rounded up: no early wake */
            if (timeout < 0 || due < timeout) timeout = due;
        }
        int n = epoll_wait(ep, evs, 256, timeout);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int k = 0; k < n; k++) {
            uint32_t i = evs[k].data.u32;
            if (i == UINT32_MAX) {  /* stdin: "report" */
                int got = read_line(line, &linelen, sizeof line);
                if (got < 0) return 0;
                if (!got) continue;
                if (!strncmp(line, "report", 6)) report();
                return 0;
            }
            Viewer *v = &vs[i];
            if (v->fd < 0) continue;
            if (v->state == CONNECTING) connected(v, i);
            else on_readable(v, i);
        }
    }
}
