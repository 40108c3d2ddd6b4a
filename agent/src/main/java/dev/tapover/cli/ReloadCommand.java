// `tapover reload`: makes a running agent re-read its configuration file and apply what can change live.
package dev.tapover.cli;

import java.util.Map;
import java.util.concurrent.Callable;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "reload", mixinStandardHelpOptions = true,
        description = {"Re-read the agent's configuration file (run --config FILE) and apply what can change live:",
            "policy, announcement settings, log level. A change that cannot apply live (master, links, addresses,",
            "sockets) refuses the whole reload with the reason, and nothing changes. Same as SIGHUP."},
        footer = {"", "Example:", "  tapover reload --master fo0"})
public final class ReloadCommand implements Callable<Integer> {
    @Mixin
    ControlClientOptions control;

    @Option(names = "--json", description = "Print the agent's answer as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CommandFailure {
        Map<String, Object> result = ControlCall.call(control, ControlProtocol.RELOAD, null);
        ResultOutput.print(spec.commandLine().getOut(), json, result, "reloaded");
        return ExitCode.OK;
    }
}
