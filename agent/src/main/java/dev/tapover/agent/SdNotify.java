// systemd's readiness protocol (sd_notify): READY=1, RELOADING=1 and STOPPING=1 datagrams to $NOTIFY_SOCKET.
package dev.tapover.agent;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.natives.NativeException;
import dev.tapover.natives.UnixDatagramSocket;

/**
 * With {@code Type=notify} systemd passes a datagram socket in {@code NOTIFY_SOCKET} (a path, or {@code @name}
 * in the abstract namespace) and waits for {@code READY=1}. Without the variable every call does nothing. A failed
 * send is logged once and never stops the agent (sd_notify(3) behaves the same).
 */
public final class SdNotify {
    private static final Logger LOG = LoggerFactory.getLogger(SdNotify.class);

    private final String address;
    private boolean warned;

    private SdNotify(String address) {
        this.address = address == null || address.isEmpty() ? null : address;
    }

    /** From this process's environment. */
    public static SdNotify fromEnvironment() {
        return from(System::getenv);
    }

    /** From an environment lookup (tests pass their own). */
    public static SdNotify from(Function<String, String> environment) {
        return new SdNotify(environment.apply("NOTIFY_SOCKET"));
    }

    public boolean enabled() {
        return address != null;
    }

    /** Start-up is complete: the master and the links are up and the control socket answers. */
    public void ready(String status) {
        send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid());
    }

    /** A reload begins; follow it with {@link #ready}. */
    public void reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
    }

    /** Shutdown begins. */
    public void stopping() {
        send("STOPPING=1\nSTATUS=stopping");
    }

    synchronized void send(String message) {
        if (address == null) {
            return;
        }
        try (UnixDatagramSocket socket = UnixDatagramSocket.open()) {
            socket.sendTo(address, message.getBytes(StandardCharsets.UTF_8));
            LOG.debug("event=sd-notify socket={} message=\"{}\"", address, message.replace('\n', ' '));
        } catch (NativeException | RuntimeException e) {
            if (!warned) {
                warned = true;
                LOG.warn("event=sd-notify-failed socket={} error=\"{}\" hint=\"systemd will not see the agent's "
                        + "state; check NOTIFY_SOCKET\"", address, e.getMessage());
            }
        }
    }
}
