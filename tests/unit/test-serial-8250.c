/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the 16550A UART: registers, interrupts, FIFO, state. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/char/chardev-priv.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/serial-8250-priv.h"
#include "tests/unit/fake-vm.h"

#define COM1 SERIAL8250_COM1_BASE
#define IRQ SERIAL8250_COM1_GSI
#define RBR (COM1 + 0)
#define THR (COM1 + 0)
#define DLL (COM1 + 0)
#define IER (COM1 + 1)
#define DLM (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

/* A UART whose backend is one end of a socketpair; the test holds the
 * other end ("the host side"). */
typedef struct {
    FakeHost *vm;
    VmmDevice *dev;
    int peer;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    int sv[2];
    CharBackend *be;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==,
                    0);
    f->vm = fake_host_new(0);
    f->peer = sv[1];
    be = chardev_new_fds("serial", sv[0], sv[0], fake_host_context(f->vm));
    f->dev = serial8250_new(fake_host_base(f->vm), "__serial", COM1, IRQ, be);
    g_assert_true(fake_host_add(f->vm, f->dev, &error));
    g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    fake_host_free(f->vm);
    close(f->peer);
}

static uint8_t
inb(Fixture *f, uint16_t port)
{
    return fake_host_inb(f->vm, port);
}

static void
outb(Fixture *f, uint16_t port, uint8_t v)
{
    fake_host_outb(f->vm, port, v);
}

/* Sends @s from the host side and lets the main context deliver it. */
static void
host_send(Fixture *f, const char *s, size_t len)
{
    g_assert_cmpint(write(f->peer, s, len), ==, (ssize_t)len);
    fake_host_iterate(f->vm);
}

static size_t
host_recv(Fixture *f, char *buf, size_t len)
{
    ssize_t n = recv(f->peer, buf, len, MSG_DONTWAIT);

    return n < 0 ? 0 : (size_t)n;
}

static void
test_reset_state(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(inb(f, LSR), ==, 0x60);     /* THRE | TEMT */
    g_assert_cmphex(inb(f, IIR), ==, 0x01);     /* no interrupt, no FIFO */
    g_assert_cmphex(inb(f, MSR), ==, 0xb0);     /* DCD | DSR | CTS */
    g_assert_cmphex(inb(f, IER), ==, 0x00);
    g_assert_cmphex(inb(f, LCR), ==, 0x00);
    g_assert_false(fake_host_irq_level(f->vm, IRQ));
    outb(f, SCR, 0x5a);
    g_assert_cmphex(inb(f, SCR), ==, 0x5a);

    /* Reset brings all of it back. */
    outb(f, IER, 0x0f);
    outb(f, LCR, 0x83);
    f->dev->ops->reset(f->dev);
    g_assert_cmphex(inb(f, IER), ==, 0x00);
    g_assert_cmphex(inb(f, LCR), ==, 0x00);
    g_assert_cmphex(inb(f, SCR), ==, 0x00);
    g_assert_false(fake_host_irq_level(f->vm, IRQ));
}

static void
test_thre_interrupt(Fixture *f, gconstpointer data)
{
    char buf[8];

    /* Enabling ETBEI with THR empty interrupts at once. */
    outb(f, IER, 0x02);
    g_assert_true(fake_host_irq_level(f->vm, IRQ));
    g_assert_cmpuint(fake_host_irq_raises(f->vm, IRQ), ==, 1);
    g_assert_cmphex(inb(f, IIR), ==, 0x02);
    /* Reading IIR acknowledged it. */
    g_assert_false(fake_host_irq_level(f->vm, IRQ));
    g_assert_cmphex(inb(f, IIR), ==, 0x01);
    /* Re-enabling re-arms it (Linux's UART_BUG_THRE probe). */
    outb(f, IER, 0x00);
    outb(f, IER, 0x02);
    g_assert_cmphex(inb(f, IIR), ==, 0x02);
    g_assert_cmphex(inb(f, IIR), ==, 0x01);
    /* Each byte sent raises a new edge. */
    outb(f, THR, 'x');
    g_assert_cmpuint(fake_host_irq_raises(f->vm, IRQ), ==, 3);
    outb(f, THR, 'y');
    g_assert_cmpuint(fake_host_irq_raises(f->vm, IRQ), ==, 4);
    g_assert_true(fake_host_irq_level(f->vm, IRQ));
    outb(f, IER, 0x00);
    g_assert_false(fake_host_irq_level(f->vm, IRQ));
    g_assert_cmpuint(host_recv(f, buf, sizeof(buf)), ==, 2);
    g_assert_cmpmem(buf, 2, "xy", 2);
}

static void
test_tx_output(Fixture *f, gconstpointer data)
{
    const char *msg = "Linux version 6.1\r\n";
    char buf[64];

    for (const char *p = msg; *p; p++) {
        g_assert_cmphex(inb(f, LSR) & 0x20, ==, 0x20);
        outb(f, THR, (uint8_t)*p);
    }
    g_assert_cmpuint(host_recv(f, buf, sizeof(buf)), ==, strlen(msg));
    g_assert_cmpmem(buf, strlen(msg), msg, strlen(msg));
}

static void
test_rx_fifo(Fixture *f, gconstpointer data)
{
    outb(f, FCR, 0xc7);     /* enable, clear both, trigger 14 */
    g_assert_cmphex(inb(f, IIR), ==, 0xc1);
    outb(f, IER, 0x01);
    g_assert_false(fake_host_irq_level(f->vm, IRQ));

    host_send(f, "abc", 3);
    g_assert_cmphex(inb(f, LSR) & 0x01, ==, 0x01);
    g_assert_true(fake_host_irq_level(f->vm, IRQ));
    /* Fewer than the trigger level: character timeout. */
    g_assert_cmphex(inb(f, IIR), ==, 0xcc);
    g_assert_cmphex(inb(f, RBR), ==, 'a');
    g_assert_cmphex(inb(f, RBR), ==, 'b');
    g_assert_cmphex(inb(f, RBR), ==, 'c');
    g_assert_cmphex(inb(f, LSR) & 0x01, ==, 0x00);
    g_assert_false(fake_host_irq_level(f->vm, IRQ));
    g_assert_cmphex(inb(f, IIR), ==, 0xc1);

    /* At the trigger level: received data available. */
    host_send(f, "0123456789abcd", 14);
    g_assert_cmphex(inb(f, IIR), ==, 0xc4);
    /* FCR "clear RX" empties the FIFO. */
    outb(f, FCR, 0xc3);
    g_assert_cmphex(inb(f, LSR) & 0x01, ==, 0x00);
    g_assert_false(fake_host_irq_level(f->vm, IRQ));
}

static void
test_rx_backpressure(Fixture *f, gconstpointer data)
{
    char sent[100], got[100];
    size_t n = 0;
    int rounds = 0;

    for (size_t i = 0; i < sizeof(sent); i++)
        sent[i] = (char)('A' + i % 26);
    outb(f, FCR, 0x01);
    host_send(f, sent, sizeof(sent));
    /* The FIFO took what fits, the rest waits in the host socket. */
    g_assert_cmpuint(serial8250_can_receive(f->dev), ==, 0);
    while (n < sizeof(got) && rounds++ < 100) {
        while (inb(f, LSR) & 0x01)
            got[n++] = (char)inb(f, RBR);
        fake_host_iterate(f->vm);
    }
    g_assert_cmpuint(n, ==, sizeof(sent));
    g_assert_cmpmem(got, n, sent, sizeof(sent));
    /* Nothing was lost: no overrun was ever flagged. */
    g_assert_cmphex(inb(f, LSR) & 0x02, ==, 0);
}

static void
test_no_fifo(Fixture *f, gconstpointer data)
{
    /* 16450 mode: one holding register. */
    host_send(f, "xy", 2);
    g_assert_cmpuint(serial8250_can_receive(f->dev), ==, 0);
    g_assert_cmphex(inb(f, RBR), ==, 'x');
    fake_host_iterate(f->vm);
    g_assert_cmphex(inb(f, RBR), ==, 'y');
    g_assert_cmphex(inb(f, LSR) & 0x01, ==, 0);
}

static void
test_loopback(Fixture *f, gconstpointer data)
{
    char buf[4];

    /* Linux's probe: LOOP | OUT2 | RTS must read back DCD | CTS. */
    outb(f, MCR, 0x1a);
    g_assert_cmphex(inb(f, MSR) & 0xf0, ==, 0x90);
    outb(f, MCR, 0x1f);
    g_assert_cmphex(inb(f, MSR) & 0xf0, ==, 0xf0);
    /* Deltas were latched and clear on read. */
    g_assert_cmphex(inb(f, MSR) & 0x0f, ==, 0x00);
    outb(f, IER, 0x08);
    outb(f, MCR, 0x1b);     /* RI (OUT1) falls: trailing edge */
    g_assert_cmphex(inb(f, IIR), ==, 0x00);     /* modem status */
    g_assert_true(fake_host_irq_level(f->vm, IRQ));
    g_assert_cmphex(inb(f, MSR), ==, 0xb4);
    g_assert_false(fake_host_irq_level(f->vm, IRQ));

    /* Sent bytes come back and never reach the host. */
    outb(f, FCR, 0x01);
    outb(f, THR, 0x42);
    outb(f, THR, 0x43);
    g_assert_cmphex(inb(f, RBR), ==, 0x42);
    g_assert_cmphex(inb(f, RBR), ==, 0x43);
    g_assert_cmpuint(host_recv(f, buf, sizeof(buf)), ==, 0);
    /* The receiver is cut off from the host while looping back. */
    g_assert_cmpuint(serial8250_can_receive(f->dev), ==, 0);
    outb(f, MCR, 0x0b);
    g_assert_cmphex(inb(f, MSR) & 0xf0, ==, 0xb0);
    g_assert_cmpuint(serial8250_can_receive(f->dev), ==, 16);
}

static void
test_line_status(Fixture *f, gconstpointer data)
{
    /* Overrun in loopback without FIFO: the second byte has no room. */
    outb(f, MCR, 0x10);
    outb(f, THR, 1);
    outb(f, THR, 2);
    outb(f, IER, 0x05);
    g_assert_cmphex(inb(f, IIR), ==, 0x06);     /* line status first */
    g_assert_cmphex(inb(f, LSR), ==, 0x63);     /* THRE TEMT OE DR */
    g_assert_cmphex(inb(f, IIR), ==, 0x04);     /* then the data */
    g_assert_cmphex(inb(f, RBR), ==, 1);
    g_assert_cmphex(inb(f, IIR), ==, 0x01);
}

static void
test_divisor_latch(Fixture *f, gconstpointer data)
{
    outb(f, IER, 0x05);
    outb(f, LCR, 0x80);
    g_assert_cmphex(inb(f, DLL), ==, 12);       /* 9600 baud at reset */
    outb(f, DLL, 0x01);
    outb(f, DLM, 0x02);
    g_assert_cmphex(inb(f, DLL), ==, 0x01);
    g_assert_cmphex(inb(f, DLM), ==, 0x02);
    outb(f, LCR, 0x03);
    /* DLAB off: IER is back, and THR writes send again. */
    g_assert_cmphex(inb(f, IER), ==, 0x05);
    outb(f, LCR, 0x83);
    g_assert_cmphex(inb(f, DLM), ==, 0x02);
}

static void
test_linux_probe(Fixture *f, gconstpointer data)
{
    /* drivers/tty/serial/8250/8250_port.c autoconfig(), in order. */
    outb(f, IER, 0);
    g_assert_cmphex(inb(f, IER) & 0x0f, ==, 0);
    outb(f, IER, 0x0f);
    g_assert_cmphex(inb(f, IER) & 0x0f, ==, 0x0f);
    outb(f, IER, 0);
    outb(f, FCR, 0x01);
    g_assert_cmphex(inb(f, IIR) >> 6, ==, 3);   /* 16550A */
    /* Not a 16750: the 64-byte FIFO bit never shows. */
    outb(f, FCR, 0x21);
    g_assert_cmphex(inb(f, IIR) & 0xe0, ==, 0xc0);
    /* Not an XScale: IER bit 6 (UUE) does not stick. */
    outb(f, IER, 0x40);
    g_assert_cmphex(inb(f, IER), ==, 0);
    /* Wide reads split into bytes; past the 8 registers: all-ones. */
    g_assert_cmphex(fake_host_pio_read(f->vm, SCR, 2), ==, 0xff00);
}

static void
test_save_restore(Fixture *f, gconstpointer data)
{
    g_autoptr(FakeHost) vm2 = fake_host_new(0);
    VmmDevice *dev2 = serial8250_new(fake_host_base(vm2), "__serial", COM1, IRQ,
                                     NULL);

    g_assert_true(fake_host_add(vm2, dev2, NULL));
    outb(f, FCR, 0x81);
    outb(f, LCR, 0x83);
    outb(f, DLL, 0x03);
    outb(f, LCR, 0x03);
    outb(f, IER, 0x03);
    outb(f, MCR, 0x0b);
    outb(f, SCR, 0x77);
    host_send(f, "hello", 5);
    g_assert_cmphex(inb(f, RBR), ==, 'h');

    fake_host_check_save_restore(f->dev, dev2);
    /* The restored device continues where the first one was. */
    g_assert_true(fake_host_irq_level(vm2, IRQ));
    g_assert_cmphex(fake_host_inb(vm2, IIR), ==, 0xcc);
    g_assert_cmphex(fake_host_inb(vm2, RBR), ==, 'e');
    g_assert_cmphex(fake_host_inb(vm2, SCR), ==, 0x77);
}

static void
test_restore_invalid(Fixture *f, gconstpointer data)
{
    static const char *const bad[] = {
        "[]",
        "{}",
        "{\"version\":1,"
        "\"ier\":16,\"lcr\":0,\"mcr\":0,\"lsr\":96,\"msr\":176,\"scr\":0,"
        "\"dll\":12,\"dlm\":0,\"fifo_enabled\":false,\"fifo_trigger\":0,"
        "\"thr_ipending\":false,\"rx_fifo\":\"\"}",
        "{\"version\":1,"
        "\"ier\":0,\"lcr\":0,\"mcr\":0,\"lsr\":96,\"msr\":176,\"scr\":0,"
        "\"dll\":12,\"dlm\":0,\"fifo_enabled\":false,\"fifo_trigger\":0,"
        "\"thr_ipending\":false,\"rx_fifo\":\"YWI=\"}",   /* 2 bytes, no FIFO */
        "{\"version\":1,"
        "\"ier\":0,\"lcr\":0,\"mcr\":0,\"lsr\":96,\"msr\":176,\"scr\":0,"
        "\"dll\":12,\"dlm\":0,\"fifo_enabled\":true,\"fifo_trigger\":0,"
        "\"thr_ipending\":false,\"rx_fifo\":\"not base64!\"}",
        "{\"version\":1,"
        "\"ier\":0,\"lcr\":0,\"mcr\":0,\"lsr\":96,\"msr\":176,\"scr\":\"x\","
        "\"dll\":12,\"dlm\":0,\"fifo_enabled\":true,\"fifo_trigger\":0,"
        "\"thr_ipending\":false,\"rx_fifo\":\"\"}",
    };

    outb(f, SCR, 0x12);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(JsonNode) node = json_from_string(bad[i], NULL);
        g_autoptr(GError) error = NULL;

        g_assert_false(f->dev->ops->restore(f->dev, node, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_assert_nonnull(strstr(error->message, "__serial"));
    }
    /* Nothing was half-applied. */
    g_assert_cmphex(inb(f, SCR), ==, 0x12);
    g_assert_cmphex(inb(f, LSR), ==, 0x60);
}

static void
test_pause(Fixture *f, gconstpointer data)
{
    g_assert_true(f->dev->ops->pause(f->dev, NULL));
    host_send(f, "z", 1);
    g_assert_cmphex(inb(f, LSR) & 0x01, ==, 0);
    g_assert_true(f->dev->ops->resume(f->dev, NULL));
    fake_host_iterate(f->vm);
    fake_host_iterate(f->vm);
    g_assert_cmphex(inb(f, RBR), ==, 'z');
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add("/serial-8250/" path, Fixture, NULL, fixture_setup, fn, \
               fixture_teardown)
    ADD("reset-state", test_reset_state);
    ADD("thre-interrupt", test_thre_interrupt);
    ADD("tx-output", test_tx_output);
    ADD("rx-fifo", test_rx_fifo);
    ADD("rx-backpressure", test_rx_backpressure);
    ADD("no-fifo", test_no_fifo);
    ADD("loopback", test_loopback);
    ADD("line-status", test_line_status);
    ADD("divisor-latch", test_divisor_latch);
    ADD("linux-probe", test_linux_probe);
    ADD("save-restore", test_save_restore);
    ADD("restore-invalid", test_restore_invalid);
    ADD("pause", test_pause);
#undef ADD
    return g_test_run();
}
