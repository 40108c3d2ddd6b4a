// `tapover reload`: makes a running agent re-read its configuration file and apply what can change live.
package dev.tapover.cli;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine.Command;

@Command(name = "reload", mixinStandardHelpOptions = true,
        description = "Re-read the agent's configuration file (run --config FILE) and apply what can change live: "
            + "policy, announcement settings, log level. A change that cannot apply live (master, links, "
            + "addresses, sockets) refuses the whole reload with the reason, and nothing changes. Same as "
            + "SIGHUP.",
        footer = {"", "Example:", "  tapover reload --master fo0"})
public final class ReloadCommand extends OneShotCommand {
    @Override
    String request() {
        return ControlProtocol.RELOAD;
    }

    @Override
    String done() {
        return "reloaded";
    }
}
