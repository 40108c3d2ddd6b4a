// Options shared by the commands that talk to a running agent: which control socket, which master.
package dev.tapover.cli;

import java.nio.file.Path;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine.Option;

/** A picocli mixin: {@code [--control SOCKET] [--master NAME]}. */
public final class ControlClientOptions {
    static final String DEFAULT_MASTER = "fo0";

    @Option(names = "--control", paramLabel = "SOCKET",
            description = "The agent's control socket (default: /run/tapover/<master>.sock).")
    Path control;

    @Option(names = "--master", paramLabel = "NAME",
            description = "The failover master to talk to; picks the default socket and the group (default: "
                    + DEFAULT_MASTER + ").")
    String master;

    /** The socket to connect to. */
    Path socket() throws CommandFailure {
        if (control != null) {
            return control;
        }
        String name = master != null ? master : DEFAULT_MASTER;
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new CommandFailure(ExitCode.USAGE, "--master \"" + name
                    + "\" is not an interface name; pass a name like fo0, or --control SOCKET");
        }
        return ControlProtocol.defaultSocket(name);
    }

    /** The group named in requests: the master when given, else null (the agent's only group). */
    String group() {
        return master;
    }

    /** The command that would start an agent on this socket, for "is it running?" hints. */
    String runHint() {
        if (control != null) {
            return "tapover run" + (master != null ? " --master " + master : "") + " --control " + control;
        }
        return "tapover run --master " + (master != null ? master : DEFAULT_MASTER);
    }
}
