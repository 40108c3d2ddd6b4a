// `tapover upgrade`: makes a running agent hand its live master to the installed build (live update).
package dev.tapover.cli;

import java.util.Map;
import java.util.concurrent.Callable;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "upgrade", mixinStandardHelpOptions = true,
        description = {"Start a live update: the agent starts the installed build and hands it the open TAP and",
            "link sockets, so the master keeps carrier and no frame is lost. Follow it with `tapover events`."},
        footer = {"", "Example:", "  tapover upgrade && tapover status"})
public final class UpgradeCommand implements Callable<Integer> {
    @Mixin
    ControlClientOptions control;

    @Option(names = "--json", description = "Print the agent's answer as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CommandFailure {
        Map<String, Object> result = ControlCall.call(control, ControlProtocol.UPGRADE, null);
        ResultOutput.print(spec.commandLine().getOut(), json, result, "live update started");
        return ExitCode.OK;
    }
}
