// The optional Prometheus endpoint: an HTTP server on a loopback address serving /metrics from AgentMetrics.
package dev.tapover.metrics;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;

/**
 * Refuses any address that is not loopback: metrics describe the host's network and are not for the network.
 * One daemon thread ("tapover-metrics-http") answers scrapes, one at a time.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    private final HTTPServer server;
    private final ExecutorService executor;
    private final AgentMetrics metrics;
    private final InetSocketAddress address;

    private MetricsServer(HTTPServer server, ExecutorService executor, AgentMetrics metrics,
                          InetSocketAddress address) {
        this.server = server;
        this.executor = executor;
        this.metrics = metrics;
        this.address = address;
    }

    /** Binds {@code address} (port 0 picks a free port) and serves {@code metrics}; closing stops both. */
    public static MetricsServer start(InetSocketAddress address, AgentMetrics metrics) throws IOException {
        if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("metrics address " + address
                    + " is not a loopback address; use 127.0.0.1:PORT or [::1]:PORT");
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tapover-metrics-http");
            t.setDaemon(true);
            return t;
        });
        HTTPServer server;
        try {
            server = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort())
                    .registry(metrics.registry()).executorService(executor).buildAndStart();
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
        metrics.startLatencyWatch();
        InetSocketAddress bound = new InetSocketAddress(address.getAddress(), server.getPort());
        LOG.info("event=metrics-listening address={} path=/metrics", format(bound));
        return new MetricsServer(server, executor, metrics, bound);
    }

    /** The address actually bound (with the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return address;
    }

    public int port() {
        return address.getPort();
    }

    /** host:port, with IPv6 in brackets. */
    public static String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
        LOG.info("event=metrics-closed address={}", format(address));
    }

    @Override
    public String toString() {
        return "metrics endpoint " + format(address);
    }
}
