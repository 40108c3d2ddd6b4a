// The agent's Prometheus metrics: counters fed by its events, the rest read from the status document at scrape time.
package dev.tapover.metrics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * Two sources, so the data path and the policy never do metrics work:
 * <ul>
 *   <li>events (called on the publishing thread, {@link #onEvent}): failovers by reason, carrier changes, and the
 *       failover latency histogram ({@link FailoverLatency});</li>
 *   <li>the status document (schema 1, docs/control.md), fetched once per scrape: per-link frames, bytes, drops,
 *       carrier and state, announcement frames by kind, frames withheld by the budget, time since the last
 *       failover.</li>
 * </ul>
 * Create it before the groups start so the first events (the initial choice) are counted.
 */
public final class AgentMetrics implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentMetrics.class);
    /** Latency buckets in seconds: 100 µs to 10 s. */
    static final double[] LATENCY_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1, 2.5, 5, 10};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Supplier<Map<String, Object>> status;
    private final LongSupplier nanoTime;
    private final Counter failovers;
    private final Counter carrierChanges;
    private final java.util.concurrent.atomic.AtomicLong statusErrors = new java.util.concurrent.atomic.AtomicLong();
    private final Histogram latency;
    private final FailoverLatency latencyWatch;
    private volatile Thread watcher;
    private volatile boolean closed;

    /**
     * @param status     the status document; called on the scraping thread, may throw (then only the event metrics
     *                   are served)
     * @param framesSent announcement frames sent so far by a group, thread-safe; negative if unknown
     * @param nanoTime   the agent's monotonic clock ({@code System::nanoTime})
     */
    public AgentMetrics(Supplier<Map<String, Object>> status, ToLongFunction<String> framesSent, LongSupplier nanoTime) {
        this.status = status;
        this.nanoTime = nanoTime;
        failovers = Counter.builder().name("tapover_failovers")
                .help("Changes of the active link, by reason (initial, carrier-lost, primary-returned, manual, ...)")
                .labelNames("group", "reason").register(registry);
        carrierChanges = Counter.builder().name("tapover_link_carrier_changes")
                .help("Carrier changes of a lower link seen by the agent")
                .labelNames("group", "link").register(registry);
        latency = Histogram.builder().name("tapover_failover_latency_seconds")
                .help("Failover latency by stage: detect_to_switch, switch_to_announcement, detect_to_announcement")
                .labelNames("group", "reason", "stage").classicOnly().classicUpperBounds(LATENCY_BUCKETS)
                .register(registry);
        latencyWatch = new FailoverLatency(nanoTime, framesSent,
                (group, reason, stage, seconds) -> latency.labelValues(group, reason, stage).observe(seconds));
        registry.register(new StatusCollector());
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** An event's System.nanoTime field, or -1 when it has none (then the time the event is seen counts). */
    private static long nanos(Object value) {
        return value instanceof Number n ? n.longValue() : -1;
    }

    /** Feeds one agent event (a map with at least type); listeners must not block, and this does not. */
    public void onEvent(Map<String, Object> event) {
        String type = String.valueOf(event.get("type"));
        String group = text(event.get("group"));
        switch (type) {
            case "carrier" -> {
                String link = text(event.get("link"));
                carrierChanges.labelValues(group, link).inc();
                latencyWatch.carrierChanged(group, link, nanos(event.get("monotonicNanos")));
            }
            case "active-changed" -> {
                String reason = text(event.get("reason"));
                failovers.labelValues(group, reason).inc();
                Object to = event.get("to");
                Object trigger = event.get("trigger");
                latencyWatch.activeChanged(group, to == null ? null : to.toString(), reason,
                        trigger == null ? null : trigger.toString(), nanos(event.get("monotonicNanos")),
                        nanos(event.get("firstFrameNanos")));
            }
            default -> {
            }
        }
    }

    /** Starts the thread that finds each switch's first announcement frame ("tapover-metrics-latency", daemon). */
    public synchronized void startLatencyWatch() {
        if (watcher != null) {
            return;
        }
        Thread t = new Thread(this::watchLoop, "tapover-metrics-latency");
        t.setDaemon(true);
        watcher = t;
        t.start();
    }

    private void watchLoop() {
        try {
            while (!closed) {
                latencyWatch.awaitWatch(500);
                while (!closed && latencyWatch.poll() > 0) {
                    long oldest = latencyWatch.oldestSwitchNanos();
                    // fine-grained while a first frame is due (it should follow within a millisecond), then coarse
                    long pause = oldest >= 0 && nanoTime.getAsLong() - oldest < 20_000_000L ? 50_000L : 1_000_000L;
                    java.util.concurrent.locks.LockSupport.parkNanos(pause);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The latency stages (tests). */
    FailoverLatency latencyWatch() {
        return latencyWatch;
    }

    @Override
    public void close() {
        closed = true;
        Thread t = watcher;
        if (t != null) {
            t.interrupt();
        }
    }

    private static String text(Object value) {
        return value == null ? "" : value.toString();
    }

    /** Reads the status document once per scrape and turns it into counters and gauges. */
    private final class StatusCollector implements MultiCollector {
        @Override
        public MetricSnapshots collect() {
            Map<String, Object> doc;
            try {
                doc = status.get();
            } catch (RuntimeException e) {
                statusErrors.incrementAndGet();
                LOG.debug("event=metrics-status-failed error=\"{}\"", e.toString());
                doc = Map.of();
            }
            List<MetricSnapshot> out = new ArrayList<>();
            if (!doc.isEmpty()) {
                fromStatus(doc, nanoTime.getAsLong()).forEach(out::add);
            }
            out.add(CounterSnapshot.builder().name("tapover_metrics_status_errors")
                    .help("Scrapes for which the agent's status could not be read")
                    .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(statusErrors.get()).build())
                    .build());
            return new MetricSnapshots(out);
        }

        @Override
        public List<String> getPrometheusNames() {
            return List.of("tapover_metrics_status_errors", "tapover_build", "tapover_link_rx_frames", "tapover_link_rx_bytes", "tapover_link_tx_frames",
                    "tapover_link_tx_bytes", "tapover_link_drops", "tapover_link_carrier", "tapover_link_usable",
                    "tapover_link_active", "tapover_master_carrier", "tapover_manual_override",
                    "tapover_announcement_frames", "tapover_announcement_frames_withheld",
                    "tapover_announcement_bursts", "tapover_announcement_send_errors",
                    "tapover_time_since_last_failover_seconds", "tapover_last_failover_timestamp_seconds");
        }
    }

    /** The status-derived metrics for one status document, {@code now} on the agent's monotonic clock. */
    @SuppressWarnings("unchecked")
    static MetricSnapshots fromStatus(Map<String, Object> doc, long now) {
        Family rxFrames = new Family("tapover_link_rx_frames", "Frames received on a lower link", true);
        Family rxBytes = new Family("tapover_link_rx_bytes", "Bytes received on a lower link", true);
        Family txFrames = new Family("tapover_link_tx_frames", "Frames sent on a lower link", true);
        Family txBytes = new Family("tapover_link_tx_bytes", "Bytes sent on a lower link", true);
        Family drops = new Family("tapover_link_drops", "Frames dropped on a lower link, by reason", true);
        Family carrier = new Family("tapover_link_carrier", "1 if the lower link has carrier", false);
        Family usable = new Family("tapover_link_usable", "1 if the policy considers the lower link usable", false);
        Family active = new Family("tapover_link_active", "1 for the lower link serving the master", false);
        Family masterCarrier = new Family("tapover_master_carrier", "1 if the TAP master has carrier", false);
        Family manual = new Family("tapover_manual_override", "1 while a switch request pins the active link", false);
        Family frames = new Family("tapover_announcement_frames", "Announcement frames sent, by kind", true);
        Family withheld = new Family("tapover_announcement_frames_withheld",
                "Announcement frames the budget held back", true);
        Family bursts = new Family("tapover_announcement_bursts", "Announcement bursts started", true);
        Family sendErrors = new Family("tapover_announcement_send_errors", "Announcement frames that failed to go out",
                true);
        Family sinceLast = new Family("tapover_time_since_last_failover_seconds",
                "Seconds since the active link last changed", false);
        Family lastAt = new Family("tapover_last_failover_timestamp_seconds",
                "When the active link last changed, as Unix time", false);

        Object groupsValue = doc.get("groups");
        for (Object g : groupsValue instanceof List<?> list ? list : List.of()) {
            if (!(g instanceof Map<?, ?>)) {
                continue;
            }
            Map<String, Object> group = (Map<String, Object>) g;
            Map<String, Object> master = map(group.get("master"));
            String name = String.valueOf(master.get("name"));
            Labels gl = Labels.of("group", name);
            masterCarrier.add(bool(master.get("carrier")), gl);
            manual.add(bool(group.get("manual")), gl);
            Object activeName = group.get("active");
            for (Object l : group.get("links") instanceof List<?> links ? links : List.of()) {
                Map<String, Object> link = map(l);
                String linkName = String.valueOf(link.get("name"));
                Labels ll = Labels.of("group", name, "link", linkName, "role", String.valueOf(link.get("role")));
                Map<String, Object> c = map(link.get("counters"));
                rxFrames.add(number(c.get("rxFrames")), ll);
                rxBytes.add(number(c.get("rxBytes")), ll);
                txFrames.add(number(c.get("txFrames")), ll);
                txBytes.add(number(c.get("txBytes")), ll);
                for (Map.Entry<String, Object> d : map(c.get("drops")).entrySet()) {
                    drops.add(number(d.getValue()), Labels.of("group", name, "link", linkName, "reason", d.getKey()));
                }
                carrier.add(bool(link.get("carrier")), ll);
                usable.add(bool(link.get("usable")), ll);
                active.add(linkName.equals(activeName) && Boolean.TRUE.equals(link.get("present")) ? 1 : 0, ll);
            }
            Map<String, Object> announcements = map(group.get("announcements"));
            for (Map.Entry<String, Object> kind : map(announcements.get("sent")).entrySet()) {
                frames.add(number(kind.getValue()), Labels.of("group", name, "kind", kind.getKey()));
            }
            if (announcements.containsKey("framesSuppressed")) {
                withheld.add(number(announcements.get("framesSuppressed")), gl);
            }
            if (announcements.containsKey("bursts")) {
                bursts.add(number(announcements.get("bursts")), gl);
            }
            if (announcements.containsKey("sendErrors")) {
                sendErrors.add(number(announcements.get("sendErrors")), gl);
            }
            Map<String, Object> last = map(group.get("lastFailover"));
            if (last.get("monotonicNanos") instanceof Number at) {
                sinceLast.add(Math.max(0, now - at.longValue()) / 1e9, gl);
            }
            if (last.get("time") instanceof String time) {
                try {
                    Instant instant = Instant.parse(time);
                    lastAt.add(instant.getEpochSecond() + instant.getNano() / 1e9, gl);
                } catch (RuntimeException e) {
                    // not an ISO time: leave the gauge out
                }
            }
        }
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(InfoSnapshot.builder().name("tapover_build").help("The agent's build")
                .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder()
                        .labels(Labels.of("version", String.valueOf(doc.get("version")))).build()).build());
        for (Family f : List.of(rxFrames, rxBytes, txFrames, txBytes, drops, carrier, usable, active,
                masterCarrier, manual, frames, withheld, bursts, sendErrors, sinceLast, lastAt)) {
            f.build(out);
        }
        return new MetricSnapshots(out);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static double number(Object value) {
        return value instanceof Number n ? n.doubleValue() : 0;
    }

    private static double bool(Object value) {
        return Boolean.TRUE.equals(value) ? 1 : 0;
    }

    /** One metric family being filled: a counter or a gauge. */
    private static final class Family {
        private final String name;
        private final String help;
        private final boolean counter;
        private final List<CounterSnapshot.CounterDataPointSnapshot> counters = new ArrayList<>();
        private final List<GaugeSnapshot.GaugeDataPointSnapshot> gauges = new ArrayList<>();

        Family(String name, String help, boolean counter) {
            this.name = name;
            this.help = help;
            this.counter = counter;
        }

        void add(double value, Labels labels) {
            if (counter) {
                counters.add(CounterSnapshot.CounterDataPointSnapshot.builder().value(value).labels(labels).build());
            } else {
                gauges.add(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(labels).build());
            }
        }

        void build(List<MetricSnapshot> out) {
            if (counter && !counters.isEmpty()) {
                CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
                counters.forEach(b::dataPoint);
                out.add(b.build());
            } else if (!counter && !gauges.isEmpty()) {
                GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
                gauges.forEach(b::dataPoint);
                out.add(b.build());
            }
        }
    }
}
