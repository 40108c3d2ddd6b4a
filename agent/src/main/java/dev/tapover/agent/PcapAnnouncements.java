// Connects a group's "announce" requests to the pcap4j announcer: active link, addresses, reasons, counters.
package dev.tapover.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.tapover.announce.AnnouncementConfig;
import dev.tapover.announce.AnnouncementCounters;
import dev.tapover.announce.Announcer;
import dev.tapover.announce.ArpForm;
import dev.tapover.announce.FrameKind;
import dev.tapover.announce.PcapAnnouncer;
import dev.tapover.announce.Reason;
import dev.tapover.config.Cidr;
import dev.tapover.config.GroupConfig;

/** The announcer runs its own thread; every call here only hands it new state and returns. */
final class PcapAnnouncements implements GroupRuntime.Announcements {
    private final Announcer announcer;

    private PcapAnnouncements(Announcer announcer) {
        this.announcer = announcer;
    }

    static PcapAnnouncements start(GroupConfig config) throws IOException {
        AnnouncementConfig settings = settings(config);
        Announcer announcer = PcapAnnouncer.start(settings, config.mac(), config.pcap());
        announcer.prepareLinks(config.links());
        return new PcapAnnouncements(announcer);
    }

    /** The announcer's settings for a group's configuration. */
    static AnnouncementConfig settings(GroupConfig config) {
        GroupConfig.AnnounceConfig a = config.announce();
        return AnnouncementConfig.builder()
                .arpForm(ArpForm.parse(a.arpForm()))
                .arpCount(a.count())
                .interval(a.interval())
                .build();
    }

    @Override
    public void reconfigure(GroupConfig config) {
        announcer.reconfigure(settings(config));
    }

    /** Maps the policy's reason (or a migration/request label) to the announcer's trigger kinds. */
    static Reason triggerFor(String reason) {
        return switch (reason) {
            case "initial" -> Reason.RESTART;
            case "primary-returned", "better-link" -> Reason.FAILBACK;
            case "manual" -> Reason.MANUAL;
            case "migration", "kernel-notify-peers" -> Reason.MIGRATION;
            default -> Reason.FAILOVER;
        };
    }

    @Override
    public void announce(String ifname, int ifindex, String reason) {
        announcer.linkIndexChanged(ifname, ifindex);
        announcer.setActiveLink(ifname);
        announcer.trigger(triggerFor(reason));
    }

    @Override
    public void updateAddresses(List<Cidr> addresses) {
        List<InetAddress> list = new ArrayList<>();
        for (Cidr c : addresses) {
            list.add(c.address());
        }
        announcer.updateAddresses(list);
    }

    @Override
    public Map<String, Object> status() {
        AnnouncementCounters c = announcer.counters();
        Map<String, Object> sent = new LinkedHashMap<>();
        for (FrameKind kind : FrameKind.values()) {
            sent.put(kind.cliName(), c.sent(kind));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("form", announcer.config().arpForm().cliName());
        out.put("sent", sent);
        out.put("sentTotal", c.sentTotal());
        out.put("bursts", c.bursts());
        out.put("coalesced", c.coalesced());
        out.put("framesSuppressed", c.framesSuppressed());
        out.put("sendErrors", c.sendErrors());
        out.put("openErrors", c.openErrors());
        out.put("lastReason", c.lastReason() == null ? null : c.lastReason().cliName());
        out.put("lastTrigger", c.lastTrigger() == null ? null : c.lastTrigger().toString());
        out.put("link", c.activeLink());
        return out;
    }

    @Override
    public void close() {
        announcer.close();
    }
}
