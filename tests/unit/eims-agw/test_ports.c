/* eims-agw/ports.h: parked sockets. A released run is parked (bound, connected to itself), gets
 * nothing delivered while parked, comes back oldest first after the quarantine with nothing
 * queued, is taken at any age when the range is used up, and at most park_max runs stay parked.
 * Loopback sockets only (127.0.22.x). */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eims-agw/ports.h"
#include "unit.h"

#define ADDR "127.0.22.1"

static agw_ports_t *pool(uint16_t min, uint16_t max)
{
    agw_addr_t a;
    agw_addr_parse(&a, ADDR, 0);
    return agw_ports_new(&a, min, max);
}

static int sender(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.22.2", &a.sin_addr);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    return fd;
}

static void send_to(int fd, uint16_t port, const char *text)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ADDR, &a.sin_addr);
    sendto(fd, text, strlen(text), 0, (struct sockaddr *)&a, sizeof a);
}

/* the text of the next datagram on fd, "" when none within 100 ms */
static const char *recv_text(int fd)
{
    static char buf[64];
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

TEST(parked_socket_is_deaf_and_comes_back_clean)
{
    agw_ports_t *p = pool(32000, 32009);
    agw_ports_set_parking(p, 0, 16);
    int tx = sender();
    uint16_t port;
    int fd = agw_ports_open_single(p, &port);
    CHECK(fd >= 0);
    CHECK_INT(agw_ports_in_use(p), 1);
    send_to(tx, port, "before-park"); /* queued, unread, when the socket is parked */
    agw_ports_park(p, port, &fd, 1);
    CHECK_INT(agw_ports_in_use(p), 0);
    CHECK_INT(agw_ports_parked(p), 1);
    send_to(tx, port, "while-parked"); /* filtered by the kernel: not ours */
    g_usleep(20000);
    char b[32];
    ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
    CHECK_INT(n, 11); /* "before-park" is still queued, "while-parked" never was */
    CHECK(recv(fd, b, sizeof b, MSG_DONTWAIT) < 0 && errno == EAGAIN);
    send_to(tx, port, "before-reuse"); /* filtered too; the reuse drains whatever is there */
    uint16_t again;
    int fd2 = agw_ports_open_single(p, &again);
    CHECK_INT(fd2, fd); /* the same socket, the same port */
    CHECK_INT(again, port);
    CHECK_INT(agw_ports_parked(p), 0);
    CHECK_STR(recv_text(fd2), ""); /* nothing of the old call left */
    send_to(tx, port, "new-call");
    CHECK_STR(recv_text(fd2), "new-call");
    close(tx);
    agw_ports_park(p, port, &fd2, 1);
    agw_ports_free(p); /* closes what is parked */
}

TEST(quarantine_then_oldest_first)
{
    agw_ports_t *p = pool(32010, 32029);
    agw_ports_set_parking(p, 60000, 16);
    uint16_t a, b, c;
    int fa[2], fb[2];
    CHECK(agw_ports_open_pair(p, &a, fa));
    CHECK(agw_ports_open_pair(p, &b, fb));
    agw_ports_park(p, a, fa, 2);
    agw_ports_park(p, b, fb, 2);
    int fc[2];
    CHECK(agw_ports_open_pair(p, &c, fc)); /* in quarantine: a fresh pair from the scan */
    CHECK(c != a && c != b);
    CHECK_INT(c % 2, 0);
    CHECK_INT(agw_ports_parked(p), 2);
    agw_ports_set_parking(p, 0, 16);
    int fd[2];
    uint16_t d;
    CHECK(agw_ports_open_pair(p, &d, fd)); /* out of quarantine: the oldest parked */
    CHECK_INT(d, a);
    CHECK_INT(fd[0], fa[0]);
    CHECK_INT(fd[1], fa[1]);
    int single;
    uint16_t s;
    single = agw_ports_open_single(p, &s); /* no parked single: the scan */
    CHECK(single >= 0 && s != b && s != b + 1);
    CHECK_INT(agw_ports_parked(p), 1);
    agw_ports_park(p, c, fc, 2);
    agw_ports_park(p, d, fd, 2);
    agw_ports_park(p, s, &single, 1);
    CHECK_INT(agw_ports_in_use(p), 0);
    agw_ports_free(p);
}

TEST(range_used_up_takes_parked_at_any_age_and_park_max)
{
    agw_ports_t *p = pool(32040, 32043); /* two pairs */
    agw_ports_set_parking(p, 60000, 1);
    uint16_t a, b, x;
    int fa[2], fb[2], fx[2];
    CHECK(agw_ports_open_pair(p, &a, fa));
    CHECK(agw_ports_open_pair(p, &b, fb));
    CHECK(!agw_ports_open_pair(p, &x, fx)); /* all in use, nothing parked */
    agw_ports_park(p, a, fa, 2);
    CHECK(agw_ports_open_pair(p, &x, fx)); /* quarantined, but the only one there is */
    CHECK_INT(x, a);
    agw_ports_park(p, x, fx, 2);
    agw_ports_park(p, b, fb, 2); /* park_max 1: the oldest (a) is closed */
    CHECK_INT(agw_ports_parked(p), 1);
    int fd = agw_ports_open_single(p, &x); /* a's ports are free again for the scan */
    CHECK(fd >= 0);
    CHECK(x == a || x == a + 1);
    close(fd);
    agw_ports_release(p, x, 1);
    agw_ports_free(p);
}

int main(void)
{
    RUN(parked_socket_is_deaf_and_comes_back_clean);
    RUN(quarantine_then_oldest_first);
    RUN(range_used_up_takes_parked_at_any_age_and_park_max);
    UNIT_END("eims-agw/ports");
}
