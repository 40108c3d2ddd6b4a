// What a reload would change, split into settings a running agent can apply live and those it must refuse.
package dev.tapover.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The reload rules (docs/configuration.md). Live: the policy (failback, delays), the announcement settings, the
 * migration window, {@code links.allow-missing} (only read at start) and the log level. Not live, each with its
 * reason: the master, its MAC and addresses, the links, the carrier poll, the vnet header, the pcap file, the
 * control socket, the metrics endpoint and the real-time settings. A reload with any refused change applies nothing.
 *
 * @param live    key paths that change and can be applied, e.g. {@code groups[0].policy.failback}
 * @param refused the changes that cannot be applied, each with why
 */
public record ConfigChanges(List<String> live, List<Refusal> refused) {

    /** A setting that cannot change while the agent runs. */
    public record Refusal(String key, String why) {
    }

    public ConfigChanges {
        live = List.copyOf(live);
        refused = List.copyOf(refused);
    }

    /** Compares the running configuration with a newly loaded one. */
    public static ConfigChanges between(AgentConfig running, AgentConfig next) {
        List<String> live = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        if (running.groups().size() != next.groups().size()) {
            refused.add(new Refusal("groups", "groups are created at start"));
        }
        for (int i = 0; i < Math.min(running.groups().size(), next.groups().size()); i++) {
            compareGroup("groups[" + i + "].", running.groups().get(i), next.groups().get(i), live, refused);
        }
        notLive(refused, "control.socket", running.controlSocket(), next.controlSocket(),
                "the control socket is bound at start");
        notLive(refused, "control.group", running.controlGid(), next.controlGid(),
                "the control socket's owner and mode are set at start");
        notLive(refused, "metrics.listen", running.metrics(), next.metrics(),
                "the metrics endpoint is bound at start");
        notLive(refused, "realtime.priority", running.realtime().priority(), next.realtime().priority(),
                "the threads' scheduling is set when they start");
        notLive(refused, "realtime.lock-memory", running.realtime().lockMemory(), next.realtime().lockMemory(),
                "memory is locked at start");
        isLive(live, "log.level", running.logLevel(), next.logLevel());
        return new ConfigChanges(live, refused);
    }

    private static void compareGroup(String p, GroupConfig a, GroupConfig b, List<String> live,
                                     List<Refusal> refused) {
        notLive(refused, p + "master", a.master(), b.master(), "the TAP master is created at start");
        if (!Arrays.equals(a.mac(), b.mac())) {
            refused.add(new Refusal(p + "mac", "the master's MAC is set when its TAP is created"));
        }
        notLive(refused, p + "addresses", a.addresses(), b.addresses(),
                "addresses are added at start; `ip addr` on the master changes them live");
        if (!a.links().get(0).equals(b.links().get(0))) {
            refused.add(new Refusal(p + "links.primary", "the lower links are opened at start"));
        }
        notLive(refused, p + "links.standby", a.links().subList(1, a.links().size()),
                b.links().subList(1, b.links().size()), "the lower links are opened at start");
        if (!Arrays.equals(a.primaryMac(), b.primaryMac())) {
            refused.add(new Refusal(p + "links.primary-mac", "the lower links are matched at start"));
        }
        notLive(refused, p + "links.carrier-poll", a.carrierPoll(), b.carrierPoll(),
                "the link monitor's carrier poll is set up at start");
        notLive(refused, p + "vnet-header", a.vnetHeader(), b.vnetHeader(),
                "the TAP's virtio-net header is fixed when it is created");
        notLive(refused, p + "pcap", a.pcap(), b.pcap(), "the pcap file is opened at start");
        isLive(live, p + "links.allow-missing", a.allowMissingLinks(), b.allowMissingLinks());
        isLive(live, p + "policy.failback", a.failback(), b.failback());
        isLive(live, p + "policy.up-delay", a.upDelay(), b.upDelay());
        isLive(live, p + "policy.down-delay", a.downDelay(), b.downDelay());
        isLive(live, p + "policy.failback-delay", a.failbackDelay(), b.failbackDelay());
        isLive(live, p + "announce.arp-form", a.announce().arpForm(), b.announce().arpForm());
        isLive(live, p + "announce.count", a.announce().count(), b.announce().count());
        isLive(live, p + "announce.interval", a.announce().interval(), b.announce().interval());
        isLive(live, p + "announce.migration-window", a.announce().migrationWindow(), b.announce().migrationWindow());
        isLive(live, p + "announce.interval-mode", a.announce().intervalMode(), b.announce().intervalMode());
        isLive(live, p + "announce.backoff", List.of(a.announce().backoffInitial(), a.announce().backoffStep(),
                a.announce().backoffMax()), List.of(b.announce().backoffInitial(), b.announce().backoffStep(),
                b.announce().backoffMax()));
        isLive(live, p + "announce.refresh", a.announce().refresh(), b.announce().refresh());
        isLive(live, p + "announce.until-proven", a.announce().untilProven(), b.announce().untilProven());
        isLive(live, p + "announce.budget", a.announce().budgetPerSecond(), b.announce().budgetPerSecond());
        isLive(live, p + "announce.na-count", a.announce().naCount(), b.announce().naCount());
        isLive(live, p + "announce.na-interval", a.announce().naInterval(), b.announce().naInterval());
        isLive(live, p + "announce.vlans", a.announce().vlanAddresses(), b.announce().vlanAddresses());
        isLive(live, p + "announce.hold-on-flap", a.announce().holdOnFlap(), b.announce().holdOnFlap());
    }

    private static void notLive(List<Refusal> refused, String key, Object a, Object b, String why) {
        if (!Objects.equals(a, b)) {
            refused.add(new Refusal(key, why));
        }
    }

    private static void isLive(List<String> live, String key, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            live.add(key);
        }
    }

    /** The one-sentence refusal for a control answer or a log line, naming every refused key and why. */
    public String refusalMessage(Object file) {
        List<String> parts = new ArrayList<>();
        for (Refusal r : refused) {
            parts.add(r.key() + " (" + r.why() + ")");
        }
        return "cannot apply " + file + " live: " + String.join(", ", parts)
                + " changed; undo " + (refused.size() == 1 ? "that change" : "those changes")
                + " or restart the agent (nothing was applied)";
    }
}
