// The agent's event stream: numbered, timestamped events kept in a short history and pushed to subscribers.
package dev.tapover.agent;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Thread-safe; listeners are called on the publishing thread and must not block. */
public final class EventLog {
    private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
    private static final int HISTORY = 256;

    private final List<Consumer<Map<String, Object>>> listeners = new CopyOnWriteArrayList<>();
    private final Deque<Map<String, Object>> history = new ArrayDeque<>();
    private long seq;

    /** Publishes an event of {@code type} with the given fields (in order). */
    public void publish(String type, Map<String, Object> fields) {
        Map<String, Object> event = new LinkedHashMap<>();
        synchronized (this) {
            event.put("seq", ++seq);
            event.put("time", Instant.now().toString());
            event.put("type", type);
            event.putAll(fields);
            history.addLast(event);
            if (history.size() > HISTORY) {
                history.removeFirst();
            }
        }
        for (Consumer<Map<String, Object>> listener : listeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("event=listener-failed error=\"{}\"", e.toString());
            }
        }
    }

    public AutoCloseable subscribe(Consumer<Map<String, Object>> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    public synchronized List<Map<String, Object>> recent() {
        return new ArrayList<>(history);
    }
}
