// Benchmark: how fast the link monitor reports a TAP's carrier loss (TUNSETCARRIER 0), sysfs poll vs netlink only.
package dev.tapover.netlink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.tapover.natives.TapDevice;
import dev.tapover.netlink.LinkEvent.CarrierChanged;

/**
 * Runs two monitors in one JVM on one TAP: A with the sysfs carrier poll, B netlink-only. Each trial holds
 * the carrier up for a random 50..1250 ms (linkwatch delays a non-urgent carrier-off until one second after
 * its previous run, so the hold time decides netlink's latency), switches it off with TUNSETCARRIER, and
 * records when the monitors reported it. Trials alternate: in "poll" trials A watches the TAP; in
 * "netlink" trials A does not, because reading /sys/class/net/IF/carrier makes the kernel flush the link's
 * pending linkwatch event (linkwatch_sync_dev) and would speed up B's netlink message too. B's latency in
 * the poll trials is printed as well: it shows that effect. Run only inside a throwaway namespace:
 * scripts/bench/carrier-detect.sh does that.
 *
 * <p>Usage: {@code CarrierDetectBench [TRIALS_PER_MODE] [POLL_MILLIS]}, defaults 25 and 10.
 */
public final class CarrierDetectBench {
    private static final String TAP = "tovbtap0";
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(3);

    private CarrierDetectBench() {
    }

    /** Keeps only the TAP's carrier events of one monitor. */
    private static final class Carrier implements java.util.function.Consumer<LinkEvent> {
        final LinkedBlockingQueue<CarrierChanged> queue = new LinkedBlockingQueue<>();

        @Override
        public void accept(LinkEvent e) {
            if (e instanceof CarrierChanged && TAP.equals(e.name())) {
                queue.add((CarrierChanged) e);
            }
        }

        /** The next carrier event with this value, or null after the deadline. */
        CarrierChanged await(boolean up, long deadline) throws InterruptedException {
            for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
                CarrierChanged e = queue.poll(left, TimeUnit.NANOSECONDS);
                if (e != null && e.up() == up) {
                    return e;
                }
            }
            return null;
        }
    }

    public static void main(String[] args) throws Exception {
        TestNamespace.requireThrowawayNamespace();
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 25;
        int pollMillis = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        if (trials < 1 || trials > 1000) {
            throw new IllegalArgumentException("trials must be 1..1000, got " + trials);
        }
        Random random = new Random(20_251_121L);
        List<Double> polled = new ArrayList<>();
        List<Double> netlink = new ArrayList<>();
        List<Double> netlinkWhilePolled = new ArrayList<>();
        int polledFirstBySysfs = 0;
        Carrier withPoll = new Carrier();
        Carrier netlinkOnly = new Carrier();
        try (TapDevice tap = TapDevice.open(TAP, false);
                LinkMonitor a = LinkMonitor.open(withPoll,
                        LinkMonitor.Options.defaults().withCarrierPollInterval(Duration.ofMillis(pollMillis)));
                LinkMonitor b = LinkMonitor.open(netlinkOnly,
                        LinkMonitor.Options.defaults().withCarrierPollInterval(Duration.ZERO))) {
            tap.setUp(true);
            a.start();
            b.start();
            awaitCarrier(a, b, true);
            for (int i = 0; i < 2 * trials; i++) {
                boolean poll = i % 2 == 0;
                if (poll) {
                    a.watch(TAP);
                } else {
                    a.unwatch(TAP);
                }
                Thread.sleep(50 + random.nextInt(1200));
                withPoll.queue.clear();
                netlinkOnly.queue.clear();
                long t0 = System.nanoTime();
                tap.setCarrier(false);
                long deadline = t0 + TIMEOUT_NANOS;
                CarrierChanged pa = withPoll.await(false, deadline);
                CarrierChanged nb = netlinkOnly.await(false, deadline);
                if (pa == null || nb == null) {
                    throw new IllegalStateException("trial " + i + ": carrier-off not reported within 3 s (A "
                            + pa + ", B " + nb + ")");
                }
                if (poll) {
                    polled.add((pa.nanos() - t0) / 1e6);
                    netlinkWhilePolled.add((nb.nanos() - t0) / 1e6);
                    if (pa.source() == LinkEvent.Source.SYSFS_POLL) {
                        polledFirstBySysfs++;
                    }
                } else {
                    netlink.add((nb.nanos() - t0) / 1e6);
                }
                tap.setCarrier(true);
                awaitCarrier(a, b, true);
            }
            System.out.printf(Locale.ROOT, "carrier-off detection latency, TAP %s, TUNSETCARRIER 0 after a random "
                    + "50..1250 ms hold, %d trials per mode, alternating (kernel %s)%n", TAP, trials,
                    System.getProperty("os.version"));
            System.out.printf(Locale.ROOT, "%-34s %8s %8s %8s %8s %8s %8s%n", "mode", "median", "p90", "p99", "min",
                    "max", ">50ms");
            print("A: sysfs poll " + pollMillis + " ms + netlink", polled);
            print("B: netlink only", netlink);
            print("B: netlink, while A polls", netlinkWhilePolled);
            System.out.printf(Locale.ROOT, "A: %d of %d carrier-offs first seen by SYSFS_POLL, the rest by NETLINK; "
                    + "%d sysfs reads%n", polledFirstBySysfs, trials, a.carrierReads());
        }
    }

    /** Waits until both monitors know the TAP's carrier is {@code up}. */
    private static void awaitCarrier(LinkMonitor a, LinkMonitor b, boolean up) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (System.nanoTime() < deadline) {
            LinkInfo la = a.link(TAP);
            LinkInfo lb = b.link(TAP);
            if (la != null && lb != null && la.carrier() == up && lb.carrier() == up) {
                return;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("the monitors did not see carrier " + (up ? "up" : "down") + " within 3 s");
    }

    private static void print(String mode, List<Double> millis) {
        List<Double> s = new ArrayList<>(millis);
        Collections.sort(s);
        long slow = s.stream().filter(ms -> ms > 50).count();
        System.out.printf(Locale.ROOT, "%-34s %6.1fms %6.1fms %6.1fms %6.1fms %6.1fms %5d/%d%n", mode, rank(s, 0.50),
                rank(s, 0.90), rank(s, 0.99), s.get(0), s.get(s.size() - 1), slow, s.size());
    }

    /** Nearest-rank percentile of a sorted list. */
    private static double rank(List<Double> sorted, double p) {
        int index = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
