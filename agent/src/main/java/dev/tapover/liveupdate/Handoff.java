// What a successor holds after HANDOFF: the manifest, the predecessor's state snapshot and the checked fds by token.
package dev.tapover.liveupdate;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The successor owns the fds from here: each is either adopted by a restore step ({@link #take}) or closed
 * by {@link #closeUntaken()} (closing a copy never harms the predecessor's own).
 */
public final class Handoff {
    private final Session session;
    private final StateSnapshot snapshot;
    private final Map<String, Integer> fds = new LinkedHashMap<>();

    public Handoff(Session session, StateSnapshot snapshot, int[] received) {
        this.session = session;
        this.snapshot = snapshot;
        for (int i = 0; i < received.length && i < session.entries().size(); i++) {
            fds.put(session.entries().get(i).token(), received[i]);
        }
    }

    /** {@code received[i]} is the fd preserved under {@code tokens.get(i)}. */
    public Handoff(Session session, StateSnapshot snapshot, java.util.List<String> tokens, int[] received) {
        this.session = session;
        this.snapshot = snapshot;
        for (int i = 0; i < received.length && i < tokens.size(); i++) {
            fds.put(tokens.get(i), received[i]);
        }
    }

    /** Whether an fd is held under {@code token}. */
    public boolean holds(String token) {
        return fds.containsKey(token);
    }

    public Session session() {
        return session;
    }

    public StateSnapshot snapshot() {
        return snapshot;
    }

    /** Retrieves the fd preserved under {@code token} (once); -1 if there is none or it was taken. */
    public int take(String token) {
        Integer fd = fds.remove(token);
        return fd == null ? -1 : fd;
    }

    /** Closes every fd no step took. */
    public void closeUntaken() {
        Transport.closeAll(fds.values().stream().mapToInt(Integer::intValue).toArray());
        fds.clear();
    }
}
