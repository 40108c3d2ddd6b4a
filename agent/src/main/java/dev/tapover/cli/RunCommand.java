// `tapover run`: validates the settings, creates the master and runs the failover group in the foreground.
package dev.tapover.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.tapover.agent.Agent;
import dev.tapover.config.Cidr;
import dev.tapover.config.Durations;
import dev.tapover.config.GroupConfig;
import dev.tapover.datapath.Master;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Create the TAP master, watch the links and fail over between them, in the foreground.",
            "Exits 0 on SIGTERM or SIGINT after removing the master and restoring the links."},
        footer = {"", "Example:",
            "  tapover run --master fo0 --primary eth1 --standby eth2 --address 192.0.2.1/24 --address 2001:db8::1/64"})
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--master", paramLabel = "NAME", defaultValue = "fo0",
            description = "Name of the TAP master to create (default: ${DEFAULT-VALUE}).")
    String master;

    @Option(names = "--primary", paramLabel = "IF", required = true, description = "The preferred lower link.")
    String primary;

    @Option(names = "--standby", paramLabel = "IF",
            description = "A standby lower link; repeat for an ordered list of standbys.")
    List<String> standbys = new ArrayList<>();

    @Option(names = "--address", paramLabel = "CIDR",
            description = "An address for the master, e.g. 192.0.2.1/24 or 2001:db8::1/64; repeatable.")
    List<String> addresses = new ArrayList<>();

    @Option(names = "--mac", paramLabel = "MAC",
            description = "The master's MAC (default: a stable locally administered MAC derived from its name).")
    String mac;

    @Option(names = "--primary-mac", paramLabel = "MAC",
            description = "Any link that appears with this permanent MAC becomes the primary (the VF case).")
    String primaryMac;

    @Option(names = "--failback", paramLabel = "POLICY", defaultValue = "always",
            description = "When to return to the primary: always, better or never (default: ${DEFAULT-VALUE}).")
    String failback;

    @Option(names = "--up-delay", paramLabel = "DURATION", defaultValue = "0ms",
            description = "How long a link must keep carrier before it is used (default: ${DEFAULT-VALUE}).")
    String upDelay;

    @Option(names = "--down-delay", paramLabel = "DURATION", defaultValue = "0ms",
            description = "How long a link may lose carrier before it is given up (default: ${DEFAULT-VALUE}).")
    String downDelay;

    @Option(names = "--failback-delay", paramLabel = "DURATION", defaultValue = "0ms",
            description = "How long the primary must stay usable before failback (default: ${DEFAULT-VALUE}).")
    String failbackDelay;

    @Option(names = "--carrier-poll", paramLabel = "DURATION", defaultValue = "10ms",
            description = "Interval of the immediate /sys carrier poll, 0 to rely on netlink alone (default: ${DEFAULT-VALUE}).")
    String carrierPoll;

    @Option(names = "--arp-form", paramLabel = "FORM", defaultValue = "request",
            description = "Gratuitous ARP form: request, request-broadcast, reply, alternate or rarp (default: ${DEFAULT-VALUE}).")
    String arpForm;

    @Option(names = "--announce-count", paramLabel = "N", defaultValue = "3",
            description = "Announcement rounds per event (default: ${DEFAULT-VALUE}).")
    int announceCount;

    @Option(names = "--announce-interval", paramLabel = "DURATION", defaultValue = "1s",
            description = "Spacing of announcement rounds (default: ${DEFAULT-VALUE}).")
    String announceInterval;

    @Option(names = "--migration-window", paramLabel = "DURATION", defaultValue = "2s",
            description = "A carrier loss of the active link shorter than this is a migration (default: ${DEFAULT-VALUE}).")
    String migrationWindow;

    @Option(names = "--allow-missing-links", description = "Start even if a link does not exist yet; it is used when it appears.")
    boolean allowMissingLinks;

    @Option(names = "--vnet-header", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Carry a virtio-net header (offloads, TCP at speed) between TAP and links (default: off).")
    boolean vnetHeader;

    @Option(names = "--control", paramLabel = "SOCKET", description = "Control socket (default: /run/tapover/<master>.sock).")
    Path control;

    @Option(names = "--pcap", paramLabel = "FILE", description = "Also write every announcement sent to this pcap file.")
    Path pcap;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "Log level of tapover's own messages: error, warn, info, debug or trace (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Option(names = "--check", description = "Validate the settings and exit without touching the network.")
    boolean check;

    @Override
    public Integer call() throws CommandFailure {
        GroupConfig config = toConfig();
        setLogLevel(logLevel);
        if (check) {
            System.out.println("configuration ok: master " + config.master() + " links " + config.links());
            return ExitCode.OK;
        }
        return new Agent(config).run();
    }

    private static void setLogLevel(String level) throws CommandFailure {
        if (!java.util.List.of("error", "warn", "info", "debug", "trace").contains(level.toLowerCase())) {
            throw new CommandFailure(ExitCode.USAGE, "log level \"" + level + "\" must be error, warn, info, debug or trace");
        }
        org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger("dev.tapover");
        if (logger instanceof ch.qos.logback.classic.Logger logback) {
            logback.setLevel(ch.qos.logback.classic.Level.toLevel(level));
        }
    }

    /** Parses {@code run} arguments into a validated configuration, as the command line would (tests use it). */
    public static GroupConfig configFrom(String... args) throws CommandFailure {
        RunCommand command = new RunCommand();
        try {
            new picocli.CommandLine(command).parseArgs(args);
        } catch (picocli.CommandLine.ParameterException e) {
            throw new CommandFailure(ExitCode.USAGE, e.getMessage());
        }
        return command.toConfig();
    }

    GroupConfig toConfig() throws CommandFailure {
        try {
            List<String> links = new ArrayList<>();
            links.add(primary);
            links.addAll(standbys);
            List<Cidr> cidrs = new ArrayList<>();
            for (String a : addresses) {
                cidrs.add(Cidr.parse(a));
            }
            dev.tapover.announce.ArpForm.parse(arpForm);
            if (announceCount < 1 || announceCount > 100) {
                throw new IllegalArgumentException("announce count " + announceCount + " must be between 1 and 100");
            }
            byte[] masterMac = mac != null ? Master.parseMac(mac) : Master.derivedMac(master);
            Duration poll = Durations.parse(carrierPoll);
            GroupConfig.AnnounceConfig announce = new GroupConfig.AnnounceConfig(arpForm, announceCount,
                    Durations.parse(announceInterval), Durations.parse(migrationWindow), List.of());
            Path socket = control != null ? control : Path.of("/run/tapover", master + ".sock");
            return new GroupConfig(master, masterMac, links, primaryMac == null ? null : Master.parseMac(primaryMac),
                    cidrs, failback, Durations.parse(upDelay), Durations.parse(downDelay), Durations.parse(failbackDelay),
                    poll, allowMissingLinks, vnetHeader, announce, socket, pcap).validate();
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(ExitCode.USAGE, e.getMessage());
        }
    }
}
