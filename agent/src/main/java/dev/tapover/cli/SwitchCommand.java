// `tapover switch`: makes a running agent move its master to the primary, the standby or a named link.
package dev.tapover.cli;

import java.util.Map;
import java.util.concurrent.Callable;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "switch", mixinStandardHelpOptions = true,
        description = {"Switch the active link by hand (the agent announces the move to its peers).",
            "The agent refuses a link that is missing or has no carrier (exit 69)."},
        footer = {"", "Examples:", "  tapover switch --to standby", "  tapover switch --master fo1 --to eth3"})
public final class SwitchCommand implements Callable<Integer> {
    @Mixin
    ControlClientOptions control;

    @Option(names = "--to", paramLabel = "primary|standby|IF", required = true,
            description = "The link to make active: primary, standby or a link's name.")
    String to;

    @Option(names = "--json", description = "Print the agent's answer as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CommandFailure {
        if (to.isBlank()) {
            throw new CommandFailure(ExitCode.USAGE, "--to is empty; pass primary, standby or a link name");
        }
        Map<String, Object> result = ControlCall.call(control, ControlProtocol.SWITCH, to);
        Object active = result.getOrDefault("active", to);
        ResultOutput.print(spec.commandLine().getOut(), json, result, "switched to " + active);
        return ExitCode.OK;
    }
}
