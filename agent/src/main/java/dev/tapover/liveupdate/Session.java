// The live-update session: run arguments, generation and one entry per handed-over fd, each under a unique token.
package dev.tapover.liveupdate;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Shaped like Linux's Live Update Orchestrator session: the predecessor preserves each fd under a token it
 * chooses ({@code tap/fo0}, {@code packet/eth1}), the successor retrieves each by token. The fds themselves
 * travel next to the manifest, in the same order as {@link #entries()} (the predecessor keeps them in
 * {@link #fds()}; a decoded session has none).
 *
 * @param master     the master's name
 * @param generation how many live updates led to the predecessor (0 for an agent that created its master)
 * @param argv       the predecessor's {@code run} arguments, so a successor started with none runs the same group
 * @param entries    one per fd, in fd order
 * @param fds        the predecessor's fd numbers (empty on the successor's side)
 */
public record Session(String master, long generation, List<String> argv, List<FdEntry> entries, int[] fds) {

    public Session {
        argv = List.copyOf(argv);
        entries = List.copyOf(entries);
    }

    /** The entry with {@code token}, or null. */
    public FdEntry entry(String token) {
        for (FdEntry e : entries) {
            if (e.token().equals(token)) {
                return e;
            }
        }
        return null;
    }

    /**
     * The entries (with their fds) that {@code earlier} does not hold: a new token, or a token now naming
     * another open file (dev/ino), e.g. a link's socket opened again since. Not a complete session: no checks.
     */
    public Session changedSince(Session earlier) {
        List<FdEntry> out = new java.util.ArrayList<>();
        int[] outFds = new int[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            FdEntry e = entries.get(i);
            FdEntry before = earlier == null ? null : earlier.entry(e.token());
            if (before == null || before.dev() != e.dev() || before.ino() != e.ino()) {
                outFds[out.size()] = i < fds.length ? fds[i] : -1;
                out.add(e);
            }
        }
        return new Session(master, generation, argv, out, java.util.Arrays.copyOf(outFds, out.size()));
    }

    /** The token of the master's TAP. */
    public String tapToken() {
        return FdEntry.tokenFor(FdKind.TAP, master);
    }

    public ObjectNode toJson() {
        ObjectNode n = Message.JSON.createObjectNode();
        n.put("master", master);
        n.put("generation", generation);
        ArrayNode args = n.putArray("argv");
        argv.forEach(args::add);
        ArrayNode list = n.putArray("fds");
        entries.forEach(e -> list.add(e.toJson()));
        return n;
    }

    /** Decodes and re-validates a session (duplicate tokens, unknown kinds, a missing TAP: clear errors). */
    public static Session fromJson(JsonNode n) throws LiveUpdateException {
        if (n == null || !n.isObject() || !n.path("master").isTextual() || !n.path("fds").isArray()) {
            throw new LiveUpdateException("the predecessor's session lacks its master or fd list; are both sides tapover?");
        }
        Builder b = new Builder(n.get("master").asText(), n.path("generation").asLong());
        List<String> argv = new ArrayList<>();
        n.path("argv").forEach(a -> argv.add(a.asText()));
        b.argv(argv);
        for (JsonNode e : n.get("fds")) {
            b.add(FdEntry.fromJson(e), -1);
        }
        return b.build();
    }

    /** Collects entries and checks them as they come. */
    public static final class Builder {
        private final String master;
        private final long generation;
        private List<String> argv = List.of();
        private final List<FdEntry> entries = new ArrayList<>();
        private final List<Integer> fds = new ArrayList<>();
        private final Set<String> tokens = new HashSet<>();

        public Builder(String master, long generation) {
            this.master = master;
            this.generation = generation;
        }

        public Builder argv(List<String> args) {
            this.argv = List.copyOf(args);
            return this;
        }

        /** Adds an entry and its fd; a duplicate token or a token that does not match kind/name is refused. */
        public Builder add(FdEntry entry, int fd) throws LiveUpdateException {
            if (!tokens.add(entry.token())) {
                throw new LiveUpdateException("the session already holds an fd under token \"" + entry.token()
                        + "\"; each fd needs its own token");
            }
            String expected = FdEntry.tokenFor(entry.kind(), entry.name());
            if (!expected.equals(entry.token())) {
                throw new LiveUpdateException("fd token \"" + entry.token() + "\" does not match its kind and name (expected \""
                        + expected + "\")");
            }
            entries.add(entry);
            fds.add(fd);
            return this;
        }

        public Session build() throws LiveUpdateException {
            if (entries.size() > dev.tapover.natives.FdPassing.MAX_FDS) {
                throw new LiveUpdateException("the session holds " + entries.size() + " fds, more than one message carries ("
                        + dev.tapover.natives.FdPassing.MAX_FDS + ")");
            }
            String tap = FdEntry.tokenFor(FdKind.TAP, master);
            if (!tokens.contains(tap)) {
                throw new LiveUpdateException("the session holds no fd under token \"" + tap
                        + "\"; the master's TAP is what a live update hands over");
            }
            // a decoded session has no fd numbers of its own (they were the predecessor's)
            int[] numbers = fds.contains(-1) ? new int[0] : fds.stream().mapToInt(Integer::intValue).toArray();
            return new Session(master, generation, argv, entries, numbers);
        }
    }
}
