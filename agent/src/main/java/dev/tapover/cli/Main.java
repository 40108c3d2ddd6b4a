// Entry point of the tapover command line: picocli subcommands, one-sentence errors, sysexits codes.
package dev.tapover.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tapover run|status|switch|notify-peers|events|reload|upgrade}. */
@Command(name = "tapover", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"User-space network failover agent: a TAP master over a primary and standby links, "
                + "with real gratuitous ARP/NA on every move and live update without losing a frame.", ""},
        subcommands = {RunCommand.class, StatusCommand.class, SwitchCommand.class, NotifyPeersCommand.class,
            EventsCommand.class, ReloadCommand.class, UpgradeCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes (sysexits): 0 ok, 64 usage, 69 interface or service unavailable, 70 internal "
                + "error, 77 not permitted, 78 configuration error.", "Docs: README.md and docs/ in the source tree."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((ex, arguments) -> {
            err.println("tapover: " + oneLine(ex.getMessage()) + " (see --help)");
            return ExitCode.USAGE;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof CommandFailure failure) {
                err.println("tapover: " + oneLine(failure.getMessage()));
                return failure.exitCode();
            }
            err.println("tapover: internal error: " + ex + "; please report it with the log above");
            ex.printStackTrace(err);
            return ExitCode.SOFTWARE;
        });
        return cli.execute(args);
    }

    /** An error message as one line: control characters shown escaped, as the control protocol does. */
    public static String oneLine(String message) {
        return dev.tapover.control.ControlProtocol.oneLine(message);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** The version from the jar manifest, or "dev" in a source tree. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tapover " + version()};
        }
    }

    /** This build's version. */
    public static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }
}
