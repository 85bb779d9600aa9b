/*
 * Calls that make descriptors the kernel numbers (pipes, sockets, event
 * and timer descriptors). Each closes the idle tree descriptors first
 * (fd.c): the kernel counts those as open, and the program, which closed
 * them, expects the new descriptor to take the lowest free number, as it
 * would without the library (`close(3); pipe(p)` gives 3). One load when
 * there is none, the usual case.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "rp.h"

RP_EXPORT int pipe(int fds[2])
{
	rp_fd_idle_flush();
	return REAL(pipe)(fds);
}

RP_EXPORT int pipe2(int fds[2], int flags)
{
	rp_fd_idle_flush();
	return REAL(pipe2)(fds, flags);
}

RP_EXPORT int socket(int domain, int type, int protocol)
{
	rp_fd_idle_flush();
	return REAL(socket)(domain, type, protocol);
}

RP_EXPORT int socketpair(int domain, int type, int protocol, int fds[2])
{
	rp_fd_idle_flush();
	return REAL(socketpair)(domain, type, protocol, fds);
}

RP_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	rp_fd_idle_flush();
	return REAL(accept)(fd, addr, len);
}

RP_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	rp_fd_idle_flush();
	return REAL(accept4)(fd, addr, len, flags);
}

RP_EXPORT int eventfd(unsigned int count, int flags)
{
	rp_fd_idle_flush();
	return REAL(eventfd)(count, flags);
}

RP_EXPORT int memfd_create(const char *name, unsigned int flags)
{
	rp_fd_idle_flush();
	return REAL(memfd_create)(name, flags);
}

RP_EXPORT int epoll_create(int size)
{
	rp_fd_idle_flush();
	return REAL(epoll_create)(size);
}

RP_EXPORT int epoll_create1(int flags)
{
	rp_fd_idle_flush();
	return REAL(epoll_create1)(flags);
}

RP_EXPORT int inotify_init(void)
{
	rp_fd_idle_flush();
	return REAL(inotify_init)();
}

RP_EXPORT int inotify_init1(int flags)
{
	rp_fd_idle_flush();
	return REAL(inotify_init1)(flags);
}

RP_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	rp_fd_idle_flush();
	return REAL(signalfd)(fd, mask, flags);
}

RP_EXPORT int timerfd_create(int clock, int flags)
{
	rp_fd_idle_flush();
	return REAL(timerfd_create)(clock, flags);
}
