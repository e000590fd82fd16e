/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the vhost-user front end against a fake back end, a hostile one included. */
#include <config.h>

#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/virtio/vhost-user.h"
#include "tests/unit/fake-vhost-user.h"

#define PF_WANTED ((1ULL << VHOST_USER_PROTOCOL_F_MQ) |                       \
                   (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK))
/* LOG_SHMFD (1): offered, never taken. */
#define PF_OFFERED (PF_WANTED | (1ULL << 1))

typedef struct {
    FakeVhostUser *fake;
    VhostUser *vu;
} Pair;

static void
pair_open(Pair *p, uint64_t protocol_features)
{
    g_autoptr(GError) error = NULL;
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                    ==, 0);
    p->fake = fake_vhost_user_start_fd(sv[1], 1ULL << 32, protocol_features,
                                       3);
    p->vu = vhost_user_new_fd(sv[0], "_fs0", &error);
    g_assert_no_error(error);
    g_assert_nonnull(p->vu);
}

static void
pair_close(Pair *p)
{
    vhost_user_free(p->vu);
    fake_vhost_user_stop(p->fake);
}

static void
test_handshake(void)
{
    Pair p;
    FakeVhostUserSeen seen;

    pair_open(&p, PF_OFFERED);
    /* Bit 30 is the protocol's, not a device feature. */
    g_assert_cmphex(vhost_user_backend_features(p.vu), ==, 1ULL << 32);
    g_assert_cmphex(vhost_user_protocol_features(p.vu), ==, PF_WANTED);
    g_assert_cmpuint(vhost_user_queue_num(p.vu), ==, 3);
    g_assert_true(vhost_user_set_features(p.vu, 1ULL << 32, NULL));
    fake_vhost_user_seen(p.fake, &seen);
    g_assert_true(seen.owner);
    g_assert_cmphex(seen.protocol_features, ==, PF_WANTED);
    g_assert_cmphex(seen.features, ==,
                    (1ULL << 32) | (1ULL << VHOST_USER_F_PROTOCOL_FEATURES));
    pair_close(&p);
}

/* Without MQ there is no GET_QUEUE_NUM, and without REPLY_ACK no acks. */
static void
test_handshake_minimal(void)
{
    Pair p;

    pair_open(&p, 0);
    g_assert_cmphex(vhost_user_protocol_features(p.vu), ==, 0);
    g_assert_cmpuint(vhost_user_queue_num(p.vu), ==, 0);
    g_assert_true(vhost_user_set_vring_num(p.vu, 0, 128, NULL));
    pair_close(&p);
}

static void
test_mem_table(void)
{
    g_autoptr(GError) error = NULL;
    GuestMemory mem = { .nregions = 1 };
    FakeVhostUserSeen seen;
    Pair p;
    int fd = memfd_create("ram", MFD_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 65536), ==, 0);
    mem.regions[0] = (GuestRegion){
        .gpa = 0, .size = 65536, .fd = fd, .shared = true,
        .hva = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
    };
    pair_open(&p, PF_OFFERED);
    g_assert_true(vhost_user_set_mem_table(p.vu, &mem, &error));
    g_assert_no_error(error);
    fake_vhost_user_seen(p.fake, &seen);
    g_assert_cmpuint(seen.nregions, ==, 1);
    g_assert_cmpuint(seen.nregion_fds, ==, 1);

    /* Private memory: the back end would never see the guest's writes. */
    mem.regions[0].shared = false;
    g_assert_false(vhost_user_set_mem_table(p.vu, &mem, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "shared=on"));
    pair_close(&p);
    munmap(mem.regions[0].hva, 65536);
    close(fd);
}

static void
test_vring(void)
{
    g_autoptr(GError) error = NULL;
    FakeVhostUserSeen seen;
    Pair p;
    unsigned base = 0;
    int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);
    uint64_t v;

    pair_open(&p, PF_OFFERED);
    g_assert_true(vhost_user_set_vring_num(p.vu, 1, 1024, &error));
    g_assert_true(vhost_user_set_vring_addr(p.vu, 1, (void *)0x1000,
                                            (void *)0x2000, (void *)0x3000,
                                            &error));
    g_assert_true(vhost_user_set_vring_base(p.vu, 1, 77, &error));
    g_assert_true(vhost_user_set_vring_fd(p.vu, VHOST_USER_SET_VRING_KICK,
                                          1, kick, &error));
    g_assert_true(vhost_user_set_vring_fd(p.vu, VHOST_USER_SET_VRING_CALL,
                                          1, call, &error));
    g_assert_true(vhost_user_set_vring_fd(p.vu, VHOST_USER_SET_VRING_ERR,
                                          1, -1, &error));
    g_assert_true(vhost_user_set_vring_enable(p.vu, 1, true, &error));
    g_assert_no_error(error);
    fake_vhost_user_seen(p.fake, &seen);
    g_assert_cmpuint(seen.vring_num[1], ==, 1024);
    g_assert_cmphex(seen.vring_desc[1], ==, 0x1000);
    g_assert_cmpuint(seen.vring_base[1], ==, 77);
    g_assert_true(seen.vring_kick[1]);
    g_assert_true(seen.vring_call[1]);
    g_assert_false(seen.vring_err[1]);
    g_assert_true(seen.vring_enabled[1]);

    /* The back end's call reaches the front end's eventfd. */
    g_assert_true(fake_vhost_user_call(p.fake, 1));
    g_assert_cmpint(read(call, &v, 8), ==, 8);

    g_assert_true(vhost_user_get_vring_base(p.vu, 1, &base, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(base, ==, 77);
    fake_vhost_user_seen(p.fake, &seen);
    g_assert_false(seen.vring_enabled[1]);
    pair_close(&p);
    close(kick);
    close(call);
}

/* Each hostile behaviour is an error naming the request; nothing dies. */
static void
test_hostile(gconstpointer data)
{
    FakeVhostUserMode mode = GPOINTER_TO_INT(data);
    g_autoptr(GError) error = NULL;
    unsigned base = 0;
    Pair p;

    pair_open(&p, PF_OFFERED);
    fake_vhost_user_set_mode(p.fake, mode);
    /* A NACK only answers requests that have no reply of their own. */
    if (mode != FAKE_VHOST_USER_NACK) {
        g_assert_false(vhost_user_get_vring_base(p.vu, 0, &base, &error));
        g_assert_nonnull(error);
        g_test_message("%s", error->message);
        g_assert_nonnull(strstr(error->message, "GET_VRING_BASE"));
        g_assert_nonnull(strstr(error->message, "_fs0"));
        g_clear_error(&error);
    }
    if (mode != FAKE_VHOST_USER_CLOSE) {
        /* An acked request fails the same way. */
        g_assert_false(vhost_user_set_vring_num(p.vu, 0, 8, &error));
        g_assert_nonnull(strstr(error->message, "SET_VRING_NUM"));
    }
    pair_close(&p);
}

/* A back end that hangs up during the handshake. */
static void
test_handshake_closed(void)
{
    g_autoptr(GError) error = NULL;
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                    ==, 0);
    close(sv[1]);
    g_assert_null(vhost_user_new_fd(sv[0], "_fs0", &error));
    g_assert_nonnull(strstr(error->message, "closed"));
}

static void
test_connect_missing(void)
{
    g_autoptr(GError) error = NULL;

    g_assert_null(vhost_user_connect("/nonexistent/vhost.sock", "_fs1",
                                     &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "/nonexistent/vhost.sock"));
}

static void
test_parse_reply(void)
{
    struct {
        VhostUserHeader hdr;
        uint64_t u64;
    } __attribute__((packed)) r = {
        { VHOST_USER_GET_FEATURES, VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY,
          8 }, 42,
    };
    VhostUserMsg msg;
    g_autoptr(GError) error = NULL;

    g_assert_true(vhost_user_parse_reply(&r, sizeof(r),
                                         VHOST_USER_GET_FEATURES, 8, &msg,
                                         &error));
    g_assert_cmpuint(msg.payload.u64, ==, 42);
    /* Short, truncated, wrong request, wrong size, not a reply. */
    g_assert_false(vhost_user_parse_reply(&r, 5, VHOST_USER_GET_FEATURES,
                                          8, &msg, NULL));
    g_assert_false(vhost_user_parse_reply(&r, sizeof(r) - 1,
                                          VHOST_USER_GET_FEATURES, 8, &msg,
                                          NULL));
    g_assert_false(vhost_user_parse_reply(&r, sizeof(r),
                                          VHOST_USER_GET_QUEUE_NUM, 8, &msg,
                                          NULL));
    g_assert_false(vhost_user_parse_reply(&r, sizeof(r),
                                          VHOST_USER_GET_FEATURES, 4, &msg,
                                          NULL));
    r.hdr.flags = VHOST_USER_VERSION;
    g_assert_false(vhost_user_parse_reply(&r, sizeof(r),
                                          VHOST_USER_GET_FEATURES, 8, &msg,
                                          &error));
    g_assert_nonnull(strstr(error->message, "not a version 1 reply"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhost-user/handshake", test_handshake);
    g_test_add_func("/vhost-user/handshake-minimal", test_handshake_minimal);
    g_test_add_func("/vhost-user/handshake-closed", test_handshake_closed);
    g_test_add_func("/vhost-user/connect-missing", test_connect_missing);
    g_test_add_func("/vhost-user/mem-table", test_mem_table);
    g_test_add_func("/vhost-user/vring", test_vring);
    g_test_add_func("/vhost-user/parse-reply", test_parse_reply);
    g_test_add_data_func("/vhost-user/hostile/wrong-request",
                         GINT_TO_POINTER(FAKE_VHOST_USER_WRONG_REQUEST),
                         test_hostile);
    g_test_add_data_func("/vhost-user/hostile/oversize",
                         GINT_TO_POINTER(FAKE_VHOST_USER_OVERSIZE),
                         test_hostile);
    g_test_add_data_func("/vhost-user/hostile/closed",
                         GINT_TO_POINTER(FAKE_VHOST_USER_CLOSE),
                         test_hostile);
    g_test_add_data_func("/vhost-user/hostile/nack",
                         GINT_TO_POINTER(FAKE_VHOST_USER_NACK), test_hostile);
    return g_test_run();
}
