// Runs the failover path's code at start-up, with no effect, so the first real failover runs compiled code.
package dev.tapover.agent;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tapover.announce.Announcer;
import dev.tapover.announce.PcapLinks;
import dev.tapover.config.Cidr;
import dev.tapover.config.GroupConfig;
import dev.tapover.failover.FailbackPolicy;
import dev.tapover.failover.FailoverGroup;
import dev.tapover.failover.PolicyConfig;

/**
 * A failover runs code that runs nowhere else, once in a long while: left alone, the JVM interprets it every
 * time (it compiles a method after a few hundred calls), which measured ~0.5 ms of a ~1.5 ms failover. At
 * start-up this runs each piece a few hundred times, enough for the C1 compiler and below C2's thresholds (so
 * no C2 code is compiled from this synthetic profile): the policy's decisions on a private group, the
 * announcer's first round on a private announcer whose links discard frames, pcap4j's send on a handle with
 * no link, and the link watch's carrier hand-off with each link's unchanged state. Nothing reaches a wire,
 * the events or the real counters; it costs ~100-300 ms of CPU once.
 */
final class FailoverWarmup {
    private static final Logger LOG = LoggerFactory.getLogger(FailoverWarmup.class);
    /** Rounds of each piece; 0 turns the warm-up off (a system property, for measurements). */
    static final int ROUNDS = Integer.getInteger("tapover.warmup.rounds", 400);

    private FailoverWarmup() {
    }

    /** Runs on the decision thread after the policy started and before the link monitor's thread does. */
    static void run(GroupConfig config, LinkWatch watch, List<Cidr> addresses) {
        if (ROUNDS <= 0) {
            return;
        }
        long start = System.nanoTime();
        try {
            int decisions = policy(config, ROUNDS);
            List<InetAddress> announced = new ArrayList<>();
            for (Cidr c : addresses) {
                announced.add(c.address());
            }
            long frames = Announcer.warmUp(PcapAnnouncements.settings(config), config.mac(), announced, ROUNDS);
            int refused = PcapLinks.warmUpSend(frame(config.mac()), ROUNDS);
            int changes = watch.warmUp(ROUNDS / 2);
            LOG.info("event=warmed-up group={} rounds={} policy_decisions={} frames_discarded={} pcap_sends_refused={} "
                    + "link_changes={} took_ms={}", config.master(), ROUNDS, decisions, frames, refused, changes,
                    (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            // Only speed is at stake: say so and go on.
            LOG.warn("event=warm-up-failed group={} error=\"{}\"", config.master(), e.toString());
        }
    }

    /** Fails a private group over and back {@code rounds} times under the configured policy; returns the decisions. */
    static int policy(GroupConfig config, int rounds) {
        long[] now = {1_000_000_000L};
        PolicyConfig policy = new PolicyConfig(config.upDelay(), GroupRuntime.effectiveDownDelay(config),
                config.failbackDelay(), FailbackPolicy.parse(config.failback()));
        FailoverGroup group = new FailoverGroup(List.of("warm-p", "warm-s"), policy, () -> now[0]);
        group.linkAppeared("warm-p", 1, true, true);
        group.linkAppeared("warm-s", 2, true, true);
        int decisions = group.start().isPresent() ? 1 : 0;
        for (int i = 0; i < rounds; i++) {
            now[0] += 1_000_000;
            decisions += group.linkChanged(1, true, (i & 1) == 1).isPresent() ? 1 : 0;
            // Let the delays (down, up, then failback) run out one after the other, as time would.
            for (int t = 0; t < 4 && group.nextDeadlineNanos() != Long.MAX_VALUE; t++) {
                now[0] = Math.max(now[0], group.nextDeadlineNanos());
                decisions += group.onTimer().isPresent() ? 1 : 0;
            }
        }
        return decisions;
    }

    /** A minimal Ethernet frame from the master (libpcap refuses it on a dead handle). */
    private static byte[] frame(byte[] mac) {
        byte[] f = new byte[60];
        java.util.Arrays.fill(f, 0, 6, (byte) 0xff);
        System.arraycopy(mac, 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x06;
        return f;
    }
}
