/*
 * Copying a whole page past the cache. A 4 KiB memcpy into a page that is
 * not in the cache first reads every line of it (read-for-ownership) and
 * then writes it back: on the benchmark machine 0.7 us against 0.48 us with
 * non-temporal stores, which write whole lines without reading them (10,000
 * pages at random in a 40 MiB arena). Into a page that is cached, and read
 * again soon, the same stores cost 1.1 us against 0.09-0.45 us: they evict
 * it. So the allocator judges which pages are stale (alloc.c) and only
 * those come here.
 */
#include "internal.h"

#if defined(__x86_64__)
#include <emmintrin.h>

void copy_page_nt(void *dst, const void *src)
{
	__m128i *d = dst;
	const __m128i *s = src;

	/* One cache line per round: four loads, four streaming stores. SSE2
	 * is in every x86-64, and wider vectors do not help a copy bound by
	 * memory. */
	for (size_t i = 0; i < RD_PAGE / sizeof *d; i += 4) {
		__m128i a = _mm_loadu_si128(s + i), b = _mm_loadu_si128(s + i + 1);
		__m128i c = _mm_loadu_si128(s + i + 2), e = _mm_loadu_si128(s + i + 3);

		_mm_stream_si128(d + i, a);
		_mm_stream_si128(d + i + 1, b);
		_mm_stream_si128(d + i + 2, c);
		_mm_stream_si128(d + i + 3, e);
	}
	/* Streaming stores are weakly ordered: make them visible before the
	 * lock release that publishes the page. */
	_mm_sfence();
}
#else
void copy_page_nt(void *dst, const void *src)
{
	memcpy(dst, src, RD_PAGE);
}
#endif
