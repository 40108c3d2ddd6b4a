// `tapover events`: follows a running agent's events and prints each as one JSON line.
package dev.tapover.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.tapover.control.ControlClient;
import dev.tapover.control.ControlClientException;
import dev.tapover.control.ControlProtocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "events", mixinStandardHelpOptions = true,
        description = "Print the agent's events as JSON lines, one per event (each with seq, time and type), until "
            + "interrupted (Ctrl-C) or until the agent goes away (exit 69).",
        footer = {"", "Examples:", "  tapover events", "  tapover events | jq -c 'select(.type == \"failover\")'"})
public final class EventsCommand implements Callable<Integer> {
    @Mixin
    ControlClientOptions control;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CommandFailure {
        PrintWriter out = spec.commandLine().getOut();
        try (ControlClient client = ControlCall.connect(control)) {
            Map<String, Object> request = client.request(ControlProtocol.EVENTS, control.group(), null);
            ControlCall.result(client.call(request, ControlCall.TIMEOUT), client.socket()); // the stream's ack
            while (true) {
                Map<String, Object> line = client.readLine(null);
                if (line == null) {
                    throw new CommandFailure(ExitCode.UNAVAILABLE, "the tapover agent on " + client.socket()
                            + " ended the event stream; it stopped or handed over to a new build, so run events again");
                }
                if (!line.containsKey("event")) {
                    ControlCall.result(line, client.socket()); // an error line ends the stream
                    continue;
                }
                out.print(ControlProtocol.compact(line.get("event")) + "\n");
                out.flush();
                if (out.checkError()) {
                    return ExitCode.OK; // stdout was closed (e.g. `| head`): the reader has what it wanted
                }
            }
        } catch (ControlClientException e) {
            throw ControlCall.failure(e, control);
        }
    }
}
