/* What bench/cviewers.c and bench/crecovery.c both need of a websocket client: time, growing
 * buffers, client frames (masked with the all-zero key, so the payload goes as is) and server
 * frames split off a buffer. Header-only: each program is built from its one .c file. */
#ifndef JUDGING_BENCH_WSCLIENT_H
#define JUDGING_BENCH_WSCLIENT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_MONOTONIC in seconds: Python's time.monotonic. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *grow(void *p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    p = realloc(p, c * size);
    if (!p) { perror("realloc"); exit(2); }
    *cap = c;
    return p;
}

static void send_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);  /* a peer gone is an error, not SIGPIPE */
        if (k < 0) { if (errno == EAGAIN || errno == EINTR) continue; return; }
        p += k; n -= (size_t)k;
    }
}

/* A client frame: FIN + opcode, masked with the all-zero key. Only hellos and pongs go out. */
static void send_frame(int fd, int opcode, const unsigned char *payload, size_t n) {
    unsigned char out[16 + 256];
    size_t h = 0;
    if (n > 256) return;
    out[h++] = 0x80 | opcode;
    if (n < 126) out[h++] = 0x80 | n;
    else { out[h++] = 0x80 | 126; out[h++] = n >> 8; out[h++] = n & 0xff; }
    memset(out + h, 0, 4); h += 4;
    memcpy(out + h, payload, n);
    send_all(fd, out, h + n);
}

/* Is a whole server frame at b (avail bytes)? Then its payload starts at *start, *len long. */
static int whole_frame(const unsigned char *b, size_t avail, size_t *start, size_t *len) {
    if (avail < 2) return 0;
    *len = b[1] & 0x7f;
    *start = 2;
    if (*len == 126) {
        if (avail < 4) return 0;
        *len = (b[2] << 8) | b[3];
        *start = 4;
    } else if (*len == 127) {
        if (avail < 10) return 0;
        *len = 0;
        for (int k = 2; k < 10; k++) *len = (*len << 8) | b[k];
        *start = 10;
    }
    return avail >= *start + *len;
}

static long seq_of(const unsigned char *p, size_t n) {
    const unsigned char *s = memmem(p, n, "\"seq\":", 6);
    if (!s) return -1;
    return strtol((const char *)s + 6, NULL, 10);
}

/* Read what stdin has into line (size bytes): 1 once it holds a whole line (its newline cut
 * off; or the buffer is full), 0 if not yet, -1 at end of file. */
static int read_line(char *line, size_t *len, size_t size) {
    ssize_t r = read(0, line + *len, size - 1 - *len);
    if (r <= 0) return -1;
    *len += r;
    line[*len] = 0;
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    return nl || *len >= size - 1;
}

#endif
