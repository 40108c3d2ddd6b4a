// `tapover notify-peers`: makes a running agent announce the master's addresses now (gratuitous ARP / NA).
package dev.tapover.cli;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine.Command;

@Command(name = "notify-peers", mixinStandardHelpOptions = true,
        description = "Send an announcement burst on the active link now, as the kernel's netif_notify_peers() would: "
            + "gratuitous ARP, unsolicited NA or RARP, so switches and neighbours learn where the master is.",
        footer = {"", "Example:", "  tapover notify-peers --master fo0"})
public final class NotifyPeersCommand extends OneShotCommand {
    @Override
    String request() {
        return ControlProtocol.NOTIFY_PEERS;
    }

    @Override
    String done() {
        return "peers notified";
    }
}
