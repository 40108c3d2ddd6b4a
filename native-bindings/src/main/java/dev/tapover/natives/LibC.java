// The libc functions tapover calls, declared exactly as in C and bound through JNR-FFI.
package dev.tapover.natives;

import java.nio.ByteBuffer;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * Minimal libc surface (see jnr-ffi's SqueezingPerformance notes: keep it small, named as in C).
 * Direct {@link ByteBuffer} arguments are passed as {@code address + position}; callers pass the
 * remaining length explicitly. Every call saves errno, read back through {@link Errors}.
 */
@SaveError
public interface LibC {
    /** The calling thread's kernel id (glibc 2.30+). */
    int gettid();

    /** which = PRIO_PROCESS (0) with who = a thread id sets that thread's nice value (Linux: per thread). */
    int setpriority(int which, int who, int prio);

    int getpriority(int which, int who);

    int open(String path, int flags);

    int close(int fd);

    @ssize_t long read(int fd, ByteBuffer buf, @size_t long count);

    @ssize_t long write(int fd, ByteBuffer buf, @size_t long count);

    /**
     * read(2) into native memory at address {@code buf}: the data path's form. All-primitive signatures take
     * JNR's fast invoker (no buffer marshalling per call); {@link FrameBatch} owns the memory.
     */
    @ssize_t long read(int fd, @intptr_t long buf, @size_t long count);

    /** write(2) from native memory at address {@code buf} (see the address form of read). */
    @ssize_t long write(int fd, @intptr_t long buf, @size_t long count);

    int ioctl(int fd, long request, Pointer arg);

    /** The ioctls that take their argument by value (TUNSETPERSIST, TUNSETOFFLOAD). */
    int ioctl(int fd, long request, long arg);

    int fcntl(int fd, int cmd, int arg);

    int fstat(int fd, Pointer statbuf);

    int socket(int domain, int type, int protocol);

    int socketpair(int domain, int type, int protocol, @Out int[] sv);

    int bind(int sockfd, Pointer addr, int addrlen);

    int connect(int sockfd, Pointer addr, int addrlen);

    int listen(int sockfd, int backlog);

    int accept4(int sockfd, Pointer addr, Pointer addrlen, int flags);

    int getsockname(int sockfd, Pointer addr, Pointer addrlen);

    @ssize_t long send(int sockfd, ByteBuffer buf, @size_t long len, int flags);

    @ssize_t long sendto(int sockfd, ByteBuffer buf, @size_t long len, int flags, Pointer destAddr, int addrlen);

    @ssize_t long recv(int sockfd, ByteBuffer buf, @size_t long len, int flags);

    /** recv(2) into native memory at address {@code buf}. */
    @ssize_t long recv(int sockfd, @intptr_t long buf, @size_t long len, int flags);

    @ssize_t long sendmsg(int sockfd, Pointer msg, int flags);

    @ssize_t long recvmsg(int sockfd, Pointer msg, int flags);

    /** recvmmsg(2) over a struct mmsghdr array at address {@code msgvec}; {@code timeout} 0 = NULL. */
    int recvmmsg(int sockfd, @intptr_t long msgvec, int vlen, int flags, @intptr_t long timeout);

    /** sendmmsg(2) over a struct mmsghdr array at address {@code msgvec}. */
    int sendmmsg(int sockfd, @intptr_t long msgvec, int vlen, int flags);

    int setsockopt(int sockfd, int level, int optname, Pointer optval, int optlen);

    int getsockopt(int sockfd, int level, int optname, Pointer optval, Pointer optlen);

    int poll(Pointer fds, @size_t long nfds, int timeout);

    /**
     * mmap(2); the address, or -1 (MAP_FAILED). Declared with a Pointer: JNR 2.2's all-primitive fast path
     * passes a sixth argument wrong (glibc then sees a misaligned offset and answers EINVAL).
     */
    Pointer mmap(Pointer addr, @size_t long length, int prot, int flags, int fd, long offset);

    int munmap(@intptr_t long addr, @size_t long length);

    int eventfd(int initval, int flags);

    int if_nametoindex(String ifname);

    Pointer if_indextoname(int ifindex, Pointer ifname);

    String strerror(int errnum);

    int geteuid();

    /** {@code param} is struct sched_param (one int, sched_priority); pid 0 is the calling thread. */
    int sched_setscheduler(int pid, int policy, @In int[] param);

    int sched_getscheduler(int pid);

    int mlockall(int flags);

    int getpid();
}
