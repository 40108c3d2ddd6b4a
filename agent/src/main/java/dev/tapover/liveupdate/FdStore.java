// systemd's file-descriptor store: sd_notify FDSTORE=1/FDNAME with SCM_RIGHTS, FDSTOREREMOVE, MAINPID over $NOTIFY_SOCKET.
package dev.tapover.liveupdate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.natives.FdPassing;
import dev.tapover.natives.UnixSocket;

/**
 * Under systemd (a unit with {@code FileDescriptorStoreMax=} &gt; 0 and {@code NotifyAccess=all}) the agent
 * parks a copy of each TAP fd with systemd as {@code tap/<master>}: if the agent crashes, systemd keeps the
 * TAP open (so it keeps its carrier and addresses) and hands the fd back through $LISTEN_FDS on the restart
 * ({@link ListenFds}). A clean stop removes it first, so the TAP goes away with the agent as it should. Each
 * message is one datagram to $NOTIFY_SOCKET, as sd_pid_notify_with_fds(3) sends it.
 */
public final class FdStore {
    private static final Logger LOG = LoggerFactory.getLogger(FdStore.class);

    private final String address;
    private final boolean storesFds;

    FdStore(String address, boolean storesFds) {
        this.address = address;
        this.storesFds = storesFds;
    }

    /**
     * The notification socket of this service, if $NOTIFY_SOCKET is set (for MAINPID on a live update; see
     * {@link #hasStore} for the fd store itself).
     */
    public static Optional<FdStore> fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        return socket == null || socket.isEmpty() ? Optional.empty()
                : Optional.of(new FdStore(socket, hasStore(env)));
    }

    /**
     * Whether the service has an fd store: systemd 254 and later set $FDSTORE to its size
     * (FileDescriptorStoreMax=); with an older systemd, set TAPOVER_FDSTORE=1 in the unit.
     */
    static boolean hasStore(Map<String, String> env) {
        if ("1".equals(env.get("TAPOVER_FDSTORE"))) {
            return true;
        }
        try {
            return Integer.parseInt(env.getOrDefault("FDSTORE", "0").trim()) > 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Whether FDSTORE messages are sent (the service has a store). */
    public boolean storesFds() {
        return storesFds;
    }

    public String address() {
        return address;
    }

    /** The name an fd of this master is stored under. */
    public static String nameFor(String master) {
        return FdEntry.tokenFor(FdKind.TAP, master);
    }

    /** The datagram that stores an fd under {@code name}. */
    public static String storeMessage(String name) {
        checkName(name);
        return "FDSTORE=1\nFDNAME=" + name + "\n";
    }

    /** The datagram that drops every fd stored under {@code name}. */
    public static String removeMessage(String name) {
        checkName(name);
        return "FDSTOREREMOVE=1\nFDNAME=" + name + "\n";
    }

    /** systemd's fdname_is_valid(): 1..255 printable ASCII characters, no ':'. */
    static void checkName(String name) {
        if (name.isEmpty() || name.length() > 255 || !name.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != ':')) {
            throw new IllegalArgumentException("fd store name \"" + name
                    + "\" must be 1 to 255 printable ASCII characters without ':'");
        }
    }

    /** Parks a copy of {@code fd} under {@code name}. */
    public void store(String name, int fd) throws IOException {
        send(storeMessage(name), fd);
    }

    /** Removes what is stored under {@code name}. */
    public void remove(String name) throws IOException {
        send(removeMessage(name));
    }

    /** Tells systemd that {@code pid} is now the service's main process (a live update's successor). */
    public void mainPid(long pid) throws IOException {
        send("MAINPID=" + pid + "\n");
    }

    private void send(String text, int... fds) throws IOException {
        try (UnixSocket socket = UnixSocket.connectDatagram(address)) {
            byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            ByteBuffer buf = ByteBuffer.allocateDirect(bytes.length);
            buf.put(bytes).flip();
            FdPassing.send(socket, buf, fds);
        }
        LOG.debug("event=sd-notify message=\"{}\" fds={}", text.trim().replace('\n', ' '), fds.length);
    }
}
