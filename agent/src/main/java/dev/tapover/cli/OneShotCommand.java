// The shape shared by the control commands that send one request and print one answer (notify-peers, reload, upgrade).
package dev.tapover.cli;

import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A subclass names the request and the words printed on success; picocli inherits the options. */
abstract class OneShotCommand implements Callable<Integer> {
    @Mixin
    ControlClientOptions control;

    @Option(names = "--json", description = "Print the agent's answer as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The control request, e.g. {@code ControlProtocol.RELOAD}. */
    abstract String request();

    /** What the command prints when the agent accepted the request and --json is not given. */
    abstract String done();

    @Override
    public final Integer call() throws CommandFailure {
        Map<String, Object> result = ControlCall.call(control, request(), null);
        ResultOutput.print(spec.commandLine().getOut(), json, result, done());
        return ExitCode.OK;
    }
}
