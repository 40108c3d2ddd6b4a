// `tapover notify-peers`: makes a running agent announce the master's addresses now (gratuitous ARP / NA).
package dev.tapover.cli;

import java.util.Map;
import java.util.concurrent.Callable;

import dev.tapover.control.ControlProtocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "notify-peers", mixinStandardHelpOptions = true,
        description = {"Send an announcement burst on the active link now, as the kernel's netif_notify_peers() would:",
            "gratuitous ARP, unsolicited NA or RARP, so switches and neighbours learn where the master is."},
        footer = {"", "Example:", "  tapover notify-peers --master fo0"})
public final class NotifyPeersCommand implements Callable<Integer> {
    @Mixin
    ControlClientOptions control;

    @Option(names = "--json", description = "Print the agent's answer as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CommandFailure {
        Map<String, Object> result = ControlCall.call(control, ControlProtocol.NOTIFY_PEERS, null);
        ResultOutput.print(spec.commandLine().getOut(), json, result, "peers notified");
        return ExitCode.OK;
    }
}
