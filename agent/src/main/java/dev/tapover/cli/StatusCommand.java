// `tapover status`: asks a running agent for its status document and prints it as a table or as JSON.
package dev.tapover.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show a running agent's master, links, counters, failovers and announcements.",
            "--json prints the versioned status document (\"schema\": 1, see docs/control.md)."},
        footer = {"", "Examples:", "  tapover status", "  tapover status --master fo1 --json | jq '.groups[0].active'"})
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    ControlClientOptions control;

    @Option(names = "--json", description = "Print the status document as JSON instead of a table.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CommandFailure {
        Map<String, Object> status = ControlCall.call(control, ControlProtocol.STATUS, null);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? ControlProtocol.pretty(status) + "\n" : StatusTable.render(status));
        out.flush();
        return ExitCode.OK;
    }
}
