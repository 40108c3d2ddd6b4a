// `tapover upgrade`: makes a running agent hand its live master to the installed build (live update).
package dev.tapover.cli;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine.Command;

@Command(name = "upgrade", mixinStandardHelpOptions = true,
        description = {"Start a live update: the agent starts the installed build and hands it the open TAP and",
            "link sockets, so the master keeps carrier and no frame is lost. Follow it with `tapover events`.",
            "This build's agent refuses it (exit 69): live update has not landed yet."},
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
