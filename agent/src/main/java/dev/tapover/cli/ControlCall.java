// How the CLI commands reach the agent: connect, ask, and turn every failure into a sysexits code.
package dev.tapover.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import dev.tapover.control.ControlClient;
import dev.tapover.control.ControlClientException;
import dev.tapover.control.ControlProtocol;

/** Shared by status, switch, notify-peers, events and upgrade. */
final class ControlCall {
    /** How long a request may take before the CLI gives up on the agent. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private ControlCall() {
    }

    /** Sends one request and returns its result, or throws the failure the user should see. */
    static Map<String, Object> call(ControlClientOptions options, String cmd, String to) throws CommandFailure {
        try (ControlClient client = connect(options)) {
            return result(client.call(client.request(cmd, options.group(), to), TIMEOUT), client.socket());
        } catch (ControlClientException e) {
            throw failure(e, options);
        }
    }

    static ControlClient connect(ControlClientOptions options) throws CommandFailure {
        try {
            return ControlClient.connect(options.socket());
        } catch (ControlClientException e) {
            throw failure(e, options);
        }
    }

    /** The result of a success line; a failure line becomes a {@link CommandFailure} with a mapped code. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> result(Map<String, Object> answer, Path socket) throws CommandFailure {
        if (!Integer.valueOf(ControlProtocol.VERSION).equals(answer.get("v"))) {
            throw new CommandFailure(ExitCode.SOFTWARE, "the agent on " + socket + " speaks protocol version "
                    + answer.get("v") + ", this CLI speaks " + ControlProtocol.VERSION + "; use the CLI of the same build");
        }
        if (Boolean.TRUE.equals(answer.get("ok"))) {
            Object result = answer.get("result");
            return result instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
        }
        if (Boolean.FALSE.equals(answer.get("ok")) && answer.get("error") instanceof Map<?, ?> error) {
            String code = String.valueOf(error.get("code"));
            Object message = error.get("message");
            throw new CommandFailure(exitCodeFor(code),
                    message != null ? String.valueOf(message) : "the agent refused the request (" + code + ")");
        }
        throw new CommandFailure(ExitCode.SOFTWARE, "the agent on " + socket
                + " answered with an unexpected line; use the CLI of the same build as the agent");
    }

    /** The exit code for an agent-side error code. */
    static int exitCodeFor(String code) {
        return switch (code) {
            case ControlProtocol.BAD_REQUEST, ControlProtocol.UNKNOWN_COMMAND, ControlProtocol.UNKNOWN_GROUP ->
                ExitCode.USAGE;
            case ControlProtocol.REFUSED, ControlProtocol.UNAVAILABLE -> ExitCode.UNAVAILABLE;
            case ControlProtocol.NOT_PERMITTED -> ExitCode.NOPERM;
            default -> ExitCode.SOFTWARE;
        };
    }

    /** The failure for a client-side problem, with a hint of what to do. */
    static CommandFailure failure(ControlClientException e, ControlClientOptions options) {
        return switch (e.reason()) {
            case NO_AGENT -> new CommandFailure(ExitCode.UNAVAILABLE,
                    e.getMessage() + "; is `" + options.runHint() + "` running?", e);
            case NOT_PERMITTED -> new CommandFailure(ExitCode.NOPERM, e.getMessage()
                    + "; run the command as root (sudo) or as a member of the agent's control group", e);
            case PROTOCOL -> new CommandFailure(ExitCode.SOFTWARE, e.getMessage(), e);
            default -> new CommandFailure(ExitCode.UNAVAILABLE, e.getMessage(), e);
        };
    }
}
