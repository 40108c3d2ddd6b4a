// Connects a group's "announce" requests to the pcap4j announcer: active link, addresses, VLANs, reasons, proofs, counters.
package dev.tapover.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.tapover.announce.AnnouncementConfig;
import dev.tapover.announce.AnnouncementCounters;
import dev.tapover.announce.Announcer;
import dev.tapover.announce.ArpForm;
import dev.tapover.announce.FrameKind;
import dev.tapover.announce.IntervalMode;
import dev.tapover.announce.PcapAnnouncer;
import dev.tapover.announce.Reason;
import dev.tapover.config.Cidr;
import dev.tapover.config.GroupConfig;

/** The announcer runs its own thread; every call here only hands it new state and returns. */
public final class PcapAnnouncements implements GroupRuntime.Announcements {
    private final Announcer announcer;
    private final String group;

    private PcapAnnouncements(Announcer announcer, String group) {
        this.announcer = announcer;
        this.group = group;
    }

    /** @param threadStart run first on the announcer's thread (real-time scheduling) */
    static PcapAnnouncements start(GroupConfig config, Runnable threadStart) throws IOException {
        Announcer announcer = PcapAnnouncer.start(settings(config.announce()), config.mac(), config.pcap(),
                threadStart);
        announcer.prepareLinks(config.links());
        announcer.updateVlans(vlans(config));
        return new PcapAnnouncements(announcer, config.master());
    }

    private static Map<Integer, List<InetAddress>> vlans(GroupConfig config) {
        Map<Integer, List<InetAddress>> vlans = new TreeMap<>();
        config.announce().vlanAddresses().forEach((vlan, cidrs) -> vlans.put(vlan, addresses(cidrs)));
        return vlans;
    }

    /** The announcer's settings for a group's configuration. */
    static AnnouncementConfig settings(GroupConfig config) {
        return settings(config.announce());
    }

    /** The announcer's settings; throws IllegalArgumentException naming a bad one (the CLI validates with it). */
    public static AnnouncementConfig settings(GroupConfig.AnnounceConfig a) {
        return AnnouncementConfig.builder()
                .arpForm(ArpForm.parse(a.arpForm()))
                .arpCount(a.count())
                .intervalMode(IntervalMode.parse(a.intervalMode()))
                .interval(a.interval())
                .backoff(a.backoffInitial(), a.backoffStep(), a.backoffMax())
                .refresh(a.refresh())
                .untilProven(a.untilProven())
                .budgetPerSecond(a.budgetPerSecond())
                .naCount(a.naCount())
                .naInterval(a.naInterval())
                .build();
    }

    @Override
    public void reconfigure(GroupConfig config) {
        announcer.reconfigure(settings(config));
        announcer.updateVlans(vlans(config));
    }

    /** Maps the policy's reason (or a migration/request label) to the announcer's trigger kinds. */
    static Reason triggerFor(String reason) {
        return switch (reason) {
            case "initial", "live-update" -> Reason.RESTART;
            case "primary-returned", "better-link" -> Reason.FAILBACK;
            case "manual", "signal" -> Reason.MANUAL;
            case "migration", "kernel-notify-peers" -> Reason.MIGRATION;
            default -> Reason.FAILOVER;
        };
    }

    private static List<InetAddress> addresses(List<Cidr> cidrs) {
        List<InetAddress> list = new ArrayList<>();
        for (Cidr c : cidrs) {
            list.add(c.address());
        }
        return list;
    }

    @Override
    public long announce(String ifname, int ifindex, String reason) {
        return announcer.announceOn(ifname, ifindex, triggerFor(reason));
    }

    @Override
    public void updateAddresses(List<Cidr> addresses) {
        announcer.updateAddresses(addresses(addresses));
    }

    @Override
    public void pathProven(String ifname, long nanos) {
        announcer.pathProven(ifname, nanos);
    }

    @Override
    public void publishProofsTo(EventLog events) {
        announcer.setProofListener((link, reason, micros, stoppedEarly) -> events.publish("path-proven",
                GroupRuntime.fields("group", group, "link", link, "reason", reason.cliName(), "afterMicros", micros,
                        "stoppedEarly", stoppedEarly)));
    }

    /** Announcement frames sent so far (cheap: for the failover latency metric, read on every switch). */
    long sentTotal() {
        return announcer.counters().sentTotal();
    }

    @Override
    public Map<String, Object> status() {
        AnnouncementCounters c = announcer.counters();
        Map<String, Object> sent = new LinkedHashMap<>();
        for (FrameKind kind : FrameKind.values()) {
            sent.put(kind.cliName(), c.sent(kind));
        }
        AnnouncementConfig settings = announcer.config();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("form", settings.arpForm().cliName());
        out.put("intervalMode", settings.intervalMode().cliName());
        out.put("rounds", settings.arpCount());
        out.put("budgetPerSecond", settings.budgetPerSecond());
        out.put("refreshMs", settings.refresh().toMillis());
        out.put("untilProven", settings.untilProven());
        out.put("sent", sent);
        out.put("sentTotal", c.sentTotal());
        out.put("bursts", c.bursts());
        out.put("coalesced", c.coalesced());
        out.put("refreshRounds", c.refreshRounds());
        out.put("framesSuppressed", c.framesSuppressed());
        out.put("sendErrors", c.sendErrors());
        out.put("openErrors", c.openErrors());
        out.put("lastReason", c.lastReason() == null ? null : c.lastReason().cliName());
        out.put("lastTrigger", c.lastTrigger() == null ? null : c.lastTrigger().toString());
        out.put("link", c.activeLink());
        out.put("burstRunning", c.burstRunning());
        out.put("proofs", c.proofs());
        out.put("stoppedEarly", c.stoppedEarly());
        out.put("awaitingProof", c.awaitingProof());
        out.put("lastProof", c.lastProofMicros() < 0 ? null
                : GroupRuntime.fields("link", c.lastProofLink(), "afterMicros", c.lastProofMicros()));
        return out;
    }

    @Override
    public void close() {
        announcer.close();
    }
}
