/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the I/O rate limiters: token buckets on an injected clock, configs and rules. */
#include <config.h>

#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <gio/gio.h>

#include <fcntl.h>
#include <linux/virtio_blk.h>

#include "config/vm-config-ratelimit.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/rate-limiter.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define MS 1000            /* microseconds */
#define T0 1000000000      /* an arbitrary start on the injected clock */

static TokenBucketConfig
tb(uint64_t size, uint64_t burst, uint64_t refill_ms)
{
    TokenBucketConfig c = { size, burst, refill_ms };

    return c;
}

/* A new bucket is full; then the refill rate bounds consumption. */
static void
test_bucket_full_then_refill(void)
{
    TokenBucketConfig c = tb(1000, 0, 1000);   /* 1000 tokens/s */
    TokenBucket b;
    int64_t wait = -1;

    token_bucket_init(&b, &c, T0);
    g_assert_true(token_bucket_take(&b, 1000, T0, &wait));
    g_assert_false(token_bucket_take(&b, 1, T0, &wait));
    g_assert_cmpint(wait, ==, 1 * MS);         /* one token: 1 ms */
    g_assert_false(token_bucket_take(&b, 500, T0, &wait));
    g_assert_cmpint(wait, ==, 500 * MS);
    /* Half a refill time later, half the bucket is back. */
    g_assert_true(token_bucket_take(&b, 500, T0 + 500 * MS, &wait));
    g_assert_false(token_bucket_take(&b, 1, T0 + 500 * MS, &wait));
    /* A part of a token stays in the clock: 0.5 ms + 0.5 ms = 1 token. */
    g_assert_false(token_bucket_take(&b, 1, T0 + 500 * MS + 500, &wait));
    g_assert_cmpint(wait, ==, 500);
    g_assert_true(token_bucket_take(&b, 1, T0 + 501 * MS, &wait));
    /* A full bucket banks nothing: after 10 s there are still 1000. */
    g_assert_true(token_bucket_take(&b, 999, T0 + 10000 * MS, &wait));
    g_assert_true(token_bucket_take(&b, 1, T0 + 20000 * MS, &wait));
    g_assert_true(token_bucket_take(&b, 999, T0 + 20000 * MS, &wait));
    g_assert_false(token_bucket_take(&b, 1, T0 + 20000 * MS, &wait));
}

/* The one-time burst is spent first and does not come back. */
static void
test_bucket_one_time_burst(void)
{
    TokenBucketConfig c = tb(100, 300, 100);
    TokenBucket b;
    int64_t wait;

    token_bucket_init(&b, &c, T0);
    g_assert_true(token_bucket_take(&b, 250, T0, &wait));   /* burst only */
    g_assert_true(token_bucket_take(&b, 150, T0, &wait));   /* 50 + 100 */
    g_assert_false(token_bucket_take(&b, 1, T0, &wait));
    g_assert_true(token_bucket_take(&b, 100, T0 + 100 * MS, &wait));
    g_assert_false(token_bucket_take(&b, 1, T0 + 100 * MS, &wait));
}

/* A request larger than the bucket waits for a full bucket, then leaves
 * a debt: the long-run rate holds. */
static void
test_bucket_oversized(void)
{
    TokenBucketConfig c = tb(100, 0, 100);     /* 1 token/ms */
    TokenBucket b;
    int64_t wait;

    token_bucket_init(&b, &c, T0);
    g_assert_true(token_bucket_take(&b, 250, T0, &wait));
    g_assert_false(token_bucket_take(&b, 1, T0, &wait));
    g_assert_cmpint(wait, ==, 151 * MS);       /* pay 150, then 1 */
    g_assert_false(token_bucket_take(&b, 250, T0 + 150 * MS, &wait));
    g_assert_cmpint(wait, ==, 100 * MS);       /* until full */
    g_assert_true(token_bucket_take(&b, 250, T0 + 250 * MS, &wait));
}

/* Size or refill time 0: CH builds no bucket, nothing is limited. */
static void
test_bucket_unlimited(void)
{
    TokenBucketConfig c = tb(0, 0, 100);
    TokenBucket b;
    int64_t wait;

    token_bucket_init(&b, &c, T0);
    g_assert_true(token_bucket_take(&b, G_MAXUINT64, T0, &wait));
    token_bucket_init(&b, NULL, T0);
    g_assert_true(token_bucket_take(&b, 1, T0, &wait));
}

/* Driven as a queue drives it (retry after the wait it is given), a
 * limiter lets through the configured rate, plus its initial bucket. */
static void
test_limiter_rate(void)
{
    TokenBucketConfig bw = tb(64 * 1024, 0, 100);   /* 640 KiB/s */
    TokenBucketConfig ops = tb(10, 0, 100);         /* 100 ops/s */
    RateLimiterConfig cfg = { &bw, &ops };
    g_autoptr(RateLimiter) rl = rate_limiter_new(NULL);
    int64_t now = T0, wait;
    uint64_t bytes = 0, n = 0;

    rate_limiter_update_at(rl, &cfg, now);
    /* 4 KiB requests: the ops bucket is the limit (100/s = 400 KiB/s). */
    while (now < T0 + 10 * G_USEC_PER_SEC) {
        if (rate_limiter_consume_at(rl, 1, 4096, now, &wait)) {
            n++;
            bytes += 4096;
        } else {
            g_assert_cmpint(wait, >=, 1000);
            now += wait;
        }
    }
    /* 10 s at 100/s plus the 10 the bucket started with. */
    g_assert_cmpuint(n, >=, 1000);
    g_assert_cmpuint(n, <=, 1010 + 1);
    /* 64 KiB requests: bandwidth is the limit (640 KiB/s). */
    rate_limiter_update_at(rl, &cfg, now);
    bytes = 0;
    for (int64_t end = now + 10 * G_USEC_PER_SEC; now < end;) {
        if (rate_limiter_consume_at(rl, 1, 65536, now, &wait))
            bytes += 65536;
        else
            now += wait;
    }
    g_assert_cmpuint(bytes, >=, 6400 * 1024);
    g_assert_cmpuint(bytes, <=, 6400 * 1024 + 2 * 65536);
}

/* Both buckets or neither: a request refused for its bytes gives back
 * its operation token. */
static void
test_limiter_both_or_neither(void)
{
    TokenBucketConfig bw = tb(1000, 0, 1000);
    TokenBucketConfig ops = tb(2, 0, 1000);
    RateLimiterConfig cfg = { &bw, &ops };
    g_autoptr(RateLimiter) rl = rate_limiter_new(NULL);
    int64_t wait;

    rate_limiter_update_at(rl, &cfg, T0);
    g_assert_true(rate_limiter_consume_at(rl, 1, 900, T0, &wait));
    g_assert_false(rate_limiter_consume_at(rl, 1, 900, T0, &wait));
    g_assert_cmpint(wait, ==, 800 * MS);
    /* The refused request did not spend the last op token. */
    g_assert_true(rate_limiter_consume_at(rl, 1, 100, T0, &wait));
    g_assert_false(rate_limiter_consume_at(rl, 1, 0, T0, &wait));
    g_assert_cmpint(wait, ==, 500 * MS);
}

/* Changed at run time: new limits at once, waiters woken, no limit
 * again with NULL. */
static void
test_limiter_update(void)
{
    TokenBucketConfig small = tb(10, 0, 1000);
    TokenBucketConfig big = tb(1000, 0, 1000);
    RateLimiterConfig c_small = { NULL, &small };
    RateLimiterConfig c_big = { NULL, &big };
    g_autoptr(RateLimiter) rl = rate_limiter_new(&c_big);
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int64_t wait;

    g_assert_cmpint(fd, >=, 0);
    rate_limiter_add_wake_fd(rl, fd);
    g_assert_true(rate_limiter_consume_at(rl, 500, 0, T0, &wait));
    /* Shrinking caps what is in the bucket. */
    rate_limiter_update_at(rl, &c_small, T0);
    g_assert_cmpuint(virtio_eventfd_drain(fd), ==, 1);
    g_assert_true(rate_limiter_consume_at(rl, 10, 0, T0, &wait));
    g_assert_false(rate_limiter_consume_at(rl, 1, 0, T0, &wait));
    g_assert_cmpint(wait, ==, 100 * MS);
    rate_limiter_update_at(rl, NULL, T0);
    g_assert_cmpuint(virtio_eventfd_drain(fd), ==, 1);
    g_assert_true(rate_limiter_consume_at(rl, 1000000, 1 << 30, T0, &wait));
    rate_limiter_remove_wake_fd(rl, fd);
    rate_limiter_update_at(rl, &c_small, T0);
    g_assert_cmpuint(virtio_eventfd_drain(fd), ==, 0);
    /* From unlimited, a bucket starts full. */
    g_assert_true(rate_limiter_consume_at(rl, 10, 0, T0, &wait));
    close(fd);
}

/* ---- virtio-blk ---------------------------------------------------------- */

#define QSIZE 16

/* A disk on @host whose ring is at @base, started. */
static VirtioDevice *
blk_start(FakeHost *host, GuestMemory *mem, const char *id, uint64_t base,
          const RateLimiterConfig *rl, const char *group, TdRing *ring)
{
    g_autofree char *path = g_strdup_printf("%s/%s.img", test_tmpdir(), id);
    DiskConfig disk = { 0 };
    g_autoptr(GError) error = NULL;
    VirtioDevice *vdev;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 1 << 20), ==, 0);
    close(fd);
    disk.path = path;
    disk.num_queues = 1;
    disk.queue_size = QSIZE;
    disk.id = (char *)id;
    disk.image_type = IMAGE_TYPE_RAW;
    disk.rate_limiter_config = (RateLimiterConfig *)rl;
    disk.rate_limit_group = (char *)group;
    vdev = virtio_blk_new(fake_host_base(host), &disk, true, &error);
    g_assert_no_error(error);
    td_ring_init(ring, mem, base, 0x100000, QSIZE);
    td_device_start(vdev, ring, 1);
    return vdev;
}

/* A 4 KiB read; asserts it completed with VIRTIO_BLK_S_OK. */
static void
blk_read(VirtioDevice *vdev, TdRing *ring)
{
    uint64_t buf = td_alloc(ring, 4096);

    g_assert_cmpuint(td_blk_request(vdev, 0, ring, VIRTIO_BLK_T_IN, 0, buf,
                                    4096, true, NULL), ==, VIRTIO_BLK_S_OK);
}

/* Throttled requests wait (they are never failed), a change at run time
 * takes effect, and two disks of a group share one budget.  Real time:
 * only lower bounds, which a loaded host cannot break. */
static void
test_blk_throttle(void)
{
    TokenBucketConfig ops = tb(1, 0, 100);      /* 10 ops/s */
    RateLimiterConfig cfg = { NULL, &ops };
    g_autoptr(GuestMemory) mem = td_memory_new();
    g_autoptr(FakeHost) host = fake_host_new_with_memory(mem);
    g_autoptr(GError) error = NULL;
    TdRing ra, rb, rc;
    VirtioDevice *a, *b, *c;
    gint64 t;

    fake_host_add_rate_limit_group(host, "g", &cfg);
    a = blk_start(host, mem, "a", 0x100000, &cfg, NULL, &ra);
    t = g_get_monotonic_time();
    for (unsigned i = 0; i < 4; i++)
        blk_read(a, &ra);
    /* One op from the full bucket, then one per 100 ms. */
    g_assert_cmpint(g_get_monotonic_time() - t, >=, 280 * MS);
    /* Limits lifted at run time. */
    g_assert_true(virtio_blk_set_rate_limiter(a, NULL, &error));
    for (unsigned i = 0; i < 20; i++)
        blk_read(a, &ra);

    /* b and c share "g": alternating, they wait as one disk would. */
    b = blk_start(host, mem, "b", 0x200000, NULL, "g", &rb);
    c = blk_start(host, mem, "c", 0x300000, NULL, "g", &rc);
    t = g_get_monotonic_time();
    for (unsigned i = 0; i < 2; i++) {
        blk_read(b, &rb);
        blk_read(c, &rc);
    }
    g_assert_cmpint(g_get_monotonic_time() - t, >=, 280 * MS);
    /* A disk in a group is changed through its group. */
    g_assert_false(virtio_blk_set_rate_limiter(b, NULL, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    virtio_device_free(c);
    virtio_device_free(b);
    virtio_device_free(a);
}

/* ---- Configs ------------------------------------------------------------- */

#define KERNEL "\"payload\": {\"kernel\": \"/k\"}"

static void
test_config_cli(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DiskConfig) d = vm_config_parse_disk(
        "path=/a,bw_size=1048576,bw_refill_time=1000,ops_size=100,"
        "ops_one_time_burst=5,ops_refill_time=1000", &error);
    g_autoptr(DiskConfig) plain = NULL;
    g_autoptr(NetConfig) n = NULL;
    g_autoptr(VmConfig) c = vm_config_new();

    g_assert_no_error(error);
    g_assert_nonnull(d->rate_limiter_config);
    g_assert_cmpuint(d->rate_limiter_config->bandwidth->size, ==, 1048576);
    g_assert_cmpuint(d->rate_limiter_config->bandwidth->refill_time, ==,
                     1000);
    g_assert_cmpuint(d->rate_limiter_config->ops->one_time_burst, ==, 5);
    plain = vm_config_parse_disk("path=/a,rate_limit_group=g0", &error);
    g_assert_no_error(error);
    g_assert_null(plain->rate_limiter_config);
    g_assert_cmpstr(plain->rate_limit_group, ==, "g0");
    n = vm_config_parse_net("tap=t0,ops_size=10,ops_refill_time=100", &error);
    g_assert_no_error(error);
    g_assert_null(n->rate_limiter_config->bandwidth);
    g_assert_cmpuint(n->rate_limiter_config->ops->size, ==, 10);
    g_assert_true(vm_config_parse_rate_limit_group(
        c, "id=g0,bw_size=1000,bw_refill_time=10", &error));
    g_assert_no_error(error);
    g_assert_cmpuint(c->rate_limit_groups->len, ==, 1);
    g_assert_false(vm_config_parse_rate_limit_group(c, "bw_size=1", &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "id=<group_id> is required"));
    g_clear_error(&error);
    g_assert_false(vm_config_parse_rate_limit_group(
        c, "id=g1,bw_size=x,bw_refill_time=1", &error));
    g_assert_nonnull(strstr(error->message, "bw_size"));
    g_assert_cmpuint(c->rate_limit_groups->len, ==, 1);
}

/* The JSON round-trips (snapshots and migration carry config.json). */
static void
test_config_json_roundtrip(void)
{
    static const char json[] =
        "{" KERNEL ", \"rate_limit_groups\": [{\"id\": \"g0\", "
        "\"rate_limiter_config\": {\"bandwidth\": {\"size\": 1000, "
        "\"one_time_burst\": 7, \"refill_time\": 100}}}], "
        "\"disks\": [{\"path\": \"/a\", \"rate_limit_group\": \"g0\"}, "
        "{\"path\": \"/b\", \"rate_limiter_config\": {\"ops\": "
        "{\"size\": 100, \"refill_time\": 1000}}}], "
        "\"net\": [{\"tap\": \"t0\", \"rate_limiter_config\": {\"bandwidth\": "
        "{\"size\": 5, \"refill_time\": 6}}}]}";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_from_json(json, -1, &error);
    g_autoptr(VmConfig) back = NULL;
    g_autofree char *out = NULL;
    g_autofree char *again = NULL;
    const DiskConfig *d1;
    const RateLimitGroupConfig *g;

    g_assert_no_error(error);
    g = vm_config_find_rate_limit_group(c, "g0");
    g_assert_nonnull(g);
    g_assert_cmpuint(g->rate_limiter_config->bandwidth->one_time_burst, ==, 7);
    d1 = g_ptr_array_index(c->disks, 1);
    g_assert_cmpuint(d1->rate_limiter_config->ops->size, ==, 100);
    g_assert_null(d1->rate_limiter_config->bandwidth);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    out = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(out, "\"rate_limit_group\":\"g0\""));
    g_assert_nonnull(strstr(out, "\"one_time_burst\":7"));
    back = vm_config_from_json(out, -1, &error);
    g_assert_no_error(error);
    again = vm_config_to_json(back, false);
    g_assert_cmpstr(out, ==, again);
}

static void
test_config_rules(void)
{
    static const struct {
        const char *json;
        const char *error;
    } bad[] = {
        { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"rate_limit_group\": "
          "\"nope\"}]}",
          "disks[0]: rate_limit_group 'nope' is not defined" },
        { "{" KERNEL ", \"rate_limit_groups\": [{\"id\": \"g\", "
          "\"rate_limiter_config\": {\"ops\": {\"size\": 1, \"refill_time\": "
          "1}}}], \"disks\": [{\"path\": \"/a\", \"rate_limit_group\": \"g\", "
          "\"rate_limiter_config\": {\"ops\": {\"size\": 1, \"refill_time\": "
          "1}}}]}",
          "disks[0]: rate_limit_group=g and rate_limiter_config are mutually "
          "exclusive" },
        { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"rate_limiter_config\": "
          "{\"bandwidth\": {\"size\": 100, \"refill_time\": 0}}}]}",
          "disks[0]: rate_limiter_config.bandwidth.size=100 with "
          "rate_limiter_config.bandwidth.refill_time=0 limits nothing" },
        { "{" KERNEL ", \"net\": [{\"rate_limiter_config\": {\"ops\": "
          "{\"size\": 0, \"one_time_burst\": 5, \"refill_time\": 0}}}]}",
          "net[0]: rate_limiter_config.ops.size=0" },
        { "{" KERNEL ", \"rate_limit_groups\": [{\"id\": \"g\", "
          "\"rate_limiter_config\": {}}, {\"id\": \"g\", "
          "\"rate_limiter_config\": {}}]}",
          "rate_limit_groups[1]: id 'g' is used by another group" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmConfig) c = vm_config_from_json(bad[i].json, -1, &error);
        g_autofree char *before = NULL;
        g_autofree char *after = NULL;

        g_assert_no_error(error);
        before = vm_config_to_json(c, false);
        g_assert_false(vm_config_validate(c, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_test_message("case %u: %s", i, error->message);
        g_assert_nonnull(strstr(error->message, bad[i].error));
        /* Nothing half-written. */
        after = vm_config_to_json(c, false);
        g_assert_cmpstr(before, ==, after);
    }
}

/* The CLI names the CLI's keys. */
static void
test_config_rules_cli(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    DiskConfig *d = vm_config_parse_disk("path=/a,bw_size=10", &error);

    g_assert_no_error(error);
    c->payload.kernel = g_strdup("/k");
    g_ptr_array_add(c->disks, d);
    g_assert_false(vm_config_validate_full(c, VM_CONFIG_NAMES_CLI, &error));
    g_assert_cmpstr(error->message, ==, "--disk: bw_size=10 with "
                    "bw_refill_time=0 limits nothing: both must be above 0");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rate-limiter/bucket/full-then-refill",
                    test_bucket_full_then_refill);
    g_test_add_func("/rate-limiter/bucket/one-time-burst",
                    test_bucket_one_time_burst);
    g_test_add_func("/rate-limiter/bucket/oversized", test_bucket_oversized);
    g_test_add_func("/rate-limiter/bucket/unlimited", test_bucket_unlimited);
    g_test_add_func("/rate-limiter/limiter/rate", test_limiter_rate);
    g_test_add_func("/rate-limiter/limiter/both-or-neither",
                    test_limiter_both_or_neither);
    g_test_add_func("/rate-limiter/limiter/update", test_limiter_update);
    g_test_add_func("/rate-limiter/blk/throttle", test_blk_throttle);
    g_test_add_func("/rate-limiter/config/cli", test_config_cli);
    g_test_add_func("/rate-limiter/config/json-roundtrip",
                    test_config_json_roundtrip);
    g_test_add_func("/rate-limiter/config/rules", test_config_rules);
    g_test_add_func("/rate-limiter/config/rules-cli", test_config_rules_cli);
    return g_test_run();
}
