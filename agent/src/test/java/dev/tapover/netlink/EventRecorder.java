// Collects link events from the monitor thread so a real-kernel test can wait for exactly the expected ones.
package dev.tapover.netlink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

final class EventRecorder implements Consumer<LinkEvent> {
    private final LinkedBlockingQueue<LinkEvent> queue = new LinkedBlockingQueue<>();
    private final List<LinkEvent> all = new ArrayList<>();

    @Override
    public void accept(LinkEvent e) {
        queue.add(e);
    }

    /**
     * Waits (bounded by {@code timeout}) until {@code count} events matching {@code filter} arrived, then a
     * further {@code quiet} period, and returns every matching event seen (so extra events show up too).
     */
    List<LinkEvent> await(Predicate<LinkEvent> filter, int count, Duration timeout, Duration quiet)
            throws InterruptedException {
        List<LinkEvent> got = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (got.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            LinkEvent e = queue.poll(left, TimeUnit.NANOSECONDS);
            if (e != null) {
                all.add(e);
                if (filter.test(e)) {
                    got.add(e);
                }
            }
        }
        long quietEnd = System.nanoTime() + quiet.toNanos();
        for (long left = quiet.toNanos(); left > 0; left = quietEnd - System.nanoTime()) {
            LinkEvent e = queue.poll(left, TimeUnit.NANOSECONDS);
            if (e != null) {
                all.add(e);
                if (filter.test(e)) {
                    got.add(e);
                }
            }
        }
        return got;
    }

    /** Waits for the first matching event (or null after the timeout). */
    LinkEvent first(Predicate<LinkEvent> filter, Duration timeout) throws InterruptedException {
        List<LinkEvent> got = await(filter, 1, timeout, Duration.ZERO);
        return got.isEmpty() ? null : got.get(0);
    }

    /** Takes whatever is queued now. */
    List<LinkEvent> drain() {
        List<LinkEvent> out = new ArrayList<>();
        queue.drainTo(out);
        all.addAll(out);
        return out;
    }

    /** Every event seen so far, in order. */
    List<LinkEvent> all() {
        drain();
        return List.copyOf(all);
    }

    /** Events shown as text and grouped by link name, each group in arrival order. */
    static Map<String, List<String>> byLink(List<LinkEvent> events) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (LinkEvent e : events) {
            out.computeIfAbsent(e.name(), k -> new ArrayList<>()).add(Events.show(e));
        }
        return out;
    }
}
