// The running agent's takeover socket: accepts one successor at a time and runs the predecessor's side of the protocol.
package dev.tapover.liveupdate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.natives.Native;
import dev.tapover.natives.NativeException;
import dev.tapover.natives.Poller;
import dev.tapover.natives.UnixSocket;

/**
 * A SOCK_SEQPACKET socket, mode 0600, next to the control socket ({@code /run/tapover/fo0.takeover}). Only
 * root or this agent's own user may connect (SO_PEERCRED). One update at a time: a successor that connects
 * while another session runs is refused at HELLO and the running one carries on. Threads: one acceptor
 * ("tapover-takeover", waiting in poll with an eventfd) and one per session ("tapover-liveupdate").
 */
public final class TakeoverListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TakeoverListener.class);
    private static final long SLICE_NANOS = 100_000_000;

    private final Path path;
    private final Object fileKey;
    private final UnixSocket listening;
    private final Poller poller;
    private final Function<UnixSocket.Credentials, PredecessorProtocol.Host> hosts;
    private final Consumer<PredecessorProtocol.Outcome> outcomes;
    private final Deadlines deadlines;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread acceptor;
    private volatile boolean stopping;
    private volatile Thread session;

    private TakeoverListener(Path path, Object fileKey, UnixSocket listening, Poller poller,
                             Function<UnixSocket.Credentials, PredecessorProtocol.Host> hosts,
                             Consumer<PredecessorProtocol.Outcome> outcomes, Deadlines deadlines) {
        this.path = path;
        this.fileKey = fileKey;
        this.listening = listening;
        this.poller = poller;
        this.hosts = hosts;
        this.outcomes = outcomes;
        this.deadlines = deadlines;
        this.acceptor = new Thread(this::acceptLoop, "tapover-takeover");
        acceptor.setDaemon(true);
    }

    /** The takeover socket that belongs with a control socket: {@code fo0.sock} → {@code fo0.takeover}. */
    public static Path pathFor(Path controlSocket) {
        String name = controlSocket.getFileName().toString();
        String base = name.endsWith(".sock") ? name.substring(0, name.length() - 5) : name;
        return controlSocket.resolveSibling(base + ".takeover");
    }

    /**
     * Binds {@code path} (removing a stale socket file; refusing a live one or a non-socket) and starts
     * accepting. {@code hosts} makes the agent's side of one session for a connected peer.
     */
    public static TakeoverListener start(Path path, Function<UnixSocket.Credentials, PredecessorProtocol.Host> hosts,
                                         Consumer<PredecessorProtocol.Outcome> outcomes, Deadlines deadlines)
            throws LiveUpdateException {
        Path abs = path.toAbsolutePath();
        clearStale(abs);
        UnixSocket socket;
        try {
            Files.createDirectories(abs.getParent());
            socket = UnixSocket.listen(abs);
        } catch (IOException e) {
            throw new LiveUpdateException("cannot listen for live updates on " + abs + " (" + e.getMessage()
                    + "); pass a writable --control PATH");
        }
        try {
            Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rw-------"));
            Object key = Files.readAttributes(abs, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            Poller poller = new Poller(1);
            poller.watch(0, socket.fd());
            TakeoverListener listener = new TakeoverListener(abs, key, socket, poller, hosts, outcomes, deadlines);
            listener.acceptor.start();
            return listener;
        } catch (IOException | RuntimeException e) {
            socket.close();
            deleteQuietly(abs);
            throw new LiveUpdateException("cannot prepare the takeover socket " + abs + " (" + e.getMessage()
                    + "); pass a --control PATH on a filesystem with permissions");
        }
    }

    public Path path() {
        return path;
    }

    /** Whether a session runs now. */
    public boolean busy() {
        return busy.get();
    }

    private static void clearStale(Path path) throws LiveUpdateException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        boolean socket;
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            socket = (mode & 0170000) == 0140000;
        } catch (IOException | RuntimeException e) {
            throw new LiveUpdateException("cannot inspect " + path + " (" + e + "); remove it or pass --control PATH");
        }
        if (!socket) {
            throw new LiveUpdateException("takeover socket path " + path + " exists and is not a socket; remove it or pass --control PATH");
        }
        try (UnixSocket probe = UnixSocket.connect(path)) {
            throw new LiveUpdateException("takeover socket " + path + " is in use by another tapover; stop it or pass --control PATH");
        } catch (NativeException refused) {
            deleteQuietly(path);
        }
    }

    private void acceptLoop() {
        try {
            while (!stopping) {
                poller.poll(-1);
                if (stopping) {
                    break;
                }
                if (!poller.readable(0)) {
                    continue;
                }
                UnixSocket conn;
                try {
                    conn = listening.accept();
                } catch (NativeException e) {
                    LOG.warn("event=takeover-accept-failed error=\"{}\"", e.getMessage());
                    continue;
                }
                handle(conn);
            }
        } catch (NativeException e) {
            LOG.error("event=takeover-listener-failed error=\"{}\"", e.getMessage());
        }
    }

    private void handle(UnixSocket conn) {
        UnixSocket.Credentials peer;
        try {
            peer = conn.peerCredentials();
        } catch (NativeException e) {
            conn.close();
            return;
        }
        int self = Native.LIBC.geteuid();
        Transport transport = new Transport(conn);
        if (peer.uid() != 0 && peer.uid() != self) {
            LOG.warn("event=takeover-refused peer_pid={} peer_uid={} why=\"not root or this agent's user\"", peer.pid(),
                    peer.uid());
            refuseQuietly(transport, "only root or the agent's own user may take over; run the successor with sudo");
            return;
        }
        if (!busy.compareAndSet(false, true)) {
            LOG.warn("event=takeover-refused peer_pid={} why=\"another live update is in progress\"", peer.pid());
            refuseQuietly(transport, "another live update is in progress; wait for it to finish and retry");
            return;
        }
        Thread t = new Thread(() -> runSession(transport, peer), "tapover-liveupdate");
        t.setDaemon(true);
        session = t;
        t.start();
    }

    private void refuseQuietly(Transport transport, String why) {
        Thread t = new Thread(() -> {
            try (transport) {
                transport.receive(1_000_000_000L); // its HELLO, so the answer is read as the answer to it
                transport.send(Message.withReason(Message.REFUSE, why));
            } catch (IOException | LiveUpdateException e) {
                LOG.debug("event=takeover-refuse-unsent error=\"{}\"", e.getMessage());
            }
        }, "tapover-takeover-refuse");
        t.setDaemon(true);
        t.start();
    }

    private void runSession(Transport transport, UnixSocket.Credentials peer) {
        PredecessorProtocol.Outcome outcome = null;
        try {
            PredecessorProtocol.Host host = hosts.apply(peer);
            PredecessorProtocol protocol = new PredecessorProtocol(host, new PredecessorProtocol.Channel() {
                @Override
                public void send(Message message, int... fds) throws IOException {
                    transport.send(message, fds);
                }

                @Override
                public void close() {
                    transport.close();
                }
            }, deadlines, System.nanoTime());
            LOG.info("event=takeover-connected peer_pid={} peer_uid={}", peer.pid(), peer.uid());
            while (!protocol.isDone()) {
                long now = System.nanoTime();
                if (stopping) {
                    protocol.abort("the running agent is stopping", now);
                    break;
                }
                long wait = Math.min(SLICE_NANOS, Math.max(0, protocol.deadlineNanos() - now));
                Transport.Incoming in;
                try {
                    in = transport.receive(wait);
                } catch (LiveUpdateException e) {
                    protocol.abort(e.getMessage(), System.nanoTime());
                    break;
                } catch (IOException e) {
                    protocol.abort("the takeover connection failed (" + e.getMessage() + ")", System.nanoTime());
                    break;
                }
                now = System.nanoTime();
                if (in.closed()) {
                    protocol.onClosed(now);
                } else if (in.timedOut()) {
                    protocol.onTick(now);
                } else {
                    Transport.closeAll(in.fds()); // a successor never sends fds
                    LOG.debug("event=takeover-message type={} state={}", in.message().type(), protocol.state());
                    protocol.onMessage(in.message(), now);
                    protocol.onTick(System.nanoTime());
                }
            }
            outcome = protocol.outcome();
        } catch (RuntimeException e) {
            LOG.error("event=takeover-session-failed error=\"{}\"", e.toString(), e);
            outcome = new PredecessorProtocol.Outcome(PredecessorProtocol.Outcome.ROLLED_BACK, "unknown", e.toString(),
                    -1, -1, null, peer.pid());
        } finally {
            transport.close();
            busy.set(false);
            session = null;
        }
        if (outcome != null) {
            outcomes.accept(outcome);
        }
    }

    /** Stops accepting, aborts a running session (rolling it back), removes the socket file if still ours. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopping = true;
        try {
            poller.wakeup();
        } catch (NativeException e) {
            LOG.debug("event=takeover-wakeup-failed error=\"{}\"", e.getMessage());
        }
        try {
            acceptor.join(2000);
            Thread s = session;
            if (s != null && s != Thread.currentThread()) {
                s.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        listening.close();
        poller.close();
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (Objects.equals(current, fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (NoSuchFileException e) {
            // already gone
        } catch (IOException e) {
            LOG.warn("event=takeover-socket-not-removed path={} error=\"{}\"", path, e.toString());
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("event=takeover-socket-not-removed path={} error=\"{}\"", path, e.toString());
        }
    }
}
