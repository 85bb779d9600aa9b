/*
 * Differential scenario for mmap on files: shared mappings coherent with
 * read and write in both directions, between two mappings of one file,
 * across fork and between processes that map the file separately; munmap of
 * a middle page, mremap growing in place and moving, MAP_FIXED, truncate
 * while mapped, unlink while mapped, private copy-on-write, msync, and the
 * errors mmap gives for wrong descriptors and arguments. It never touches a
 * page wholly past EOF (SIGBUS on tmpfs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static const char *root;

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static void must(int ok, const char *what)
{
	if (!ok) {
		printf("FATAL %s: %s\n", what, ename(errno));
		exit(1);
	}
}

static const char *at(const char *name)
{
	static char buf[2][4096];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof buf[k], "%s/%s", root, name);
	return buf[k];
}

static char byte_at(int fd, off_t off)
{
	char c = '?';

	must(pread(fd, &c, 1, off) == 1, "pread");
	return c ? c : '0';
}

static void show_map(const char *label, void *p)
{
	printf("%s: %s\n", label, p == MAP_FAILED ? ename(errno) : "mapped");
}

static int make_file(const char *name, size_t size, char fill)
{
	int fd = open(at(name), O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[PG];

	must(fd >= 0, "open");
	memset(buf, fill, sizeof buf);
	for (size_t done = 0; done < size;) {
		size_t n = size - done < sizeof buf ? size - done : sizeof buf;

		must(write(fd, buf, n) == (ssize_t)n, "write");
		done += n;
	}
	return fd;
}

static void coherence(void)
{
	int fd = make_file("a", 10000, 'a');
	char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), *m2;

	must(m != MAP_FAILED, "mmap a");
	printf("map reads file: %c %c tail-in-last-page=%d\n", m[0], m[9999], m[10000]);
	m[100] = 'X';
	printf("store then pread: %c\n", byte_at(fd, 100));
	must(pwrite(fd, "Y", 1, 200) == 1, "pwrite");
	printf("pwrite then load: %c\n", m[200]);
	m2 = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
	must(m2 != MAP_FAILED, "mmap a+4096");
	m2[5] = 'Q';
	printf("two mappings: %c %c\n", m[PG + 5], byte_at(fd, PG + 5));
	must(munmap(m2, PG) == 0, "munmap m2");

	/* A child inherits the mapping: its stores reach the parent's file. */
	pid_t pid = fork();

	must(pid >= 0, "fork");
	if (pid == 0) {
		m[300] = 'C';
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("child store: %c %c\n", m[300], byte_at(fd, 300));

	/* A separate process maps the file on its own. */
	pid = fork();
	must(pid >= 0, "fork");
	if (pid == 0) {
		int cfd = open(at("a"), O_RDWR);
		char *cm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);

		if (cm == MAP_FAILED)
			_exit(1);
		cm[400] = 'S';
		_exit(cm[100] == 'X' ? 0 : 2);
	}
	{
		int st;

		waitpid(pid, &st, 0);
		printf("separate mapping: exit %d, sees %c\n", WEXITSTATUS(st), m[400]);
	}
	printf("msync: %d\n", msync(m, 3 * PG, MS_SYNC));
	printf("msync invalidate: %d\n", msync(m, PG, MS_INVALIDATE));
	must(munmap(m, 3 * PG) == 0, "munmap m");
	printf("after munmap, file keeps: %c%c%c%c%c\n", byte_at(fd, 100), byte_at(fd, 200), byte_at(fd, 300),
	       byte_at(fd, 400), byte_at(fd, PG + 5));
	close(fd);
}

static void growth(void)
{
	int fd = make_file("g", 4 * PG, 'g');
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), *n;
	struct stat st;

	must(m != MAP_FAILED, "mmap g");
	/* Unmap the second page: the others stay mapped and coherent. */
	must(munmap(m + PG, PG) == 0, "munmap middle");
	m[0] = '0';
	m[3 * PG] = '3';
	printf("after a hole: %c %c\n", byte_at(fd, 0), byte_at(fd, 3 * PG));
	must(munmap(m, PG) == 0 && munmap(m + 2 * PG, 2 * PG) == 0, "munmap rest");

	m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	must(m != MAP_FAILED, "mmap g 2");
	must(ftruncate(fd, 8 * PG) == 0, "ftruncate");
	n = mremap(m, 2 * PG, 8 * PG, MREMAP_MAYMOVE);
	show_map("mremap grow", n);
	if (n != MAP_FAILED) {
		must(pwrite(fd, "R", 1, 7 * PG + 1) == 1, "pwrite");
		n[6 * PG] = 'W';
		printf("grown mapping: %c %c %c %d\n", n[0], n[7 * PG + 1], byte_at(fd, 6 * PG), n[5 * PG]);
		m = mremap(n, 8 * PG, PG, 0);
		show_map("mremap shrink", m);
		printf("shrunk mapping keeps: %c\n", m[0]);
		must(munmap(m, PG) == 0, "munmap shrunk");
	}
	fstat(fd, &st);
	printf("size %lld\n", (long long)st.st_size);

	/* MAP_FIXED over a reserved range. */
	m = mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(m != MAP_FAILED, "reserve");
	n = mmap(m, PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, PG);
	printf("MAP_FIXED: %s, reads %c\n", n == m ? "at the address" : "elsewhere", n[0]);
	must(munmap(m, 2 * PG) == 0, "munmap fixed");
	close(fd);
}

static void lifetime(void)
{
	int fd = make_file("t", 2 * PG, 't');
	char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct stat st;

	must(m != MAP_FAILED, "mmap t");
	m[0] = 'Z';
	must(ftruncate(fd, 0) == 0, "truncate 0");
	must(ftruncate(fd, 2 * PG) == 0, "truncate back");
	printf("truncated and regrown: %d %d, pread %c\n", m[0], m[PG + 1], byte_at(fd, 0));
	m[1] = 'N';
	fstat(fd, &st);
	printf("store after regrow: %c size %lld\n", byte_at(fd, 1), (long long)st.st_size);

	/* Unlinked and closed, the mapping still holds the file. */
	must(unlink(at("t")) == 0, "unlink");
	close(fd);
	m[2] = 'U';
	printf("unlinked, closed, mapped: %c %c\n", m[1], m[2]);
	must(munmap(m, 2 * PG) == 0, "munmap t");
	printf("gone: %s\n", access(at("t"), F_OK) < 0 ? ename(errno) : "still there");
}

static void private_and_errors(void)
{
	int fd = make_file("p", PG, 'p'), ro, wo, d;
	char *m;

	m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	must(m != MAP_FAILED, "mmap private");
	m[0] = 'V';
	printf("private store stays private: %c %c\n", m[0], byte_at(fd, 0));
	must(munmap(m, PG) == 0, "munmap private");

	ro = open(at("p"), O_RDONLY);
	wo = open(at("p"), O_WRONLY);
	d = open(root, O_RDONLY | O_DIRECTORY);
	must(ro >= 0 && wo >= 0 && d >= 0, "open p");
	m = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
	show_map("shared read-only on O_RDONLY", m);
	if (m != MAP_FAILED) {
		must(pwrite(fd, "w", 1, 7) == 1, "pwrite p");
		printf("sees a later write: %c\n", m[7]);
		munmap(m, PG);
	}
	show_map("shared writable on O_RDONLY", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
	show_map("private writable on O_RDONLY",
		 m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0));
	if (m != MAP_FAILED)
		munmap(m, PG);
	show_map("on O_WRONLY", mmap(NULL, PG, PROT_READ, MAP_SHARED, wo, 0));
	show_map("on a directory", mmap(NULL, PG, PROT_READ, MAP_SHARED, d, 0));
	show_map("unaligned offset", mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 100));
	show_map("length 0", mmap(NULL, 0, PROT_READ, MAP_SHARED, fd, 0));
	show_map("closed descriptor", mmap(NULL, PG, PROT_READ, MAP_SHARED, 999, 0));
	close(ro);
	close(wo);
	close(d);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	root = argv[1];
	setvbuf(stdout, NULL, _IONBF, 0);
	must(mkdir(root, 0755) == 0, "mkdir root");
	coherence();
	growth();
	lifetime();
	private_and_errors();
	return 0;
}
