// Keeps Netty's own logging at WARN unless the logging configuration says otherwise.
package dev.tapover.control;

import org.slf4j.LoggerFactory;

/** Netty logs through SLF4J when present; with logback's default configuration it would log at DEBUG. */
final class NettyLogging {
    private NettyLogging() {
    }

    /** Sets logger "io.netty" to WARN if logback is the backend and no level was configured for it. */
    static void quiet() {
        try {
            if (LoggerFactory.getLogger("io.netty") instanceof ch.qos.logback.classic.Logger netty
                    && netty.getLevel() == null) {
                netty.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        } catch (LinkageError e) {
            // another SLF4J backend: its configuration decides
        }
    }
}
