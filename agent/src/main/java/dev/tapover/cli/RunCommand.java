// `tapover run`: reads the settings (file and flags), creates the master and runs the failover group in the foreground.
package dev.tapover.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.tapover.agent.Agent;
import dev.tapover.config.AgentConfig;
import dev.tapover.config.ConfigException;
import dev.tapover.config.ConfigSource;
import dev.tapover.config.GroupConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Create the TAP master, watch the links and fail over between them.",
            "Settings come from --config FILE (YAML or JSON: docs/configuration.md)",
            "and the flags; a flag overrides the file. SIGHUP re-reads FILE and applies",
            "what can change live. Runs in the foreground; exits 0 on SIGTERM or SIGINT",
            "after removing the master and restoring the links."},
        footer = {"", "Examples:",
            "  tapover run --master fo0 --primary eth1 --standby eth2 --address 192.0.2.1/24 --address 2001:db8::1/64",
            "  tapover run --config /etc/tapover/fo0.yaml --check",
            "", "Exit codes: 0 ok, 64 usage, 69 an interface or service is unavailable, 70 internal error, 77 not root,",
            "78 configuration error (the message names the key or flag, the value and what is allowed)."})
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (YAML, or JSON if it ends in .json); flags override its values.")
    Path config;

    @Option(names = "--master", paramLabel = "NAME",
            description = "Name of the TAP master to create (default: fo0).")
    String master;

    @Option(names = "--primary", paramLabel = "IF",
            description = "The preferred lower link (required without --config or --takeover).")
    String primary;

    @Option(names = "--standby", paramLabel = "IF",
            description = "A standby lower link; repeat for an ordered list of standbys.")
    List<String> standbys;

    @Option(names = "--address", paramLabel = "CIDR",
            description = "An address for the master, e.g. 192.0.2.1/24 or 2001:db8::1/64; repeatable.")
    List<String> addresses;

    @Option(names = "--mac", paramLabel = "MAC",
            description = "The master's MAC (default: a stable locally administered MAC derived from its name).")
    String mac;

    @Option(names = "--primary-mac", paramLabel = "MAC",
            description = "Any link that appears with this permanent MAC becomes the primary (the VF case).")
    String primaryMac;

    @Option(names = "--failback", paramLabel = "POLICY",
            description = "When to return to the primary: always, better or never (default: always).")
    String failback;

    @Option(names = "--up-delay", paramLabel = "DURATION",
            description = "How long a link must keep carrier before it is used (default: 0ms).")
    String upDelay;

    @Option(names = "--down-delay", paramLabel = "DURATION",
            description = "How long a link may lose carrier before it is given up (default: 0ms).")
    String downDelay;

    @Option(names = "--failback-delay", paramLabel = "DURATION",
            description = "How long the primary must stay usable before failback (default: 0ms).")
    String failbackDelay;

    @Option(names = "--carrier-poll", paramLabel = "DURATION",
            description = "Interval of the immediate /sys carrier poll, 0 to rely on netlink alone (default: 10ms).")
    String carrierPoll;

    @Option(names = "--arp-form", paramLabel = "FORM",
            description = "Gratuitous ARP form: request, request-broadcast, reply, alternate or rarp (default: request).")
    String arpForm;

    @Option(names = "--announce-count", paramLabel = "N",
            description = "Gratuitous ARP rounds per event, the first at once, 1 to 100 (default: 5).")
    Integer announceCount;

    @Option(names = "--announce-interval", paramLabel = "DURATION",
            description = "A fixed gap between rounds instead of growing ones (selects --announce-interval-mode fixed).")
    String announceInterval;

    @Option(names = "--announce-interval-mode", paramLabel = "MODE",
            description = "Gaps between rounds: backoff (QEMU announce-self), exponential or fixed (default: backoff; "
                    + "fixed when --announce-interval is given).")
    String announceIntervalMode;

    @Option(names = "--announce-backoff", paramLabel = "INITIAL,STEP,MAX",
            description = "Backoff gaps (default: 50ms,100ms,550ms: rounds at 0, 50, 200, 450, 800 ms).")
    String announceBackoff;

    @Option(names = "--announce-refresh", paramLabel = "DURATION",
            description = "After a burst, one round every DURATION so switch FDB entries never age out (e.g. 60s; default: 0, none).")
    String announceRefresh;

    @Option(names = "--announce-until-proven",
            description = "Stop a burst after its first round once a frame for the master arrives on the active link.")
    Boolean announceUntilProven;

    @Option(names = "--announce-budget", paramLabel = "N",
            description = "At most N announcement frames per second on each link, 0 for no limit (default: 100).")
    Integer announceBudget;

    @Option(names = "--announce-na-count", paramLabel = "N",
            description = "Unsolicited IPv6 neighbour advertisement rounds per event (default: 3, RFC 4861).")
    Integer announceNaCount;

    @Option(names = "--announce-na-interval", paramLabel = "DURATION",
            description = "Least time between two NA rounds (default: 1s, RFC 4861).")
    String announceNaInterval;

    @Option(names = "--vlan", paramLabel = "ID[:ADDRESS]",
            description = "Also announce 802.1Q-tagged on VLAN ID: the addresses given as ID:ADDRESS (repeat for each), "
                    + "or with none the MAC alone (RARP); repeatable.")
    List<String> vlans;

    @Option(names = "--hold-on-flap",
            description = "When the active link loses carrier, wait --migration-window before failing over; a return "
                    + "within it is announced as a migration.")
    Boolean holdOnFlap;

    @Option(names = "--migration-window", paramLabel = "DURATION",
            description = "A carrier loss of the active link shorter than this is a migration (default: 2s).")
    String migrationWindow;

    @Option(names = "--allow-missing-links", description = "Start even if a link does not exist yet; it is used when it appears.")
    Boolean allowMissingLinks;

    @Option(names = "--vnet-header", negatable = true, fallbackValue = "true",
            description = "Carry a virtio-net header (offloads, TCP at speed) between TAP and links (default: on; --no-vnet-header for a plain TAP).")
    Boolean vnetHeader;

    @Option(names = "--control", paramLabel = "SOCKET", description = "Control socket (default: /run/tapover/<master>.sock).")
    Path control;

    @Option(names = "--control-group", paramLabel = "GROUP",
            description = "Also let members of this group (name or gid) use the control socket (default: root only).")
    String controlGroup;

    @Option(names = "--metrics", paramLabel = "ADDRESS:PORT",
            description = "Serve Prometheus metrics on this loopback address, e.g. 127.0.0.1:9468 (default: off).")
    String metrics;

    @Option(names = "--pcap", paramLabel = "FILE", description = "Also write every announcement sent to this pcap file.")
    Path pcap;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Log level of tapover's own messages: error, warn, info, debug or trace (default: info).")
    String logLevel;

    @Option(names = "--realtime-priority", paramLabel = "N",
            description = "SCHED_RR priority (1-99) of the threads on the failover path: link monitor, decision thread, "
                    + "announcer; 0 keeps the normal scheduler (default: 10; without CAP_SYS_NICE a warning and normal "
                    + "scheduling).")
    Integer realtimePriority;

    @Option(names = "--lock-memory",
            description = "Lock the agent's memory into RAM (mlockall) so no page of the failover path is paged out "
                    + "(default: off; without CAP_IPC_LOCK a warning).")
    Boolean lockMemory;

    @Option(names = "--check", description = "Validate the settings (file and flags) and exit without touching the network.")
    boolean check;

    @Option(names = "--takeover", paramLabel = "SOCKET",
            description = {"Live update: take over the agent running on this takeover socket (next to its control socket,"
                    + " e.g. /run/tapover/fo0.takeover). It hands over its open TAP and link sockets, so the master keeps"
                    + " carrier and no frame is lost. Without other options the group is the running agent's."})
    Path takeover;

    @Option(names = "--announce-after-update",
            description = "After a live update, send an announcement burst (default: off; nothing moved).")
    boolean announceAfterUpdate;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CommandFailure {
        if (takeover != null && !check) {
            return takeOver();
        }
        ConfigSource source = source();
        AgentConfig config = load(source);
        setLogLevel(config.logLevel());
        if (check) {
            GroupConfig g = config.group();
            spec.commandLine().getOut().println("configuration ok" + (config.file() != null ? ": " + config.file() : "")
                    + ": master " + g.master() + " links " + g.links() + " addresses " + g.addresses()
                    + " control " + config.controlSocket()
                    + " metrics " + (config.metrics() == null ? "off" : metricsText(config)));
            return ExitCode.OK;
        }
        return new Agent(config, source, true).runArguments(originalArgs()).run();
    }

    /** The arguments as given, without --takeover: what a successor of this agent runs with. */
    private List<String> originalArgs() {
        if (spec == null || spec.commandLine().getParseResult() == null) {
            return null;
        }
        List<String> given = spec.commandLine().getParseResult().originalArgs();
        if (spec.commandLine().getParent() != null && given.contains(spec.name())) {
            // a subcommand's parse result holds the whole command line: keep what follows "run"
            given = given.subList(given.indexOf(spec.name()) + 1, given.size());
        }
        List<String> args = new ArrayList<>();
        for (int i = 0; i < given.size(); i++) {
            String a = given.get(i);
            if (a.equals("--takeover")) {
                i++;
            } else if (!a.startsWith("--takeover=")) {
                args.add(a);
            }
        }
        return args;
    }

    /**
     * run --takeover SOCKET: HELLO and PRESERVE first, since the settings may come from the running agent (its
     * run arguments, a --config FILE among them, travel in the session).
     */
    private Integer takeOver() throws CommandFailure {
        if (logLevel != null) {
            setLogLevel(logLevel);
        }
        dev.tapover.liveupdate.Successor successor;
        try {
            successor = dev.tapover.liveupdate.Successor.connect(takeover, dev.tapover.liveupdate.Deadlines.defaults(),
                    Main.version());
        } catch (dev.tapover.liveupdate.LiveUpdateException e) {
            throw new CommandFailure(ExitCode.UNAVAILABLE, "live update failed: " + e.getMessage());
        }
        boolean own = primary != null || config != null;
        List<String> args = own ? originalArgs() : successor.session().argv();
        RunCommand group = new RunCommand();
        ConfigSource source;
        AgentConfig settings;
        try {
            new picocli.CommandLine(group).parseArgs(args.toArray(String[]::new));
            source = group.source();
            settings = load(source);
            if (!settings.group().master().equals(successor.session().master())) {
                throw new CommandFailure(ExitCode.USAGE, "master " + settings.group().master()
                        + " is not the running agent's master " + successor.session().master() + "; leave --master out");
            }
        } catch (picocli.CommandLine.ParameterException e) {
            successor.fail("the successor cannot parse the run arguments: " + e.getMessage());
            throw new CommandFailure(ExitCode.USAGE, "live update failed: the run arguments " + args
                    + " do not parse with this build (" + e.getMessage() + ")");
        } catch (CommandFailure e) {
            successor.fail(e.getMessage());
            throw e;
        }
        setLogLevel(settings.logLevel());
        return new Agent(settings, source, true).runArguments(args)
                .takeover(successor, announceAfterUpdate || group.announceAfterUpdate).run();
    }

    private static String metricsText(AgentConfig config) {
        java.net.InetSocketAddress a = config.metrics();
        String host = a.getAddress() instanceof java.net.Inet6Address ? "[" + a.getHostString() + "]" : a.getHostString();
        return host + ":" + a.getPort();
    }

    /** Sets the level of the dev.tapover loggers (logback); an unknown level is ignored (validation names it). */
    public static void setLogLevel(String level) {
        org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger("dev.tapover");
        if (logger instanceof ch.qos.logback.classic.Logger logback) {
            logback.setLevel(ch.qos.logback.classic.Level.toLevel(level, ch.qos.logback.classic.Level.INFO));
        }
    }

    /** Parses {@code run} arguments into a validated configuration, as the command line would (tests use it). */
    public static GroupConfig configFrom(String... args) throws CommandFailure {
        return load(sourceFrom(args)).group();
    }

    /** Parses {@code run} arguments into where the settings come from (file and flags). */
    public static ConfigSource sourceFrom(String... args) throws CommandFailure {
        RunCommand command = new RunCommand();
        try {
            new picocli.CommandLine(command).parseArgs(args);
        } catch (picocli.CommandLine.ParameterException e) {
            throw new CommandFailure(ExitCode.USAGE, e.getMessage());
        }
        return command.source();
    }

    /** Loads and validates; every configuration error exits 78. */
    public static AgentConfig load(ConfigSource source) throws CommandFailure {
        try {
            return source.load();
        } catch (ConfigException e) {
            throw new CommandFailure(ExitCode.CONFIG, e.getMessage(), e);
        }
    }

    /** The file and the flags given, each flag mapped to the key path it overrides. */
    ConfigSource source() throws CommandFailure {
        if (config == null && primary == null) {
            throw new CommandFailure(ExitCode.USAGE, "--primary is missing; name the preferred lower link "
                    + "(--primary IF) or give a configuration file (--config FILE)");
        }
        List<ConfigSource.Flag> flags = new ArrayList<>();
        String g = "groups[0].";
        flag(flags, g + "master", master, "--master");
        flag(flags, g + "links.primary", primary, "--primary");
        flag(flags, g + "links.standby", standbys, "--standby");
        flag(flags, g + "links.primary-mac", primaryMac, "--primary-mac");
        flag(flags, g + "links.allow-missing", allowMissingLinks, "--allow-missing-links");
        flag(flags, g + "links.carrier-poll", carrierPoll, "--carrier-poll");
        flag(flags, g + "addresses", addresses, "--address");
        flag(flags, g + "mac", mac, "--mac");
        flag(flags, g + "policy.failback", failback, "--failback");
        flag(flags, g + "policy.up-delay", upDelay, "--up-delay");
        flag(flags, g + "policy.down-delay", downDelay, "--down-delay");
        flag(flags, g + "policy.failback-delay", failbackDelay, "--failback-delay");
        flag(flags, g + "announce.arp-form", arpForm, "--arp-form");
        flag(flags, g + "announce.count", announceCount, "--announce-count");
        flag(flags, g + "announce.interval", announceInterval, "--announce-interval");
        flag(flags, g + "announce.interval-mode", announceIntervalMode, "--announce-interval-mode");
        flag(flags, g + "announce.backoff", announceBackoff, "--announce-backoff");
        flag(flags, g + "announce.refresh", announceRefresh, "--announce-refresh");
        flag(flags, g + "announce.until-proven", announceUntilProven, "--announce-until-proven");
        flag(flags, g + "announce.budget", announceBudget, "--announce-budget");
        flag(flags, g + "announce.na-count", announceNaCount, "--announce-na-count");
        flag(flags, g + "announce.na-interval", announceNaInterval, "--announce-na-interval");
        flag(flags, g + "announce.vlans", vlans, "--vlan");
        flag(flags, g + "announce.hold-on-flap", holdOnFlap, "--hold-on-flap");
        flag(flags, g + "announce.migration-window", migrationWindow, "--migration-window");
        flag(flags, g + "vnet-header", vnetHeader, "--vnet-header");
        flag(flags, g + "pcap", pcap == null ? null : pcap.toAbsolutePath().toString(), "--pcap");
        flag(flags, "control.socket", control == null ? null : control.toAbsolutePath().toString(), "--control");
        flag(flags, "control.group", controlGroup, "--control-group");
        flag(flags, "metrics.listen", metrics, "--metrics");
        flag(flags, "log.level", logLevel, "--log-level");
        flag(flags, "realtime.priority", realtimePriority, "--realtime-priority");
        flag(flags, "realtime.lock-memory", lockMemory, "--lock-memory");
        return ConfigSource.of(config == null ? null : config.toAbsolutePath(), flags);
    }

    private static void flag(List<ConfigSource.Flag> flags, String path, Object value, String name) {
        if (value != null) {
            flags.add(new ConfigSource.Flag(path, value, name));
        }
    }
}
