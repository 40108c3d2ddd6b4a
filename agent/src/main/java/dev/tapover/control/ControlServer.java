// The agent's control socket: a Netty epoll UNIX-socket server that serves ControlHandler to local clients.
package dev.tapover.control;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * Start with {@link #start(Path, ControlHandler, ControlAccess)}, stop with {@link #close()}.
 *
 * <p>Starting takes the path carefully: the parent directory is created 0755 if missing; a socket file that
 * answers means another agent owns it ({@link ControlSocketException.Reason#IN_USE}); one that refuses is stale
 * and is removed; anything that is not a socket is left alone ({@code BAD_PATH}). The socket is bound through
 * Netty's native {@link Socket} and handed to the channel as a file descriptor, so closing the channel does not
 * unlink by path: {@link #close()} removes the file only if it is still the one this server bound.
 *
 * <p>Threads: one epoll event loop ("tapover-control-io") and one thread for handler calls ("tapover-control"),
 * both daemons.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    /** sun_path holds 108 bytes including the terminating NUL. */
    private static final int MAX_PATH_BYTES = 107;
    private static final int BACKLOG = 64;
    private static final int EACCES = 13;
    private static final int EPERM = 1;
    private static final int EADDRINUSE = 98;

    private final Path socket;
    private final Object fileKey;
    private final EpollEventLoopGroup loop;
    private final ExecutorService calls;
    private final Channel serverChannel;
    private final ChannelGroup connections;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ControlServer(Path socket, Object fileKey, EpollEventLoopGroup loop, ExecutorService calls,
            Channel serverChannel, ChannelGroup connections) {
        this.socket = socket;
        this.fileKey = fileKey;
        this.loop = loop;
        this.calls = calls;
        this.serverChannel = serverChannel;
        this.connections = connections;
    }

    /** Serves {@code handler} on {@code socket} to root only. */
    public static ControlServer start(Path socket, ControlHandler handler) throws ControlSocketException {
        return start(socket, handler, ControlAccess.rootOnly());
    }

    /** Serves {@code handler} on {@code socket} to the peers {@code access} permits. */
    public static ControlServer start(Path socket, ControlHandler handler, ControlAccess access)
            throws ControlSocketException {
        return start(socket, handler, access, PeerIdentity::of);
    }

    static ControlServer start(Path socket, ControlHandler handler, ControlAccess access,
            ControlPipeline.PeerSource peers) throws ControlSocketException {
        Objects.requireNonNull(handler, "handler");
        Path path = socket.toAbsolutePath();
        NettyLogging.quiet();
        checkPathLength(path);
        prepareDirectory(path.getParent());
        clearStaleSocket(path);
        if (!Epoll.isAvailable()) {
            throw new ControlSocketException(ControlSocketException.Reason.FAILED,
                    "the control socket needs Netty's native epoll transport, which did not load ("
                            + Epoll.unavailabilityCause() + "); run on Linux x86_64 with the shipped jar",
                    Epoll.unavailabilityCause());
        }

        // From here the channel owns the listening fd: closing it closes the fd (but does not unlink the path).
        EpollServerDomainSocketChannel listening = new EpollServerDomainSocketChannel(bind(path).intValue(), true);
        EpollEventLoopGroup loop = new EpollEventLoopGroup(1, new DefaultThreadFactory("tapover-control-io", true));
        ExecutorService calls = Executors.newSingleThreadExecutor(new DefaultThreadFactory("tapover-control", true));
        ChannelGroup connections = new DefaultChannelGroup("tapover-control", GlobalEventExecutor.INSTANCE);
        Channel serverChannel;
        try {
            serverChannel = new ServerBootstrap()
                    .group(loop)
                    .channelFactory(() -> listening)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                    // answer clients that half-close after their request (echo ... | nc -UN); see ControlPipeline
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel channel) {
                            connections.add(channel);
                            ControlPipeline.install(channel.pipeline(), handler, calls, access, peers);
                        }
                    })
                    .register().syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            listening.close();
            shutdown(loop, calls);
            deleteQuietly(path);
            throw new ControlSocketException(ControlSocketException.Reason.FAILED,
                    "could not start serving the control socket " + path + " (" + e + "); see the log", e);
        }

        Object fileKey;
        try {
            restrict(path, access);
            fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException | RuntimeException e) {
            serverChannel.close().syncUninterruptibly();
            shutdown(loop, calls);
            deleteQuietly(path);
            throw new ControlSocketException(e instanceof AccessDeniedException
                    ? ControlSocketException.Reason.NOT_PERMITTED : ControlSocketException.Reason.FAILED,
                    "could not set the permissions of the control socket " + path + " (" + e
                            + "); run as root or pass --control PATH on a filesystem that supports them", e);
        }
        log.info("control socket listening on {}", path);
        return new ControlServer(path, fileKey, loop, calls, serverChannel, connections);
    }

    /** The absolute path of the socket file. */
    public Path socket() {
        return socket;
    }

    /**
     * Warms the request path from a daemon thread, so the class loading and JIT of Netty's child pipeline, the peer
     * check and JSON happen now and not in the first user's request (measured on a loaded 2-core machine: ~500 ms
     * cold, ~6 ms warm). It sends an unknown command (answered by the pipeline alone), then a {@code status}
     * (which the handler answers once the agent serves). The returned latch opens when the first answer is in.
     */
    public java.util.concurrent.CountDownLatch warmUp() {
        java.util.concurrent.CountDownLatch pipelineWarm = new java.util.concurrent.CountDownLatch(1);
        Thread t = new Thread(() -> {
            long start = System.nanoTime();
            try {
                exchange(ControlProtocol.request("warm-up", "warm-up", null, null));
                pipelineWarm.countDown();
                exchange(ControlProtocol.request("warm-up", ControlProtocol.STATUS, null, null));
                log.debug("event=control-warmed-up ms={}", (System.nanoTime() - start) / 1_000_000);
            } catch (IOException | RuntimeException e) {
                log.debug("event=control-warm-up-failed error=\"{}\"", e.toString());
            } finally {
                pipelineWarm.countDown();
            }
        }, "tapover-control-warmup");
        t.setDaemon(true);
        t.start();
        return pipelineWarm;
    }

    /** One request over a connection of its own; reads the answer line to its end. */
    private void exchange(java.util.Map<String, Object> request) throws IOException {
        byte[] line = (ControlProtocol.compact(request) + "\n").getBytes(StandardCharsets.UTF_8);
        try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            client.connect(UnixDomainSocketAddress.of(socket));
            client.write(java.nio.ByteBuffer.wrap(line));
            java.nio.ByteBuffer answer = java.nio.ByteBuffer.allocate(4096);
            while (client.read(answer) > 0 && answer.get(answer.position() - 1) != '\n') {
                if (!answer.hasRemaining()) {
                    answer.clear(); // only the end of the answer matters
                }
            }
        }
    }

    /** Stops accepting, closes every connection (ending event streams), and removes the socket file. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        serverChannel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        shutdown(loop, calls);
        removeSocketFileIfOurs();
        log.info("control socket {} closed", socket);
    }

    private void removeSocketFileIfOurs() {
        try {
            Object current = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey();
            if (Objects.equals(current, fileKey)) {
                Files.deleteIfExists(socket);
            } else {
                log.info("left {} in place: it is no longer this agent's socket", socket);
            }
        } catch (NoSuchFileException e) {
            // already gone
        } catch (IOException e) {
            log.warn("could not remove the control socket {}: {}; remove it by hand", socket, e.toString());
        }
    }

    private static void checkPathLength(Path path) throws ControlSocketException {
        if (path.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new ControlSocketException(ControlSocketException.Reason.BAD_PATH, "the control socket path "
                    + path + " is longer than " + MAX_PATH_BYTES + " bytes; pass a shorter --control PATH");
        }
    }

    /** Creates the socket's directory 0755 if it is missing. */
    private static void prepareDirectory(Path directory) throws ControlSocketException {
        if (directory == null || Files.isDirectory(directory)) {
            return;
        }
        try {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (AccessDeniedException e) {
            throw new ControlSocketException(ControlSocketException.Reason.NOT_PERMITTED, "cannot create "
                    + directory + " for the control socket (permission denied); run as root or pass --control PATH",
                    e);
        } catch (IOException e) {
            throw new ControlSocketException(ControlSocketException.Reason.BAD_PATH, "cannot create " + directory
                    + " for the control socket (" + e + "); pass --control PATH in a writable directory", e);
        }
    }

    /** Refuses a live socket or a non-socket at {@code path}; removes a stale socket file. */
    private static void clearStaleSocket(Path path) throws ControlSocketException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!isSocket(path)) {
            throw new ControlSocketException(ControlSocketException.Reason.BAD_PATH, "control socket path "
                    + path + " exists and is not a socket; remove it or pass --control PATH");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
        } catch (ConnectException refused) {
            try {
                Files.deleteIfExists(path);
                log.info("removed stale control socket {}", path);
                return;
            } catch (IOException e) {
                throw new ControlSocketException(ControlSocketException.Reason.NOT_PERMITTED, "cannot remove the stale "
                        + "control socket " + path + " (" + e + "); remove it by hand or pass --control PATH", e);
            }
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("Permission denied")) {
                throw new ControlSocketException(ControlSocketException.Reason.NOT_PERMITTED, "cannot check the "
                        + "existing control socket " + path + " (permission denied); run as root or pass --control PATH",
                        e);
            }
            throw new ControlSocketException(ControlSocketException.Reason.FAILED, "cannot check the existing "
                    + "control socket " + path + " (" + e + "); remove it or pass --control PATH", e);
        }
        throw new ControlSocketException(ControlSocketException.Reason.IN_USE, "control socket " + path
                + " is in use by another tapover; stop it or pass --control PATH");
    }

    private static boolean isSocket(Path path) throws ControlSocketException {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000; // S_IFMT == S_IFSOCK
        } catch (IOException | RuntimeException e) {
            throw new ControlSocketException(ControlSocketException.Reason.FAILED, "cannot inspect " + path
                    + " (" + e + "); remove it or pass --control PATH", e);
        }
    }

    /** A listening UNIX socket bound at {@code path}. */
    private static Socket bind(Path path) throws ControlSocketException {
        Socket listening = Socket.newSocketDomain();
        try {
            listening.bind(new DomainSocketAddress(path.toString()));
            listening.listen(BACKLOG);
            return listening;
        } catch (IOException e) {
            closeQuietly(listening);
            int errno = e instanceof Errors.NativeIoException nativeError ? -nativeError.expectedErr() : 0;
            if (errno == EADDRINUSE) {
                throw new ControlSocketException(ControlSocketException.Reason.IN_USE, "control socket " + path
                        + " is in use by another tapover; stop it or pass --control PATH", e);
            }
            if (errno == EACCES || errno == EPERM) {
                throw new ControlSocketException(ControlSocketException.Reason.NOT_PERMITTED, "cannot create the "
                        + "control socket " + path + " (permission denied); run as root or pass --control PATH", e);
            }
            throw new ControlSocketException(ControlSocketException.Reason.FAILED, "cannot bind the control socket "
                    + path + " (" + e.getMessage() + "); pass --control PATH", e);
        }
    }

    /** 0600, or 0660 owned by the control group. */
    private static void restrict(Path path, ControlAccess access) throws IOException {
        if (access.group().isPresent()) {
            Files.setAttribute(path, "unix:gid", access.group().getAsInt(), LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        } else {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        }
    }

    private static void shutdown(EpollEventLoopGroup loop, ExecutorService calls) {
        calls.shutdown();
        try {
            if (!calls.awaitTermination(2, TimeUnit.SECONDS)) {
                log.warn("a control request was still running at shutdown; abandoning it");
                calls.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("closing the listening socket failed: {}", e.toString());
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("could not remove {}: {}; remove it by hand", path, e.toString());
        }
    }
}
