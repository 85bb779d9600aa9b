/*
 * Runs the fuzz_ops interpreter (core versus the reference model) on seeded
 * pseudo-random inputs, so CI compares the core with the model without clang
 * or libFuzzer. A divergence fails the test with the operation that showed it.
 */
#include "../fuzz/fuzz_ops.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define REPLAY_INPUTS 2000
#define REPLAY_SEED 0x5eed2024u

static const char *const op_names[OP_COUNT] = {
	"open", "close", "write", "pwrite", "read", "pread", "truncate", "ftruncate",
	"mkdir", "rmdir", "unlink", "rename", "link", "symlink", "readlink", "stat",
	"fstat", "lseek", "dup", "map", "reopen", "give", "reap", "check"};

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random records, biased so the small name space fills up: most paths are
 * absolute and most slots and sizes are small. */
static size_t make_input(uint32_t *s, uint8_t *buf, size_t cap)
{
	size_t nops = 20 + rng(s) % 300, len = 1;

	buf[0] = (uint8_t)rng(s);
	for (size_t i = 0; i < nops && len + FZ_REC <= cap; i++) {
		uint8_t *r = buf + len;

		for (int k = 0; k < FZ_REC; k++)
			r[k] = (uint8_t)rng(s);
		if (rng(s) % 4)
			r[1] &= 0x5f; /* absolute path (high nibble < 6) */
		if (rng(s) % 4)
			r[2] &= 0x5f;
		len += FZ_REC;
	}
	return len;
}

static void replay_random(void **state)
{
	uint8_t buf[1 + 320 * FZ_REC];
	uint32_t seed = REPLAY_SEED;

	(void)state;
	memset(&fz_stats, 0, sizeof fz_stats);
	for (int i = 0; i < REPLAY_INPUTS; i++) {
		uint32_t input_seed = seed;
		size_t len = make_input(&seed, buf, sizeof buf);

		if (fz_run(buf, len, 0) != 0) {
			print_error("input %d (seed 0x%08x): %s\n", i, input_seed, fz_last_why);
			print_error("replaying it with the trace:\n");
			fz_run(buf, len, 1);
			fail();
		}
	}
	print_message("%lu ops: %lu ok, %lu expected errors, %lu ENOSPC, %lu short writes, "
		      "%lu escapes compared, %lu full checks\n",
		      fz_stats.ops, fz_stats.ok, fz_stats.err, fz_stats.enospc,
		      fz_stats.short_writes, fz_stats.escapes, fz_stats.checks);
	for (int op = 0; op < OP_COUNT; op++) {
		print_message("  %-10s %lu succeeded\n", op_names[op], fz_stats.ok_by[op]);
		/* A pass means nothing if an operation kind never got past its
		 * error paths. */
		if (op != OP_CHECK)
			assert_true(fz_stats.ok_by[op] > 20);
	}
	assert_true(fz_stats.err > fz_stats.ops / 20);
	assert_true(fz_stats.enospc > 0);
	assert_true(fz_stats.escapes > 0);
	assert_true(fz_stats.checks >= REPLAY_INPUTS);
}

/* A fixed script whose outcome is known: the model must agree with the core
 * on a hard link, a rename of it and the position shared by a dup'ed handle. */
static void replay_script(void **state)
{
	/* header: 256 KiB quota, node limit 4 + 10 */
	static const uint8_t in[] = {
		0x29,
		0x00, 0x00, 0x00, 0x05, 0x00, 0x00, /* open(/a, WR|CREAT) -> s0 */
		0x06, 0x00, 0x00, 0x07, 0x00, 0x0d, /* write(s0, 4097 bytes) */
		0x16, 0x00, 0x01, 0x00, 0x00, 0x00, /* link(/a, /b) */
		0x13, 0x01, 0x02, 0x00, 0x00, 0x00, /* rename(/b, /c) */
		0x1f, 0x00, 0x00, 0x01, 0x00, 0x00, /* dup(s0) -> s1 */
		0x1d, 0x20, 0x00, 0x01, 0x01, 0x00, /* lseek(s1, 0, CUR): 4097, shared */
		0xff, 0x00, 0x00, 0x00, 0x00, 0x00, /* check */
	};

	(void)state;
	memset(&fz_stats, 0, sizeof fz_stats);
	if (fz_run(in, sizeof in, 0) != 0) {
		print_error("%s\n", fz_last_why);
		fz_run(in, sizeof in, 1);
		fail();
	}
	assert_int_equal(fz_stats.ok_by[OP_OPEN], 1);
	assert_int_equal(fz_stats.ok_by[OP_WRITE], 1);
	assert_int_equal(fz_stats.ok_by[OP_LINK], 1);
	assert_int_equal(fz_stats.ok_by[OP_RENAME], 1);
	assert_int_equal(fz_stats.ok_by[OP_DUP], 1);
	assert_int_equal(fz_stats.ok_by[OP_LSEEK], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_script),
		cmocka_unit_test(replay_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
