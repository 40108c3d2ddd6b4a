// `tapover upgrade`: makes a running agent hand its live master to the installed build (live update).
package dev.tapover.cli;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine.Command;

@Command(name = "upgrade", mixinStandardHelpOptions = true,
        description = "Start a live update: the agent starts the installed build and hands it the open TAP and link "
            + "sockets, so the master keeps carrier and no frame is lost. It waits for the outcome: 0 when the "
            + "successor serves, 69 when the agent rolled back and carries on. See docs/live-update.md.",
        footer = {"", "Example:", "  tapover upgrade && tapover status"})
public final class UpgradeCommand extends OneShotCommand {
    @Override
    String request() {
        return ControlProtocol.UPGRADE;
    }

    @Override
    String done() {
        return "live update started";
    }
}
